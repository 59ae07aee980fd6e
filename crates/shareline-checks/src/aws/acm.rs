//! Predicates for `catalog/checks/aws/acm/`.

use serde_json::Value;

use crate::aws::parse_time;
#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Known, Outcome, Res, Stop, Verdict};

/// Statuses of certificates that were never issued: nothing to expire.
const NEVER_ISSUED: &[&str] = &["PENDING_VALIDATION", "FAILED", "VALIDATION_TIMED_OUT"];

/// FAIL when an issued certificate expires within `days_before_expiry` days.
pub(crate) fn certificate_not_expiring_soon(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let limit = ctx.int("days_before_expiry")?;
    let now = ctx.now()?;
    let not_after = res.cfg("notAfter").opt()?;
    let Some(end) = parse_time(not_after) else {
        return Err(Stop::error(format!(
            "issued certificate `{}` has no readable notAfter",
            res.name()
        )));
    };
    let left = (end - now).num_days();
    Ok(if left >= limit {
        Outcome::pass(format!(
            "Certificate `{}` is valid for {left} more days.",
            res.name()
        ))
    } else {
        let when = if end < now {
            format!("expired {} days ago", (now - end).num_days())
        } else {
            format!("expires in {left} days")
        };
        Outcome::fail(format!(
            "Certificate `{}` {when} (warning threshold {limit} days).",
            res.name()
        ))
        .at(
            "configuration.notAfter",
            not_after.cloned().unwrap_or(Value::Null),
        )
    })
}

/// FAIL when the certificate has expired.
pub(crate) fn certificate_not_expired(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let now = ctx.now()?;
    let status = res.cfg("status").str()?;
    if status.is_some_and(|s| NEVER_ISSUED.contains(&s)) {
        return Ok(Outcome::Skip);
    }
    let not_after = res.cfg("notAfter").opt()?;
    let end = parse_time(not_after);
    let expired = status == Some("EXPIRED") || end.is_some_and(|e| e < now);
    Ok(match (expired, end) {
        (true, _) => Outcome::fail(format!(
            "Certificate `{}` has expired (notAfter {}).",
            res.name(),
            not_after.and_then(Value::as_str).unwrap_or("unrecorded")
        ))
        .at(
            "configuration.notAfter",
            not_after.cloned().unwrap_or(Value::Null),
        ),
        (false, Some(e)) => Outcome::pass(format!(
            "Certificate `{}` is valid until {}.",
            res.name(),
            e.format("%Y-%m-%d")
        )),
        (false, None) => Outcome::Skip,
    })
}

/// FAIL when the certificate is signed with SHA-1 or MD5.
pub(crate) fn certificate_signature_algorithm_strong(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let Some(alg) = res.cfg("signatureAlgorithm").str()? else {
        return Ok(Outcome::Skip);
    };
    let upper = alg.to_ascii_uppercase();
    Ok(
        if upper.starts_with("SHA1") || upper.starts_with("MD5") || upper.starts_with("MD2") {
            Outcome::fail(format!(
                "Certificate `{}` is signed with the broken algorithm {alg}.",
                res.name()
            ))
            .at("configuration.signatureAlgorithm", alg)
        } else {
            Outcome::pass(format!(
                "Certificate `{}` is signed with {alg}.",
                res.name()
            ))
        },
    )
}

/// FAIL when an issued certificate is attached to nothing. Reads `inUseBy`,
/// or the list summary's `inUse` when the certificate could not be described.
pub(crate) fn certificate_in_use(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let in_use = match res.cfg("inUseBy") {
        Known::Unavailable(u) => match res.cfg("inUse").bool()? {
            Some(b) => b,
            None => return Err(Stop::unavailable(&u)),
        },
        users => !users.list()?.is_empty(),
    };
    Ok(if in_use {
        Outcome::pass(format!(
            "Certificate `{}` is attached to a resource.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Certificate `{}` is not used by any resource.",
            res.name()
        ))
        .at("configuration.inUseBy", Value::Array(Vec::new()))
    })
}

/// FAIL (informational) when the certificate covers a wildcard name.
pub(crate) fn certificate_not_wildcard(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let mut names: Vec<&str> = res.cfg("domainName").str()?.into_iter().collect();
    let sans = res.cfg("subjectAlternativeNames");
    let unread = match sans {
        Known::Unavailable(u) => Some(u),
        other => {
            names.extend(other.list()?.iter().filter_map(Value::as_str));
            None
        }
    };
    let mut wild: Vec<&str> = names.into_iter().filter(|n| n.starts_with("*.")).collect();
    wild.sort_unstable();
    wild.dedup();
    if let Some(u) = unread
        && wild.is_empty()
    {
        // The alternative names could not be read: one may be a wildcard.
        return Err(Stop::unavailable(&u));
    }
    Ok(if wild.is_empty() {
        Outcome::pass(format!(
            "Certificate `{}` names only specific hosts.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Certificate `{}` covers wildcard name(s) {}.",
            res.name(),
            wild.join(", ")
        ))
        .at(
            "configuration.domainName",
            res.cfg("domainName").str()?.unwrap_or(""),
        )
    })
}
