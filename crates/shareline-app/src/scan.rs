//! Scans: collect an account through the AWS collectors and commit what came
//! back. A failed or cancelled collection never touches the inventory; a
//! partial one applies what answered and keeps the last good data of what
//! failed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use shareline_collect_aws::{
    AccountCollection, Limits, Progress, ScopeResult, ServiceDef, Tuning, collect_account,
};
use shareline_model::{CollectionStatus, TenantId};
use shareline_store::{
    AccountRecord, CommitPlan, CommitStats, ScopeRecord, Staged, StagedResource, Store,
};
use tokio::sync::{Notify, mpsc};

use crate::AppError;
use crate::secrets::MasterKey;

/// A cancellation signal shared between the caller (Ctrl-C, a server request)
/// and a running scan.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
    notify: Arc<Notify>,
}

impl Cancel {
    /// Asks the scan to stop.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Returns true once cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Waits until cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// How to scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Only these services; all when empty.
    pub services: Vec<&'static ServiceDef>,
    /// SDK retries and timeouts.
    pub tuning: Tuning,
    /// Concurrency limits (the overall one is shared by all accounts).
    pub limits: Limits,
}

/// The outcome of one account's scan.
#[derive(Debug, Clone, Serialize)]
pub struct AccountScan {
    /// The account.
    pub account_id: String,
    /// The collection id.
    pub collection_id: String,
    /// Where it ended.
    pub status: CollectionStatus,
    /// What the commit changed (zero when nothing was applied).
    pub stats: CommitStats,
    /// The error that stopped it, when it failed.
    pub error: Option<String>,
    /// Scopes that failed: `service/region: error`.
    pub failed_scopes: Vec<String>,
}

fn scope_record(s: &ScopeResult) -> ScopeRecord {
    ScopeRecord {
        service: s.service.clone(),
        region: s.region.clone(),
        ok: s.error.is_none(),
        resource_count: i64::try_from(s.resource_count).unwrap_or(i64::MAX),
        duration_ms: i64::try_from(s.duration_ms).unwrap_or(i64::MAX),
        error_kind: s.error.as_ref().map(|e| e.kind.as_str().to_owned()),
        error_code: s.error.as_ref().and_then(|e| e.code.clone()),
        error_message: s.error.as_ref().map(|e| e.message.clone()),
        gaps: serde_json::to_value(&s.gaps).unwrap_or_default(),
    }
}

