//! Predicates for `catalog/checks/aws/secretsmanager/`.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::aws::kms::{find_key, key_manager, key_state, reference_account};
use crate::aws::{days_since, parse_time};
use crate::policy;
#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};

/// FAIL when the secret value is older than `max_days_since_rotation`: last
/// rotated then, or never rotated and created then.
pub(crate) fn secret_rotated_within_days(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_days_since_rotation")?;
    let now = ctx.now()?;
    let (field, what) = match res.cfg("lastRotatedDate").opt()? {
        Some(_) => ("lastRotatedDate", "last rotated"),
        None => ("createdDate", "never rotated, created"),
    };
    let value = res.cfg(field).opt()?;
    let Some(age) = days_since(value, now) else {
        return Err(Stop::error(format!(
            "secret `{}` has no readable {field}",
            res.name()
        )));
    };
    Ok(if age <= max {
        Outcome::pass(format!(
            "Secret `{}` was {what} {age} days ago (limit {max}).",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Secret `{}` was {what} {age} days ago (limit {max}).",
            res.name()
        ))
        .at(
            &format!("configuration.{field}"),
            value.cloned().unwrap_or(Value::Null),
        )
    })
}

/// The rotation interval in days, from `automaticallyAfterDays`, or from a
/// `rate(N days|hours)` or monthly-or-more-often `cron(...)` schedule.
/// `Ok(None)` when no schedule is set.
fn rotation_interval_days(res: &Res<'_>) -> Result<Option<f64>, Stop> {
    if let Some(days) = res.cfg("rotationRules.automaticallyAfterDays").f64()? {
        return Ok(Some(days));
    }
    let Some(expr) = res.cfg("rotationRules.scheduleExpression").str()? else {
        return Ok(None);
    };
    let expr = expr.trim();
    if let Some(inner) = expr.strip_prefix("rate(").and_then(|e| e.strip_suffix(')')) {
        let mut parts = inner.split_whitespace();
        let n = parts.next().and_then(|n| n.parse::<f64>().ok());
        let unit = parts.next().unwrap_or("");
        return match (n, unit.trim_end_matches('s')) {
            (Some(n), "day") => Ok(Some(n)),
            (Some(n), "hour") => Ok(Some(n / 24.0)),
            _ => Err(Stop::error(format!(
                "cannot read rotation schedule `{expr}`"
            ))),
        };
    }
    if let Some(inner) = expr.strip_prefix("cron(").and_then(|e| e.strip_suffix(')')) {
        // Fields: minutes hours day-of-month month day-of-week year. With
        // every month allowed it runs at least once a month.
        let fields: Vec<&str> = inner.split_whitespace().collect();
        if fields.get(3).is_some_and(|m| *m == "*") && fields.get(5).is_none_or(|y| *y == "*") {
            return Ok(Some(31.0));
        }
    }
    Err(Stop::error(format!(
        "cannot tell how often schedule `{expr}` rotates"
    )))
}

/// A day count for messages: whole days as integers, else one decimal.
fn days_text(days: f64) -> String {
    if days.fract() == 0.0 {
        format!("{days:.0}")
    } else {
        format!("{days:.1}")
    }
}

/// FAIL when rotation is on with an interval above `max_rotation_interval_days`.
pub(crate) fn secret_rotation_interval_within_limit(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_rotation_interval_days")?;
    let Some(days) = rotation_interval_days(res)? else {
        return Ok(Outcome::fail(format!(
            "Secret `{}` has rotation on but no schedule.",
            res.name()
        ))
        .at("configuration.rotationRules", Value::Null));
    };
    Ok(if days <= max as f64 {
        Outcome::pass(format!(
            "Secret `{}` rotates at least every {} days (limit {max}).",
            res.name(),
            days_text(days)
        ))
    } else {
        Outcome::fail(format!(
            "Secret `{}` rotates only every {} days (limit {max}).",
            res.name(),
            days_text(days)
        ))
        .at(
            "configuration.rotationRules",
            res.cfg("rotationRules")
                .opt()?
                .cloned()
                .unwrap_or(Value::Null),
        )
    })
}

/// FAIL when rotation is on but the secret has missed its rotation date by
/// more than `grace_days`: the rotation function is failing.
pub(crate) fn secret_rotation_not_overdue(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let grace = ctx.int("grace_days")?;
    let now = ctx.now()?;
    let next = parse_time(res.cfg("nextRotationDate").opt()?);
    let due: Option<(DateTime<Utc>, &str)> = match next {
        Some(t) => Some((t, "nextRotationDate")),
        None => {
            let field = match res.cfg("lastRotatedDate").opt()? {
                Some(_) => "lastRotatedDate",
                None => "createdDate",
            };
            let last = parse_time(res.cfg(field).opt()?);
            match (last, rotation_interval_days(res)?) {
                (Some(t), Some(days)) => {
                    Some((t + Duration::seconds((days * 86_400.0) as i64), field))
                }
                _ => None,
            }
        }
    };
    let Some((due, field)) = due else {
        return Ok(Outcome::Skip);
    };
    let late = (now - due).num_days();
    Ok(if late <= grace {
        Outcome::pass(format!(
            "Secret `{}` is not behind its rotation schedule.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Secret `{}` should have rotated {late} days ago; rotation is probably failing.",
            res.name()
        ))
        .at(
            &format!("configuration.{field}"),
            res.cfg(field).opt()?.cloned().unwrap_or(Value::Null),
        )
    })
}

