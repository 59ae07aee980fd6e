//! Reads one account: checks the identity, discovers regions, then runs every
//! service in every region with bounded concurrency. A failing service or
//! region is recorded and the rest goes on.

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use serde::Serialize;
use shareline_model::Resource;
use tokio::sync::Semaphore;

use crate::ctx::{AccountTarget, Ctx, HOME_REGION, Tuning, account_config};
use crate::error::CollectError;
use crate::services::{SERVICES, ServiceDef};

/// What region discovery and the identity check call.
pub const PERMISSIONS: &[&str] = &["sts:GetCallerIdentity", "ec2:DescribeRegions"];

/// Limits on concurrent service calls.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Service × region runs at once within one account.
    pub per_account: usize,
    /// Service × region runs at once across all accounts (shared).
    pub overall: Arc<Semaphore>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_account: 8,
            overall: Arc::new(Semaphore::new(32)),
        }
    }
}

/// The outcome of one service in one region.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeResult {
    /// The service name (`s3`).
    pub service: String,
    /// The region, or `*` for services read once per account.
    pub region: String,
    /// The resource types this run covers (what may be marked deleted if gone).
    pub resource_types: Vec<String>,
    /// How many resources it read.
    pub resource_count: usize,
    /// The error that stopped it, if any.
    pub error: Option<CollectError>,
    /// Extra calls that failed without stopping it.
    pub gaps: Vec<CollectError>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

/// Everything read from one account.
#[derive(Debug, Default)]
pub struct AccountCollection {
    /// The regions read.
    pub regions: Vec<String>,
    /// One entry per service × region.
    pub scopes: Vec<ScopeResult>,
    /// The resources read by the scopes that succeeded.
    pub resources: Vec<Resource>,
}

/// Hears about progress while an account is read.
pub trait Progress: Send + Sync {
    /// The plan is known: this many service × region runs.
    fn planned(&self, account_id: &str, runs: usize);
    /// One run finished.
    fn finished(&self, account_id: &str, scope: &ScopeResult);
}

/// A progress sink that ignores everything.
#[derive(Debug, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn planned(&self, _: &str, _: usize) {}
    fn finished(&self, _: &str, _: &ScopeResult) {}
}

/// Reads an account. Fails as a whole only when the account cannot be reached
/// at all (bad credentials, wrong account, region discovery refused).
///
/// # Errors
/// Returns the error that kept the account from being read.
#[tracing::instrument(skip_all, fields(account_id = %target.account_id))]
pub async fn collect_account(
    target: &AccountTarget,
    services: &[&'static ServiceDef],
    tuning: Tuning,
    limits: &Limits,
    progress: &dyn Progress,
) -> Result<AccountCollection, CollectError> {
    let base = account_config(target, tuning).await;
    let sts = aws_sdk_sts::Client::new(&base);
    let who = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| CollectError::from_sdk("sts:GetCallerIdentity", &e))?;
    let actual = who.account().unwrap_or_default();
    if actual != target.account_id {
        return Err(CollectError {
            operation: "sts:GetCallerIdentity".to_owned(),
            kind: crate::error::ErrorKind::Credentials,
            code: Some("AccountMismatch".to_owned()),
            message: format!(
                "the credentials reach account `{actual}`, not `{}`; refusing to collect",
                target.account_id
            ),
        });
    }
    let regions = if target.regions.is_empty() {
        discover_regions(&base).await?
    } else {
        target.regions.clone()
    };

    let services: Vec<&'static ServiceDef> = if services.is_empty() {
        SERVICES.iter().collect()
    } else {
        services.to_vec()
    };
    let mut plan: Vec<(&'static ServiceDef, String)> = Vec::new();
    for svc in services {
        if svc.global {
            plan.push((svc, HOME_REGION.to_owned()));
        } else {
            for r in &regions {
                plan.push((svc, r.clone()));
            }
        }
    }
    progress.planned(&target.account_id, plan.len());

    // The runs are built up front (not in a lazy `map` closure) so the
    // future of `collect_account` stays `Send` for any lifetime: the server
    // spawns whole scans onto its runtime.
    let runs: Vec<_> = plan
        .into_iter()
        .map(|(svc, region)| {
            let ctx = Ctx::new(&base, &target.account_id, &region);
            let overall = Arc::clone(&limits.overall);
            async move {
                let _permit = overall.acquire_owned().await.ok();
                let started = Instant::now();
                let result = (svc.collect)(&ctx).await;
                let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                (svc, region, result, duration_ms)
            }
        })
        .collect();
    let runs = futures::stream::iter(runs).buffer_unordered(limits.per_account.max(1));
    futures::pin_mut!(runs);

    let mut out = AccountCollection {
        regions,
        ..AccountCollection::default()
    };
    while let Some((svc, region, result, duration_ms)) = runs.next().await {
        let mut scope = ScopeResult {
            service: svc.name.to_owned(),
            region: if svc.global { "*".to_owned() } else { region },
            resource_types: svc.resource_types.iter().map(|s| (*s).to_owned()).collect(),
            resource_count: 0,
            error: None,
            gaps: Vec::new(),
            duration_ms,
        };
        match result {
            Ok(collected) => {
                scope.resource_count = collected.resources.len();
                scope.gaps = collected.gaps;
                out.resources.extend(collected.resources);
            }
            Err(e) => {
                tracing::warn!(service = svc.name, region = %scope.region, error = %e, "service collection failed");
                scope.error = Some(e);
            }
        }
        progress.finished(&target.account_id, &scope);
        out.scopes.push(scope);
    }
    out.scopes
        .sort_by(|a, b| (&a.service, &a.region).cmp(&(&b.service, &b.region)));
    Ok(out)
}

/// Lists the regions enabled for the account.
async fn discover_regions(base: &aws_config::SdkConfig) -> Result<Vec<String>, CollectError> {
    let ec2 = aws_sdk_ec2::Client::new(base);
    let out = ec2
        .describe_regions()
        .all_regions(false)
        .send()
        .await
        .map_err(|e| CollectError::from_sdk("ec2:DescribeRegions", &e))?;
    let mut regions: Vec<String> = out
        .regions()
        .iter()
        .filter(|r| {
            r.opt_in_status()
                .is_none_or(|s| s == "opt-in-not-required" || s == "opted-in")
        })
        .filter_map(|r| r.region_name().map(str::to_owned))
        .collect();
    regions.sort();
    Ok(regions)
}
