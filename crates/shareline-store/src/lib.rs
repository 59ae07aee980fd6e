//! Shareline's store: SQLite (embedded, one file, the default) and PostgreSQL
//! behind one tenant-scoped interface, [`Store`].
//!
//! Every method that reads or writes a tenant's data takes a [`TenantId`];
//! there is no query path without one. On PostgreSQL, row-level security on
//! `tenant_id` is a second wall: each tenant-scoped transaction sets
//! `shareline.tenant_id` and, when connected as a superuser, drops to the
//! unprivileged `shareline_tenant` role so the policies apply.
//!
//! Both backends run through sqlx's `Any` driver with portable SQL (`$N`
//! parameters, `INSERT … SELECT`, `UPDATE … FROM`), so one implementation and
//! one conformance suite serve both. Migrations live per backend in
//! `migrations/{sqlite,postgres}` and run at open.

mod audit;
mod findings;
mod inventory;
mod offboarding;
mod pack_blob;
mod posture;
mod records;
mod responsibility;
mod users;

use std::str::FromStr;

use sqlx::AssertSqlSafe;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};

use shareline_model::TenantId;

pub use findings::{
    EvaluationRecord, FindingFilter, MuteRecord, PackRow, StoredFindings, pack_rows,
};
pub use inventory::{CommitPlan, CommitStats, Staged, StagedResource};
pub use offboarding::Removed;
pub use posture::{Activity, CheckPosture, PostureSnapshot, QueueRow, ScanJob};
pub use records::*;
pub use responsibility::{Contact, Offering, OfferingChoice};
pub use users::{NewUser, SessionRecord, TokenRecord, UserRecord};

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be opened or answered with an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The URL names no supported backend.
    #[error("unsupported database url `{0}`: use a file path, `sqlite://PATH` or `postgres://...`")]
    UnsupportedUrl(String),
    /// A record that must be unique exists already.
    #[error("{0} already exists")]
    Conflict(String),
    /// A named record does not exist (within the tenant).
    #[error("{0} not found")]
    NotFound(String),
    /// The data given to the store was refused.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Stored data could not be decoded.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// The database behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The store. Cheap to clone (it wraps a connection pool).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Connected as a role that bypasses row-level security, and able to
    /// switch to `shareline_tenant`.
    pg_drop_role: bool,
    /// A WAL checkpoint is running in the background (SQLite).
    checkpointing: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// `(?,?,…),(…)` for SQLite, `($1,$2,…),(…)` for PostgreSQL. SQLite gets
/// anonymous parameters because binding numbered ones costs time quadratic
/// in their count there.
pub(crate) fn placeholders(backend: Backend, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            match backend {
                Backend::Sqlite => s.push('?'),
                Backend::Postgres => {
                    s.push('$');
                    s.push_str(&(r * cols + c + 1).to_string());
                }
            }
        }
        s.push(')');
    }
    s
}

