//! Findings: their stable id, status, and life across evaluations (first
//! seen, last seen, status changes, resolved, reopened, removed).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shareline_catalog::Severity;
use shareline_checks::Evidence;
use shareline_model::ResourceKey;

/// A finding's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// The resource meets the check.
    Pass,
    /// The resource is misconfigured.
    Fail,
    /// A failure covered by an active mute; still evaluated.
    Muted,
    /// The check could not interpret the data (or broke).
    Error,
    /// The data the check needs could not be collected.
    Unknown,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 5] = [
        Self::Pass,
        Self::Fail,
        Self::Muted,
        Self::Error,
        Self::Unknown,
    ];

    /// The stable upper-case name (`FAIL`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::Muted => "MUTED",
            Self::Error => "ERROR",
            Self::Unknown => "UNKNOWN",
        }
    }

    /// Parses a name, any case.
    ///
    /// # Errors
    /// Returns the text when it names no status.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| s.to_owned())
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stable id of the finding of `check_id` on `key` in `tenant`: the same
/// across runs, different across tenants.
pub fn finding_id(tenant: &str, check_id: &str, key: &ResourceKey) -> String {
    let mut h = Sha256::new();
    for part in [
        tenant,
        check_id,
        &key.account_id,
        &key.region,
        &key.resource_type,
        &key.resource_id,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    // Hex by hand: built once per result, and `hex::encode` goes through a
    // character iterator (docs/benchmarks.md).
    let mut id = String::with_capacity(32);
    for b in &h.finalize()[..16] {
        for nibble in [b >> 4, b & 0xf] {
            id.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    id
}

/// What one evaluation said about one (check, resource) pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Stable finding id.
    pub id: String,
    /// The check (shared by its results, like the service).
    pub check_id: std::sync::Arc<str>,
    /// The resource (shared by its results).
    pub key: std::sync::Arc<ResourceKey>,
    /// Its ARN (shared by the resource's results, like the three below).
    pub arn: std::sync::Arc<str>,
    /// Its display name.
    pub name: std::sync::Arc<str>,
    /// The content hash of the resource version evaluated.
    pub resource_hash: std::sync::Arc<str>,
    /// The check's service directory (`s3`).
    pub service: std::sync::Arc<str>,
    /// The check's severity.
    pub severity: Severity,
    /// The status, with mutes applied.
    pub status: Status,
    /// The mute that covers it, when MUTED.
    pub muted_by: Option<String>,
    /// Why.
    pub evidence: Evidence,
    /// The party that owns the finding's area for this tenant (routing).
    #[serde(default)]
    pub owner: Option<crate::responsibility::Party>,
    /// Parties kept informed (shared areas).
    #[serde(default)]
    pub copied: Vec<crate::responsibility::Party>,
}

/// A finding as stored: the latest result plus its life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The latest result.
    #[serde(flatten)]
    pub result: CheckResult,
    /// First evaluated.
    pub first_seen: DateTime<Utc>,
    /// Last evaluated.
    pub last_seen: DateTime<Utc>,
    /// When the status last changed.
    pub status_since: DateTime<Utc>,
    /// When a failure last turned into a pass (cleared on reopen).
    pub resolved_at: Option<DateTime<Utc>>,
    /// How often it failed again after being resolved.
    pub reopened_count: i64,
    /// When the resource (or the check's applicability) went away.
    pub removed_at: Option<DateTime<Utc>>,
}

impl Finding {
    /// True for a live finding that has not changed since it was first
    /// seen: the same status throughout, nothing resolved or reopened, not
    /// removed. Most findings are such; the store packs them by resource
    /// instead of giving each a row (see [`crate::place`]), and their first
    /// history entry is implicit ([`first_entry`]).
    pub fn unchanged(&self) -> bool {
        self.status_since == self.first_seen
            && self.resolved_at.is_none()
            && self.reopened_count == 0
            && self.removed_at.is_none()
    }
}

/// One entry of a finding's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The finding.
    pub finding_id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// What happened: `new`, `status`, `resolved`, `reopened`, `removed`, `returned`.
    pub kind: String,
    /// The status before, if any.
    pub from: Option<Status>,
    /// The status after.
    pub to: Option<Status>,
    /// The message at that time.
    pub message: String,
}

fn is_failing(s: Status) -> bool {
    matches!(s, Status::Fail | Status::Muted)
}

/// The first entry of a finding's history, which is not stored while the
/// finding has not changed since it was first seen: its row already says
/// when it appeared, with what status and why. `None` for a finding that
/// started out passing (a pass needs no entry) or that has changed since
/// (its first entry was stored with its first change, see [`advance`]).
///
/// A new finding's entry is most of an evaluation's history writes, and
/// most findings never change: deferring it halves the rows a first
/// evaluation writes (docs/benchmarks.md). Its message is the latest one
/// before the first change.
pub fn first_entry(f: &Finding) -> Option<Event> {
    (f.unchanged() && f.result.status != Status::Pass).then(|| Event {
        finding_id: f.result.id.clone(),
        at: f.first_seen,
        kind: "new".to_owned(),
        from: None,
        to: Some(f.result.status),
        message: f.result.evidence.message.clone(),
    })
}

