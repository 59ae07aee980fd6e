//! Predicates for `catalog/checks/aws/cloudtrail/`.

#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};

/// PASS when some multi-region trail with global events is logging.
pub(crate) fn multi_region_trail_enabled(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let mut unknown = None;
    let mut names = Vec::new();
    for trail in view.of_type("AWS::CloudTrail::Trail") {
        let multi = trail.cfg("isMultiRegionTrail").bool()?.unwrap_or(false);
        let global = trail
            .cfg("includeGlobalServiceEvents")
            .bool()?
            .unwrap_or(false);
        if !(multi && global) {
            continue;
        }
        match trail.sup("TrailStatus.isLogging").bool() {
            Ok(Some(true)) => {
                return Ok(Outcome::pass(format!(
                    "Trail `{}` records every region and is logging.",
                    trail.name()
                )));
            }
            Ok(_) => names.push(trail.name().to_owned()),
            Err(stop) => unknown = Some(stop),
        }
    }
    if let Some(stop) = unknown {
        return Err(stop);
    }
    Ok(if names.is_empty() {
        Outcome::fail(format!(
            "Account {} has no multi-region trail.",
            view.account_id()
        ))
    } else {
        Outcome::fail(format!(
            "Multi-region trail(s) {} are not logging.",
            names.join(", ")
        ))
    })
}
