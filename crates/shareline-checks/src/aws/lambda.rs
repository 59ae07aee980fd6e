//! Predicates for `catalog/checks/aws/lambda/`.
//!
//! The collector never stores environment variable values, only their names
//! (`configuration.environmentVariableNames`); checks judge names alone.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde_json::Value;

use crate::policy;
#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};

const FUNCTION: &str = "AWS::Lambda::Function";
const SUBNET: &str = "AWS::EC2::Subnet";
const POLICY: &str = "supplementary.Policy";

/// FAIL when the runtime's deprecation date (from `runtime_deprecation_dates`,
/// `runtime=YYYY-MM-DD`) has passed or is within `days_before_deprecation`.
pub(crate) fn function_runtime_supported(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let param = "runtime_deprecation_dates";
    let now = ctx.now()?;
    let warn = ctx.int("days_before_deprecation")?;
    let Some(runtime) = res.cfg("runtime").str()? else {
        return Ok(Outcome::Skip);
    };
    for entry in ctx.list(param)? {
        let Some((id, date)) = entry.split_once('=') else {
            return Err(Stop::error(format!(
                "parameter `{param}`: `{entry}` is not `runtime=YYYY-MM-DD`"
            )));
        };
        if id.trim() != runtime {
            continue;
        }
        let date = date.trim();
        let day = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
            .ok_or_else(|| {
                Stop::error(format!(
                    "parameter `{param}`: `{date}` is not a YYYY-MM-DD date"
                ))
            })?;
        let left = (day - now).num_days();
        return Ok(if left < 0 {
            Outcome::fail(format!(
                "Function `{}` runs on `{runtime}`, deprecated since {date}: it no longer receives security patches.",
                res.name()
            ))
            .at("configuration.runtime", runtime)
        } else if left <= warn {
            Outcome::fail(format!(
                "Function `{}` runs on `{runtime}`, deprecated on {date} ({left} days left).",
                res.name()
            ))
            .at("configuration.runtime", runtime)
        } else {
            Outcome::pass(format!(
                "Function `{}` runs on `{runtime}`, supported until {date}.",
                res.name()
            ))
        });
    }
    Ok(Outcome::pass(format!(
        "Function `{}` runs on `{runtime}`, which has no known deprecation date.",
        res.name()
    )))
}

/// FAIL when the function's resource policy lets anyone invoke or manage it.
pub(crate) fn function_not_publicly_accessible(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let doc = res.json_text(POLICY)?;
    Ok(policy::no_public_statement(res, POLICY, "Function", doc))
}

/// FAIL when the policy lets an AWS service principal invoke the function
/// without a source account or source ARN condition (confused deputy).
pub(crate) fn function_policy_service_scoped(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let Some(doc) = res.json_text(POLICY)? else {
        return Ok(Outcome::pass(format!(
            "Function `{}` has no resource-based policy.",
            res.name()
        )));
    };
    let statements = policy::statements(&doc);
    let loose = statements.iter().enumerate().find_map(|(i, s)| {
        if !s.allow || s.narrowed() {
            return None;
        }
        s.principals
            .iter()
            .find(|(kind, _)| kind == "Service")
            .map(|(_, p)| (i, s, p))
    });
    Ok(match loose {
        Some((i, s, service)) => Outcome::fail(format!(
            "Function `{}` policy statement {} lets {service} invoke it for any source account or resource.",
            res.name(),
            s.label(i)
        ))
        .at(POLICY, doc),
        None => Outcome::pass(format!(
            "Every service permission of function `{}` is tied to a source account or ARN.",
            res.name()
        )),
    })
}

