//! Predicates for `catalog/checks/aws/sns/`, and the policy and KMS helpers
//! that SQS shares (both services carry a resource policy in
//! `configuration.Policy` and a key in `configuration.KmsMasterKeyId`).
//!
//! Topic attributes are text (`"3"`, `"true"`) except the JSON-valued ones
//! (`Policy`, `DeliveryPolicy`, ...), which the collector parses.
//! `supplementary.Subscriptions` is `{count, protocols}`.

use serde_json::Value;

use crate::policy::{self, Statement};
#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};

pub(crate) const POLICY_FIELD: &str = "configuration.Policy";

// ---- shared with sqs ------------------------------------------------------------

/// The resource policy, parsed (`None` when there is none).
///
/// # Errors
/// UNKNOWN when the attributes could not be read; ERROR when it is not JSON.
pub(crate) fn resource_policy(res: &Res<'_>) -> Result<Option<(Value, Vec<Statement>)>, Stop> {
    Ok(res.json_text(POLICY_FIELD)?.map(|doc| {
        let statements = policy::statements(&doc);
        (doc, statements)
    }))
}

/// FAIL when an Allow statement grants anyone access with no narrowing
/// condition.
pub(crate) fn not_public(res: &Res<'_>, kind: &str) -> Verdict {
    let doc = resource_policy(res)?.map(|(doc, _)| doc);
    Ok(policy::no_public_statement(res, POLICY_FIELD, kind, doc))
}

/// FAIL when an Allow statement names another AWS account (not in
/// `trusted_account_ids`) without a condition that narrows the callers.
pub(crate) fn cross_account_restricted(res: &Res<'_>, ctx: &Ctx<'_>, kind: &str) -> Verdict {
    let trusted = ctx.list("trusted_account_ids")?;
    let Some((doc, statements)) = resource_policy(res)? else {
        return Ok(Outcome::pass(format!(
            "{kind} `{}` has no access policy.",
            res.name()
        )));
    };
    let own = res.account_id();
    for (i, s) in statements.iter().enumerate() {
        if !s.allow || s.narrowed() {
            continue;
        }
        let foreign: Vec<String> = s
            .principal_accounts()
            .into_iter()
            .filter(|a| a != own && !trusted.contains(&a.as_str()))
            .collect();
        if !foreign.is_empty() {
            return Ok(Outcome::fail(format!(
                "{kind} `{}` policy statement {} grants {} to account(s) {} with no condition.",
                res.name(),
                s.label(i),
                s.actions.join(", "),
                foreign.join(", ")
            ))
            .at(POLICY_FIELD, doc));
        }
    }
    Ok(Outcome::pass(format!(
        "{kind} `{}` grants no untrusted account unconditional access.",
        res.name()
    )))
}

/// FAIL unless a Deny statement for everyone refuses requests made without
/// TLS for each of `actions`.
pub(crate) fn requires_tls(res: &Res<'_>, kind: &str, actions: &[&str]) -> Verdict {
    let Some((doc, statements)) = resource_policy(res)? else {
        return Ok(Outcome::fail(format!(
            "{kind} `{}` has no policy, so nothing refuses requests made without TLS.",
            res.name()
        ))
        .at(POLICY_FIELD, Value::Null));
    };
    let uncovered: Vec<&str> = actions
        .iter()
        .copied()
        .filter(|a| {
            !statements
                .iter()
                .any(|s| s.denies_insecure_transport() && s.anyone() && s.covers_action(a))
        })
        .collect();
    Ok(if uncovered.is_empty() {
        Outcome::pass(format!(
            "{kind} `{}` refuses requests that do not use TLS.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "{kind} `{}` policy does not deny {} over plain HTTP (no `aws:SecureTransport` = false Deny).",
            res.name(),
            uncovered.join(", ")
        ))
        .at(POLICY_FIELD, doc)
    })
}

/// UNKNOWN when GetTopicAttributes / GetQueueAttributes failed: the
/// collector then keeps only unavailable markers in `Policy` and the key
/// fields, and every other attribute is missing rather than unset.
///
/// # Errors
/// [`Stop::Unknown`] when the attributes could not be read.
pub(crate) fn attributes_read(res: &Res<'_>) -> Result<(), Stop> {
    res.cfg("Policy").opt().map(|_| ())
}

/// Who manages a KMS key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyManager {
    /// An AWS managed key (`alias/aws/...`): its policy cannot be changed.
    Aws,
    /// A customer managed key.
    Customer,
}

