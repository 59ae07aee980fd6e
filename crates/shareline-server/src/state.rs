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

/// Locks `m`, going on with its data if a panic poisoned it: every value
/// behind these locks stays valid between statements.
fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The read cache's key for a value (a credential's hash, a tenant list).
pub(crate) fn cache_key(value: &impl std::hash::Hash) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// A cached read and the generation it was computed at.
type Cached = (i64, Arc<dyn std::any::Any + Send + Sync>);

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
    /// Estate-wide reads (overview, queue) per set of visible tenants, with
    /// the posture generation they were computed at.
    cache: Mutex<HashMap<(&'static str, u64), Cached>>,
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
                cache: Mutex::new(HashMap::new()),
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
        let mut guard = locked(&self.inner.limiters);
        let (by_user, by_ip) = &mut *guard;
        f(by_user, by_ip)
    }

    /// A cached estate-wide read: `kind` for the tenants hashed into `key`,
    /// valid while the posture generation is still `generation`.
    pub(crate) fn cached<T: Send + Sync + 'static>(
        &self,
        kind: &'static str,
        key: u64,
        generation: i64,
    ) -> Option<Arc<T>> {
        let guard = locked(&self.inner.cache);
        let (g, value) = guard.get(&(kind, key))?;
        if *g != generation {
            return None;
        }
        Arc::clone(value).downcast::<T>().ok()
    }

    /// Stores a read in the cache (bounded: it is emptied when full).
    pub(crate) fn cache<T: Send + Sync + 'static>(
        &self,
        kind: &'static str,
        key: u64,
        generation: i64,
        value: Arc<T>,
    ) {
        let mut guard = locked(&self.inner.cache);
        if guard.len() >= 1024 {
            guard.clear();
        }
        guard.insert((kind, key), (generation, value));
    }

    /// Forgets every cached caller (after a logout, a revoked token or a
    /// disabled user).
    pub(crate) fn forget_callers(&self) {
        let mut guard = locked(&self.inner.cache);
        guard.retain(|(kind, _), _| *kind != "caller");
    }

    /// Runs `f` with the running scans locked (keyed `tenant/job`).
    pub(crate) fn with_scans<T>(&self, f: impl FnOnce(&mut HashMap<String, Cancel>) -> T) -> T {
        let mut guard = locked(&self.inner.scans);
        f(&mut guard)
    }
}
