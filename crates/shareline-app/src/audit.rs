//! The audit log: every state change and every action that touches a cloud
//! account, sealed into one hash chain (each entry carries the previous
//! entry's hash) and verifiable end to end.

use chrono::Utc;
use serde_json::Value;
use shareline_access::audit::{AuditDraft, AuditEntry, ChainBreak, seal, verify_chain_from};
use shareline_store::{Store, StoreError};

use crate::AppError;

/// Entries read per page when verifying.
const PAGE: i64 = 5_000;

/// Appends an entry: who, which tenant, what, to what, before and after.
/// Secrets in `before`/`after` are redacted by the seal.
///
/// # Errors
/// On a store error.
pub async fn record(
    store: &Store,
    actor: &str,
    tenant: Option<&str>,
    action: &str,
    target: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<AuditEntry, AppError> {
    let draft = AuditDraft {
        at: Utc::now(),
        actor: actor.to_owned(),
        tenant: tenant.map(str::to_owned),
        action: action.to_owned(),
        target: target.to_owned(),
        before,
        after,
    };
    // Concurrent writers race for the next sequence number; the loser
    // reseals on the new last entry.
    for _ in 0..50 {
        let last = store.last_audit().await?;
        let entry = seal(last.as_ref(), draft.clone());
        match store.append_audit(&entry).await {
            Ok(()) => return Ok(entry),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Invalid(
        "the audit log is too busy to append to; try again".into(),
    ))
}

/// What verifying the chain found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verification {
    /// Entries that verified.
    pub entries: usize,
    /// The last entry's hash (write it down elsewhere to detect a cut tail).
    pub head: Option<String>,
    /// The first break, when there is one.
    pub broken: Option<String>,
}

/// Walks the whole chain from the first entry.
///
/// # Errors
/// On a store error; a broken chain is reported in the result.
pub async fn verify(store: &Store) -> Result<Verification, AppError> {
    let mut anchor: Option<AuditEntry> = None;
    let mut count = 0;
    loop {
        let after = anchor.as_ref().map_or(0, |a| a.seq);
        let page = store.audit_chain(after, PAGE).await?;
        if page.is_empty() {
            break;
        }
        match verify_chain_from(anchor.as_ref(), page.iter()) {
            Ok(n) => count += n,
            Err(b) => {
                // Everything before the break verified.
                let good = usize::try_from(b.seq().saturating_sub(1)).unwrap_or(count);
                return Ok(Verification {
                    entries: good.max(count),
                    head: None,
                    broken: Some(describe(&b)),
                });
            }
        }
        anchor = page.into_iter().last();
    }
    Ok(Verification {
        entries: count,
        head: anchor.map(|a| a.hash),
        broken: None,
    })
}

fn describe(b: &ChainBreak) -> String {
    b.to_string()
}