/// Returns the current time as Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Store {
    /// Opens (creating when needed) the database at `url` and runs migrations.
    /// `url` is a file path, `sqlite://PATH`, `sqlite::memory:` or a
    /// `postgres://` URL.
    ///
    /// # Errors
    /// Returns an error when the database cannot be opened or migrated.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalize_url(url)?;
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = match backend {
            Backend::Sqlite => {
                // A writer, the readers of the tenants computed ahead of
                // it, and a background checkpoint.
                AnyPoolOptions::new()
                    .max_connections(5)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // The busy timeout first: a connection opened while
                            // another one writes must wait, not fail, even on
                            // its first pragma.
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            // 8 KiB pages for a new database (an existing one
                            // keeps its own): a resource's packed findings are
                            // about 1.8 KiB, and 4 KiB pages held two of them
                            // with much left over (docs/benchmarks.md).
                            conn.execute("PRAGMA page_size = 8192").await?;
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            // 32 MiB of page cache (the default is 2): an
                            // evaluation's write touches more pages than 2 MiB
                            // holds, and spilling them mid-transaction doubled
                            // its I/O. At most five connections.
                            conn.execute("PRAGMA cache_size = -32768").await?;
                            // Large writes checkpoint the WAL in the background
                            // ([`Store::checkpoint_behind`]); the writer itself
                            // does only when the WAL passes 256 MiB anyway (the
                            // default is every 4 MiB, in the writer's time).
                            conn.execute("PRAGMA wal_autocheckpoint = 65536").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .connect_with(options)
                    .await?
            }
        };
        match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&pool).await?,
        }
        let pg_drop_role = match backend {
            Backend::Sqlite => false,
            Backend::Postgres => {
                let row = sqlx::query(
                    "SELECT CASE WHEN (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) \
                     AND pg_has_role(current_user, 'shareline_tenant', 'MEMBER') THEN CAST(1 AS BIGINT) \
                     ELSE CAST(0 AS BIGINT) END FROM pg_roles WHERE rolname = 'shareline_tenant'",
                )
                .fetch_optional(&pool)
                .await?;
                match row {
                    Some(r) => r.try_get::<i64, _>(0)? == 1,
                    None => false,
                }
            }
        };
        Ok(Self {
            pool,
            backend,
            pg_drop_role,
            checkpointing: std::sync::Arc::default(),
        })
    }

    /// After a large write to SQLite: copies what the WAL holds into the
    /// database on a connection of its own, while the next writes go on.
    /// Left to the writer, every fourth evaluation's commit copied 64 MiB
    /// and waited for the disk (docs/benchmarks.md). One at a time; a
    /// checkpoint lets writers and readers carry on (it stops at what
    /// the oldest reader still reads, and the next one takes the rest).
    pub(crate) fn checkpoint_behind(&self) {
        use std::sync::atomic::Ordering;
        if self.backend != Backend::Sqlite || self.checkpointing.swap(true, Ordering::AcqRel) {
            return;
        }
        let (pool, running) = (self.pool.clone(), self.checkpointing.clone());
        tokio::spawn(async move {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::warn!(error = %e, "background WAL checkpoint failed");
            }
            running.store(false, Ordering::Release);
        });
    }

    /// Returns which database this store uses.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a transaction scoped to `tenant`. On PostgreSQL it sets the
    /// tenant for row-level security and drops superuser rights.
    pub(crate) async fn tenant_tx(
        &self,
        tenant: &TenantId,
    ) -> Result<Transaction<'static, Any>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT set_config('shareline.tenant_id', $1, true)")
                .bind(tenant.as_str())
                .execute(&mut *tx)
                .await?;
            if self.pg_drop_role {
                tx.execute("SET LOCAL ROLE shareline_tenant").await?;
            }
        }
        Ok(tx)
    }

    /// Runs raw SQL in a tenant-scoped transaction and returns the number of
    /// rows of `table` visible. For the row-level security tests only.
    #[doc(hidden)]
    pub async fn visible_rows_unscoped_filter(
        &self,
        tenant: &TenantId,
        table: &str,
    ) -> Result<i64, StoreError> {
        if !table.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(StoreError::Invalid(format!("table `{table}`")));
        }
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.try_get::<i64, _>(0)?)
    }
}

fn normalize_url(url: &str) -> Result<(Backend, String), StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_owned()));
    }
    if url == "sqlite::memory:" {
        return Ok((Backend::Sqlite, url.to_owned()));
    }
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let sep = if rest.contains('?') { '&' } else { '?' };
        let url = if rest.contains("mode=") {
            format!("sqlite://{rest}")
        } else {
            format!("sqlite://{rest}{sep}mode=rwc")
        };
        return Ok((Backend::Sqlite, url));
    }
    if url.contains("://") {
        return Err(StoreError::UnsupportedUrl(url.to_owned()));
    }
    Ok((Backend::Sqlite, format!("sqlite://{url}?mode=rwc")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            normalize_url("shareline.db").unwrap(),
            (Backend::Sqlite, "sqlite://shareline.db?mode=rwc".into())
        );
        assert_eq!(
            normalize_url("postgres://x/y").unwrap().0,
            Backend::Postgres
        );
        assert!(normalize_url("mysql://x").is_err());
    }
}
