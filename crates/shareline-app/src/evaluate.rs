//! Evaluating a tenant's stored inventory against the catalog and storing
//! the findings. Incremental when only the inventory changed since the last
//! run; full when the catalog, the tenant's parameters or its active mutes
//! changed, or when asked.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use shareline_checks::Catalog;
use shareline_engine::mutes::{Compiled, Mute};
use shareline_engine::{Finding, Input, Item, Selection, Status};
use shareline_model::{ResourceKey, TenantId};
use shareline_store::{EvaluationRecord, Store};

use crate::AppError;

/// How to evaluate.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvaluateOptions {
    /// Re-evaluate everything even when an incremental run would do.
    pub full: bool,
    /// The evaluation time (now when unset); tests pin it.
    pub now: Option<DateTime<Utc>>,
}

/// What one evaluation did.
#[derive(Debug, Clone, Serialize)]
pub struct EvaluationSummary {
    /// The stored record.
    pub record: EvaluationRecord,
    /// Live findings by status after the run.
    pub by_status: HashMap<Status, usize>,
    /// Milliseconds spent in the engine alone.
    pub engine_ms: u128,
}

/// The built-in catalog.
///
/// # Errors
/// Only when an embedded catalog file does not parse, which the build prevents.
pub fn catalog() -> Result<&'static Catalog, AppError> {
    Catalog::builtin().map_err(|e| AppError::Invalid(format!("catalog: {e}")))
}

/// Compiles the tenant's mutes.
pub(crate) fn compile_mutes(mutes: Vec<Mute>) -> Result<Vec<Compiled>, AppError> {
    mutes
        .into_iter()
        .map(|m| Compiled::new(m).map_err(|e| AppError::Invalid(e.to_string())))
        .collect()
}

fn fingerprint(
    catalog: &Catalog,
    overrides: &HashMap<String, shareline_checks::Params>,
    mutes: &[Compiled],
    now: DateTime<Utc>,
    arrangement: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(arrangement.as_bytes());
    for c in &catalog.checks {
        h.update(c.id.as_bytes());
        h.update(serde_json::to_vec(&c.meta.rule).unwrap_or_default());
        h.update(serde_json::to_vec(&c.meta.params).unwrap_or_default());
        h.update(c.meta.severity.as_str().as_bytes());
    }
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    let mut keys: Vec<_> = overrides.keys().collect();
    keys.sort();
    for k in keys {
        h.update(k.as_bytes());
        h.update(serde_json::to_vec(&overrides[k]).unwrap_or_default());
    }
    for m in mutes.iter().filter(|m| m.active(now)) {
        h.update(serde_json::to_vec(&m.mute).unwrap_or_default());
    }
    hex::encode(h.finalize())
}

/// How many tenants are read and computed ahead of the one being written.
/// Computing a tenant takes longer than writing it and only part of it is
/// parallel: two ahead keep both cores busy, at the memory of three tenants.
const AHEAD: usize = 2;

/// Evaluates several tenants in the order given, as a pipeline: while one
/// tenant's findings are written (the database takes one writer at a time)
/// the next ones are read and computed. `each` hears every tenant's
/// outcome as it is stored; one tenant's failure does not stop the others.
pub async fn evaluate_tenants(
    store: &Store,
    tenants: &[TenantId],
    opts: EvaluateOptions,
    mut each: impl FnMut(&TenantId, Result<EvaluationSummary, AppError>),
) {
    // On tasks of their own, so that their CPU work (decoding inventories,
    // evaluating) runs beside the write's (binding rows).
    let spawn = |tenant: &TenantId| {
        let (store, tenant) = (store.clone(), tenant.clone());
        tokio::spawn(async move { compute(&store, &tenant, opts).await })
    };
    let mut ahead: std::collections::VecDeque<_> = tenants.iter().take(AHEAD).map(spawn).collect();
    for (i, tenant) in tenants.iter().enumerate() {
        let Some(task) = ahead.pop_front() else {
            break;
        };
        if let Some(next) = tenants.get(i + AHEAD) {
            ahead.push_back(spawn(next));
        }
        let stored = match task.await {
            Ok(Ok(c)) => write(store, tenant, c).await,
            Ok(Err(e)) => Err(e),
            Err(e) => Err(AppError::Invalid(format!("evaluation task failed: {e}"))),
        };
        each(tenant, stored);
    }
}

/// Evaluates the tenant's current inventory and stores the findings.
///
/// # Errors
/// On a store error, a corrupt stored mute or a parameter override that no
/// longer fits its check. Nothing is stored then.
pub async fn evaluate_tenant(
    store: &Store,
    tenant: &TenantId,
    opts: EvaluateOptions,
) -> Result<EvaluationSummary, AppError> {
    let computed = compute(store, tenant, opts).await?;
    write(store, tenant, computed).await
}

