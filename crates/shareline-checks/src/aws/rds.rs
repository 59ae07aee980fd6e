//! Predicates for `catalog/checks/aws/rds/`.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Known, Outcome, Res, Stop, Verdict};

// ---------------------------------------------------------------------------
// Parameter helpers (private: each service module keeps its own).
// ---------------------------------------------------------------------------

/// Splits a `key=value` parameter entry.
fn split_entry<'a>(param: &str, entry: &'a str) -> Result<(&'a str, &'a str), Stop> {
    entry
        .split_once('=')
        .map(|(k, v)| (k.trim(), v.trim()))
        .ok_or_else(|| Stop::error(format!("parameter `{param}`: `{entry}` is not `key=value`")))
}

/// Parses a `YYYY-MM-DD` date from a parameter entry, as midnight UTC.
fn entry_date(param: &str, text: &str) -> Result<DateTime<Utc>, Stop> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| {
            Stop::error(format!(
                "parameter `{param}`: `{text}` is not a YYYY-MM-DD date"
            ))
        })
}

/// Finds the entry for `engine` in a list of `engine=...` entries: an exact
/// match first, else an entry naming the engine family (`oracle` for
/// `oracle-ee`, `sqlserver` for `sqlserver-se`).
fn engine_entry<'a>(
    param: &str,
    entries: &[&'a str],
    engine: &str,
) -> Result<Option<&'a str>, Stop> {
    let mut family = None;
    for entry in entries {
        let (key, value) = split_entry(param, entry)?;
        if key == engine {
            return Ok(Some(value));
        }
        if family.is_none()
            && engine
                .strip_prefix(key)
                .is_some_and(|rest| rest.starts_with('-'))
        {
            family = Some(value);
        }
    }
    Ok(family)
}

/// True when `version` belongs to major version `major` (`12` matches
/// `12.19`, `5.7` matches `5.7.mysql_aurora.2.11.2`, `1` does not match `11.2`).
fn in_major(version: &str, major: &str) -> bool {
    version
        .strip_prefix(major)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Shared predicates for instances and clusters.
// ---------------------------------------------------------------------------

fn backup_retention(res: &Res<'_>, ctx: &Ctx<'_>, kind: &str) -> Verdict {
    let min = ctx.int("min_retention_days")?;
    let field = "configuration.backupRetentionPeriod";
    let raw = res.cfg("backupRetentionPeriod").opt()?;
    let Some(days) = raw.and_then(|v| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }) else {
        return Ok(Outcome::fail(format!(
            "{kind} `{}` records no backup retention period.",
            res.name()
        ))
        .at(field, raw.cloned().unwrap_or_default()));
    };
    let plural = if days == 1 { "day" } else { "days" };
    Ok(if days < 1 {
        Outcome::fail(format!(
            "{kind} `{}` has automated backups turned off (retention 0 days).",
            res.name()
        ))
        .at(field, days)
    } else if days < min {
        Outcome::fail(format!(
            "{kind} `{}` keeps automated backups for {days} {plural} (at least {min} required).",
            res.name()
        ))
        .at(field, days)
    } else {
        Outcome::pass(format!(
            "{kind} `{}` keeps automated backups for {days} {plural}.",
            res.name()
        ))
    })
}

fn logs_exported(res: &Res<'_>, ctx: &Ctx<'_>, kind: &str) -> Verdict {
    let param = "required_log_types";
    let field = "configuration.enabledCloudwatchLogsExports";
    let engine = res.cfg("engine").str()?.unwrap_or("");
    let exported: Vec<&str> = res
        .cfg("enabledCloudwatchLogsExports")
        .list()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let required: Vec<&str> = match engine_entry(param, &ctx.list(param)?, engine)? {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect(),
        None => Vec::new(),
    };
    if required.is_empty() {
        return Ok(if exported.is_empty() {
            Outcome::fail(format!(
                "{kind} `{}` ({engine}) exports no logs to CloudWatch Logs.",
                res.name()
            ))
            .at(field, Value::Array(Vec::new()))
        } else {
            Outcome::pass(format!(
                "{kind} `{}` exports {} to CloudWatch Logs.",
                res.name(),
                exported.join(", ")
            ))
        });
    }
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| !exported.iter().any(|e| e.eq_ignore_ascii_case(r)))
        .collect();
    Ok(if missing.is_empty() {
        Outcome::pass(format!(
            "{kind} `{}` exports {} to CloudWatch Logs.",
            res.name(),
            exported.join(", ")
        ))
    } else {
        Outcome::fail(format!(
            "{kind} `{}` ({engine}) does not export the {} log(s) to CloudWatch Logs.",
            res.name(),
            missing.join(", ")
        ))
        .at(
            field,
            Value::Array(exported.iter().map(|s| Value::from(*s)).collect()),
        )
    })
}

