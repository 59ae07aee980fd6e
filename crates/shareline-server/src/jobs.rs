//! Scans started from the server: they run in the background, write their
//! progress to the store as each service × region finishes, can be
//! cancelled, and never take the server down with them (a panic in a scan is
//! caught and recorded as a failed job).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::json;
use shareline_app::scan::{Cancel, scan_tenant};
use shareline_collect_aws::{Progress, ScopeResult};
use shareline_model::{CollectionStatus, TenantId};
use shareline_store::{ScanJob, Store};
use tokio::sync::mpsc;

use crate::auth::Ctx;
use crate::error::ApiError;
use crate::state::AppState;

/// Runs planned, done and failed so far.
#[derive(Debug, Default)]
struct Counts {
    planned: AtomicI64,
    done: AtomicI64,
    failed: AtomicI64,
}

impl Counts {
    fn get(&self) -> (i64, i64, i64) {
        (
            self.planned.load(Ordering::SeqCst),
            self.done.load(Ordering::SeqCst),
            self.failed.load(Ordering::SeqCst),
        )
    }
}

/// Counts runs and forwards a progress line to the writer task (which ends
/// when this is dropped).
#[derive(Debug)]
struct JobProgress {
    counts: Arc<Counts>,
    tx: mpsc::UnboundedSender<String>,
}

impl Progress for JobProgress {
    fn planned(&self, account_id: &str, runs: usize) {
        self.counts
            .planned
            .fetch_add(i64::try_from(runs).unwrap_or(0), Ordering::SeqCst);
        let _ = self.tx.send(format!(
            "account {account_id}: {runs} service × region runs planned"
        ));
    }

    fn finished(&self, account_id: &str, scope: &ScopeResult) {
        self.counts.done.fetch_add(1, Ordering::SeqCst);
        let line = match &scope.error {
            Some(e) => {
                self.counts.failed.fetch_add(1, Ordering::SeqCst);
                format!(
                    "account {account_id}: {}/{} failed: {}",
                    scope.service, scope.region, e.message
                )
            }
            None => format!(
                "account {account_id}: {}/{} read {} resources",
                scope.service, scope.region, scope.resource_count
            ),
        };
        let _ = self.tx.send(line);
    }
}

fn key(tenant: &TenantId, id: &str) -> String {
    format!("{tenant}/{id}")
}

/// Starts a scan of the route's tenant. One scan per tenant at a time.
///
/// # Errors
/// 409 when the tenant is already being scanned; 400 when it has no account
/// that can be scanned.
pub async fn start(state: &AppState, ctx: &Ctx) -> Result<ScanJob, ApiError> {
    let tenant = ctx.tenant()?.clone();
    let store = state.store().clone();
    let scannable = store
        .list_accounts(&tenant)
        .await?
        .iter()
        .filter(|a| a.access_mode != "import_only")
        .count();
    if scannable == 0 {
        return Err(ApiError::invalid(
            "this tenant has no account Shareline can reach: its accounts are import-only",
        ));
    }
    let busy = state.with_scans(|m| m.keys().any(|k| k.starts_with(&format!("{tenant}/"))));
    if busy {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "conflict",
            "a scan of this tenant is already running",
        ));
    }
    let actor = ctx.caller.actor();
    let job = store.create_scan_job(&tenant, &actor).await?;
    let cancel = Cancel::default();
    state.with_scans(|m| m.insert(key(&tenant, &job.id), cancel.clone()));
    crate::api::record_audit(state, ctx, Some(&tenant), "scan.start", &job.id, None, None).await?;

    let st = state.clone();
    let id = job.id.clone();
    tokio::spawn(async move {
        let inner = tokio::spawn(run(st.clone(), tenant.clone(), id.clone(), cancel));
        if let Err(e) = inner.await {
            tracing::error!(tenant = %tenant, job = %id, error = %e, "scan task died");
            let _ = st
                .store()
                .update_scan_job(
                    &tenant,
                    &id,
                    "failed",
                    0,
                    0,
                    0,
                    "the scan stopped unexpectedly; see the server log",
                    None,
                )
                .await;
            let _ = st
                .store()
                .record_activity(&tenant, "failed", "the scan stopped unexpectedly")
                .await;
        }
        st.with_scans(|m| m.remove(&key(&tenant, &id)));
    });
    Ok(job)
}