/// An evaluation computed and not yet stored.
struct Computed {
    now: DateTime<Utc>,
    fingerprint: String,
    mode: &'static str,
    resources: usize,
    evaluations: usize,
    results: usize,
    by_status: HashMap<Status, usize>,
    snapshot: shareline_store::PostureSnapshot,
    check_posture: Vec<shareline_store::CheckPosture>,
    rec: shareline_engine::Reconciled,
    /// Which of `rec.changed` are written as rows ([`shareline_engine::place`]).
    rows: Vec<usize>,
    /// The packs to write, built here rather than by the writer.
    packs: Vec<shareline_store::PackRow>,
    engine_ms: u128,
}

/// Reads the tenant's inventory and findings and evaluates them.
async fn compute(
    store: &Store,
    tenant: &TenantId,
    opts: EvaluateOptions,
) -> Result<Computed, AppError> {
    let started = Utc::now();
    let now = opts.now.unwrap_or(started);
    let catalog = catalog()?;
    let clock = std::time::Instant::now();
    tracing::debug!(tenant = %tenant, "evaluation started");
    let items: Vec<Item> = store
        .current_items(tenant)
        .await?
        .into_iter()
        .map(|(resource, hash)| Item { resource, hash })
        .collect();
    let overrides = store.check_params(tenant).await?;
    let mutes = compile_mutes(
        store
            .list_mutes(tenant, false)
            .await?
            .into_iter()
            .map(|m| m.mute)
            .collect(),
    )?;
    let arrangement = crate::responsibility::Arrangement::load(store, tenant).await?;
    let print = fingerprint(catalog, &overrides, &mutes, now, &arrangement.fingerprint());
    let stored = store.load_findings(tenant).await?;
    let prev_rows = stored.rows;
    let prev: HashMap<String, Finding> = stored
        .findings
        .into_iter()
        .map(|f| (f.result.id.clone(), f))
        .collect();
    let last = store.last_evaluation(tenant).await?;
    let mut failed_scopes: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (account, service, region) in store.failed_scopes(tenant).await? {
        failed_scopes
            .entry(account)
            .or_default()
            .push((service, region));
    }
    tracing::debug!(
        ms = clock.elapsed().as_millis(),
        items = items.len(),
        previous = prev.len(),
        "inventory and findings read"
    );
    let incremental = !opts.full && last.as_ref().is_some_and(|l| l.fingerprint == print);

    let tenant_name = tenant.as_str().to_owned();
    let (output, rec, live_count, engine_ms, mode) = tokio::task::spawn_blocking(move || {
        let t0 = std::time::Instant::now();
        let mut evaluated: HashMap<&ResourceKey, &str> = HashMap::new();
        for f in prev.values().filter(|f| f.removed_at.is_none()) {
            evaluated.insert(&f.result.key, &f.result.resource_hash);
        }
        // Each resource's key, made once: the maps below borrow it.
        let keys: Vec<ResourceKey> = items.iter().map(|i| i.resource.key()).collect();
        let changed: HashSet<&ResourceKey> = items
            .iter()
            .zip(&keys)
            .filter(|(i, k)| evaluated.get(k) != Some(&i.hash.as_str()))
            .map(|(_, k)| k)
            .collect();
        let selection = if incremental {
            Selection::Changed(&changed)
        } else {
            Selection::Full
        };
        let output = shareline_engine::evaluate(&Input {
            tenant: &tenant_name,
            items: &items,
            catalog,
            overrides: &overrides,
            mutes: &mutes,
            now,
            selection,
            failed_scopes: &failed_scopes,
        })
        .map_err(|e| AppError::Invalid(e.to_string()))?;
        let engine_ms = t0.elapsed().as_millis();
        let evaluations = output.evaluations;
        let mut results = output.results;
        let resources: HashMap<&ResourceKey, &shareline_model::Resource> =
            keys.iter().zip(items.iter().map(|i| &i.resource)).collect();
        let provider_failures: Vec<&Finding> = prev
            .values()
            .filter(|f| {
                f.removed_at.is_none()
                    && f.result.status == Status::Fail
                    && f.result.owner == Some(shareline_engine::responsibility::Party::Provider)
            })
            .collect();
        let earlier_failures: Vec<shareline_engine::CheckResult> = if provider_failures.is_empty() {
            Vec::new()
        } else {
            let produced: HashSet<&str> = results.iter().map(|r| r.id.as_str()).collect();
            provider_failures
                .into_iter()
                .filter(|f| !produced.contains(f.result.id.as_str()))
                .map(|f| f.result.clone())
                .collect()
        };
        let gaps = crate::responsibility::route(
            &mut results,
            &earlier_failures,
            &prev,
            &resources,
            &arrangement,
            &tenant_name,
            now,
        )?;
        let results_len = results.len() + gaps.len();
        let live: HashSet<&ResourceKey> = keys.iter().collect();
        let rec = shareline_engine::reconcile(
            catalog,
            &prev,
            results.into_iter().chain(gaps),
            selection,
            &live,
            now,
        );
        // The live findings after the run: the changed ones, and the earlier
        // ones the run did not change (none on a first evaluation).
        let changed_ids: HashSet<&str> = if prev.is_empty() {
            HashSet::new()
        } else {
            rec.changed.iter().map(|f| f.result.id.as_str()).collect()
        };
        let live_findings = prev
            .iter()
            .filter(|(id, _)| !changed_ids.contains(id.as_str()))
            .map(|(_, f)| f)
            .chain(&rec.changed)
            .filter(|f| f.removed_at.is_none());
        let posture = crate::posture::summarize(
            catalog,
            &tenant_name,
            live_findings,
            i64::try_from(items.len()).unwrap_or(i64::MAX),
            now,
        );
        // The summary counted the live findings by status already.
        let snap = &posture.0;
        let by_status: HashMap<Status, usize> = [
            (Status::Pass, snap.pass),
            (Status::Fail, snap.fail),
            (Status::Muted, snap.muted),
            (Status::Unknown, snap.unknown),
            (Status::Error, snap.error),
        ]
        .into_iter()
        .filter_map(|(s, n)| usize::try_from(n).ok().filter(|n| *n > 0).map(|n| (s, n)))
        .collect();
        let mode = if incremental { "incremental" } else { "full" };
        // Where the changes go, and the packs' rows, while an earlier
        // tenant is being written: the writer only binds them.
        let placed = shareline_engine::place(&prev, &prev_rows, &rec.changed);
        let packs = shareline_store::pack_rows(&placed.packed, now)?;
        let rows = placed.rows;
        Ok::<_, AppError>((
            (evaluations, results_len, by_status, posture),
            (rec, rows, packs),
            items.len(),
            engine_ms,
            mode,
        ))
    })
    .await
    .map_err(|e| AppError::Invalid(format!("evaluation task failed: {e}")))??;
    let (rec, rows, packs) = rec;
    let (evaluations, results, by_status, (snapshot, check_posture)) = output;
    Ok(Computed {
        now,
        fingerprint: print,
        mode,
        resources: live_count,
        evaluations,
        results,
        by_status,
        snapshot,
        check_posture,
        rec,
        rows,
        packs,
        engine_ms,
    })
}

