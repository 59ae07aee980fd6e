//! Predicates for `catalog/checks/aws/elbv2/`.
//!
//! A load balancer's attributes are a key → text map under
//! `supplementary.Attributes`; keys contain dots
//! (`deletion_protection.enabled`), so they are read here rather than through
//! dotted paths.

use serde_json::Value;

#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};

const LISTENER: &str = "AWS::ElasticLoadBalancingV2::Listener";

/// One load balancer attribute as text, or `default` when the map lacks it
/// (the API leaves out attributes at their default on some types).
///
/// # Errors
/// UNKNOWN when the attributes could not be read or were not recorded.
fn attribute<'a>(res: &Res<'a>, key: &str, default: &'a str) -> Result<&'a str, Stop> {
    let Some(map) = res.sup("Attributes").opt()? else {
        return Err(Stop::Unknown(format!(
            "the attributes of load balancer `{}` were not recorded",
            res.name()
        )));
    };
    Ok(map.get(key).and_then(Value::as_str).unwrap_or(default))
}

fn is_true(s: &str) -> bool {
    s.eq_ignore_ascii_case("true")
}

/// PASS when boolean attribute `key` equals `want`.
fn flag(res: &Res<'_>, key: &str, default: &str, want: bool, pass: &str, fail: &str) -> Verdict {
    let value = attribute(res, key, default)?;
    Ok(if is_true(value) == want {
        Outcome::pass(format!("Load balancer `{}` {pass}.", res.name()))
    } else {
        Outcome::fail(format!("Load balancer `{}` {fail}.", res.name()))
            .at(&format!("supplementary.Attributes.{key}"), value)
    })
}

/// FAIL when deletion protection is off.
pub(crate) fn lb_deletion_protection_enabled(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    flag(
        res,
        "deletion_protection.enabled",
        "false",
        true,
        "is protected against deletion",
        "can be deleted by a single API call: deletion protection is off",
    )
}

/// FAIL when access logs are off. Network load balancers write access logs
/// only for TLS listeners, so one without a TLS listener is not judged;
/// gateway load balancers have no access logs.
pub(crate) fn lb_access_logging_enabled(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    match res.cfg("type").str()? {
        Some("application") => {}
        Some("network") => {
            // Tell "no TLS listener" from "listeners unreadable".
            res.sup("Listeners").opt()?;
            let has_tls = view.of_type(LISTENER).any(|l| {
                l.cfg("loadBalancerArn").str().ok().flatten() == Some(res.arn())
                    && l.cfg("protocol").str().ok().flatten() == Some("TLS")
            });
            if !has_tls {
                return Ok(Outcome::Skip);
            }
        }
        _ => return Ok(Outcome::Skip),
    }
    let value = attribute(res, "access_logs.s3.enabled", "false")?;
    Ok(if is_true(value) {
        let bucket = attribute(res, "access_logs.s3.bucket", "")?;
        Outcome::pass(format!(
            "Load balancer `{}` writes access logs to bucket `{bucket}`.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Load balancer `{}` keeps no access logs.",
            res.name()
        ))
        .at("supplementary.Attributes.access_logs.s3.enabled", value)
    })
}

/// FAIL when a network or gateway load balancer does not balance across zones.
pub(crate) fn lb_cross_zone_enabled(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    flag(
        res,
        "load_balancing.cross_zone.enabled",
        "false",
        true,
        "spreads traffic across all enabled Availability Zones",
        "sends each zone's traffic only to targets in that zone: cross-zone load balancing is off",
    )
}

/// FAIL when an application load balancer forwards headers with invalid names.
pub(crate) fn alb_drop_invalid_header_fields(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    flag(
        res,
        "routing.http.drop_invalid_header_fields.enabled",
        "false",
        true,
        "drops HTTP headers with invalid names before they reach targets",
        "forwards HTTP headers with invalid names to its targets",
    )
}

