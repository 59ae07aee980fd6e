//! The posture read model behind the MSP overview and the cross-customer
//! queue, and the background scan jobs.
//!
//! An evaluation writes one snapshot row per tenant and replaces the
//! tenant's per-check rows, so the overview over a thousand tenants reads a
//! few thousand small rows instead of millions of findings. Reads always
//! name the tenants the caller may see.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use shareline_model::TenantId;

use crate::records::ts;
use crate::{Backend, Store, StoreError, now_ms, placeholders};

/// One tenant's posture after an evaluation.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PostureSnapshot {
    /// The tenant.
    pub tenant_id: String,
    /// When the evaluation ran.
    pub at: DateTime<Utc>,
    /// Resources evaluated.
    pub resources: i64,
    /// Findings by status.
    pub pass: i64,
    /// Failing.
    pub fail: i64,
    /// Muted.
    pub muted: i64,
    /// Unknown (data missing).
    pub unknown: i64,
    /// Errored.
    pub error: i64,
    /// Failing by severity.
    pub fail_critical: i64,
    /// High.
    pub fail_high: i64,
    /// Medium.
    pub fail_medium: i64,
    /// Low.
    pub fail_low: i64,
    /// Informational.
    pub fail_info: i64,
    /// Failing findings owned by the cloud provider.
    pub own_provider: i64,
    /// By the MSP.
    pub own_msp: i64,
    /// By the customer.
    pub own_customer: i64,
    /// By nobody (a gap in the line).
    pub own_none: i64,
    /// Failing responsibility-gap findings.
    pub gaps: i64,
    /// The posture score in per mille (0–1000): severity-weighted share of
    /// passing findings.
    pub score: i64,
    /// Per framework: `{id, name, score, failing, passing}` (requirements).
    /// Read through the tenant view; left out of serialized snapshots, which
    /// the overview sends by the thousand.
    #[serde(skip_serializing)]
    pub compliance: Value,
}

/// One check's state in one tenant.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckPosture {
    /// The check.
    pub check_id: String,
    /// Its severity.
    pub severity: String,
    /// Failing findings.
    pub failing: i64,
    /// Muted findings.
    pub muted: i64,
    /// Passing findings.
    pub passing: i64,
}

/// One check across the tenants asked about: the cross-customer queue row.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct QueueRow {
    /// The check.
    pub check_id: String,
    /// Its severity.
    pub severity: String,
    /// Tenants where it fails.
    pub tenants: i64,
    /// Failing findings (resources) across them.
    pub failing: i64,
    /// Muted findings across them.
    pub muted: i64,
}

/// A tenant's latest scan, for the overview.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Activity {
    /// The tenant.
    pub tenant_id: String,
    /// When the last scan or import ended.
    pub last_scan_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub last_scan_status: Option<String>,
    /// A one-line summary.
    pub last_scan_detail: Option<String>,
}

/// A background scan.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScanJob {
    /// The tenant.
    pub tenant_id: String,
    /// Its id.
    pub id: String,
    /// Who asked for it.
    pub requested_by: String,
    /// `queued`, `running`, `succeeded`, `partial`, `failed` or `cancelled`.
    pub status: String,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Service × region runs planned.
    pub planned: i64,
    /// Runs done.
    pub done: i64,
    /// Runs failed.
    pub failed: i64,
    /// The latest progress or error line.
    pub message: String,
    /// The per-account outcome, once done.
    pub result: Option<Value>,
}

const SNAP_COLS: &str = "tenant_id, at, resources, pass, fail, muted, unknown, error, \
    fail_critical, fail_high, fail_medium, fail_low, fail_info, own_provider, own_msp, \
    own_customer, own_none, gaps, score, compliance";
const JOB_COLS: &str = "tenant_id, id, requested_by, status, created_at, started_at, finished_at, \
    planned, done, failed, message, result";