/// FAIL when an environment variable name suggests it holds a credential
/// (PASSWORD, SECRET, TOKEN...), unless its suffix shows it only names one
/// (`_ARN`, `_NAME`, `_PARAM`...).
pub(crate) fn function_env_no_plaintext_secrets(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let markers: Vec<String> = ctx
        .list("secret_name_markers")?
        .iter()
        .map(|m| m.to_ascii_uppercase())
        .collect();
    let suffixes: Vec<String> = ctx
        .list("reference_suffixes")?
        .iter()
        .map(|m| m.to_ascii_uppercase())
        .collect();
    let names = res.cfg("environmentVariableNames").list()?;
    let suspicious: Vec<&str> = names
        .iter()
        .filter_map(Value::as_str)
        .filter(|name| {
            let upper = name.to_ascii_uppercase();
            markers.iter().any(|m| upper.contains(m.as_str()))
                && !suffixes.iter().any(|s| upper.ends_with(s.as_str()))
        })
        .collect();
    Ok(if suspicious.is_empty() {
        Outcome::pass(format!(
            "No environment variable name of function `{}` suggests a stored secret.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Function `{}` has environment variable(s) {} that look like credentials kept in its configuration.",
            res.name(),
            suspicious.join(", ")
        ))
        .at(
            "configuration.environmentVariableNames",
            Value::Array(suspicious.iter().map(|s| Value::from(*s)).collect()),
        )
    })
}

/// FAIL when a VPC-attached function's subnets span fewer than
/// `min_availability_zones` zones (zones read from the collected subnets).
pub(crate) fn function_vpc_multi_az(
    res: &Res<'_>,
    view: &AccountView<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    let min = ctx.int("min_availability_zones")?;
    let subnets: Vec<&str> = res
        .cfg("vpcConfig.subnetIds")
        .list()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if subnets.is_empty() {
        return Ok(Outcome::Skip);
    }
    let mut zones = BTreeSet::new();
    let mut unseen = Vec::new();
    for id in &subnets {
        match view.get(SUBNET, id) {
            Some(s) => match s.cfg("availabilityZone").str()? {
                Some(z) => {
                    zones.insert(z.to_owned());
                }
                None => unseen.push(*id),
            },
            None => unseen.push(*id),
        }
    }
    let count = i64::try_from(zones.len()).unwrap_or(i64::MAX);
    if count >= min {
        return Ok(Outcome::pass(format!(
            "Function `{}` runs in {count} Availability Zones ({}).",
            res.name(),
            zones.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    if !unseen.is_empty() {
        return Err(Stop::Unknown(format!(
            "the Availability Zone of subnet(s) {} of function `{}` was not collected",
            unseen.join(", "),
            res.name()
        )));
    }
    Ok(Outcome::fail(format!(
        "Function `{}` runs in {count} Availability Zone(s) only (at least {min} wanted).",
        res.name()
    ))
    .at(
        "configuration.vpcConfig.subnetIds",
        Value::Array(subnets.iter().map(|s| Value::from(*s)).collect()),
    ))
}

/// FAIL when another function in the account uses the same execution role.
pub(crate) fn function_role_not_shared(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let Some(role) = res.cfg("role").str()? else {
        return Ok(Outcome::Skip);
    };
    let role_of = |f: &Res<'_>| f.cfg("role").key();
    let mut others: Vec<String> = view
        .filed("lambda function role", &[FUNCTION], role_of, role, |f| {
            f.arn() != res.arn()
        })?
        .iter()
        .map(|f| format!("{} ({})", f.name(), f.region()))
        .collect();
    others.sort();
    Ok(if others.is_empty() {
        Outcome::pass(format!(
            "Function `{}` is the only function using role {role}.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Function `{}` shares its execution role with {}.",
            res.name(),
            others.join(", ")
        ))
        .at("configuration.role", role)
    })
}

/// FAIL when a layer comes from an account that is neither the function's own
/// nor listed in `trusted_layer_accounts`.
pub(crate) fn function_layers_from_trusted_accounts(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let trusted = ctx.list("trusted_layer_accounts")?;
    let own = res.account_id();
    let layers = res.cfg("layers").list()?;
    if layers.is_empty() {
        return Ok(Outcome::pass(format!(
            "Function `{}` uses no layers.",
            res.name()
        )));
    }
    let mut foreign = Vec::new();
    for layer in layers {
        let arn = layer.get("arn").and_then(Value::as_str).unwrap_or("");
        let account = arn.split(':').nth(4).unwrap_or("");
        if account != own && !trusted.contains(&account) {
            foreign.push(arn);
        }
    }
    Ok(if foreign.is_empty() {
        Outcome::pass(format!(
            "Every layer of function `{}` comes from its own or a trusted account.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Function `{}` loads layer(s) published by untrusted accounts: {}.",
            res.name(),
            foreign.join(", ")
        ))
        .at(
            "configuration.layers",
            Value::Array(foreign.iter().map(|s| Value::from(*s)).collect()),
        )
    })
}
