//! The audit log: append-only, one global hash chain. The store keeps the
//! rows (timestamps in microseconds, as the chain hashes them); sealing and
//! verifying live in `shareline-access`.

use chrono::{TimeZone, Utc};
use serde_json::Value;
use shareline_access::audit::AuditEntry;
use sqlx::Row;
use sqlx::any::AnyRow;

use shareline_model::TenantId;

use crate::records::is_unique_violation;
use crate::{Store, StoreError};

const COLS: &str = "seq, at, actor, tenant_id, action, target, before, after, prev_hash, hash";

fn json_col(r: &AnyRow, i: usize) -> Result<Option<Value>, StoreError> {
    r.try_get::<Option<String>, _>(i)?
        .map(|t| {
            serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("audit json: {e}")))
        })
        .transpose()
}

fn audit_row(r: &AnyRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        seq: r.try_get(0)?,
        at: Utc
            .timestamp_micros(r.try_get(1)?)
            .single()
            .ok_or_else(|| StoreError::Corrupt("audit timestamp".into()))?,
        actor: r.try_get(2)?,
        tenant: r.try_get(3)?,
        action: r.try_get(4)?,
        target: r.try_get(5)?,
        before: json_col(r, 6)?,
        after: json_col(r, 7)?,
        prev_hash: r.try_get(8)?,
        hash: r.try_get(9)?,
    })
}

impl Store {
    /// The last entry of the chain.
    ///
    /// # Errors
    /// On a database error.
    pub async fn last_audit(&self) -> Result<Option<AuditEntry>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM audit_log ORDER BY seq DESC LIMIT 1"
        )))
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(audit_row)
        .transpose()
    }

    /// Appends a sealed entry. [`StoreError::Conflict`] when another writer
    /// took its sequence number first: reseal on the new last entry and retry.
    ///
    /// # Errors
    /// Conflict as above; on a database error.
    pub async fn append_audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        let text = |v: &Option<Value>| v.as_ref().map(Value::to_string);
        let res = sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, tenant_id, action, target, before, after, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(e.seq)
        .bind(e.at.timestamp_micros())
        .bind(&e.actor)
        .bind(e.tenant.as_deref())
        .bind(&e.action)
        .bind(&e.target)
        .bind(text(&e.before))
        .bind(text(&e.after))
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(&self.pool)
        .await;
        match res {
            Ok(_) => Ok(()),
            Err(err) if is_unique_violation(&err) => {
                Err(StoreError::Conflict(format!("audit entry {}", e.seq)))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Reads the chain in order from `after_seq` (exclusive), at most
    /// `limit` entries: the whole-chain walk of `audit verify`.
    ///
    /// # Errors
    /// On a database error or corrupt row.
    pub async fn audit_chain(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
        )))
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(audit_row)
        .collect()
    }

    /// Lists entries newest first: those of the given tenants (and, with
    /// `include_global`, those touching no tenant), before `before_seq`.
    ///
    /// # Errors
    /// On a database error.
    pub async fn list_audit(
        &self,
        tenants: &[TenantId],
        include_global: bool,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut sql = format!("SELECT {COLS} FROM audit_log WHERE seq < $1 AND (");
        let mut conds = Vec::new();
        if include_global {
            conds.push("tenant_id IS NULL".to_owned());
        }
        if !tenants.is_empty() {
            let list: Vec<String> = (0..tenants.len()).map(|i| format!("${}", i + 3)).collect();
            conds.push(format!("tenant_id IN ({})", list.join(",")));
        }
        if conds.is_empty() {
            return Ok(Vec::new());
        }
        sql.push_str(&conds.join(" OR "));
        sql.push_str(") ORDER BY seq DESC LIMIT $2");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(before_seq.unwrap_or(i64::MAX))
            .bind(limit);
        for t in tenants {
            q = q.bind(t.as_str());
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(audit_row)
            .collect()
    }

    /// Rewrites one entry's action text. Only the tamper-evidence tests use
    /// it, to prove `audit verify` notices.
    #[doc(hidden)]
    pub async fn tamper_audit_for_tests(&self, seq: i64, action: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE audit_log SET action = $1 WHERE seq = $2")
            .bind(action)
            .bind(seq)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
