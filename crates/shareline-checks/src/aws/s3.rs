//! Predicates for `catalog/checks/aws/s3/`.

use crate::policy;
#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};

/// FAIL when a bucket policy statement allows anyone, with no narrowing condition.
pub(crate) fn bucket_policy_not_public(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let field = "supplementary.BucketPolicy.policyText";
    let Some(doc) = res.json_text(field)? else {
        return Ok(Outcome::pass(format!(
            "Bucket `{}` has no bucket policy.",
            res.name()
        )));
    };
    let statements = policy::statements(&doc);
    Ok(
        match statements
            .iter()
            .enumerate()
            .find(|(_, s)| s.public_allow())
        {
            Some((i, s)) => Outcome::fail(format!(
                "Bucket `{}` policy statement {} allows {} to anyone.",
                res.name(),
                s.label(i),
                s.actions.join(", ")
            ))
            .at(field, doc),
            None => Outcome::pass(format!(
                "No statement of bucket `{}` policy is public.",
                res.name()
            )),
        },
    )
}

const PAB_SETTINGS: [&str; 4] = [
    "blockPublicAcls",
    "ignorePublicAcls",
    "blockPublicPolicy",
    "restrictPublicBuckets",
];

/// FAIL when one of the four Block Public Access settings is off at both the
/// bucket and the account level.
pub(crate) fn bucket_public_access_blocked(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let account = view
        .of_type("AWS::S3::AccountPublicAccessBlock")
        .next()
        .map(|a| a.sup("PublicAccessBlockConfiguration"));
    let bucket = res.sup("PublicAccessBlockConfiguration");
    let mut off = Vec::new();
    for setting in PAB_SETTINGS {
        let at_bucket = match &bucket {
            crate::Known::Value(v) => v.get(setting).and_then(|b| b.as_bool()).unwrap_or(false),
            crate::Known::Absent => false,
            crate::Known::Unavailable(u) => return Err(Stop::unavailable(u)),
        };
        let at_account = match &account {
            Some(crate::Known::Value(v)) => {
                v.get(setting).and_then(|b| b.as_bool()).unwrap_or(false)
            }
            Some(crate::Known::Unavailable(u)) if !at_bucket => return Err(Stop::unavailable(u)),
            _ => false,
        };
        if !at_bucket && !at_account {
            off.push(setting);
        }
    }
    Ok(if off.is_empty() {
        Outcome::pass(format!("Bucket `{}` blocks public access.", res.name()))
    } else {
        Outcome::fail(format!(
            "Bucket `{}` is not protected by {} at bucket or account level.",
            res.name(),
            off.join(", ")
        ))
        .at(
            "supplementary.PublicAccessBlockConfiguration",
            bucket.opt().ok().flatten().cloned().unwrap_or_default(),
        )
    })
}
