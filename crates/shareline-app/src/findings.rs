//! Reading findings, compliance and mutes.
//!
//! A finding stored as MUTED whose mute has since expired or been removed
//! reads as FAIL (with `mute_expired` set) at once, before the next
//! evaluation rewrites it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use shareline_engine::compliance::{Report, rollup};
use shareline_engine::mutes::{Compiled, Mute, Scope, Syntax};
use shareline_engine::{Event, Finding, Status};
use shareline_model::TenantId;
use shareline_store::{FindingFilter, MuteRecord, Store};

use crate::AppError;
use crate::evaluate::{catalog, compile_mutes};

/// A finding as shown to a user.
#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    /// The finding, with its effective status.
    #[serde(flatten)]
    pub finding: Finding,
    /// The check's title.
    pub title: String,
    /// True when it was muted by a mute that has expired or been removed.
    pub mute_expired: bool,
}

/// Applies mute expiry to stored statuses.
fn effective(mut f: Finding, active: &[Compiled], now: DateTime<Utc>) -> (Finding, bool) {
    if f.result.status == Status::Muted {
        let still = f
            .result
            .muted_by
            .as_deref()
            .is_some_and(|id| active.iter().any(|m| m.mute.id == id && m.active(now)));
        if !still {
            f.result.status = Status::Fail;
            return (f, true);
        }
    }
    (f, false)
}

/// Lists findings with effective statuses. A FAIL filter also finds
/// findings whose mute expired since the last evaluation.
///
/// # Errors
/// On a store error.
pub async fn list(
    store: &Store,
    tenant: &TenantId,
    filter: &FindingFilter,
) -> Result<Vec<FindingView>, AppError> {
    let catalog = catalog()?;
    let mut stored = filter.clone();
    if stored.statuses.contains(&Status::Fail) && !stored.statuses.contains(&Status::Muted) {
        stored.statuses.push(Status::Muted);
    }
    let mutes = active_mutes(store, tenant).await?;
    let now = Utc::now();
    let out = store
        .list_findings(tenant, &stored)
        .await?
        .into_iter()
        .map(|f| effective(f, &mutes, now))
        .filter(|(f, _)| filter.statuses.is_empty() || filter.statuses.contains(&f.result.status))
        .map(|(finding, mute_expired)| FindingView {
            title: title_of(catalog, &finding.result.check_id),
            finding,
            mute_expired,
        })
        .collect();
    Ok(out)
}

/// A check's title; gap findings are titled by their kind.
fn title_of(catalog: &shareline_checks::Catalog, check_id: &str) -> String {
    match (
        catalog.check(check_id),
        check_id.strip_prefix("shareline_gap_"),
    ) {
        (Some(c), _) => c.meta.title.clone(),
        (None, Some(kind)) => format!("Responsibility gap: {}", kind.replace('_', " ")),
        (None, None) => check_id.to_owned(),
    }
}

async fn active_mutes(store: &Store, tenant: &TenantId) -> Result<Vec<Compiled>, AppError> {
    compile_mutes(
        store
            .list_mutes(tenant, false)
            .await?
            .into_iter()
            .map(|m| m.mute)
            .collect(),
    )
}

/// One finding with everything about it.
#[derive(Debug, Clone, Serialize)]
pub struct FindingDetail {
    /// The finding.
    pub view: FindingView,
    /// The check's metadata.
    pub check: Option<shareline_catalog::CheckMeta>,
    /// Framework requirements citing the check.
    pub frameworks: Vec<(String, String)>,
    /// Its history, oldest first.
    pub history: Vec<Event>,
}

/// Shows one finding: evidence, risk, remediation, history.
///
/// # Errors
/// [`AppError::Store`] with not-found when the tenant has no such finding.
pub async fn show(store: &Store, tenant: &TenantId, id: &str) -> Result<FindingDetail, AppError> {
    let catalog = catalog()?;
    let finding = store.get_finding(tenant, id).await?;
    let mut history = store.finding_events(tenant, id).await?;
    if history.is_empty() {
        // Not stored until the finding first changes.
        history.extend(shareline_engine::first_entry(&finding));
    }
    let mutes = active_mutes(store, tenant).await?;
    let (finding, mute_expired) = effective(finding, &mutes, Utc::now());
    let check = catalog.check(&finding.result.check_id);
    let frameworks = catalog
        .frameworks_citing(&finding.result.check_id)
        .into_iter()
        .map(|(f, r)| (f.to_owned(), r.to_owned()))
        .collect();
    Ok(FindingDetail {
        view: FindingView {
            title: title_of(catalog, &finding.result.check_id),
            finding,
            mute_expired,
        },
        check: check.map(|c| c.meta.clone()),
        frameworks,
        history,
    })
}