/// Stores a computed evaluation.
async fn write(
    store: &Store,
    tenant: &TenantId,
    mut c: Computed,
) -> Result<EvaluationSummary, AppError> {
    let to_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let record = EvaluationRecord {
        id: uuid::Uuid::new_v4().to_string(),
        started_at: c.now,
        finished_at: Utc::now(),
        mode: c.mode.to_owned(),
        fingerprint: std::mem::take(&mut c.fingerprint),
        resources: to_i64(c.resources),
        evaluations: to_i64(c.evaluations),
        results: to_i64(c.results),
        changed: to_i64(c.rec.changed.len()),
        failing: to_i64(c.by_status.get(&Status::Fail).copied().unwrap_or(0)),
    };
    let written = std::time::Instant::now();
    let rows: Vec<&Finding> = c
        .rows
        .iter()
        .filter_map(|&i| c.rec.changed.get(i))
        .collect();
    store
        .apply_prepared(tenant, &record, &rows, &c.packs, &c.rec.events)
        .await?;
    store
        .record_posture(tenant, &c.snapshot, &c.check_posture)
        .await?;
    tracing::debug!(
        ms = written.elapsed().as_millis(),
        rows = rows.len(),
        packed = c.packs.len(),
        events = c.rec.events.len(),
        "findings written"
    );
    tracing::info!(
        tenant = %tenant,
        mode = c.mode,
        resources = c.resources,
        evaluations = c.evaluations,
        changed = c.rec.changed.len(),
        "evaluation stored"
    );
    let summary = EvaluationSummary {
        record,
        by_status: std::mem::take(&mut c.by_status),
        engine_ms: c.engine_ms,
    };
    // Freeing a tenant's findings (millions of small strings) takes a
    // while: off the writer's path, which the next tenant waits for.
    tokio::task::spawn_blocking(move || drop(c));
    Ok(summary)
}