/// FAIL when the desync mitigation mode is not one of `allowed_modes`.
pub(crate) fn alb_desync_mitigation_mode(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let allowed = ctx.list("allowed_modes")?;
    let mode = attribute(res, "routing.http.desync_mitigation_mode", "defensive")?;
    Ok(if allowed.iter().any(|a| a.eq_ignore_ascii_case(mode)) {
        Outcome::pass(format!(
            "Load balancer `{}` handles ambiguous HTTP requests in `{mode}` mode.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Load balancer `{}` handles ambiguous HTTP requests in `{mode}` mode (allowed: {}).",
            res.name(),
            allowed.join(", ")
        ))
        .at(
            "supplementary.Attributes.routing.http.desync_mitigation_mode",
            mode,
        )
    })
}

/// FAIL when requests pass straight to targets whenever AWS WAF cannot be
/// reached.
pub(crate) fn alb_waf_fail_open_disabled(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    flag(
        res,
        "waf.fail_open.enabled",
        "false",
        false,
        "refuses requests when AWS WAF cannot inspect them",
        "lets requests through uninspected whenever AWS WAF cannot be reached (fail open)",
    )
}

/// PASS for HTTPS and TLS listeners, and for HTTP listeners whose default
/// action redirects to HTTPS; TCP, UDP and GENEVE listeners are not judged.
pub(crate) fn listener_https_or_redirect(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let protocol = res.cfg("protocol").str()?.unwrap_or("");
    match protocol {
        "HTTPS" | "TLS" => Ok(Outcome::pass(format!(
            "Listener `{}` encrypts traffic with {protocol}.",
            res.name()
        ))),
        "HTTP" => {
            let actions = res.cfg("defaultActions").list()?;
            let redirects = actions.iter().any(|a| {
                a.get("type").and_then(Value::as_str) == Some("redirect")
                    && a.get("redirectConfig")
                        .and_then(|c| c.get("protocol"))
                        .and_then(Value::as_str)
                        == Some("HTTPS")
            });
            Ok(if redirects {
                Outcome::pass(format!(
                    "Listener `{}` redirects plain HTTP to HTTPS.",
                    res.name()
                ))
            } else {
                let kinds: Vec<&str> = actions
                    .iter()
                    .filter_map(|a| a.get("type").and_then(Value::as_str))
                    .collect();
                Outcome::fail(format!(
                    "Listener `{}` serves plain HTTP; its default action is {} rather than a redirect to HTTPS.",
                    res.name(),
                    if kinds.is_empty() {
                        "missing".to_owned()
                    } else {
                        kinds.join(", ")
                    }
                ))
                .at(
                    "configuration.defaultActions",
                    Value::Array(actions.to_vec()),
                )
            })
        }
        _ => Ok(Outcome::Skip),
    }
}

/// FAIL when an HTTPS or TLS listener's security policy is not one of the
/// families in `allowed_policy_prefixes` (TLS 1.2 and later only).
pub(crate) fn listener_tls_policy_modern(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let prefixes = ctx.list("allowed_policy_prefixes")?;
    let Some(policy) = res.cfg("sslPolicy").str()? else {
        return Ok(Outcome::fail(format!(
            "Listener `{}` records no TLS security policy.",
            res.name()
        ))
        .at("configuration.sslPolicy", Value::Null));
    };
    Ok(if prefixes.iter().any(|p| policy.starts_with(p)) {
        Outcome::pass(format!(
            "Listener `{}` uses the security policy `{policy}`.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Listener `{}` uses `{policy}`, which still accepts older TLS versions or ciphers.",
            res.name()
        ))
        .at("configuration.sslPolicy", policy)
    })
}

/// FAIL when the load balancer has no listener. Live collection records the
/// listener ARNs under `supplementary.Listeners`; imported AWS Config items do
/// not, so the listener resources that name the load balancer are counted
/// instead.
pub(crate) fn lb_has_listeners(res: &Res<'_>, view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let count = match res.sup("Listeners").opt()? {
        Some(Value::Array(arns)) => arns.len(),
        _ => view
            .of_type(LISTENER)
            .filter(|l| l.cfg("loadBalancerArn").str().ok().flatten() == Some(res.arn()))
            .count(),
    };
    Ok(if count > 0 {
        Outcome::pass(format!(
            "Load balancer `{}` has {count} listener(s).",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Load balancer `{}` has no listener and serves no traffic.",
            res.name()
        ))
        .at("supplementary.Listeners", Value::Array(Vec::new()))
    })
}