/// Cancels a running scan of the route's tenant.
///
/// # Errors
/// 404 when no such scan is running.
pub async fn cancel(state: &AppState, ctx: &Ctx, id: &str) -> Result<(), ApiError> {
    let tenant = ctx.tenant()?;
    let handle = state.with_scans(|m| m.get(&key(tenant, id)).cloned());
    let Some(handle) = handle else {
        return Err(ApiError::not_found("running scan"));
    };
    handle.cancel();
    crate::api::record_audit(state, ctx, Some(tenant), "scan.cancel", id, None, None).await?;
    Ok(())
}

/// The scan itself: collect every account, evaluate, record the outcome.
async fn run(state: AppState, tenant: TenantId, id: String, cancel: Cancel) {
    let store = state.store().clone();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let counts = Arc::new(Counts::default());
    let progress = JobProgress {
        counts: Arc::clone(&counts),
        tx,
    };
    let _ = store
        .update_scan_job(&tenant, &id, "running", 0, 0, 0, "starting", None)
        .await;
    // The writer: one progress row update per finished run.
    let writer = {
        let store = store.clone();
        let counts = Arc::clone(&counts);
        let tenant = tenant.clone();
        let id = id.clone();
        tokio::spawn(async move {
            while let Some(line) = rx.recv().await {
                let (p, d, f) = counts.get();
                let _ = store
                    .update_scan_job(&tenant, &id, "running", p, d, f, &line, None)
                    .await;
            }
        })
    };
    let outcome = scan_tenant(
        &store,
        state.config().master_key.as_ref(),
        &tenant,
        &state.config().scan,
        &progress,
        &cancel,
    )
    .await;
    drop(progress);
    let _ = writer.await;
    let counts = counts.get();
    let (status, message, result) = finish(&store, &tenant, outcome, cancel.is_cancelled()).await;
    let (p, d, f) = counts;
    if let Err(e) = store
        .update_scan_job(&tenant, &id, status, p, d, f, &message, Some(&result))
        .await
    {
        tracing::error!(error = %e, "could not record the scan's outcome");
    }
    // `scan_tenant` recorded the collection's outcome; the job's verdict also
    // covers the evaluation after it, so it has the last word.
    let _ = store.record_activity(&tenant, status, &message).await;
    let _ = shareline_app::audit::record(
        &store,
        "system",
        Some(tenant.as_str()),
        "scan.finish",
        &id,
        None,
        Some(json!({ "status": status, "message": message })),
    )
    .await;
}

/// Evaluates after a scan that stored anything, and sums up.
async fn finish(
    store: &Store,
    tenant: &TenantId,
    outcome: Result<Vec<shareline_app::scan::AccountScan>, shareline_app::AppError>,
    cancelled: bool,
) -> (&'static str, String, serde_json::Value) {
    let reports = match outcome {
        Ok(r) => r,
        Err(e) => return ("failed", format!("scan failed: {e}"), json!([])),
    };
    let result = serde_json::to_value(&reports).unwrap_or_default();
    let committed = reports.iter().any(|r| {
        matches!(
            r.status,
            CollectionStatus::Succeeded | CollectionStatus::Partial
        )
    });
    if committed
        && let Err(e) =
            shareline_app::evaluate::evaluate_tenant(store, tenant, Default::default()).await
    {
        return (
            "failed",
            format!("collected, but evaluation failed: {e}"),
            result,
        );
    }
    let failed = reports
        .iter()
        .filter(|r| r.status == CollectionStatus::Failed)
        .count();
    let partial = reports
        .iter()
        .filter(|r| r.status == CollectionStatus::Partial)
        .count();
    let status = if cancelled {
        "cancelled"
    } else if failed == reports.len() && failed > 0 {
        "failed"
    } else if failed > 0 || partial > 0 {
        "partial"
    } else {
        "succeeded"
    };
    let message = format!(
        "{} account(s): {} complete, {} partial, {} failed{}",
        reports.len(),
        reports.len() - failed - partial,
        partial,
        failed,
        if cancelled { " (cancelled)" } else { "" }
    );
    (status, message, result)
}
