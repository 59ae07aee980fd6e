//! Predicates for `catalog/checks/aws/s3/`.

use serde_json::Value;

use crate::aws::kms::{find_key, key_manager, key_state, reference_account};
use crate::policy;
#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};

/// FAIL when a bucket policy statement allows anyone, with no narrowing condition.
pub(crate) fn bucket_policy_not_public(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let field = "supplementary.BucketPolicy.policyText";
    let doc = res.json_text(field)?;
    Ok(policy::no_public_statement(res, field, "Bucket", doc))
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

const ACL: &str = "supplementary.AccessControlList";
const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// The ACL grants to everyone (`AllUsers`) or to every AWS account
/// (`AuthenticatedUsers`) with one of `permissions`, as "GROUP PERMISSION".
fn public_acl_grants(res: &Res<'_>, permissions: &[&str]) -> Result<(Vec<String>, Value), Stop> {
    let Some(acl) = res.json_text(ACL)? else {
        return Ok((Vec::new(), Value::Null));
    };
    let found = acl
        .get("grantList")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|g| {
            let uri = g.pointer("/grantee/uri").and_then(Value::as_str)?;
            let group = match uri {
                ALL_USERS => "AllUsers",
                AUTHENTICATED_USERS => "AuthenticatedUsers",
                _ => return None,
            };
            let permission = g.get("permission").and_then(Value::as_str)?;
            permissions
                .contains(&permission)
                .then(|| format!("{permission} to {group}"))
        })
        .collect();
    Ok((found, acl))
}

/// True when Block Public Access makes S3 ignore public ACLs for the bucket,
/// at bucket or account level. UNKNOWN only when neither level says so and
/// one could not be read.
fn public_acls_ignored(res: &Res<'_>, view: &AccountView<'_>) -> Result<bool, Stop> {
    let setting = "PublicAccessBlockConfiguration.ignorePublicAcls";
    let bucket = res.sup(setting).bool();
    let account = view
        .of_type("AWS::S3::AccountPublicAccessBlock")
        .next()
        .map_or(Ok(None), |a| a.sup(setting).bool());
    if matches!(bucket, Ok(Some(true))) || matches!(account, Ok(Some(true))) {
        return Ok(true);
    }
    bucket?;
    account?;
    Ok(false)
}

fn acl_check(res: &Res<'_>, view: &AccountView<'_>, permissions: &[&str], what: &str) -> Verdict {
    let (grants, acl) = public_acl_grants(res, permissions)?;
    if grants.is_empty() {
        return Ok(Outcome::pass(format!(
            "Bucket `{}` ACL grants no {what} access to everyone.",
            res.name()
        )));
    }
    Ok(if public_acls_ignored(res, view)? {
        Outcome::pass(format!(
            "Bucket `{}` ACL grants {}, but Block Public Access ignores public ACLs.",
            res.name(),
            grants.join(", ")
        ))
    } else {
        Outcome::fail(format!(
            "Bucket `{}` ACL grants {}.",
            res.name(),
            grants.join(", ")
        ))
        .at(ACL, acl)
    })
}

/// FAIL when the ACL lets everyone (or every AWS account) read, and Block
/// Public Access does not ignore it.
pub(crate) fn bucket_acl_not_public_read(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    acl_check(res, view, &["READ", "READ_ACP", "FULL_CONTROL"], "read")
}

/// FAIL when the ACL lets everyone (or every AWS account) write, and Block
/// Public Access does not ignore it.
pub(crate) fn bucket_acl_not_public_write(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    acl_check(res, view, &["WRITE", "WRITE_ACP", "FULL_CONTROL"], "write")
}

/// FAIL when the ACL grants anything to a canonical user other than the
/// bucket owner, or to an e-mail address.
pub(crate) fn bucket_acl_no_cross_account_grants(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let Some(acl) = res.json_text(ACL)? else {
        return Ok(Outcome::pass(format!(
            "Bucket `{}` has no ACL grants.",
            res.name()
        )));
    };
    let owner = acl.pointer("/owner/id").and_then(Value::as_str);
    let mut others = Vec::new();
    for g in acl
        .get("grantList")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
    {
        let kind = g.pointer("/grantee/type").and_then(Value::as_str);
        let permission = g.get("permission").and_then(Value::as_str).unwrap_or("?");
        match kind {
            Some("CanonicalUser") => {
                let id = g.pointer("/grantee/id").and_then(Value::as_str);
                let Some(owner) = owner else {
                    return Err(Stop::error(
                        "the bucket ACL names no owner to compare grants with",
                    ));
                };
                if id != Some(owner) {
                    others.push(format!(
                        "{permission} to canonical user {}",
                        id.unwrap_or("?")
                    ));
                }
            }
            Some("AmazonCustomerByEmail") => {
                let mail = g
                    .pointer("/grantee/emailAddress")
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                others.push(format!("{permission} to {mail}"));
            }
            _ => {}
        }
    }
    Ok(if others.is_empty() {
        Outcome::pass(format!(
            "Bucket `{}` ACL grants nothing to other accounts.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Bucket `{}` ACL grants {}.",
            res.name(),
            others.join(", ")
        ))
        .at(ACL, acl)
    })
}

