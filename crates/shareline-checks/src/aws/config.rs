//! Predicates for `catalog/checks/aws/config/`.
//!
//! The collector emits one `AWS::Config::ConfigurationRecorder` per recorder
//! with its status in `supplementary.ConfigurationRecorderStatus` and the
//! region's delivery channel in `supplementary.DeliveryChannel`. AWS Config
//! snapshots (imports) carry the status inside `configuration.status` and no
//! delivery channel; the helpers here accept both.

use std::collections::BTreeMap;

use serde_json::Value;

#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};

const RECORDER: &str = "AWS::Config::ConfigurationRecorder";

/// The recorder's status object and the path it was read from.
///
/// # Errors
/// UNKNOWN when DescribeConfigurationRecorderStatus failed.
fn status<'a>(res: &Res<'a>) -> Result<(Option<&'a Value>, &'static str), Stop> {
    let collected = "supplementary.ConfigurationRecorderStatus";
    if let Some(v) = res.get(collected).opt()? {
        return Ok((Some(v), collected));
    }
    // AWS Config snapshots record the status inside the configuration.
    let snapshot = "configuration.status";
    Ok(match res.get(snapshot).opt()? {
        Some(v) => (Some(v), snapshot),
        None => (None, collected),
    })
}

/// `Some(true)` when the recorder is recording; `None` when no status was
/// reported for it.
fn recording(res: &Res<'_>) -> Result<Option<bool>, Stop> {
    let (s, _) = status(res)?;
    Ok(s.map(|s| s.get("recording").and_then(Value::as_bool) == Some(true)))
}

/// PASS when every region the account has resources in has a recorder that
/// is recording.
pub(crate) fn recorder_enabled_all_regions(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let mut by_region: BTreeMap<&str, Vec<Res<'_>>> = BTreeMap::new();
    for r in view.of_type(RECORDER) {
        by_region.entry(r.region()).or_default().push(r);
    }
    let mut missing = Vec::new();
    let mut stopped = Vec::new();
    let mut unknown = None;
    let mut regions = Vec::new();
    for region in view.regions() {
        regions.push(region);
        let Some(recorders) = by_region.get(region) else {
            if view.scope_failed("config", region) {
                unknown = Some(Stop::Unknown(format!(
                    "AWS Config could not be read in {region} at the last collection"
                )));
            } else {
                missing.push(region);
            }
            continue;
        };
        let mut on = false;
        let mut unreadable = None;
        for r in recorders {
            match recording(r) {
                Ok(Some(true)) => on = true,
                Ok(_) => {}
                Err(stop) => unreadable = Some(stop),
            }
        }
        match (on, unreadable) {
            (true, _) => {}
            (false, None) => stopped.push(region),
            (false, Some(stop)) => unknown = Some(stop),
        }
    }
    if regions.is_empty() {
        return Ok(Outcome::Skip);
    }
    if missing.is_empty() && stopped.is_empty() {
        if let Some(stop) = unknown {
            return Err(stop);
        }
        return Ok(Outcome::pass(format!(
            "AWS Config is recording in every region account {} uses ({}).",
            view.account_id(),
            regions.join(", ")
        )));
    }
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("no recorder in {}", missing.join(", ")));
    }
    if !stopped.is_empty() {
        parts.push(format!("recorder not recording in {}", stopped.join(", ")));
    }
    Ok(Outcome::fail(format!(
        "AWS Config does not cover every region account {} uses: {}.",
        view.account_id(),
        parts.join("; ")
    )))
}

/// FAIL when the recorder is stopped.
pub(crate) fn recorder_recording(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let (s, path) = status(res)?;
    let Some(s) = s else {
        return Ok(Outcome::fail(format!(
            "AWS Config reports no status for recorder `{}` in {}.",
            res.name(),
            res.region()
        ))
        .at(path, Value::Null));
    };
    let on = s.get("recording").and_then(Value::as_bool) == Some(true);
    Ok(if on {
        Outcome::pass(format!(
            "Recorder `{}` in {} is recording.",
            res.name(),
            res.region()
        ))
    } else {
        let since = s
            .get("lastStopTime")
            .and_then(Value::as_str)
            .map(|t| format!(" since {t}"))
            .unwrap_or_default();
        Outcome::fail(format!(
            "Recorder `{}` in {} is stopped{since}.",
            res.name(),
            res.region()
        ))
        .at(&format!("{path}.recording"), false)
    })
}

/// FAIL when the last recording attempt failed.
pub(crate) fn recorder_not_failing(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let (s, path) = status(res)?;
    let Some(s) = s else {
        return Ok(Outcome::Skip);
    };
    let last = s.get("lastStatus").and_then(Value::as_str).unwrap_or("");
    if !last.eq_ignore_ascii_case("FAILURE") {
        return Ok(Outcome::pass(format!(
            "Recorder `{}` in {} reports no failure (last status {}).",
            res.name(),
            res.region(),
            if last.is_empty() { "none" } else { last }
        )));
    }
    let code = s
        .get("lastErrorCode")
        .and_then(Value::as_str)
        .unwrap_or("no error code");
    let message = s
        .get("lastErrorMessage")
        .and_then(Value::as_str)
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    Ok(Outcome::fail(format!(
        "Recorder `{}` in {} failed its last recording ({code}{message}).",
        res.name(),
        res.region()
    ))
    .at(&format!("{path}.lastStatus"), last))
}