/// Folds a new result into the previous state of its finding, returning the
/// new state and the history entries to store: none for a new finding (see
/// [`first_entry`]) or one that did not change; for a change, the change,
/// preceded by the finding's deferred first entry when it has one.
pub fn advance(
    prev: Option<&Finding>,
    result: CheckResult,
    now: DateTime<Utc>,
) -> (Finding, Vec<Event>) {
    let event = |kind: &str, from: Option<Status>, r: &CheckResult| Event {
        finding_id: r.id.clone(),
        at: now,
        kind: kind.to_owned(),
        from,
        to: Some(r.status),
        message: r.evidence.message.clone(),
    };
    let Some(prev) = prev else {
        // Its first entry is implicit until it changes ([`first_entry`]).
        return (
            Finding {
                result,
                first_seen: now,
                last_seen: now,
                status_since: now,
                resolved_at: None,
                reopened_count: 0,
                removed_at: None,
            },
            Vec::new(),
        );
    };
    let mut next = Finding {
        result,
        first_seen: prev.first_seen,
        last_seen: now,
        status_since: prev.status_since,
        resolved_at: prev.resolved_at,
        reopened_count: prev.reopened_count,
        removed_at: None,
    };
    let before = prev.result.status;
    let after = next.result.status;
    let returned = prev.removed_at.is_some();
    if before == after && !returned {
        return (next, Vec::new());
    }
    next.status_since = now;
    let kind = if is_failing(after) && !is_failing(before) && prev.resolved_at.is_some()
        || is_failing(after) && returned && prev.resolved_at.is_some()
    {
        next.reopened_count += 1;
        next.resolved_at = None;
        "reopened"
    } else if after == Status::Pass && is_failing(before) {
        next.resolved_at = Some(now);
        "resolved"
    } else if returned {
        "returned"
    } else {
        "status"
    };
    let mut events: Vec<Event> = first_entry(prev).into_iter().collect();
    events.push(event(kind, Some(before), &next.result));
    (next, events)
}

/// Marks a finding removed: its resource is gone, or the check no longer
/// applies. A removed failure counts as resolved. The history entries are
/// the removal, preceded by the deferred first entry when there is one.
pub fn remove(prev: &Finding, now: DateTime<Utc>) -> (Finding, Vec<Event>) {
    let mut next = prev.clone();
    next.removed_at = Some(now);
    if is_failing(prev.result.status) {
        next.resolved_at = Some(now);
    }
    let ev = Event {
        finding_id: prev.result.id.clone(),
        at: now,
        kind: "removed".to_owned(),
        from: Some(prev.result.status),
        to: None,
        message: "the resource is gone or the check no longer applies".to_owned(),
    };
    let mut events: Vec<Event> = first_entry(prev).into_iter().collect();
    events.push(ev);
    (next, events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(status: Status) -> CheckResult {
        CheckResult {
            id: "f".into(),
            check_id: "c".into(),
            key: ResourceKey {
                account_id: "1".into(),
                region: "r".into(),
                resource_type: "t".into(),
                resource_id: "i".into(),
            }
            .into(),
            arn: "".into(),
            name: "".into(),
            resource_hash: "".into(),
            service: "s3".into(),
            severity: Severity::High,
            status,
            muted_by: None,
            evidence: Evidence::default(),
            owner: None,
            copied: Vec::new(),
        }
    }

    #[test]
    fn life_of_a_finding() {
        let t = |d: i64| DateTime::<Utc>::from_timestamp(d * 86_400, 0).unwrap();
        let kinds = |evs: &[Event]| evs.iter().map(|e| e.kind.clone()).collect::<Vec<_>>();
        let (f, ev) = advance(None, result(Status::Pass), t(1));
        assert!(ev.is_empty());
        assert!(
            first_entry(&f).is_none(),
            "a finding passing from the start has no history entry"
        );
        let (f, ev) = advance(None, result(Status::Fail), t(1));
        assert!(ev.is_empty(), "a new finding's entry is deferred");
        let first = first_entry(&f).unwrap();
        assert_eq!((first.kind.as_str(), first.at), ("new", t(1)));
        let (f, ev) = advance(Some(&f), result(Status::Fail), t(2));
        assert!(ev.is_empty());
        assert_eq!(f.first_seen, t(1));
        assert_eq!(f.last_seen, t(2));
        assert!(first_entry(&f).is_some(), "still deferred: nothing changed");
        let (f, ev) = advance(Some(&f), result(Status::Pass), t(3));
        assert_eq!(
            kinds(&ev),
            ["new", "resolved"],
            "the first change stores both"
        );
        assert_eq!((ev[0].at, ev[0].to), (t(1), Some(Status::Fail)));
        assert_eq!(f.resolved_at, Some(t(3)));
        assert!(first_entry(&f).is_none());
        let (f, ev) = advance(Some(&f), result(Status::Fail), t(4));
        assert_eq!(kinds(&ev), ["reopened"]);
        assert_eq!(f.reopened_count, 1);
        assert_eq!(f.resolved_at, None);
        assert_eq!(f.status_since, t(4));
        let (f, ev) = remove(&f, t(5));
        assert_eq!(kinds(&ev), ["removed"]);
        assert_eq!(f.resolved_at, Some(t(5)));
        let (f, ev) = advance(Some(&f), result(Status::Fail), t(6));
        assert_eq!(kinds(&ev), ["reopened"]);
        assert_eq!(f.removed_at, None);
        assert_eq!(f.reopened_count, 2);
        // A failure removed before it ever changed stores its first entry
        // with the removal.
        let (f, _) = advance(None, result(Status::Muted), t(7));
        let (_, ev) = remove(&f, t(8));
        assert_eq!(kinds(&ev), ["new", "removed"]);
    }

    #[test]
    fn ids_are_stable_and_tenant_bound() {
        let k = result(Status::Pass).key;
        assert_eq!(finding_id("a", "c", &k), finding_id("a", "c", &k));
        assert_ne!(finding_id("a", "c", &k), finding_id("b", "c", &k));
        assert_eq!(finding_id("a", "c", &k).len(), 32);
        // The first half of SHA-256("a\0c\01\0r\0t\0i\0") in lower-case
        // hex: ids stored by any version stay valid.
        assert_eq!(finding_id("a", "c", &k), "03dc8f14a0a89027715c6f6fa16821b7");
    }
}