fn default_port_not_used(res: &Res<'_>, ctx: &Ctx<'_>, kind: &str, path: &str) -> Verdict {
    let param = "default_ports";
    let engine = res.cfg("engine").str()?.unwrap_or("");
    let raw = res.cfg(path).opt()?;
    let Some(port) = raw.and_then(|v| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }) else {
        // Not yet reachable (creating): nothing to judge.
        return Ok(Outcome::Skip);
    };
    let Some(default) = engine_entry(param, &ctx.list(param)?, engine)? else {
        return Ok(Outcome::Skip);
    };
    let default: i64 = default.trim().parse().map_err(|_| {
        Stop::error(format!(
            "parameter `{param}`: `{default}` is not a port number"
        ))
    })?;
    Ok(if port == default {
        Outcome::fail(format!(
            "{kind} `{}` ({engine}) listens on the engine's default port {port}.",
            res.name()
        ))
        .at(&format!("configuration.{path}"), port)
    } else {
        Outcome::pass(format!(
            "{kind} `{}` listens on port {port}, not the {engine} default {default}.",
            res.name()
        ))
    })
}

fn engine_version_supported(res: &Res<'_>, ctx: &Ctx<'_>, kind: &str) -> Verdict {
    let param = "end_of_standard_support";
    let now = ctx.now()?;
    let warn = ctx.int("days_before_end")?;
    let (Some(engine), Some(version)) = (res.cfg("engine").str()?, res.cfg("engineVersion").str()?)
    else {
        return Ok(Outcome::Skip);
    };
    for entry in ctx.list(param)? {
        let (key, date) = split_entry(param, entry)?;
        let Some((e, major)) = key.split_once(' ') else {
            return Err(Stop::error(format!(
                "parameter `{param}`: `{entry}` is not `engine major=YYYY-MM-DD`"
            )));
        };
        if e.trim() != engine || !in_major(version, major.trim()) {
            continue;
        }
        let end = entry_date(param, date)?;
        let left = (end - now).num_days();
        return Ok(if left <= warn {
            let when = if left < 0 { "ended" } else { "ends" };
            Outcome::fail(format!(
                "{kind} `{}` runs {engine} {version}, whose standard support {when} on {date}.",
                res.name()
            ))
            .at("configuration.engineVersion", version)
        } else {
            Outcome::pass(format!(
                "{kind} `{}` runs {engine} {version}, supported until {date}.",
                res.name()
            ))
        });
    }
    Ok(Outcome::pass(format!(
        "{kind} `{}` runs {engine} {version}, with no known end of standard support.",
        res.name()
    )))
}

// ---------------------------------------------------------------------------
// DB instances.
// ---------------------------------------------------------------------------

/// FAIL when automated backups are off or kept fewer than `min_retention_days`.
pub(crate) fn instance_backup_retention(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    backup_retention(res, ctx, "DB instance")
}

/// FAIL when the engine's important log types are not exported.
pub(crate) fn instance_logs_exported(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    logs_exported(res, ctx, "DB instance")
}

/// FAIL when the instance endpoint listens on the engine's default port.
pub(crate) fn instance_default_port_not_used(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    default_port_not_used(res, ctx, "DB instance", "endpoint.port")
}

/// FAIL when the engine major version is past (or near) its end of RDS
/// standard support.
pub(crate) fn instance_engine_version_supported(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    engine_version_supported(res, ctx, "DB instance")
}

