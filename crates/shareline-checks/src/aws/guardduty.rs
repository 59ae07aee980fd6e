//! Predicates for `catalog/checks/aws/guardduty/`.
//!
//! One `AWS::GuardDuty::Detector` per detector; its settings from GetDetector
//! are in `configuration` (each holds the unavailable marker when the call
//! failed). Protection plans are read from `features` and, for older
//! detectors and snapshots, from the legacy `dataSources` view.

use std::collections::BTreeMap;

use serde_json::Value;

#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};

const DETECTOR: &str = "AWS::GuardDuty::Detector";

/// "GuardDuty detector ID in REGION": AWS Config snapshots name detectors
/// by bare id, so the message does not rely on the display name.
fn label(res: &Res<'_>) -> String {
    format!("GuardDuty detector {} in {}", res.id(), res.region())
}

/// PASS when every region the account has resources in has an enabled
/// detector.
pub(crate) fn enabled_all_regions(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let mut by_region: BTreeMap<&str, Vec<Res<'_>>> = BTreeMap::new();
    for d in view.of_type(DETECTOR) {
        by_region.entry(d.region()).or_default().push(d);
    }
    let (mut missing, mut disabled, mut unknown, mut regions) =
        (Vec::new(), Vec::new(), None, Vec::new());
    for region in view.regions() {
        regions.push(region);
        let Some(detectors) = by_region.get(region) else {
            if view.scope_failed("guardduty", region) {
                unknown = Some(Stop::Unknown(format!(
                    "GuardDuty could not be read in {region} at the last collection"
                )));
            } else {
                missing.push(region);
            }
            continue;
        };
        let mut on = false;
        let mut unreadable = None;
        for d in detectors {
            match d.cfg("status").str() {
                Ok(Some(s)) if s.eq_ignore_ascii_case("ENABLED") => on = true,
                Ok(_) => {}
                Err(stop) => unreadable = Some(stop),
            }
        }
        match (on, unreadable) {
            (true, _) => {}
            (false, None) => disabled.push(region),
            (false, Some(stop)) => unknown = Some(stop),
        }
    }
    if regions.is_empty() {
        return Ok(Outcome::Skip);
    }
    if missing.is_empty() && disabled.is_empty() {
        if let Some(stop) = unknown {
            return Err(stop);
        }
        return Ok(Outcome::pass(format!(
            "GuardDuty is enabled in every region account {} uses ({}).",
            view.account_id(),
            regions.join(", ")
        )));
    }
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("no detector in {}", missing.join(", ")));
    }
    if !disabled.is_empty() {
        parts.push(format!("detector suspended in {}", disabled.join(", ")));
    }
    Ok(Outcome::fail(format!(
        "GuardDuty does not watch every region account {} uses: {}.",
        view.account_id(),
        parts.join("; ")
    )))
}

/// How a protection plan was found on a detector.
enum Plan {
    /// Listed with this status: where it was found, the field read and its value.
    Status {
        source: String,
        status: String,
        field: String,
        value: Value,
    },
    /// Not listed anywhere.
    NotListed,
}