/// Scans one account and commits the result.
///
/// # Errors
/// Only when the store fails or the account's credentials cannot be opened;
/// a cloud-side failure is reported in the returned [`AccountScan`].
pub async fn scan_account(
    store: &Store,
    key: Option<&MasterKey>,
    tenant: &TenantId,
    account: &AccountRecord,
    opts: &ScanOptions,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<AccountScan, AppError> {
    let target = crate::accounts::target(key, tenant, account)?;
    let collection_id = store
        .begin_collection(tenant, &account.account_id, "live")
        .await?;
    let mut report = AccountScan {
        account_id: account.account_id.clone(),
        collection_id: collection_id.clone(),
        status: CollectionStatus::Failed,
        stats: CommitStats::default(),
        error: None,
        failed_scopes: Vec::new(),
    };
    let collected = tokio::select! {
        r = collect_account(&target, &opts.services, opts.tuning, &opts.limits, progress) => r,
        () = cancel.cancelled() => {
            store
                .abandon_collection(tenant, &collection_id, CollectionStatus::Cancelled, "cancelled by the operator", &[])
                .await?;
            report.status = CollectionStatus::Cancelled;
            report.error = Some("cancelled".to_owned());
            return Ok(report);
        }
    };
    let collection: AccountCollection = match collected {
        Ok(c) => c,
        Err(e) => {
            let msg = e.to_string();
            store
                .abandon_collection(tenant, &collection_id, CollectionStatus::Failed, &msg, &[])
                .await?;
            report.error = Some(msg);
            return Ok(report);
        }
    };
    let scopes: Vec<ScopeRecord> = collection.scopes.iter().map(scope_record).collect();
    report.failed_scopes = collection
        .scopes
        .iter()
        .filter_map(|s| {
            s.error
                .as_ref()
                .map(|e| format!("{}/{}: {e}", s.service, s.region))
        })
        .collect();
    let ok = collection
        .scopes
        .iter()
        .filter(|s| s.error.is_none())
        .count();
    if ok == 0 {
        let msg = format!("every service failed ({} scopes)", collection.scopes.len());
        store
            .abandon_collection(
                tenant,
                &collection_id,
                CollectionStatus::Failed,
                &msg,
                &scopes,
            )
            .await?;
        report.error = Some(msg);
        return Ok(report);
    }
    let status = if report.failed_scopes.is_empty() {
        CollectionStatus::Succeeded
    } else {
        CollectionStatus::Partial
    };
    let covered: Vec<(String, String)> = collection
        .scopes
        .iter()
        .filter(|s| s.error.is_none())
        .flat_map(|s| {
            s.resource_types
                .iter()
                .map(|t| (t.clone(), s.region.clone()))
        })
        .collect();
    let plan = CommitPlan {
        collection_id: collection_id.clone(),
        account_id: account.account_id.clone(),
        covered,
        scopes: scopes.clone(),
        status,
    };
    let (tx, rx) = mpsc::channel(4);
    let resources = collection.resources;
    let producer = tokio::task::spawn_blocking(move || {
        for chunk in resources.chunks(500) {
            let batch: Result<Vec<Staged>, String> = chunk
                .iter()
                .map(|r| {
                    StagedResource::new(r)
                        .map(Staged::Upsert)
                        .map_err(|e| e.to_string())
                })
                .collect();
            if tx.blocking_send(batch).is_err() {
                return;
            }
        }
    });
    let committed = store.commit_collection(tenant, &plan, rx).await;
    let _ = producer.await;
    match committed {
        Ok(stats) => {
            report.stats = stats;
            report.status = status;
        }
        Err(e) => {
            let msg = format!("could not store the collection: {e}");
            store
                .abandon_collection(
                    tenant,
                    &collection_id,
                    CollectionStatus::Failed,
                    &msg,
                    &scopes,
                )
                .await?;
            report.error = Some(msg);
        }
    }
    Ok(report)
}

/// Scans every live (not import-only) account of a tenant, one after another
/// (each account already runs its services concurrently).
///
/// # Errors
/// When the store fails; per-account failures are in the reports.
pub async fn scan_tenant(
    store: &Store,
    key: Option<&MasterKey>,
    tenant: &TenantId,
    opts: &ScanOptions,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<Vec<AccountScan>, AppError> {
    let mut out = Vec::new();
    for account in store.list_accounts(tenant).await? {
        if account.access_mode == "import_only" {
            continue;
        }
        if cancel.is_cancelled() {
            break;
        }
        let report = match scan_account(store, key, tenant, &account, opts, progress, cancel).await
        {
            Ok(r) => r,
            Err(AppError::MasterKey(m)) => AccountScan {
                account_id: account.account_id.clone(),
                collection_id: String::new(),
                status: CollectionStatus::Failed,
                stats: CommitStats::default(),
                error: Some(m),
                failed_scopes: Vec::new(),
            },
            Err(e) => return Err(e),
        };
        out.push(report);
    }
    if !out.is_empty() {
        let failed = out
            .iter()
            .filter(|r| r.status == CollectionStatus::Failed)
            .count();
        let complete = out
            .iter()
            .filter(|r| r.status == CollectionStatus::Succeeded)
            .count();
        let status = if cancel.is_cancelled() {
            "cancelled"
        } else if failed == out.len() {
            "failed"
        } else if complete == out.len() {
            "succeeded"
        } else {
            "partial"
        };
        let detail = format!(
            "{} account(s), {complete} complete, {failed} failed",
            out.len()
        );
        store.record_activity(tenant, status, &detail).await?;
    }
    Ok(out)
}