/// What a recording group leaves out: `None` when it records every supported
/// type, else a description.
fn left_out(group: &Value) -> Option<String> {
    let strategy = group
        .get("recordingStrategy")
        .and_then(|s| s.get("useOnly"))
        .and_then(Value::as_str);
    let types = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let all = group.get("allSupported").and_then(Value::as_bool) == Some(true);
    match strategy {
        Some("ALL_SUPPORTED_RESOURCE_TYPES") => None,
        _ if all => None,
        Some("EXCLUSION_BY_RESOURCE_TYPES") => {
            let excluded = types(
                group
                    .get("exclusionByResourceTypes")
                    .and_then(|x| x.get("resourceTypes")),
            );
            Some(format!("excludes {}", excluded.join(", ")))
        }
        _ => {
            let included = types(group.get("resourceTypes"));
            Some(format!(
                "records only {} listed type(s) ({})",
                included.len(),
                included.join(", ")
            ))
        }
    }
}

/// FAIL when the recorder records a chosen list of types rather than every
/// supported type.
pub(crate) fn recorder_records_all_resource_types(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let field = "configuration.recordingGroup";
    let Some(group) = res.get(field).opt()? else {
        return Err(Stop::Unknown(format!(
            "the recording group of recorder `{}` was not reported",
            res.name()
        )));
    };
    Ok(match left_out(group) {
        None => Outcome::pass(format!(
            "Recorder `{}` in {} records every supported resource type.",
            res.name(),
            res.region()
        )),
        Some(what) => Outcome::fail(format!(
            "Recorder `{}` in {} {what}.",
            res.name(),
            res.region()
        ))
        .at(field, group.clone()),
    })
}

/// True when the recording group covers IAM (global) resource types.
fn records_global(group: &Value) -> bool {
    let iam = |v: &Value| v.as_str().is_some_and(|t| t.starts_with("AWS::IAM::"));
    let strategy = group
        .get("recordingStrategy")
        .and_then(|s| s.get("useOnly"))
        .and_then(Value::as_str);
    match strategy {
        Some("EXCLUSION_BY_RESOURCE_TYPES") => {
            let excluded = group
                .get("exclusionByResourceTypes")
                .and_then(|x| x.get("resourceTypes"))
                .and_then(Value::as_array)
                .map_or(0, |l| l.iter().filter(|v| iam(v)).count());
            // AWS::IAM::User, Group, Role and Policy all excluded = none left.
            excluded < 4
        }
        Some("INCLUSION_BY_RESOURCE_TYPES") => group
            .get("resourceTypes")
            .and_then(Value::as_array)
            .is_some_and(|l| l.iter().any(iam)),
        _ => {
            group.get("allSupported").and_then(Value::as_bool) == Some(true)
                && group
                    .get("includeGlobalResourceTypes")
                    .and_then(Value::as_bool)
                    == Some(true)
        }
    }
}

/// PASS when some recording recorder in the account records IAM (global)
/// resource types.
pub(crate) fn global_resources_recorded(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let mut unknown = None;
    let mut count = 0;
    for r in view.of_type(RECORDER) {
        count += 1;
        let Some(group) = r.cfg("recordingGroup").opt()? else {
            continue;
        };
        if !records_global(group) {
            continue;
        }
        match recording(&r) {
            Ok(Some(true)) => {
                return Ok(Outcome::pass(format!(
                    "Recorder `{}` in {} records IAM users, roles, groups and policies.",
                    r.name(),
                    r.region()
                )));
            }
            Ok(_) => {}
            Err(stop) => unknown = Some(stop),
        }
    }
    if let Some(stop) = unknown {
        return Err(stop);
    }
    Ok(Outcome::fail(if count == 0 {
        format!(
            "Account {} has no AWS Config recorder, so IAM changes are not recorded.",
            view.account_id()
        )
    } else {
        format!(
            "None of the {count} recorder(s) of account {} records IAM (global) resources while recording.",
            view.account_id()
        )
    }))
}

/// FAIL when the recorder's region has no delivery channel with a bucket.
pub(crate) fn delivery_channel_configured(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let field = "supplementary.DeliveryChannel";
    if res.resource.supplementary.get("DeliveryChannel").is_none() {
        return Err(Stop::Unknown(format!(
            "the delivery channel of {} was not collected",
            res.region()
        )));
    }
    let Some(channel) = res.get(field).opt()? else {
        return Ok(Outcome::fail(format!(
            "Region {} has no AWS Config delivery channel: recorder `{}` cannot deliver snapshots or history.",
            res.region(),
            res.name()
        ))
        .at(field, Value::Null));
    };
    Ok(
        match channel
            .get("s3BucketName")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            Some(bucket) => Outcome::pass(format!(
                "Recorder `{}` in {} delivers to bucket `{bucket}`.",
                res.name(),
                res.region()
            )),
            None => Outcome::fail(format!(
                "The delivery channel of {} names no S3 bucket.",
                res.region()
            ))
            .at(field, channel.clone()),
        },
    )
}