fn snapshot_row(r: &AnyRow) -> Result<PostureSnapshot, StoreError> {
    Ok(PostureSnapshot {
        tenant_id: r.try_get(0)?,
        at: ts(r.try_get(1)?),
        resources: r.try_get(2)?,
        pass: r.try_get(3)?,
        fail: r.try_get(4)?,
        muted: r.try_get(5)?,
        unknown: r.try_get(6)?,
        error: r.try_get(7)?,
        fail_critical: r.try_get(8)?,
        fail_high: r.try_get(9)?,
        fail_medium: r.try_get(10)?,
        fail_low: r.try_get(11)?,
        fail_info: r.try_get(12)?,
        own_provider: r.try_get(13)?,
        own_msp: r.try_get(14)?,
        own_customer: r.try_get(15)?,
        own_none: r.try_get(16)?,
        gaps: r.try_get(17)?,
        score: r.try_get(18)?,
        compliance: serde_json::from_str(&r.try_get::<String, _>(19)?)
            .map_err(|e| StoreError::Corrupt(format!("posture compliance: {e}")))?,
    })
}

fn job_row(r: &AnyRow) -> Result<ScanJob, StoreError> {
    let result: Option<String> = r.try_get(11)?;
    Ok(ScanJob {
        tenant_id: r.try_get(0)?,
        id: r.try_get(1)?,
        requested_by: r.try_get(2)?,
        status: r.try_get(3)?,
        created_at: ts(r.try_get(4)?),
        started_at: r.try_get::<Option<i64>, _>(5)?.map(ts),
        finished_at: r.try_get::<Option<i64>, _>(6)?.map(ts),
        planned: r.try_get(7)?,
        done: r.try_get(8)?,
        failed: r.try_get(9)?,
        message: r.try_get(10)?,
        result: result
            .map(|t| {
                serde_json::from_str(&t)
                    .map_err(|e| StoreError::Corrupt(format!("scan job result: {e}")))
            })
            .transpose()?,
    })
}

/// `$k,$k+1,…` (or `?,?,…` on SQLite) for an IN list starting at `$first`.
fn in_list(backend: Backend, first: usize, n: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; n].join(","),
        Backend::Postgres => (first..first + n)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(","),
    }
}

