//! Shareline's evaluation engine: runs the check catalog over a tenant's
//! inventory, in parallel across cores, and turns outcomes into findings.
//!
//! Pure and synchronous. Each (check, resource) evaluation is isolated: a
//! check that errors or panics on one resource yields an ERROR result for that
//! pair and the run goes on. Data that could not be collected gives UNKNOWN,
//! never a PASS or FAIL.
//!
//! Incremental evaluation ([`Selection::Changed`]) re-runs checks that read
//! only their resource on the changed resources, and every check that reads
//! beyond its resource (related, account-wide or clock-reading checks) on
//! everything; [`covered`] tells the caller which earlier findings the run
//! replaced. Given the same catalog, parameters and mutes this equals a full
//! evaluation (a test holds that).

pub mod compliance;
pub mod finding;
pub mod mutes;
pub mod responsibility;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use shareline_checks::{
    ACCOUNT_TYPE, AccountView, Catalog, Check, Ctx, Evidence, Outcome, Params, Res, Stop, Verdict,
};
use shareline_model::{Resource, ResourceKey};

pub use finding::{CheckResult, Event, Finding, Status, finding_id, first_entry};

/// One resource of the inventory with the hash of its stored version.
#[derive(Debug, Clone)]
pub struct Item {
    /// The resource.
    pub resource: Resource,
    /// Its content hash (as stored).
    pub hash: String,
}

/// Which (check, resource) pairs a run evaluates.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    /// Everything.
    Full,
    /// Resource-only checks on these resources; every other check everywhere.
    Changed(&'a HashSet<&'a ResourceKey>),
}

/// What an evaluation reads.
#[derive(Debug)]
pub struct Input<'a> {
    /// The tenant (part of every finding id).
    pub tenant: &'a str,
    /// The tenant's current inventory.
    pub items: &'a [Item],
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The tenant's parameter overrides, by check id.
    pub overrides: &'a HashMap<String, Params>,
    /// The tenant's mutes.
    pub mutes: &'a [mutes::Compiled],
    /// The evaluation time (for clock-reading checks and mute expiry).
    pub now: DateTime<Utc>,
    /// What to evaluate.
    pub selection: Selection<'a>,
    /// Per account, the (service, region) scopes whose last collection
    /// failed: account checks answer UNKNOWN for what they could not see.
    pub failed_scopes: &'a HashMap<String, Vec<(String, String)>>,
}

/// What an evaluation produced.
#[derive(Debug, Default)]
pub struct Output {
    /// One result per (check, resource) pair that applies.
    pub results: Vec<CheckResult>,
    /// How many (check, resource) evaluations ran, skipped ones included.
    pub evaluations: usize,
}

/// An evaluation that cannot start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A tenant's parameter override does not fit its check.
    #[error("parameter override: {0}")]
    Params(String),
}

/// True when a run with `selection` re-evaluated `check` on `key`, so an
/// earlier finding for the pair that the run did not produce is gone.
pub fn covered(check: &Check, key: &ResourceKey, selection: Selection<'_>) -> bool {
    match selection {
        Selection::Full => true,
        Selection::Changed(keys) => check.reads_beyond_resource() || keys.contains(key),
    }
}

/// The key of an account-wide check's finding.
pub fn account_key(account_id: &str) -> ResourceKey {
    ResourceKey {
        account_id: account_id.to_owned(),
        region: "global".to_owned(),
        resource_type: ACCOUNT_TYPE.to_owned(),
        resource_id: account_id.to_owned(),
    }
}

struct Prepared<'a> {
    check: &'a Check,
    params: Params,
    /// The check's id and service, shared by its results.
    id: Arc<str>,
    service: Arc<str>,
}

