//! Predicates for `catalog/checks/aws/iam/`.

use crate::aws::days_since;
#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};

/// FAIL when an active access key is older than `max_key_age_days`.
pub(crate) fn user_access_keys_rotated(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_key_age_days")?;
    let now = ctx.now()?;
    let keys = res.sup("AccessKeys").list()?;
    let mut active = 0;
    for key in keys {
        if key.get("status").and_then(|s| s.as_str()) != Some("Active") {
            continue;
        }
        active += 1;
        let id = key
            .get("accessKeyId")
            .and_then(|s| s.as_str())
            .unwrap_or("?");
        let Some(age) = days_since(key.get("createDate"), now) else {
            return Err(Stop::error(format!(
                "access key {id} has no readable createDate"
            )));
        };
        if age > max {
            return Ok(Outcome::fail(format!(
                "Access key {id} of `{}` is {age} days old (limit {max}).",
                res.name()
            ))
            .at("supplementary.AccessKeys", key.clone()));
        }
    }
    Ok(if active == 0 {
        Outcome::Skip
    } else {
        Outcome::pass(format!(
            "Every active key of `{}` is at most {max} days old.",
            res.name()
        ))
    })
}