/// The tenant's standing against a framework.
///
/// # Errors
/// [`AppError::NotFound`] for an unknown framework.
pub async fn compliance(
    store: &Store,
    tenant: &TenantId,
    framework: &str,
) -> Result<Report, AppError> {
    let catalog = catalog()?;
    let fw = catalog.framework(framework).ok_or_else(|| {
        AppError::NotFound(format!(
            "framework `{framework}` (known: {})",
            catalog
                .frameworks
                .iter()
                .map(|f| f.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let filter = FindingFilter {
        limit: Some(10_000_000),
        ..FindingFilter::default()
    };
    let views = list(store, tenant, &filter).await?;
    Ok(rollup(fw, views.iter().map(|v| &v.finding.result)))
}

/// A new mute, as the user asks for it.
#[derive(Debug, Clone, Default)]
pub struct NewMute {
    /// Check id or glob (`aws_s3_*`); required.
    pub check: String,
    /// Account ids.
    pub accounts: Vec<String>,
    /// Regions.
    pub regions: Vec<String>,
    /// Resource id, ARN or name globs.
    pub resources: Vec<String>,
    /// `key=value` tags.
    pub tags: Vec<String>,
    /// Why; required.
    pub reason: String,
    /// Who.
    pub author: String,
    /// Until when; required.
    pub expires_at: Option<DateTime<Utc>>,
}

pub(crate) fn validate_expiry(
    expires_at: Option<DateTime<Utc>>,
    max_days: i64,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    let at = expires_at
        .ok_or_else(|| AppError::Invalid("a mute needs an expiry date (--expires)".into()))?;
    if at <= now {
        return Err(AppError::Invalid(format!(
            "expiry {} is in the past",
            at.date_naive()
        )));
    }
    let limit = now + chrono::Duration::days(max_days);
    if at > limit {
        return Err(AppError::Invalid(format!(
            "expiry {} is beyond this tenant's maximum of {max_days} days ({})",
            at.date_naive(),
            limit.date_naive()
        )));
    }
    Ok(at)
}

/// Adds a mute after checking it: a reason, an expiry within the tenant's
/// maximum, patterns that compile, and a check pattern that names at least
/// one check. The caller re-evaluates the tenant so the mute shows in the
/// findings.
///
/// # Errors
/// [`AppError::Invalid`] naming what is wrong.
pub async fn add_mute(store: &Store, tenant: &TenantId, new: NewMute) -> Result<Mute, AppError> {
    let now = Utc::now();
    if new.reason.trim().len() < 5 {
        return Err(AppError::Invalid(
            "a mute needs a reason (--reason, at least 5 characters)".into(),
        ));
    }
    if new.check.trim().is_empty() {
        return Err(AppError::Invalid(
            "a mute needs a check id or pattern (--check)".into(),
        ));
    }
    let max = store.mute_max_days(tenant).await?;
    let expires_at = validate_expiry(new.expires_at, max, now)?;
    let mute = Mute {
        id: format!("mute-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        scope: Scope {
            checks: vec![new.check.trim().to_owned()],
            accounts: new.accounts,
            regions: new.regions,
            resources: new.resources,
            tags: new.tags,
        },
        except: Scope::default(),
        syntax: Syntax::Glob,
        reason: new.reason.trim().to_owned(),
        author: new.author,
        created_at: now,
        expires_at,
        source: "cli".to_owned(),
    };
    let compiled = Compiled::new(mute.clone()).map_err(|e| AppError::Invalid(e.to_string()))?;
    let names_a_check = catalog()?.checks.iter().any(|c| compiled.names_check(c.id));
    if !names_a_check {
        return Err(AppError::Invalid(format!(
            "`{}` matches no check (see `shareline checks list`)",
            new.check
        )));
    }
    store.add_mutes(tenant, std::slice::from_ref(&mute)).await?;
    Ok(mute)
}

/// A mute as listed: expired ones say so.
#[derive(Debug, Clone, Serialize)]
pub struct MuteView {
    /// The mute.
    #[serde(flatten)]
    pub record: MuteRecord,
    /// `active`, `expired` or `removed`.
    pub state: &'static str,
}

/// Lists mutes with their state.
///
/// # Errors
/// On a store error.
pub async fn list_mutes(
    store: &Store,
    tenant: &TenantId,
    include_removed: bool,
) -> Result<Vec<MuteView>, AppError> {
    let now = Utc::now();
    Ok(store
        .list_mutes(tenant, include_removed)
        .await?
        .into_iter()
        .map(|record| {
            let state = if record.removed_at.is_some() {
                "removed"
            } else if record.mute.expires_at <= now {
                "expired"
            } else {
                "active"
            };
            MuteView { record, state }
        })
        .collect())
}
