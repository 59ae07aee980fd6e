//! The login rate limiter: a few failures per window per key, then a lockout
//! until the window ends. In memory, bounded, with time passed in.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

/// How many failures a key may have within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitPolicy {
    /// Failures allowed within one window; the next attempt is refused.
    pub max_failures: u32,
    /// The window, in seconds, counted from the first failure.
    pub window_secs: i64,
    /// Keys kept at most; beyond that, the oldest windows are forgotten.
    pub max_keys: usize,
}

impl LimitPolicy {
    /// Per username: 5 failures per 15 minutes.
    pub const PER_USERNAME: Self = Self {
        max_failures: 5,
        window_secs: 15 * 60,
        max_keys: 100_000,
    };
    /// Per client IP: 20 failures per 15 minutes.
    pub const PER_IP: Self = Self {
        max_failures: 20,
        window_secs: 15 * 60,
        max_keys: 100_000,
    };
}

/// Refused: try again after this many seconds (for a `Retry-After` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many failed attempts: try again in {0} seconds")]
pub struct RetryAfter(pub u64);

#[derive(Debug)]
struct Window {
    /// Second of the first failure; also this key's place in `by_start`.
    start: i64,
    order: u64,
    failures: u32,
}

/// Counts login failures per key (the server keeps one limiter keyed by
/// username and one keyed by client IP). Use one per policy.
#[derive(Debug)]
pub struct LoginLimiter {
    policy: LimitPolicy,
    windows: HashMap<String, Window>,
    /// The keys ordered by window start, oldest first: expired and evicted
    /// windows come off the front.
    by_start: BTreeMap<(i64, u64), String>,
    next_order: u64,
}

impl LoginLimiter {
    /// An empty limiter under `policy`.
    pub fn new(policy: LimitPolicy) -> Self {
        Self {
            policy,
            windows: HashMap::new(),
            by_start: BTreeMap::new(),
            next_order: 0,
        }
    }

    /// May `key` try to log in now?
    ///
    /// # Errors
    /// [`RetryAfter`] when the key used up its failures in the current window.
    pub fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), RetryAfter> {
        let Some(w) = self.windows.get(key) else {
            return Ok(());
        };
        let ends = w.start.saturating_add(self.policy.window_secs);
        let now = now.timestamp();
        if w.failures >= self.policy.max_failures && now < ends {
            Err(RetryAfter(
                u64::try_from(ends.saturating_sub(now)).unwrap_or(1).max(1),
            ))
        } else {
            Ok(())
        }
    }

    /// Counts a failed attempt by `key`.
    pub fn record_failure(&mut self, key: &str, now: DateTime<Utc>) {
        let now = now.timestamp();
        self.prune(now);
        if let Some(w) = self.windows.get_mut(key) {
            w.failures = w.failures.saturating_add(1);
            return;
        }
        while self.windows.len() >= self.policy.max_keys.max(1) {
            let Some((_, oldest)) = self.by_start.pop_first() else {
                break;
            };
            self.windows.remove(&oldest);
        }
        let order = self.next_order;
        self.next_order = self.next_order.wrapping_add(1);
        self.by_start.insert((now, order), key.to_owned());
        self.windows.insert(
            key.to_owned(),
            Window {
                start: now,
                order,
                failures: 1,
            },
        );
    }

    /// Forgets `key`'s failures after a successful login. Call it for the
    /// username key only: letting one valid login reset a client IP's count
    /// would let an attacker with one account keep guessing others.
    pub fn record_success(&mut self, key: &str) {
        if let Some(w) = self.windows.remove(key) {
            self.by_start.remove(&(w.start, w.order));
        }
    }

    /// Keys currently tracked.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// True when no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// Drops every window that ended at or before `now`.
    fn prune(&mut self, now: i64) {
        while let Some(entry) = self.by_start.first_entry() {
            if entry.key().0.saturating_add(self.policy.window_secs) > now {
                break;
            }
            let key = entry.remove();
            self.windows.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn locks_after_max_failures_until_the_window_ends() {
        let mut l = LoginLimiter::new(LimitPolicy::PER_USERNAME);
        for i in 0..5 {
            assert_eq!(l.check("alice", at(i)), Ok(()));
            l.record_failure("alice", at(i));
        }
        assert_eq!(l.check("alice", at(10)), Err(RetryAfter(890)));
        assert_eq!(l.check("alice", at(899)), Err(RetryAfter(1)));
        assert_eq!(l.check("bob", at(10)), Ok(()));
        assert_eq!(l.check("alice", at(900)), Ok(()));
        // A failure after the window opens a fresh one.
        l.record_failure("alice", at(900));
        assert_eq!(l.check("alice", at(901)), Ok(()));
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn success_resets() {
        let mut l = LoginLimiter::new(LimitPolicy::PER_USERNAME);
        for i in 0..4 {
            l.record_failure("alice", at(i));
        }
        l.record_success("alice");
        assert!(l.is_empty());
        for i in 0..4 {
            l.record_failure("alice", at(10 + i));
        }
        assert_eq!(l.check("alice", at(20)), Ok(()));
    }

    #[test]
    fn memory_is_bounded_and_expired_keys_pruned() {
        let policy = LimitPolicy {
            max_failures: 1,
            window_secs: 60,
            max_keys: 3,
        };
        let mut l = LoginLimiter::new(policy);
        for (i, key) in ["a", "b", "c", "d"].into_iter().enumerate() {
            l.record_failure(key, at(i64::try_from(i).unwrap()));
        }
        assert_eq!(l.len(), 3);
        assert_eq!(l.check("a", at(5)), Ok(()), "oldest evicted");
        assert_eq!(l.check("d", at(5)), Err(RetryAfter(58)));
        l.record_failure("e", at(61));
        assert_eq!(l.len(), 3, "b expired and was pruned; c, d, e remain");
        l.record_failure("f", at(200));
        assert_eq!(l.len(), 1);
    }
}
