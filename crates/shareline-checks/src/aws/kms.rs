//! Predicates for `catalog/checks/aws/kms/`, and the key lookup that the S3
//! and Secrets Manager predicates share (`find_key`, `key_state`).

use serde_json::Value;

use crate::policy::{self, Statement};
#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};

const KEY_TYPE: &str = "AWS::KMS::Key";

/// UNKNOWN when `DescribeKey` failed: the collector then leaves only the id,
/// ARN and aliases, with the marker under `configuration.keyMetadata`.
fn described(key: &Res<'_>) -> Result<(), Stop> {
    key.cfg("keyMetadata").opt().map(|_| ())
}

/// The key's state (`Enabled`, `Disabled`, `PendingDeletion`...).
///
/// # Errors
/// UNKNOWN when the key could not be described.
pub(crate) fn key_state<'a>(key: &Res<'a>) -> Result<Option<&'a str>, Stop> {
    described(key)?;
    key.cfg("keyState").str()
}

/// `CUSTOMER` or `AWS`.
///
/// # Errors
/// UNKNOWN when the key could not be described.
pub(crate) fn key_manager<'a>(key: &Res<'a>) -> Result<Option<&'a str>, Stop> {
    described(key)?;
    key.cfg("keyManager").str()
}

/// True for a customer-managed key; UNKNOWN when it could not be described.
fn customer_managed(key: &Res<'_>) -> Result<bool, Stop> {
    Ok(key_manager(key)? == Some("CUSTOMER"))
}

/// The key spec (`SYMMETRIC_DEFAULT`, `RSA_2048`...), also under its former
/// name `customerMasterKeySpec` that older AWS Config items carry.
fn key_spec<'a>(key: &Res<'a>) -> Result<Option<&'a str>, Stop> {
    described(key)?;
    match key.cfg("keySpec").str()? {
        Some(s) => Ok(Some(s)),
        None => key.cfg("customerMasterKeySpec").str(),
    }
}

/// Finds the KMS key a resource names: a key ARN, an alias ARN, a key id or
/// an alias name (`alias/x`), the last two in `region`. `None` when the key
/// is not among the collected resources.
pub(crate) fn find_key<'a>(
    view: &AccountView<'a>,
    region: &str,
    reference: &str,
) -> Option<Res<'a>> {
    if let Some(key) = view.by_arn(reference)
        && key.resource.resource_type == KEY_TYPE
    {
        return Some(key);
    }
    let (key_region, rest) = if reference.starts_with("arn:") {
        let mut parts = reference.splitn(6, ':');
        let region_part = parts.nth(3).unwrap_or(region);
        (region_part, parts.nth(1).unwrap_or(""))
    } else {
        (region, reference)
    };
    let rest = rest.strip_prefix("key/").unwrap_or(rest);
    view.of_type(KEY_TYPE).find(|k| {
        k.region() == key_region
            && if rest.starts_with("alias/") {
                k.cfg("aliases")
                    .list()
                    .is_ok_and(|a| a.iter().any(|x| x.as_str() == Some(rest)))
            } else {
                k.id() == rest
            }
    })
}

/// The account a key ARN belongs to, when the reference is an ARN.
pub(crate) fn reference_account(reference: &str) -> Option<&str> {
    reference
        .strip_prefix("arn:")
        .and_then(|r| r.split(':').nth(3))
        .filter(|a| !a.is_empty())
}

/// Whether automatic rotation is on: the collector stores
/// `{"keyRotationEnabled": ...}`, AWS Config a bare boolean.
fn rotation_enabled(res: &Res<'_>) -> Result<Option<bool>, Stop> {
    Ok(match res.sup("KeyRotationStatus").opt()? {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(v) => v.get("keyRotationEnabled").and_then(Value::as_bool),
    })
}

/// Customer-managed, enabled, symmetric keys with KMS-generated material:
/// the only ones whose automatic rotation can be turned on.
fn rotatable(res: &Res<'_>) -> Result<bool, Stop> {
    Ok(customer_managed(res)?
        && key_state(res)? == Some("Enabled")
        && key_spec(res)?.is_none_or(|s| s == "SYMMETRIC_DEFAULT")
        && res.cfg("origin").str()?.is_none_or(|o| o == "AWS_KMS"))
}

/// FAIL when a customer-managed symmetric key does not rotate automatically.
pub(crate) fn key_rotation_enabled(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    if !rotatable(res)? {
        return Ok(Outcome::Skip);
    }
    Ok(match rotation_enabled(res)? {
        // No status where rotation cannot be configured.
        None => Outcome::Skip,
        Some(true) => Outcome::pass(format!(
            "Key `{}` rotates its key material automatically.",
            res.name()
        )),
        Some(false) => Outcome::fail(format!(
            "Key `{}` does not rotate its key material.",
            res.name()
        ))
        .at("supplementary.KeyRotationStatus", false),
    })
}