const POLICY: &str = "supplementary.BucketPolicy.policyText";

/// PASS when a Deny for everyone covers reads and writes made without TLS.
pub(crate) fn bucket_policy_requires_tls(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let Some(doc) = res.json_text(POLICY)? else {
        return Ok(Outcome::fail(format!(
            "Bucket `{}` has no bucket policy, so it accepts requests without TLS.",
            res.name()
        ))
        .at(POLICY, Value::Null));
    };
    let statements = policy::statements(&doc);
    let denied = statements.iter().any(|s| {
        s.denies_insecure_transport()
            && s.anyone()
            && s.covers_action("s3:GetObject")
            && s.covers_action("s3:PutObject")
    });
    Ok(if denied {
        Outcome::pass(format!(
            "Bucket `{}` policy denies requests made without TLS.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Bucket `{}` policy does not deny requests with aws:SecureTransport false.",
            res.name()
        ))
        .at(POLICY, doc)
    })
}

const WRITE_ACTIONS: &[&str] = &[
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectAcl",
    "s3:PutBucketAcl",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:DeleteBucket",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
];

/// FAIL when a statement lets anyone write, delete or change permissions.
pub(crate) fn bucket_policy_no_public_write(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let Some(doc) = res.json_text(POLICY)? else {
        return Ok(Outcome::pass(format!(
            "Bucket `{}` has no bucket policy.",
            res.name()
        )));
    };
    let statements = policy::statements(&doc);
    for (i, s) in statements.iter().enumerate() {
        if !s.public_allow() {
            continue;
        }
        let writes: Vec<&str> = WRITE_ACTIONS
            .iter()
            .copied()
            .filter(|a| s.covers_action(a))
            .collect();
        if !writes.is_empty() {
            return Ok(Outcome::fail(format!(
                "Bucket `{}` policy statement {} lets anyone use {}.",
                res.name(),
                s.label(i),
                writes.join(", ")
            ))
            .at(POLICY, doc));
        }
    }
    Ok(Outcome::pass(format!(
        "Bucket `{}` policy lets no one outside write or delete.",
        res.name()
    )))
}

/// FAIL when the policy names principals of accounts outside
/// `trusted_account_ids`.
pub(crate) fn bucket_policy_no_cross_account_access(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let trusted = ctx.list("trusted_account_ids")?;
    let doc = res.json_text(POLICY)?;
    Ok(policy::no_foreign_account(
        res, POLICY, "Bucket", doc, &trusted,
    ))
}

/// FAIL when an Allow statement grants every S3 action (`s3:*`, `*`, or a
/// `NotAction` list).
pub(crate) fn bucket_policy_no_wildcard_actions(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let Some(doc) = res.json_text(POLICY)? else {
        return Ok(Outcome::pass(format!(
            "Bucket `{}` has no bucket policy.",
            res.name()
        )));
    };
    let statements = policy::statements(&doc);
    let wide: Vec<String> = statements
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.allow && (s.all_actions() || s.actions.iter().any(|a| a.eq_ignore_ascii_case("s3:*")))
        })
        .map(|(i, s)| s.label(i))
        .collect();
    Ok(if wide.is_empty() {
        Outcome::pass(format!(
            "Bucket `{}` policy allows only named actions.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Bucket `{}` policy statement(s) {} allow all S3 actions (s3:*, * or NotAction).",
            res.name(),
            wide.join(", ")
        ))
        .at(POLICY, doc)
    })
}

/// FAIL when an Allow statement for an AWS service principal has no
/// condition tying it to a source account, ARN or organisation.
pub(crate) fn bucket_policy_service_principals_scoped(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let Some(doc) = res.json_text(POLICY)? else {
        return Ok(Outcome::pass(format!(
            "Bucket `{}` has no bucket policy.",
            res.name()
        )));
    };
    let statements = policy::statements(&doc);
    let open: Vec<String> = statements
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.allow && s.principals.iter().any(|(kind, _)| kind == "Service") && !s.narrowed()
        })
        .map(|(i, s)| s.label(i))
        .collect();
    Ok(if open.is_empty() {
        Outcome::pass(format!(
            "Every service grant in bucket `{}` policy is tied to a source.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Bucket `{}` policy statement(s) {} grant a service without a source condition.",
            res.name(),
            open.join(", ")
        ))
        .at(POLICY, doc)
    })
}

const SSE_RULES: &str = "ServerSideEncryptionConfiguration.rules";

/// The default-encryption algorithms of the bucket's rules.
fn sse_algorithms<'a>(res: &Res<'a>) -> Result<Vec<&'a str>, Stop> {
    Ok(res
        .sup(SSE_RULES)
        .list()?
        .iter()
        .filter_map(|r| {
            r.pointer("/applyServerSideEncryptionByDefault/sseAlgorithm")
                .and_then(Value::as_str)
        })
        .collect())
}