/// Looks a protection plan up in `features` (the first of `names` that is
/// enabled, else the first listed), then in the legacy `dataSources` path.
fn plan(res: &Res<'_>, names: &[&str], legacy: Option<&str>) -> Result<Plan, Stop> {
    let features = res.cfg("features").list()?;
    let status_of = |f: &Value| {
        f.get("status")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let listed: Vec<(usize, &str, &Value)> = names
        .iter()
        .filter_map(|name| {
            features
                .iter()
                .enumerate()
                .find(|(_, f)| f.get("name").and_then(Value::as_str) == Some(*name))
                .map(|(i, f)| (i, *name, f))
        })
        .collect();
    if let Some((i, name, f)) = listed
        .iter()
        .find(|(_, _, f)| status_of(f).eq_ignore_ascii_case("ENABLED"))
        .or_else(|| listed.first())
    {
        return Ok(Plan::Status {
            source: format!("feature {name}"),
            status: status_of(f),
            field: format!("configuration.features.{i}"),
            value: (*f).clone(),
        });
    }
    if let Some(path) = legacy
        && let Some(status) = res.cfg(path).str()?
    {
        return Ok(Plan::Status {
            source: format!("data source {path}"),
            status: status.to_owned(),
            field: format!("configuration.{path}"),
            value: Value::String(status.to_owned()),
        });
    }
    Ok(Plan::NotListed)
}

/// Shared body of the protection-plan checks.
fn protection(res: &Res<'_>, what: &str, names: &[&str], legacy: Option<&str>) -> Verdict {
    Ok(match plan(res, names, legacy)? {
        Plan::Status { status, .. } if status.eq_ignore_ascii_case("ENABLED") => {
            Outcome::pass(format!("{} has {what} enabled.", label(res)))
        }
        Plan::Status {
            source,
            status,
            field,
            value,
        } => Outcome::fail(format!(
            "{} has {what} {} ({source}).",
            label(res),
            status.to_ascii_lowercase()
        ))
        .at(&field, value),
        Plan::NotListed => Outcome::fail(format!(
            "{} does not list {what} among its features.",
            label(res)
        ))
        .at(
            "configuration.features",
            res.cfg("features").opt()?.cloned().unwrap_or_default(),
        ),
    })
}

/// FAIL when S3 Protection (S3 data event analysis) is off.
pub(crate) fn s3_protection_enabled(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    protection(
        res,
        "S3 Protection",
        &["S3_DATA_EVENTS"],
        Some("dataSources.s3Logs.status"),
    )
}

/// FAIL when EKS Protection (Kubernetes audit log analysis) is off.
pub(crate) fn eks_protection_enabled(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    protection(
        res,
        "EKS audit log monitoring",
        &["EKS_AUDIT_LOGS"],
        Some("dataSources.kubernetes.auditLogs.status"),
    )
}

/// FAIL when Malware Protection for EC2 (EBS volume scans) is off.
pub(crate) fn malware_protection_enabled(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    protection(
        res,
        "Malware Protection for EC2",
        &["EBS_MALWARE_PROTECTION"],
        Some("dataSources.malwareProtection.scanEc2InstanceWithFindings.ebsVolumes.status"),
    )
}

/// FAIL when RDS Protection (Aurora login analysis) is off.
pub(crate) fn rds_protection_enabled(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    protection(res, "RDS Protection", &["RDS_LOGIN_EVENTS"], None)
}

/// FAIL when Lambda Protection (function network activity) is off.
pub(crate) fn lambda_protection_enabled(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    protection(res, "Lambda Protection", &["LAMBDA_NETWORK_LOGS"], None)
}

/// FAIL when Runtime Monitoring (or its EKS-only predecessor) is off.
pub(crate) fn runtime_monitoring_enabled(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    protection(
        res,
        "Runtime Monitoring",
        &["RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING"],
        None,
    )
}

/// FAIL when updated findings are exported less often than allowed.
pub(crate) fn findings_published_frequently(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let allowed = ctx.list("allowed_frequencies")?;
    let field = "configuration.findingPublishingFrequency";
    let Some(freq) = res.get(field).str()? else {
        return Ok(Outcome::fail(format!(
            "{} reports no finding publishing frequency.",
            label(res)
        ))
        .at(field, Value::Null));
    };
    Ok(if allowed.iter().any(|a| a.eq_ignore_ascii_case(freq)) {
        Outcome::pass(format!(
            "{} publishes updated findings every {}.",
            label(res),
            human(freq)
        ))
    } else {
        Outcome::fail(format!(
            "{} publishes updated findings only every {} (allowed: {}).",
            label(res),
            human(freq),
            allowed
                .iter()
                .map(|a| human(a))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .at(field, freq)
    })
}

fn human(freq: &str) -> String {
    match freq {
        "FIFTEEN_MINUTES" => "15 minutes".to_owned(),
        "ONE_HOUR" => "hour".to_owned(),
        "SIX_HOURS" => "6 hours".to_owned(),
        other => other.to_owned(),
    }
}