/// Runs the catalog over the inventory.
///
/// # Errors
/// When a parameter override does not fit its check.
pub fn evaluate(input: &Input<'_>) -> Result<Output, EngineError> {
    let mut prepared = Vec::with_capacity(input.catalog.checks.len());
    for check in &input.catalog.checks {
        let params = input
            .catalog
            .params(check, input.overrides.get(check.id))
            .map_err(EngineError::Params)?;
        prepared.push(Prepared {
            check,
            params,
            id: check.id.into(),
            service: check.service.into(),
        });
    }
    let mut by_type: HashMap<&str, Vec<&Prepared<'_>>> = HashMap::new();
    let mut account_checks = Vec::new();
    for p in &prepared {
        if p.check.is_account() {
            account_checks.push(p);
        } else {
            by_type
                .entry(p.check.meta.resource.as_str())
                .or_default()
                .push(p);
        }
    }

    let mut accounts: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    for item in input.items {
        accounts
            .entry(item.resource.account_id.as_str())
            .or_default()
            .push(item);
    }

    let per_account: Vec<Output> = accounts
        .par_iter()
        .map(|(account, items)| {
            let view = AccountView::new(account, items.iter().map(|i| &i.resource).collect())
                .with_failed_scopes(
                    input
                        .failed_scopes
                        .get(*account)
                        .cloned()
                        .unwrap_or_default(),
                );
            // One vector per resource, sized for its checks and collected
            // in place: growing shared vectors and joining them moved every
            // result two or three times (docs/benchmarks.md).
            let per_item: Vec<(usize, Vec<CheckResult>)> = items
                .par_iter()
                .map(|item| {
                    let Some(checks) = by_type.get(item.resource.resource_type.as_str()) else {
                        return (0, Vec::new());
                    };
                    let shared = Shared::of(&item.resource, item.resource.key(), &item.hash);
                    let mut evaluations = 0;
                    // Sized on the first result: an incremental run
                    // produces none for most resources.
                    let mut results = Vec::new();
                    for p in checks {
                        if !covered(p.check, &shared.key, input.selection) {
                            continue;
                        }
                        evaluations += 1;
                        let res = Res::new(&item.resource);
                        let verdict =
                            isolated(|| p.check.evaluate(&res, &view, &ctx_for(p, input.now)));
                        if let Some(r) = result(input, p, &shared, &item.resource, verdict) {
                            if results.capacity() == 0 {
                                results.reserve_exact(checks.len());
                            }
                            results.push(r);
                        }
                    }
                    (evaluations, results)
                })
                .collect();
            let total: usize = per_item.iter().map(|(_, r)| r.len()).sum();
            let mut out = Output {
                results: Vec::with_capacity(total + account_checks.len()),
                evaluations: per_item.iter().map(|(n, _)| n).sum(),
            };
            for (_, results) in per_item {
                out.results.extend(results);
            }
            // The account itself is the resource of account-wide findings.
            let pseudo = Resource {
                name: format!("account {account}"),
                ..Resource::new(
                    account,
                    "global",
                    ACCOUNT_TYPE,
                    account,
                    &format!("arn:aws:::{account}"),
                )
            };
            for p in &account_checks {
                out.evaluations += 1;
                let verdict = isolated(|| p.check.evaluate_account(&view, &ctx_for(p, input.now)));
                let shared = Shared::of(&pseudo, account_key(account), "");
                if let Some(r) = result(input, p, &shared, &pseudo, verdict) {
                    out.results.push(r);
                }
            }
            out
        })
        .collect();
    Ok(concat(per_account))
}

/// Joins the parts of a run, moving each result at most once (a pairwise
/// reduce moved them over and over): the others are appended to the
/// largest part, which stays where it is.
fn concat(mut parts: Vec<Output>) -> Output {
    let total: usize = parts.iter().map(|p| p.results.len()).sum();
    let evaluations = parts.iter().map(|p| p.evaluations).sum();
    let largest = parts
        .iter()
        .enumerate()
        .max_by_key(|(_, p)| p.results.len())
        .map(|(i, _)| i);
    let mut results = match largest {
        Some(i) => std::mem::take(&mut parts[i].results),
        None => Vec::new(),
    };
    results.reserve(total - results.len());
    for p in parts {
        results.extend(p.results);
    }
    Output {
        results,
        evaluations,
    }
}

fn ctx_for<'a>(p: &'a Prepared<'_>, now: DateTime<Utc>) -> Ctx<'a> {
    Ctx::new(&p.params, p.check.meta.rule.uses_time.then_some(now))
}