/// FAIL when default encryption uses none of `allowed_algorithms`.
pub(crate) fn bucket_encrypted_with_kms(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let allowed = ctx.list("allowed_algorithms")?;
    let algorithms = sse_algorithms(res)?;
    Ok(match algorithms.iter().find(|a| allowed.contains(a)) {
        Some(a) => Outcome::pass(format!(
            "Bucket `{}` encrypts new objects with {a} by default.",
            res.name()
        )),
        None => Outcome::fail(format!(
            "Bucket `{}` default encryption is {}, not one of {}.",
            res.name(),
            if algorithms.is_empty() {
                "off".to_owned()
            } else {
                algorithms.join(", ")
            },
            allowed.join(", ")
        ))
        .at(
            "supplementary.ServerSideEncryptionConfiguration",
            res.sup("ServerSideEncryptionConfiguration")
                .opt()?
                .cloned()
                .unwrap_or(Value::Null),
        ),
    })
}

/// The key of the bucket's KMS default-encryption rule: `None` when the
/// bucket does not use SSE-KMS, `Some(None)` when it names no key (the
/// AWS managed `aws/s3` key).
fn kms_rule_key<'a>(res: &Res<'a>) -> Result<Option<Option<&'a str>>, Stop> {
    Ok(res.sup(SSE_RULES).list()?.iter().find_map(|r| {
        let d = r.get("applyServerSideEncryptionByDefault")?;
        let alg = d.get("sseAlgorithm").and_then(Value::as_str)?;
        alg.starts_with("aws:kms").then(|| {
            d.get("kmsMasterKeyID")
                .and_then(Value::as_str)
                .filter(|k| !k.is_empty())
        })
    }))
}

fn is_aws_s3_alias(key: &str) -> bool {
    key == "alias/aws/s3" || key.ends_with(":alias/aws/s3")
}

const KEY_FIELD: &str = "supplementary.ServerSideEncryptionConfiguration.rules.applyServerSideEncryptionByDefault.kmsMasterKeyID";

/// The collected KMS key the bucket names; UNKNOWN when it is not collected.
fn bucket_key<'a>(res: &Res<'_>, view: &AccountView<'a>, key: &str) -> Result<Res<'a>, Stop> {
    find_key(view, res.region(), key).ok_or_else(|| {
        let elsewhere = reference_account(key).filter(|a| *a != res.account_id());
        Stop::Unknown(match elsewhere {
            Some(a) => format!("KMS key {key} belongs to account {a}, outside this collection"),
            None => format!("KMS key {key} is not among the collected resources"),
        })
    })
}

/// FAIL when SSE-KMS uses the AWS managed `aws/s3` key rather than a
/// customer-managed key.
pub(crate) fn bucket_kms_key_customer_managed(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let Some(key) = kms_rule_key(res)? else {
        return Ok(Outcome::Skip);
    };
    let Some(key) = key.filter(|k| !is_aws_s3_alias(k)) else {
        return Ok(Outcome::fail(format!(
            "Bucket `{}` is encrypted with the AWS managed key aws/s3.",
            res.name()
        ))
        .at(KEY_FIELD, key.map_or(Value::Null, Value::from)));
    };
    let found = bucket_key(res, view, key)?;
    Ok(match key_manager(&found)? {
        Some("CUSTOMER") => Outcome::pass(format!(
            "Bucket `{}` is encrypted with customer-managed key `{}`.",
            res.name(),
            found.name()
        )),
        other => Outcome::fail(format!(
            "Bucket `{}` is encrypted with key `{}`, managed by {}.",
            res.name(),
            found.name(),
            other.unwrap_or("an unknown party")
        ))
        .at(KEY_FIELD, key),
    })
}

/// FAIL when the customer KMS key the bucket encrypts with is disabled,
/// scheduled for deletion or otherwise unusable.
pub(crate) fn bucket_kms_key_enabled(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let Some(Some(key)) = kms_rule_key(res)? else {
        return Ok(Outcome::Skip);
    };
    if is_aws_s3_alias(key) {
        return Ok(Outcome::Skip);
    }
    let found = bucket_key(res, view, key)?;
    Ok(match key_state(&found)? {
        Some("Enabled") => Outcome::pass(format!(
            "Bucket `{}` encryption key `{}` is enabled.",
            res.name(),
            found.name()
        )),
        state => {
            let state = state.unwrap_or("in an unrecorded state");
            Outcome::fail(format!(
                "Bucket `{}` encryption key `{}` is {state}: objects cannot be written or read.",
                res.name(),
                found.name()
            ))
            .at(KEY_FIELD, key)
        }
    })
}

/// FAIL when server access logs are delivered to the bucket itself.
pub(crate) fn bucket_logging_target_not_self(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let field = "BucketLoggingConfiguration.destinationBucketName";
    let Some(target) = res.sup(field).str()? else {
        return Ok(Outcome::Skip);
    };
    Ok(if target == res.id() || target == res.name() {
        Outcome::fail(format!(
            "Bucket `{}` delivers its access logs to itself.",
            res.name()
        ))
        .at(&format!("supplementary.{field}"), target)
    } else {
        Outcome::pass(format!(
            "Bucket `{}` delivers its access logs to `{target}`.",
            res.name()
        ))
    })
}