/// FAIL when the instance's CA certificate has expired or expires within
/// `min_days_left`.
pub(crate) fn instance_ca_certificate_current(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let param = "ca_expiry_dates";
    let field = "configuration.caCertificateIdentifier";
    let now = ctx.now()?;
    let min_left = ctx.int("min_days_left")?;
    let Some(ca) = res.cfg("caCertificateIdentifier").str()? else {
        return Ok(Outcome::Skip);
    };
    if ctx
        .list("long_lived_cas")?
        .iter()
        .any(|c| c.eq_ignore_ascii_case(ca))
    {
        return Ok(Outcome::pass(format!(
            "DB instance `{}` uses the long-lived CA `{ca}`.",
            res.name()
        )));
    }
    for entry in ctx.list(param)? {
        let (id, date) = split_entry(param, entry)?;
        if !id.eq_ignore_ascii_case(ca) {
            continue;
        }
        let left = (entry_date(param, date)? - now).num_days();
        return Ok(if left < 0 {
            Outcome::fail(format!(
                "DB instance `{}` uses the CA `{ca}`, which expired on {date}.",
                res.name()
            ))
            .at(field, ca)
        } else if left < min_left {
            Outcome::fail(format!(
                "DB instance `{}` uses the CA `{ca}`, which expires on {date} ({left} days left).",
                res.name()
            ))
            .at(field, ca)
        } else {
            Outcome::pass(format!(
                "DB instance `{}` uses the CA `{ca}`, valid until {date}.",
                res.name()
            ))
        });
    }
    // A CA this check has no date for: it cannot judge.
    Ok(Outcome::Skip)
}

/// FAIL when the storage is encrypted with the AWS managed key rather than a
/// customer managed KMS key (read from the key's own record).
pub(crate) fn instance_storage_encrypted_with_cmk(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let field = "configuration.kmsKeyId";
    if res.cfg("storageEncrypted").bool()? != Some(true) {
        return Ok(Outcome::fail(format!(
            "DB instance `{}` storage is not encrypted at all.",
            res.name()
        ))
        .at("configuration.storageEncrypted", false));
    }
    let Some(key_id) = res.cfg("kmsKeyId").str()? else {
        return Err(Stop::Unknown(format!(
            "DB instance `{}` is encrypted but records no KMS key",
            res.name()
        )));
    };
    let key = view.by_arn(key_id).or_else(|| {
        let short = key_id.rsplit('/').next().unwrap_or(key_id);
        view.get("AWS::KMS::Key", short)
    });
    let Some(key) = key else {
        return Err(Stop::Unknown(format!(
            "KMS key {key_id} of DB instance `{}` was not collected",
            res.name()
        )));
    };
    if let Known::Unavailable(u) = key.cfg("keyMetadata") {
        return Err(Stop::unavailable(&u));
    }
    Ok(match key.cfg("keyManager").str()? {
        Some("CUSTOMER") => Outcome::pass(format!(
            "DB instance `{}` is encrypted with the customer managed key {key_id}.",
            res.name()
        )),
        Some(other) => Outcome::fail(format!(
            "DB instance `{}` is encrypted with an {other}-managed key ({key_id}), not a customer managed key.",
            res.name()
        ))
        .at(field, key_id),
        None => {
            return Err(Stop::Unknown(format!(
                "KMS key {key_id} records no key manager"
            )));
        }
    })
}

// ---------------------------------------------------------------------------
// DB clusters.
// ---------------------------------------------------------------------------

/// FAIL when automated backups are kept fewer than `min_retention_days`.
pub(crate) fn cluster_backup_retention(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    backup_retention(res, ctx, "DB cluster")
}

/// FAIL when the engine's important log types are not exported.
pub(crate) fn cluster_logs_exported(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    logs_exported(res, ctx, "DB cluster")
}

/// FAIL when the cluster listens on the engine's default port.
pub(crate) fn cluster_default_port_not_used(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    default_port_not_used(res, ctx, "DB cluster", "port")
}

/// FAIL when the engine major version is past (or near) its end of standard
/// support.
pub(crate) fn cluster_engine_version_supported(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    engine_version_supported(res, ctx, "DB cluster")
}