/// Runs one evaluation, turning a panic into ERROR.
fn isolated(f: impl FnOnce() -> Verdict) -> Verdict {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(Stop::error("the check panicked on this resource")))
}

/// What a resource's results share, allocated once for all of them
/// instead of copied into each (docs/benchmarks.md).
struct Shared {
    key: Arc<ResourceKey>,
    arn: Arc<str>,
    name: Arc<str>,
    hash: Arc<str>,
}

impl Shared {
    fn of(resource: &Resource, key: ResourceKey, hash: &str) -> Self {
        Self {
            key: Arc::new(key),
            arn: resource.arn.as_str().into(),
            name: resource.name.as_str().into(),
            hash: hash.into(),
        }
    }
}

fn result(
    input: &Input<'_>,
    p: &Prepared<'_>,
    shared: &Shared,
    resource: &Resource,
    verdict: Verdict,
) -> Option<CheckResult> {
    let (check, key) = (p.check, &shared.key);
    let (status, evidence) = match verdict {
        Ok(Outcome::Skip) => return None,
        Ok(Outcome::Pass(ev)) => (Status::Pass, ev),
        Ok(Outcome::Fail(ev)) => (Status::Fail, ev),
        Err(Stop::Unknown(why)) => (
            Status::Unknown,
            Evidence {
                message: why,
                ..Evidence::default()
            },
        ),
        Err(Stop::Error(why)) => (
            Status::Error,
            Evidence {
                message: why,
                ..Evidence::default()
            },
        ),
    };
    let mut muted_by = None;
    let status = if status == Status::Fail {
        let subject = mutes::Subject {
            check_id: check.id,
            account_id: &key.account_id,
            region: &key.region,
            resource_id: &key.resource_id,
            arn: &resource.arn,
            name: &resource.name,
            tags: &resource.tags,
        };
        match mutes::find(input.mutes, &subject, input.now) {
            Some(m) => {
                muted_by = Some(m.id.clone());
                Status::Muted
            }
            None => Status::Fail,
        }
    } else {
        status
    };
    Some(CheckResult {
        id: finding_id(input.tenant, check.id, key),
        check_id: p.id.clone(),
        key: key.clone(),
        arn: shared.arn.clone(),
        name: shared.name.clone(),
        resource_hash: shared.hash.clone(),
        service: p.service.clone(),
        severity: check.meta.severity,
        status,
        muted_by,
        evidence,
        owner: None,
        copied: Vec::new(),
    })
}

/// What an evaluation changes in the stored findings.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// Findings to write: new ones, changed ones, removed ones.
    pub changed: Vec<Finding>,
    /// History entries to append.
    pub events: Vec<Event>,
    /// Findings that stay as they are (only their last-seen moves).
    pub unchanged: usize,
}

/// Folds an evaluation's output into the previously stored findings.
/// `live` holds the keys of the resources in the inventory that was
/// evaluated; a finding whose resource is gone, whose check no longer
/// exists, or which the run covered without producing it, is removed.
pub fn reconcile(
    catalog: &Catalog,
    prev: &HashMap<String, Finding>,
    output: impl IntoIterator<Item = CheckResult>,
    selection: Selection<'_>,
    live: &HashSet<&ResourceKey>,
    now: DateTime<Utc>,
) -> Reconciled {
    let output = output.into_iter();
    let n = output.size_hint().0;
    // Sized up front: growing a vector of a hundred thousand findings
    // copies it over and over into freshly faulted pages.
    let mut out = Reconciled {
        changed: Vec::with_capacity(n),
        ..Reconciled::default()
    };
    // Which earlier findings the run produced; nothing to look up on a
    // first evaluation.
    let mut produced = HashSet::with_capacity(if prev.is_empty() { 0 } else { n });
    for r in output {
        if !prev.is_empty() {
            produced.insert(r.id.clone());
        }
        let before = prev.get(&r.id);
        let (next, events) = finding::advance(before, r, now);
        let changed = match before {
            None => true,
            Some(b) => !events.is_empty() || b.result != next.result,
        };
        if changed {
            out.changed.push(next);
        } else {
            out.unchanged += 1;
        }
        out.events.extend(events);
    }
    for (id, f) in prev {
        if f.removed_at.is_some() || produced.contains(id) {
            continue;
        }
        let key: &ResourceKey = &f.result.key;
        let gone = match catalog.check(&f.result.check_id) {
            None => true,
            // Account checks run on every account in every mode.
            Some(check) if check.is_account() => true,
            Some(check) => !live.contains(key) || covered(check, key, selection),
        };
        if gone {
            let (next, events) = finding::remove(f, now);
            out.changed.push(next);
            out.events.extend(events);
        } else {
            out.unchanged += 1;
        }
    }
    out
}