/// FAIL when rotation is on with a period longer than `max_rotation_period_days`.
pub(crate) fn key_rotation_period_within_limit(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_rotation_period_days")?;
    if !rotatable(res)? || rotation_enabled(res)? != Some(true) {
        return Ok(Outcome::Skip);
    }
    let field = "supplementary.KeyRotationStatus.rotationPeriodInDays";
    let raw = res.sup("KeyRotationStatus.rotationPeriodInDays");
    let shown = raw.clone().opt()?.cloned().unwrap_or(Value::Null);
    let Some(period) = raw.f64()? else {
        return Err(Stop::Unknown(format!(
            "the rotation period of key `{}` was not recorded",
            res.name()
        )));
    };
    Ok(if period <= max as f64 {
        Outcome::pass(format!(
            "Key `{}` rotates every {period} days (limit {max}).",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Key `{}` rotates only every {period} days (limit {max}).",
            res.name()
        ))
        .at(field, shown)
    })
}

/// FAIL when a customer-managed key is scheduled for deletion.
pub(crate) fn key_not_pending_deletion(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    if !customer_managed(res)? {
        return Ok(Outcome::Skip);
    }
    let state = key_state(res)?.unwrap_or("unknown");
    Ok(
        if matches!(state, "PendingDeletion" | "PendingReplicaDeletion") {
            let when = res
                .cfg("deletionDate")
                .str()?
                .unwrap_or("an unrecorded date");
            Outcome::fail(format!(
                "Key `{}` is scheduled for deletion on {when}.",
                res.name()
            ))
            .at("configuration.keyState", state)
        } else {
            Outcome::pass(format!(
                "Key `{}` is not scheduled for deletion ({state}).",
                res.name()
            ))
        },
    )
}

/// FAIL when a customer-managed key is disabled (it still costs money).
pub(crate) fn key_not_disabled(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    if !customer_managed(res)? {
        return Ok(Outcome::Skip);
    }
    let state = key_state(res)?.unwrap_or("unknown");
    Ok(if state == "Disabled" {
        Outcome::fail(format!(
            "Key `{}` is disabled but still billed every month.",
            res.name()
        ))
        .at("configuration.keyState", state)
    } else {
        Outcome::pass(format!("Key `{}` is {state}.", res.name()))
    })
}

/// FAIL when a customer-managed key has no usable key material: it waits for
/// imported material, or its custom key store is disconnected.
pub(crate) fn key_material_usable(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    if !customer_managed(res)? {
        return Ok(Outcome::Skip);
    }
    let state = key_state(res)?.unwrap_or("unknown");
    Ok(match state {
        "PendingImport" => Outcome::fail(format!(
            "Key `{}` has no key material: it is waiting for an import.",
            res.name()
        ))
        .at("configuration.keyState", state),
        "Unavailable" => Outcome::fail(format!(
            "Key `{}` is unavailable: its custom key store is disconnected.",
            res.name()
        ))
        .at("configuration.keyState", state),
        _ => Outcome::pass(format!(
            "Key `{}` has usable key material ({state}).",
            res.name()
        )),
    })
}

/// FAIL when a customer-managed key uses imported key material.
pub(crate) fn key_material_generated_by_kms(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    if !customer_managed(res)? {
        return Ok(Outcome::Skip);
    }
    let origin = res.cfg("origin").str()?.unwrap_or("AWS_KMS");
    Ok(if origin == "EXTERNAL" {
        Outcome::fail(format!(
            "Key `{}` uses key material imported from outside AWS.",
            res.name()
        ))
        .at("configuration.origin", origin)
    } else {
        Outcome::pass(format!(
            "Key `{}` material comes from {origin}.",
            res.name()
        ))
    })
}

/// FAIL when a customer-managed key has a spec listed in `weak_key_specs`.
pub(crate) fn key_spec_strong(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let weak = ctx.list("weak_key_specs")?;
    if !customer_managed(res)? {
        return Ok(Outcome::Skip);
    }
    let spec = key_spec(res)?.unwrap_or("SYMMETRIC_DEFAULT");
    Ok(if weak.iter().any(|w| w.eq_ignore_ascii_case(spec)) {
        Outcome::fail(format!(
            "Key `{}` uses the weak key spec {spec}.",
            res.name()
        ))
        .at("configuration.keySpec", spec)
    } else {
        Outcome::pass(format!("Key `{}` uses key spec {spec}.", res.name()))
    })
}

