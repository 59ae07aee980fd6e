//! Changing and removing accounts and tenants. Removal is complete: an MSP
//! offboarding a customer (or one of its accounts) takes every row of it out
//! of the store, history included.

use sqlx::AssertSqlSafe;

use shareline_model::TenantId;

use crate::{Backend, Store, StoreError};

/// What a removal deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Removed {
    /// Resources (with all their versions).
    pub resources: u64,
    /// Findings (with their history).
    pub findings: u64,
    /// Collections.
    pub collections: u64,
}

/// Tables that hold a tenant's rows, children first.
const TENANT_TABLES: &[&str] = &[
    "scan_jobs",
    "posture_snapshots",
    "check_posture",
    "tenant_activity",
    "user_tenants",
    "finding_events",
    "finding_passes",
    "findings",
    "evaluations",
    "mutes",
    "check_params",
    "assignment_acceptances",
    "tenant_assignments",
    "tenant_offerings",
    "contacts",
    "resource_versions",
    "resources",
    "collection_scopes",
    "collections",
    "accounts",
];

impl Store {
    /// A tenant-scoped transaction that keeps the connecting role: removals
    /// also delete append-only history, which the unprivileged tenant role
    /// may not.
    async fn owner_tenant_tx(
        &self,
        tenant: &TenantId,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT set_config('shareline.tenant_id', $1, true)")
                .bind(tenant.as_str())
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// Changes an account's display name and regions.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the tenant has no such account.
    pub async fn update_account(
        &self,
        tenant: &TenantId,
        account_id: &str,
        name: Option<&str>,
        regions: Option<&[String]>,
    ) -> Result<(), StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let mut changed = 0;
        if let Some(n) = name {
            changed += sqlx::query(
                "UPDATE accounts SET name = $3 WHERE tenant_id = $1 AND account_id = $2",
            )
            .bind(tenant.as_str())
            .bind(account_id)
            .bind(n)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        if let Some(r) = regions {
            let text = serde_json::to_string(r).map_err(|e| StoreError::Invalid(e.to_string()))?;
            changed += sqlx::query(
                "UPDATE accounts SET regions = $3 WHERE tenant_id = $1 AND account_id = $2",
            )
            .bind(tenant.as_str())
            .bind(account_id)
            .bind(text)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        if changed == 0 {
            let exists =
                sqlx::query("SELECT 1 FROM accounts WHERE tenant_id = $1 AND account_id = $2")
                    .bind(tenant.as_str())
                    .bind(account_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!(
                    "account `{account_id}` in tenant `{tenant}`"
                )));
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes an account and everything collected from it: resources and
    /// their versions, collections, findings and their history.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the tenant has no such account.
    pub async fn remove_account(
        &self,
        tenant: &TenantId,
        account_id: &str,
    ) -> Result<Removed, StoreError> {
        let t = tenant.as_str();
        let mut tx = self.owner_tenant_tx(tenant).await?;
        let exists = sqlx::query("SELECT 1 FROM accounts WHERE tenant_id = $1 AND account_id = $2")
            .bind(t)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!(
                "account `{account_id}` in tenant `{tenant}`"
            )));
        }
        let mut removed = Removed::default();
        let run = |sql: &'static str| sqlx::query(sql).bind(t).bind(account_id);
        run(
            "DELETE FROM finding_events WHERE tenant_id = $1 AND finding_id IN \
             (SELECT id FROM findings WHERE tenant_id = $1 AND account_id = $2)",
        )
        .execute(&mut *tx)
        .await?;
        removed.findings = run("DELETE FROM findings WHERE tenant_id = $1 AND account_id = $2")
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let packs = run(
            "SELECT passes, packed FROM finding_passes WHERE tenant_id = $1 AND account_id = $2",
        )
        .fetch_all(&mut *tx)
        .await?;
        for p in &packs {
            let n =
                crate::findings::pack_len(sqlx::Row::try_get(p, 0)?, sqlx::Row::try_get(p, 1)?)?;
            removed.findings += u64::try_from(n).unwrap_or(u64::MAX);
        }
        run("DELETE FROM finding_passes WHERE tenant_id = $1 AND account_id = $2")
            .execute(&mut *tx)
            .await?;
        run(
            "DELETE FROM resource_versions WHERE tenant_id = $1 AND rid IN \
             (SELECT rid FROM resources WHERE tenant_id = $1 AND account_id = $2)",
        )
        .execute(&mut *tx)
        .await?;
        removed.resources = run("DELETE FROM resources WHERE tenant_id = $1 AND account_id = $2")
            .execute(&mut *tx)
            .await?
            .rows_affected();
        run(
            "DELETE FROM collection_scopes WHERE tenant_id = $1 AND collection_id IN \
             (SELECT id FROM collections WHERE tenant_id = $1 AND account_id = $2)",
        )
        .execute(&mut *tx)
        .await?;
        removed.collections =
            run("DELETE FROM collections WHERE tenant_id = $1 AND account_id = $2")
                .execute(&mut *tx)
                .await?
                .rows_affected();
        run("DELETE FROM accounts WHERE tenant_id = $1 AND account_id = $2")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(removed)
    }

    /// Forgets a tenant's findings: their rows, packs, history and
    /// evaluations, and its posture summaries. Its inventory stays; the
    /// next evaluation starts afresh. For benchmarks, which measure a first
    /// evaluation on every run.
    ///
    /// # Errors
    /// On a database error; nothing is removed then.
    pub async fn reset_findings(&self, tenant: &TenantId) -> Result<(), StoreError> {
        let mut tx = self.owner_tenant_tx(tenant).await?;
        for table in [
            "finding_events",
            "finding_passes",
            "findings",
            "evaluations",
            "check_posture",
            "posture_snapshots",
        ] {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE tenant_id = $1"
            )))
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes a tenant and every row it owns, history included.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown tenant.
    pub async fn remove_tenant(&self, tenant: &TenantId) -> Result<(), StoreError> {
        if self.get_tenant(tenant).await?.is_none() {
            return Err(StoreError::NotFound(format!("tenant `{tenant}`")));
        }
        let mut tx = self.owner_tenant_tx(tenant).await?;
        for table in TENANT_TABLES {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE tenant_id = $1"
            )))
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM tenants WHERE id = $1")
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