/// One resource's packed findings after an evaluation: every finding on it
/// that has not changed since it was first seen and has no row. Empty when
/// none is left.
#[derive(Debug)]
pub struct Packed<'a> {
    /// The resource.
    pub key: &'a ResourceKey,
    /// Its packed findings, by check id.
    pub findings: Vec<&'a Finding>,
}

/// Where an evaluation's changed findings are stored.
#[derive(Debug, Default)]
pub struct Placement<'a> {
    /// Findings written one row each, as indices into the `changed` they
    /// were placed from: every one that has changed since it was first
    /// seen, and every one already stored as a row.
    pub rows: Vec<usize>,
    /// Resources whose packed findings changed, with all of them.
    pub packed: Vec<Packed<'a>>,
}

/// Places `changed` (from [`reconcile`]): a finding that has not changed
/// since it was first seen ([`Finding::unchanged`]) and has no row yet is
/// packed with its resource's other such findings; every other one is a
/// row, and a packed finding that changes moves to a row for good (it now
/// has a history). `prev` is what was stored before, `rows` the ids of
/// those stored as rows.
///
/// Most findings never change, so an evaluation writes about a row per
/// resource instead of a row per finding (docs/benchmarks.md).
pub fn place<'a>(
    prev: &'a HashMap<String, Finding>,
    rows: &HashSet<String>,
    changed: &'a [Finding],
) -> Placement<'a> {
    let mut out = Placement::default();
    let mut touched: HashMap<&'a ResourceKey, Vec<&'a Finding>> = HashMap::new();
    // A resource's findings come one after another: hash its key once.
    let mut current: Option<(&'a ResourceKey, Vec<&'a Finding>)> = None;
    for (i, f) in changed.iter().enumerate() {
        let id = f.result.id.as_str();
        let key: &ResourceKey = &f.result.key;
        // The same resource's results share one key.
        if current
            .as_ref()
            .is_none_or(|(k, _)| !std::ptr::eq(*k, key) && *k != key)
        {
            if let Some((k, found)) = current.take()
                && !found.is_empty()
            {
                touched.entry(k).or_default().extend(found);
            }
            current = Some((key, Vec::new()));
        }
        if rows.contains(id) || !f.unchanged() {
            out.rows.push(i);
            if prev.contains_key(id) && !rows.contains(id) {
                // It was packed: its resource's pack loses it.
                touched.entry(key).or_default();
            }
        } else if let Some((_, found)) = current.as_mut() {
            found.push(f);
        }
    }
    if let Some((k, found)) = current
        && !found.is_empty()
    {
        touched.entry(k).or_default().extend(found);
    }
    // The resources touched keep their other packed findings (there are
    // none before a first evaluation).
    if !touched.is_empty() && !prev.is_empty() {
        let changed_ids: HashSet<&str> = changed.iter().map(|f| f.result.id.as_str()).collect();
        for (id, f) in prev {
            if rows.contains(id) || changed_ids.contains(id.as_str()) {
                continue;
            }
            if let Some(packed) = touched.get_mut(&*f.result.key) {
                packed.push(f);
            }
        }
    }
    out.packed = touched
        .into_iter()
        .map(|(key, mut findings)| {
            findings.sort_by(|a, b| a.result.check_id.cmp(&b.result.check_id));
            Packed { key, findings }
        })
        .collect();
    out.packed.sort_by(|a, b| a.key.cmp(b.key));
    out
}