const KEY_FIELD: &str = "configuration.kmsKeyId";

fn is_default_alias(key: &str) -> bool {
    key == "alias/aws/secretsmanager" || key.ends_with(":alias/aws/secretsmanager")
}

/// The collected KMS key the secret names; UNKNOWN when it is not collected.
fn secret_key<'a>(res: &Res<'_>, view: &AccountView<'a>, key: &str) -> Result<Res<'a>, Stop> {
    find_key(view, res.region(), key).ok_or_else(|| {
        let elsewhere = reference_account(key).filter(|a| *a != res.account_id());
        Stop::Unknown(match elsewhere {
            Some(a) => format!("KMS key {key} belongs to account {a}, outside this collection"),
            None => format!("KMS key {key} is not among the collected resources"),
        })
    })
}

/// FAIL when the secret is encrypted with the AWS managed
/// `aws/secretsmanager` key.
pub(crate) fn secret_encrypted_with_customer_key(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let key = res.cfg("kmsKeyId").str()?.filter(|k| !k.is_empty());
    let Some(key) = key.filter(|k| !is_default_alias(k)) else {
        return Ok(Outcome::fail(format!(
            "Secret `{}` is encrypted with the AWS managed key aws/secretsmanager.",
            res.name()
        ))
        .at(KEY_FIELD, key.map_or(Value::Null, Value::from)));
    };
    let found = secret_key(res, view, key)?;
    Ok(match key_manager(&found)? {
        Some("CUSTOMER") => Outcome::pass(format!(
            "Secret `{}` is encrypted with customer-managed key `{}`.",
            res.name(),
            found.name()
        )),
        other => Outcome::fail(format!(
            "Secret `{}` is encrypted with key `{}`, managed by {}.",
            res.name(),
            found.name(),
            other.unwrap_or("an unknown party")
        ))
        .at(KEY_FIELD, key),
    })
}

/// FAIL when the customer key the secret is encrypted with is disabled,
/// scheduled for deletion or otherwise unusable.
pub(crate) fn secret_kms_key_usable(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let Some(key) = res.cfg("kmsKeyId").str()?.filter(|k| !k.is_empty()) else {
        return Ok(Outcome::Skip);
    };
    if is_default_alias(key) {
        return Ok(Outcome::Skip);
    }
    let found = secret_key(res, view, key)?;
    Ok(match key_state(&found)? {
        Some("Enabled") => Outcome::pass(format!(
            "Secret `{}` key `{}` is enabled.",
            res.name(),
            found.name()
        )),
        state => {
            let state = state.unwrap_or("in an unrecorded state");
            Outcome::fail(format!(
                "Secret `{}` key `{}` is {state}: the secret value cannot be decrypted.",
                res.name(),
                found.name()
            ))
            .at(KEY_FIELD, key)
        }
    })
}

/// FAIL when the secret was last read more than `max_days_unused` days ago,
/// or never read although created that long ago. Secrets that another
/// service manages are skipped.
pub(crate) fn secret_not_unused(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_days_unused")?;
    let now = ctx.now()?;
    if res.cfg("owningService").str()?.is_some() {
        return Ok(Outcome::Skip);
    }
    if let Some(accessed) = res.cfg("lastAccessedDate").opt()? {
        let Some(age) = days_since(Some(accessed), now) else {
            return Err(Stop::error("lastAccessedDate is not a date"));
        };
        return Ok(if age <= max {
            Outcome::pass(format!(
                "Secret `{}` was read {age} days ago (limit {max}).",
                res.name()
            ))
        } else {
            Outcome::fail(format!(
                "Secret `{}` was last read {age} days ago (limit {max}).",
                res.name()
            ))
            .at("configuration.lastAccessedDate", accessed.clone())
        });
    }
    let created = res.cfg("createdDate").opt()?;
    let Some(age) = days_since(created, now) else {
        return Err(Stop::error(format!(
            "secret `{}` has neither lastAccessedDate nor createdDate",
            res.name()
        )));
    };
    Ok(if age <= max {
        Outcome::pass(format!(
            "Secret `{}` has not been read yet; it is {age} days old.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Secret `{}` has never been read in the {age} days since it was created.",
            res.name()
        ))
        .at("configuration.lastAccessedDate", Value::Null)
    })
}

const POLICY: &str = "supplementary.ResourcePolicy";

/// FAIL when the resource policy allows anyone without a narrowing condition.
pub(crate) fn secret_resource_policy_not_public(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let doc = res.json_text(POLICY)?;
    Ok(policy::no_public_statement(res, POLICY, "Secret", doc))
}

/// FAIL when the resource policy names principals of accounts outside
/// `trusted_account_ids`.
pub(crate) fn secret_resource_policy_no_cross_account_access(
    res: &Res<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    let trusted = ctx.list("trusted_account_ids")?;
    let doc = res.json_text(POLICY)?;
    Ok(policy::no_foreign_account(
        res, POLICY, "Secret", doc, &trusted,
    ))
}