/// FAIL when a customer-managed key is a multi-Region key.
pub(crate) fn key_single_region(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    if !customer_managed(res)? {
        return Ok(Outcome::Skip);
    }
    Ok(if res.cfg("multiRegion").bool()? == Some(true) {
        Outcome::fail(format!(
            "Key `{}` is a multi-Region key: its material can be replicated to other Regions.",
            res.name()
        ))
        .at("configuration.multiRegion", true)
    } else {
        Outcome::pass(format!("Key `{}` is a single-Region key.", res.name()))
    })
}

const POLICY: &str = "supplementary.KeyPolicy";

/// FAIL when the key policy allows anyone without a narrowing condition.
pub(crate) fn key_policy_not_public(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let doc = res.json_text(POLICY)?;
    Ok(policy::no_public_statement(res, POLICY, "Key", doc))
}

/// FAIL when the key policy lets principals of accounts outside
/// `trusted_account_ids` use or manage the key.
pub(crate) fn key_policy_no_cross_account_access(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let trusted = ctx.list("trusted_account_ids")?;
    let doc = res.json_text(POLICY)?;
    Ok(policy::no_foreign_account(
        res, POLICY, "Key", doc, &trusted,
    ))
}

const ADMIN_ACTIONS: [&str; 2] = ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"];
const USE_ACTIONS: [&str; 3] = ["kms:Decrypt", "kms:Sign", "kms:GenerateMac"];

/// True for a whole account (`arn:...:root` or a bare id): the statement
/// delegates to that account's IAM policies rather than naming a principal.
/// Other accounts are the cross-account check's concern.
fn is_account_root(principal: &str) -> bool {
    (principal.len() == 12 && principal.chars().all(|c| c.is_ascii_digit()))
        || (principal.starts_with("arn:") && principal.ends_with(":root"))
}

/// FAIL when one named principal may both administer the key (change its
/// policy, schedule its deletion) and use it to decrypt or sign.
pub(crate) fn key_policy_separates_admin_and_use(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    if !customer_managed(res)? {
        return Ok(Outcome::Skip);
    }
    let Some(doc) = res.json_text(POLICY)? else {
        return Ok(Outcome::pass(format!(
            "Key `{}` has no key policy statements.",
            res.name()
        )));
    };
    let statements = policy::statements(&doc);
    let mut principals: Vec<&str> = statements
        .iter()
        .filter(|s| s.allow)
        .flat_map(|s| s.principals.iter())
        .filter(|(kind, p)| kind == "AWS" && p != "*" && !is_account_root(p))
        .map(|(_, p)| p.as_str())
        .collect();
    principals.sort_unstable();
    principals.dedup();
    let grants = |principal: &str, action: &str| {
        statements.iter().any(|s| {
            s.allow
                && s.principals
                    .iter()
                    .any(|(kind, p)| kind == "AWS" && p == principal)
                && s.covers_action(action)
        })
    };
    let both: Vec<&str> = principals
        .into_iter()
        .filter(|p| {
            ADMIN_ACTIONS.iter().any(|a| grants(p, a)) && USE_ACTIONS.iter().any(|a| grants(p, a))
        })
        .collect();
    Ok(if both.is_empty() {
        Outcome::pass(format!(
            "No principal named in key `{}` policy both administers and uses the key.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Key `{}` policy lets {} both administer and use the key.",
            res.name(),
            both.join(", ")
        ))
        .at(POLICY, doc)
    })
}

/// True when the condition ties a service principal to a caller: the
/// general narrowing keys, or an encryption context naming the resource.
fn service_scoped(s: &Statement) -> bool {
    if s.narrowed() {
        return true;
    }
    let Value::Object(ops) = &s.condition else {
        return false;
    };
    ops.values().any(|keys| {
        keys.as_object().is_some_and(|m| {
            m.keys()
                .any(|k| k.to_ascii_lowercase().starts_with("kms:encryptioncontext:"))
        })
    })
}

/// FAIL when a statement allows an AWS service principal with no condition
/// tying it to this account's resources (the confused-deputy problem).
pub(crate) fn key_policy_service_principals_scoped(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    if !customer_managed(res)? {
        return Ok(Outcome::Skip);
    }
    let Some(doc) = res.json_text(POLICY)? else {
        return Ok(Outcome::pass(format!(
            "Key `{}` has no key policy statements.",
            res.name()
        )));
    };
    let statements = policy::statements(&doc);
    let open: Vec<String> = statements
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.allow && s.principals.iter().any(|(kind, _)| kind == "Service") && !service_scoped(s)
        })
        .map(|(i, s)| s.label(i))
        .collect();
    Ok(if open.is_empty() {
        Outcome::pass(format!(
            "Every service grant in key `{}` policy is tied to a source or encryption context.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Key `{}` policy statement(s) {} grant a service without a source condition.",
            res.name(),
            open.join(", ")
        ))
        .at(POLICY, doc)
    })
}
