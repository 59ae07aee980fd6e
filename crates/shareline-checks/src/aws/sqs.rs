//! Predicates for `catalog/checks/aws/sqs/`.
//!
//! Queue attributes are text (`"345600"`, `"true"`) except `Policy`,
//! `RedrivePolicy` and `RedriveAllowPolicy`, which the collector parses (AWS
//! Config snapshots may still carry them as JSON text; both are accepted).

use serde_json::Value;

use super::sns::{
    KeyManager, attributes_read, cross_account_restricted, key_manager, not_public, requires_tls,
};
#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};

const QUEUE: &str = "AWS::SQS::Queue";

/// FAIL when a queue policy statement is open to anyone.
pub(crate) fn queue_policy_not_public(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    not_public(res, "Queue")
}

/// FAIL when a queue policy grants another account access with no condition.
pub(crate) fn queue_policy_cross_account_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    cross_account_restricted(res, ctx, "Queue")
}

/// FAIL unless the queue policy denies sending and receiving without TLS.
pub(crate) fn queue_requires_tls(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    requires_tls(res, "Queue", &["sqs:SendMessage", "sqs:ReceiveMessage"])
}

/// FAIL when an encrypted queue uses SSE-SQS or the AWS managed key
/// `alias/aws/sqs` instead of a customer managed key. Unencrypted queues are
/// left to `queue_encrypted`.
pub(crate) fn queue_encrypted_with_customer_key(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let field = "configuration.KmsMasterKeyId";
    let key = res.get(field).str()?.filter(|k| !k.is_empty());
    let Some(key) = key else {
        let sse_sqs = res.cfg("SqsManagedSseEnabled").bool()? == Some(true);
        return Ok(if sse_sqs {
            Outcome::fail(format!(
                "Queue `{}` is encrypted with SQS owned keys (SSE-SQS), not a KMS key you control.",
                res.name()
            ))
            .at("configuration.SqsManagedSseEnabled", "true")
        } else {
            Outcome::Skip
        });
    };
    Ok(match key_manager(view, res, key)? {
        KeyManager::Customer => Outcome::pass(format!(
            "Queue `{}` is encrypted with customer managed key {key}.",
            res.name()
        )),
        KeyManager::Aws => Outcome::fail(format!(
            "Queue `{}` is encrypted with the AWS managed key {key}, whose policy cannot restrict who decrypts.",
            res.name()
        ))
        .at(field, key),
    })
}

/// A queue's redrive policy, parsed.
fn json_attr(res: &Res<'_>, name: &str) -> Result<Option<Value>, Stop> {
    res.json_text(&format!("configuration.{name}"))
}

/// The dead-letter queue ARN a queue sends failed messages to. Reads the
/// parsed policy in place; only JSON text (snapshot form) is parsed.
fn dead_letter_target(res: &Res<'_>) -> Result<Option<String>, Stop> {
    let target = |p: &Value| {
        p.get("deadLetterTargetArn")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(match res.cfg("RedrivePolicy").opt()? {
        None => None,
        Some(Value::String(_)) => json_attr(res, "RedrivePolicy")?.as_ref().and_then(target),
        Some(policy) => target(policy),
    })
}

/// Why a queue counts as a dead-letter queue, if it does.
fn dead_letter_role(
    res: &Res<'_>,
    view: &AccountView<'_>,
    suffixes: &[&str],
) -> Result<Option<String>, Stop> {
    // A source whose attributes are unreadable cannot tell; ignore it.
    let target_of = |q: &Res<'_>| Ok(dead_letter_target(q).ok().flatten().into_iter().collect());
    let sources = view.filed(
        "sqs dead-letter target",
        &[QUEUE],
        target_of,
        res.arn(),
        |q| q.arn() != res.arn(),
    )?;
    if let Some(source) = sources.first() {
        return Ok(Some(format!("dead-letter queue of `{}`", source.name())));
    }
    if let Some(allow) = json_attr(res, "RedriveAllowPolicy")?
        && let Some(permission) = allow.get("redrivePermission").and_then(Value::as_str)
        && !permission.eq_ignore_ascii_case("denyAll")
    {
        return Ok(Some(format!(
            "allows redrive from other queues ({permission})"
        )));
    }
    let name = res.name().to_ascii_lowercase();
    let name = name.strip_suffix(".fifo").unwrap_or(&name);
    if let Some(suffix) = suffixes
        .iter()
        .find(|s| name.ends_with(&s.to_ascii_lowercase()))
    {
        return Ok(Some(format!("named like a dead-letter queue (`{suffix}`)")));
    }
    Ok(None)
}

/// FAIL when a queue that is not itself a dead-letter queue has no
/// dead-letter queue.
pub(crate) fn queue_dead_letter_queue_configured(
    res: &Res<'_>,
    view: &AccountView<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    let suffixes = ctx.list("dead_letter_name_suffixes")?;
    attributes_read(res)?;
    if let Some(target) = dead_letter_target(res)? {
        return Ok(Outcome::pass(format!(
            "Queue `{}` moves messages that keep failing to {target}.",
            res.name()
        )));
    }
    if dead_letter_role(res, view, &suffixes)?.is_some() {
        return Ok(Outcome::Skip);
    }
    Ok(Outcome::fail(format!(
        "Queue `{}` has no dead-letter queue: messages that keep failing are retried until they expire.",
        res.name()
    ))
    .at("configuration.RedrivePolicy", Value::Null))
}

/// FAIL when a standard queue's dead-letter queue keeps messages no longer
/// than the queue itself: a message's age counts from its first enqueue, so
/// it can expire in the dead-letter queue almost at once.
pub(crate) fn queue_dead_letter_retention_longer(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    attributes_read(res)?;
    if res.cfg("FifoQueue").bool()? == Some(true) {
        // FIFO queues reset the enqueue time when a message is moved.
        return Ok(Outcome::Skip);
    }
    let Some(target) = dead_letter_target(res)? else {
        return Ok(Outcome::Skip);
    };
    let Some(dlq) = view.by_arn(&target) else {
        return Err(Stop::Unknown(format!(
            "dead-letter queue {target} of `{}` is not in this account's inventory",
            res.name()
        )));
    };
    let field = "configuration.MessageRetentionPeriod";
    let (Some(own), Some(theirs)) = (res.get(field).f64()?, dlq.get(field).f64()?) else {
        return Err(Stop::Unknown(format!(
            "the retention period of `{}` or of its dead-letter queue was not reported",
            res.name()
        )));
    };
    let days = |s: f64| s / 86_400.0;
    Ok(if theirs > own {
        Outcome::pass(format!(
            "Dead-letter queue `{}` keeps messages {:.1} days, longer than `{}` ({:.1} days).",
            dlq.name(),
            days(theirs),
            res.name(),
            days(own)
        ))
    } else {
        Outcome::fail(format!(
            "Dead-letter queue `{}` keeps messages {:.1} days, not longer than its source `{}` ({:.1} days): moved messages may expire at once.",
            dlq.name(),
            days(theirs),
            res.name(),
            days(own)
        ))
        .at(field, res.get(field).opt()?.cloned().unwrap_or_default())
    })
}