/// Resolves a `KmsMasterKeyId` (alias, alias ARN, key id or key ARN) to who
/// manages the key, looking key ids up among the account's KMS keys.
///
/// # Errors
/// UNKNOWN when the key is not in the inventory or could not be described.
pub(crate) fn key_manager(
    view: &AccountView<'_>,
    res: &Res<'_>,
    key: &str,
) -> Result<KeyManager, Stop> {
    // `alias/x` or `arn:aws:kms:region:account:alias/x`.
    let alias = key
        .find("alias/")
        .and_then(|i| key.get(i..))
        .filter(|_| key.starts_with("alias/") || key.contains(":alias/"));
    if let Some(alias) = alias {
        return Ok(if alias.starts_with("alias/aws/") {
            KeyManager::Aws
        } else {
            KeyManager::Customer
        });
    }
    let id = key.rsplit('/').next().unwrap_or(key);
    let found = view.by_arn(key).or_else(|| {
        view.of_type("AWS::KMS::Key")
            .find(|k| k.id() == id && k.region() == res.region())
    });
    let Some(k) = found else {
        return Err(Stop::Unknown(format!(
            "KMS key {key} of `{}` is not in this account's inventory",
            res.name()
        )));
    };
    if let Some(marker) = k.cfg("keyMetadata").opt()? {
        return Err(Stop::error(format!(
            "KMS key {key} has unexpected keyMetadata {marker}"
        )));
    }
    match k.cfg("keyManager").str()? {
        Some(m) if m.eq_ignore_ascii_case("AWS") => Ok(KeyManager::Aws),
        Some(_) => Ok(KeyManager::Customer),
        None => Err(Stop::Unknown(format!(
            "KMS key {key} of `{}` has no recorded key manager",
            res.name()
        ))),
    }
}

// ---- SNS checks ---------------------------------------------------------------

/// FAIL when a topic policy statement is open to anyone.
pub(crate) fn topic_policy_not_public(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    not_public(res, "Topic")
}

/// FAIL when a topic policy grants another account access with no condition.
pub(crate) fn topic_policy_cross_account_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    cross_account_restricted(res, ctx, "Topic")
}

/// FAIL unless the topic policy denies publishing and subscribing without TLS.
pub(crate) fn topic_requires_tls(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    requires_tls(res, "Topic", &["sns:Publish", "sns:Subscribe"])
}

/// FAIL when the topic is encrypted with the AWS managed key `alias/aws/sns`
/// rather than a customer managed key. Unencrypted topics are left to
/// `topic_encrypted_at_rest`.
pub(crate) fn topic_encrypted_with_customer_key(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let field = "configuration.KmsMasterKeyId";
    let Some(key) = res.get(field).str()?.filter(|k| !k.is_empty()) else {
        return Ok(Outcome::Skip);
    };
    Ok(match key_manager(view, res, key)? {
        KeyManager::Customer => Outcome::pass(format!(
            "Topic `{}` is encrypted with customer managed key {key}.",
            res.name()
        )),
        KeyManager::Aws => Outcome::fail(format!(
            "Topic `{}` is encrypted with the AWS managed key {key}, whose policy cannot restrict who decrypts.",
            res.name()
        ))
        .at(field, key),
    })
}

/// Subscription protocols and the attribute that logs their delivery status.
const FEEDBACK: [(&str, &str); 6] = [
    ("application", "ApplicationFailureFeedbackRoleArn"),
    ("http", "HTTPFailureFeedbackRoleArn"),
    ("https", "HTTPFailureFeedbackRoleArn"),
    ("lambda", "LambdaFailureFeedbackRoleArn"),
    ("sqs", "SQSFailureFeedbackRoleArn"),
    ("firehose", "FirehoseFailureFeedbackRoleArn"),
];

/// FAIL when the topic has subscriptions of a protocol whose delivery status
/// it does not log to CloudWatch Logs. Topics with only e-mail or SMS
/// subscriptions (or none) are skipped.
pub(crate) fn topic_delivery_status_logging(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    attributes_read(res)?;
    let Some(subs) = res.sup("Subscriptions").opt()? else {
        return Err(Stop::Unknown(format!(
            "the subscriptions of topic `{}` were not collected",
            res.name()
        )));
    };
    let protocols = subs.get("protocols").and_then(Value::as_object);
    let mut used = Vec::new();
    let mut missing = Vec::new();
    for (protocol, attribute) in FEEDBACK {
        let count = protocols
            .and_then(|p| p.get(protocol))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if count == 0 {
            continue;
        }
        used.push(protocol);
        let set = res
            .cfg(attribute)
            .str()?
            .is_some_and(|v| !v.trim().is_empty());
        if !set {
            missing.push(format!("{protocol} (no {attribute})"));
        }
    }
    if used.is_empty() {
        return Ok(Outcome::Skip);
    }
    Ok(if missing.is_empty() {
        Outcome::pass(format!(
            "Topic `{}` logs the delivery status of its {} subscriptions.",
            res.name(),
            used.join(", ")
        ))
    } else {
        Outcome::fail(format!(
            "Topic `{}` does not log failed deliveries to {}.",
            res.name(),
            missing.join(", ")
        ))
        .at("supplementary.Subscriptions", subs.clone())
    })
}

/// FAIL when the topic has no confirmed subscription: nothing receives what
/// is published to it.
pub(crate) fn topic_has_subscriptions(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    attributes_read(res)?;
    let confirmed = "configuration.SubscriptionsConfirmed";
    let listed = "supplementary.Subscriptions.count";
    let (count, field) = match res.get(confirmed).f64()? {
        Some(n) => (n, confirmed),
        None => match res.get(listed).f64()? {
            Some(n) => (n, listed),
            None => {
                return Err(Stop::Unknown(format!(
                    "the subscriptions of topic `{}` were not reported",
                    res.name()
                )));
            }
        },
    };
    Ok(if count >= 1.0 {
        Outcome::pass(format!(
            "Topic `{}` has {count} subscription(s).",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "Topic `{}` has no subscriptions: messages published to it reach nobody.",
            res.name()
        ))
        .at(field, res.get(field).opt()?.cloned().unwrap_or_default())
    })
}