impl Store {
    /// Stores a tenant's posture after an evaluation: one snapshot row, and
    /// its per-check rows replaced.
    ///
    /// # Errors
    /// On a database error.
    pub async fn record_posture(
        &self,
        tenant: &TenantId,
        snap: &PostureSnapshot,
        checks: &[CheckPosture],
    ) -> Result<(), StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO posture_snapshots ({SNAP_COLS}) VALUES {}",
            placeholders(self.backend, 1, 20)
        )))
        .bind(tenant.as_str())
        .bind(snap.at.timestamp_millis())
        .bind(snap.resources)
        .bind(snap.pass)
        .bind(snap.fail)
        .bind(snap.muted)
        .bind(snap.unknown)
        .bind(snap.error)
        .bind(snap.fail_critical)
        .bind(snap.fail_high)
        .bind(snap.fail_medium)
        .bind(snap.fail_low)
        .bind(snap.fail_info)
        .bind(snap.own_provider)
        .bind(snap.own_msp)
        .bind(snap.own_customer)
        .bind(snap.own_none)
        .bind(snap.gaps)
        .bind(snap.score)
        .bind(snap.compliance.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM check_posture WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await?;
        for chunk in checks.chunks(150) {
            let sql = format!(
                "INSERT INTO check_posture (tenant_id, check_id, severity, failing, muted, passing) VALUES {}",
                placeholders(self.backend, chunk.len(), 6)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in chunk {
                q = q
                    .bind(tenant.as_str())
                    .bind(&c.check_id)
                    .bind(&c.severity)
                    .bind(c.failing)
                    .bind(c.muted)
                    .bind(c.passing);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The latest snapshot of each of `tenants` that has one.
    ///
    /// # Errors
    /// On a database error.
    pub async fn latest_postures(
        &self,
        tenants: &[TenantId],
    ) -> Result<Vec<PostureSnapshot>, StoreError> {
        let mut out = Vec::with_capacity(tenants.len());
        for chunk in tenants.chunks(500) {
            let list = in_list(self.backend, 1, chunk.len());
            let sql = format!(
                "SELECT {SNAP_COLS} FROM posture_snapshots p WHERE tenant_id IN ({list}) AND at = \
                 (SELECT MAX(at) FROM posture_snapshots q WHERE q.tenant_id = p.tenant_id)"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for t in chunk {
                q = q.bind(t.as_str());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(snapshot_row(&r)?);
            }
        }
        Ok(out)
    }

    /// Every snapshot of `tenants` since `since`, oldest first (the trend).
    ///
    /// # Errors
    /// On a database error.
    pub async fn posture_trend(
        &self,
        tenants: &[TenantId],
        since: DateTime<Utc>,
    ) -> Result<Vec<PostureSnapshot>, StoreError> {
        let mut out = Vec::new();
        for chunk in tenants.chunks(500) {
            let list = in_list(self.backend, 2, chunk.len());
            let sql = format!(
                "SELECT {SNAP_COLS} FROM posture_snapshots WHERE at >= {} AND tenant_id IN ({list}) ORDER BY at",
                if self.backend == Backend::Sqlite {
                    "?"
                } else {
                    "$1"
                }
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(since.timestamp_millis());
            for t in chunk {
                q = q.bind(t.as_str());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(snapshot_row(&r)?);
            }
        }
        out.sort_by_key(|s| s.at);
        Ok(out)
    }

    /// The cross-customer queue: failing checks over `tenants`, worst first.
    ///
    /// # Errors
    /// On a database error.
    pub async fn failing_checks(&self, tenants: &[TenantId]) -> Result<Vec<QueueRow>, StoreError> {
        use std::collections::BTreeMap;
        let mut acc: BTreeMap<String, QueueRow> = BTreeMap::new();
        for chunk in tenants.chunks(500) {
            let list = in_list(self.backend, 1, chunk.len());
            let sql = format!(
                "SELECT check_id, MAX(severity), COUNT(*), CAST(SUM(failing) AS BIGINT), CAST(SUM(muted) AS BIGINT) FROM check_posture \
                 WHERE failing > 0 AND tenant_id IN ({list}) GROUP BY check_id"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for t in chunk {
                q = q.bind(t.as_str());
            }
            for r in q.fetch_all(&self.pool).await? {
                let check_id: String = r.try_get(0)?;
                let row = acc.entry(check_id.clone()).or_insert(QueueRow {
                    check_id,
                    severity: r.try_get(1)?,
                    tenants: 0,
                    failing: 0,
                    muted: 0,
                });
                row.tenants += r.try_get::<i64, _>(2)?;
                row.failing += r.try_get::<i64, _>(3)?;
                row.muted += r.try_get::<i64, _>(4)?;
            }
        }
        Ok(acc.into_values().collect())
    }

    /// Which of `tenants` a check fails in, with counts.
    ///
    /// # Errors
    /// On a database error.
    pub async fn check_tenants(
        &self,
        check_id: &str,
        tenants: &[TenantId],
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let mut out: Vec<(String, i64)> = Vec::new();
        for chunk in tenants.chunks(500) {
            let list = in_list(self.backend, 2, chunk.len());
            let sql = format!(
                "SELECT tenant_id, failing FROM check_posture WHERE check_id = {} AND failing > 0 \
                 AND tenant_id IN ({list}) ORDER BY failing DESC",
                if self.backend == Backend::Sqlite {
                    "?"
                } else {
                    "$1"
                }
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(check_id);
            for t in chunk {
                q = q.bind(t.as_str());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push((r.try_get(0)?, r.try_get(1)?));
            }
        }
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(out)
    }

    /// Numbers that change whenever a tenant is added or removed, any
    /// tenant's posture changes, or any last scan is recorded, in one round
    /// trip: `(tenants, posture, activity)`. Read caches compare them.
    ///
    /// # Errors
    /// On a database error.
    pub async fn generations(&self) -> Result<(i64, i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM tenants), (SELECT COALESCE(MAX(created_at), 0) FROM tenants), \
             (SELECT COALESCE(MAX(at), 0) FROM posture_snapshots), \
             (SELECT COALESCE(MAX(last_scan_at), 0) FROM tenant_activity)",
        )
        .fetch_one(&self.pool)
        .await?;
        let count: i64 = row.try_get(0)?;
        let newest: i64 = row.try_get(1)?;
        Ok((
            newest ^ count.rotate_left(40),
            row.try_get(2)?,
            row.try_get(3)?,
        ))
    }

    /// Records how a tenant's latest scan or import ended.
    ///
    /// # Errors
    /// On a database error.
    pub async fn record_activity(
        &self,
        tenant: &TenantId,
        status: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM tenant_activity WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO tenant_activity (tenant_id, last_scan_at, last_scan_status, last_scan_detail) VALUES ($1, $2, $3, $4)",
        )
        .bind(tenant.as_str())
        .bind(now_ms())
        .bind(status)
        .bind(detail)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The latest scan of each of `tenants` that has one.
    ///
    /// # Errors
    /// On a database error.
    pub async fn activities(&self, tenants: &[TenantId]) -> Result<Vec<Activity>, StoreError> {
        let mut out = Vec::new();
        for chunk in tenants.chunks(500) {
            let list = in_list(self.backend, 1, chunk.len());
            let sql = format!(
                "SELECT tenant_id, last_scan_at, last_scan_status, last_scan_detail FROM tenant_activity WHERE tenant_id IN ({list})"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for t in chunk {
                q = q.bind(t.as_str());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(Activity {
                    tenant_id: r.try_get(0)?,
                    last_scan_at: r.try_get::<Option<i64>, _>(1)?.map(ts),
                    last_scan_status: r.try_get(2)?,
                    last_scan_detail: r.try_get(3)?,
                });
            }
        }
        Ok(out)
    }

    /// Queues a scan job.
    ///
    /// # Errors
    /// On a database error.
    pub async fn create_scan_job(
        &self,
        tenant: &TenantId,
        requested_by: &str,
    ) -> Result<ScanJob, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.tenant_tx(tenant).await?;
        sqlx::query(
            "INSERT INTO scan_jobs (tenant_id, id, requested_by, status, created_at) VALUES ($1, $2, $3, 'queued', $4)",
        )
        .bind(tenant.as_str())
        .bind(&id)
        .bind(requested_by)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_scan_job(tenant, &id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("scan `{id}`")))
    }

    /// Updates a job's progress or outcome. `status` ending the job also sets
    /// `finished_at`.
    ///
    /// # Errors
    /// On a database error.
    #[allow(clippy::too_many_arguments, reason = "one row's columns")]
    pub async fn update_scan_job(
        &self,
        tenant: &TenantId,
        id: &str,
        status: &str,
        planned: i64,
        done: i64,
        failed: i64,
        message: &str,
        result: Option<&Value>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let ended = !matches!(status, "queued" | "running");
        let mut tx = self.tenant_tx(tenant).await?;
        sqlx::query(
            "UPDATE scan_jobs SET status = $1, planned = $2, done = $3, failed = $4, message = $5, \
             result = COALESCE($6, result), \
             started_at = COALESCE(started_at, CASE WHEN $1 = 'queued' THEN NULL ELSE $7 END), \
             finished_at = CASE WHEN $8 = 1 THEN $7 ELSE NULL END \
             WHERE tenant_id = $9 AND id = $10",
        )
        .bind(status)
        .bind(planned)
        .bind(done)
        .bind(failed)
        .bind(message)
        .bind(result.map(Value::to_string))
        .bind(now)
        .bind(i64::from(ended))
        .bind(tenant.as_str())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One job.
    ///
    /// # Errors
    /// On a database error.
    pub async fn get_scan_job(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<ScanJob>, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLS} FROM scan_jobs WHERE tenant_id = $1 AND id = $2"
        )))
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.as_ref().map(job_row).transpose()
    }

    /// A tenant's jobs, newest first.
    ///
    /// # Errors
    /// On a database error.
    pub async fn list_scan_jobs(
        &self,
        tenant: &TenantId,
        limit: i64,
    ) -> Result<Vec<ScanJob>, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLS} FROM scan_jobs WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT $2"
        )))
        .bind(tenant.as_str())
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(job_row).collect()
    }

    /// Marks jobs left queued or running by a server that stopped as failed.
    ///
    /// # Errors
    /// On a database error.
    pub async fn fail_stale_scan_jobs(&self, tenants: &[TenantId]) -> Result<(), StoreError> {
        for t in tenants {
            let mut tx = self.tenant_tx(t).await?;
            sqlx::query(
                "UPDATE scan_jobs SET status = 'failed', finished_at = $1, \
                 message = 'the server stopped while this scan ran' \
                 WHERE tenant_id = $2 AND status IN ('queued', 'running')",
            )
            .bind(now_ms())
            .bind(t.as_str())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }
}
