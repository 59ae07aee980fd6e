//! The store conformance suite: the same tests run against SQLite always and
//! against PostgreSQL when `SHARELINE_TEST_POSTGRES_URL` is set.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod conformance;
mod findings;
mod rls;

use shareline_store::Store;
use sqlx::Connection;

/// A store on a fresh database, and what keeps it alive.
#[allow(missing_debug_implementations, reason = "test fixture")]
pub struct TestDb {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// The SQLite file under the store, for tests that edit it behind the
    /// store's back (`None` on PostgreSQL).
    pub fn sqlite_url(&self) -> Option<String> {
        let dir = self._dir.as_ref()?;
        Some(format!("sqlite://{}", dir.path().join("test.db").display()))
    }
}

/// Opens a fresh SQLite store in a temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.db");
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    TestDb {
        store,
        _dir: Some(dir),
    }
}

/// Opens a store on a fresh PostgreSQL database, or `None` when
/// `SHARELINE_TEST_POSTGRES_URL` is not set.
pub async fn postgres() -> Option<TestDb> {
    let server = shareline_test_support::postgres::server_url()?;
    sqlx::any::install_default_drivers();
    let name = shareline_test_support::postgres::unique_db_name();
    let mut admin = sqlx::AnyConnection::connect(&server).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = shareline_test_support::postgres::with_database(&server, &name);
    let store = Store::open(&url).await.unwrap();
    Some(TestDb { store, _dir: None })
}

/// Declares one test per backend for each conformance function.
#[macro_export]
macro_rules! store_test_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = $crate::sqlite().await;
                    super::$name(&db.store).await;
                }
            )*
        }
        mod postgres_backend {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = $crate::postgres().await else {
                        eprintln!("SHARELINE_TEST_POSTGRES_URL not set: skipping the PostgreSQL run");
                        return;
                    };
                    super::$name(&db.store).await;
                }
            )*
        }
    };
}
