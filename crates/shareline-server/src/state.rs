//! What every request handler shares.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use shareline_access::ratelimit::{LimitPolicy, LoginLimiter};
use shareline_app::scan::{Cancel, ScanOptions};
use shareline_app::secrets::MasterKey;
use shareline_store::Store;

/// How the server runs.
#[derive(Debug, Default)]
pub struct ServerConfig {
    /// Mark cookies `Secure`: set when the server is reached over HTTPS
    /// (directly or behind a TLS-terminating proxy).
    pub secure_cookies: bool,
    /// Decrypts stored account credentials for scans.
    pub master_key: Option<MasterKey>,
    /// How scans run (services, retries, concurrency).
    pub scan: ScanOptions,
    /// How long a login lasts, in hours (default 12).
    pub session_hours: i64,
}

/// The shared state: the store, the login limiter and the running scans.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    config: ServerConfig,
    /// Failed logins per user name, and per client address.
    limiters: Mutex<(LoginLimiter, LoginLimiter)>,
    scans: Mutex<HashMap<String, Cancel>>,
}

impl AppState {
    /// Builds the state.
    pub fn new(store: Store, config: ServerConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                config,
                limiters: Mutex::new((
                    LoginLimiter::new(LimitPolicy::PER_USERNAME),
                    LoginLimiter::new(LimitPolicy::PER_IP),
                )),
                scans: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// Runs `f` with the login limiters (per user name, per address) locked.
    pub(crate) fn with_limiters<T>(
        &self,
        f: impl FnOnce(&mut LoginLimiter, &mut LoginLimiter) -> T,
    ) -> T {
        let mut guard = match self.inner.limiters.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (by_user, by_ip) = &mut *guard;
        f(by_user, by_ip)
    }

    /// Runs `f` with the running scans locked (keyed `tenant/job`).
    pub(crate) fn with_scans<T>(&self, f: impl FnOnce(&mut HashMap<String, Cancel>) -> T) -> T {
        let mut guard = match self.inner.scans.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }
}