// ---------------------------------------------------------------------------
// Snapshots.
// ---------------------------------------------------------------------------

/// The values of the `restore` attribute: who may restore the snapshot.
/// `None` for automated snapshots, which cannot be shared.
fn restore_values(res: &Res<'_>) -> Result<Option<Vec<String>>, Stop> {
    let Some(attrs) = res.sup("SnapshotAttributes").opt()? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for a in attrs.as_array().map_or(&[][..], Vec::as_slice) {
        if a.get("attributeName").and_then(Value::as_str) != Some("restore") {
            continue;
        }
        for v in a
            .get("attributeValues")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
        {
            out.push(text_of(v));
        }
    }
    Ok(Some(out))
}

fn public_snapshot_verdict(res: &Res<'_>, kind: &str) -> Verdict {
    let Some(values) = restore_values(res)? else {
        return Ok(Outcome::Skip);
    };
    Ok(if values.iter().any(|v| v.eq_ignore_ascii_case("all")) {
        Outcome::fail(format!(
            "{kind} `{}` can be restored by any AWS account (restore attribute includes `all`).",
            res.name()
        ))
        .at(
            "supplementary.SnapshotAttributes",
            res.sup("SnapshotAttributes")
                .opt()
                .ok()
                .flatten()
                .cloned()
                .unwrap_or_default(),
        )
    } else {
        Outcome::pass(format!("{kind} `{}` is not public.", res.name()))
    })
}

fn snapshot_shared_with_trusted(res: &Res<'_>, ctx: &Ctx<'_>, kind: &str) -> Verdict {
    let trusted = ctx.list("trusted_account_ids")?;
    let Some(values) = restore_values(res)? else {
        return Ok(Outcome::Skip);
    };
    let own = res.account_id();
    let untrusted: Vec<&str> = values
        .iter()
        .map(String::as_str)
        .filter(|v| !v.eq_ignore_ascii_case("all") && *v != own && !trusted.contains(v))
        .collect();
    Ok(if untrusted.is_empty() {
        Outcome::pass(format!(
            "{kind} `{}` is shared with no account outside the trusted list.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "{kind} `{}` is shared with account(s) {} that are not on the trusted list.",
            res.name(),
            untrusted.join(", ")
        ))
        .at(
            "supplementary.SnapshotAttributes",
            Value::Array(untrusted.iter().map(|s| Value::from(*s)).collect()),
        )
    })
}

/// FAIL when a manual DB snapshot can be restored by any AWS account.
pub(crate) fn snapshot_not_public(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    public_snapshot_verdict(res, "DB snapshot")
}

/// FAIL when a manual DB cluster snapshot can be restored by any AWS account.
pub(crate) fn cluster_snapshot_not_public(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    public_snapshot_verdict(res, "DB cluster snapshot")
}

/// FAIL when a manual DB snapshot is shared with an account outside
/// `trusted_account_ids`.
pub(crate) fn snapshot_shared_with_trusted_accounts(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    snapshot_shared_with_trusted(res, ctx, "DB snapshot")
}

/// FAIL when a manual DB cluster snapshot is shared with an account outside
/// `trusted_account_ids`.
pub(crate) fn cluster_snapshot_shared_with_trusted_accounts(
    res: &Res<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    snapshot_shared_with_trusted(res, ctx, "DB cluster snapshot")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majors_and_engine_families() {
        assert!(in_major("12.19", "12"));
        assert!(in_major("5.7.mysql_aurora.2.11.2", "5.7"));
        assert!(in_major("13", "13"));
        assert!(!in_major("11.2", "1"));
        assert!(!in_major("120.1", "12"));
        let entries = ["oracle=1521", "aurora=3306", "aurora-postgresql=5432"];
        let find = |e: &str| engine_entry("p", &entries, e).ok().flatten();
        assert_eq!(find("oracle-ee"), Some("1521"));
        assert_eq!(find("aurora-postgresql"), Some("5432"));
        assert_eq!(find("aurora-mysql"), Some("3306"));
        assert_eq!(find("postgres"), None);
        assert!(engine_entry("p", &["broken"], "x").is_err());
    }
}
