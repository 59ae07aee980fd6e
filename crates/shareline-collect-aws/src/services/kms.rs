//! KMS: keys with their metadata, aliases, rotation status, key policy and
//! tags.
//!
//! Configuration follows the `KeyMetadata` that AWS Config records for
//! `AWS::KMS::Key`, in lowerCamelCase. Supplementary keys: `KeyRotationStatus`
//! (customer-managed symmetric keys only; null for every other key, where
//! rotation cannot be configured) and `KeyPolicy` (the `default` policy, parsed).

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use serde_json::{Value, json};
use shareline_model::Resource;

use super::{BoxFuture, Collected, ServiceDef, policy_doc, tag_map, ts_opt};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The KMS collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "kms",
    global: false,
    resource_types: &["AWS::KMS::Key"],
    permissions: &[
        "kms:ListKeys",
        "kms:ListAliases",
        "kms:DescribeKey",
        "kms:GetKeyRotationStatus",
        "kms:GetKeyPolicy",
        "kms:ListResourceTags",
    ],
    collect: run,
};

/// How many keys are read at once.
const KEY_CONCURRENCY: usize = 8;

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let client = aws_sdk_kms::Client::new(&ctx.sdk);
    let mut keys = Vec::new();
    let mut items = client.list_keys().into_paginator().items().send();
    while let Some(item) = items.next().await {
        let item = item.map_err(|e| CollectError::from_sdk("kms:ListKeys", &e))?;
        if let Some(id) = item.key_id() {
            keys.push((id.to_owned(), item.key_arn().map(str::to_owned)));
        }
    }

    let mut out = Collected::default();
    let aliases = aliases(&client, &mut out).await;

    let results: Vec<Collected> = futures::stream::iter(keys)
        .map(|(id, arn)| {
            let names = match &aliases {
                Ok(by_key) => Ok(by_key.get(&id).cloned().unwrap_or_default()),
                Err(marker) => Err(marker.clone()),
            };
            key(ctx, &client, id, arn, names)
        })
        .buffer_unordered(KEY_CONCURRENCY)
        .collect()
        .await;
    for r in results {
        out.resources.extend(r.resources);
        out.gaps.extend(r.gaps);
    }
    Ok(out)
}

/// Reads every alias, grouped by the key it points at. A failure is recorded
/// as a gap and gives the unavailable marker every key's `aliases` carries.
async fn aliases(
    client: &aws_sdk_kms::Client,
    out: &mut Collected,
) -> Result<BTreeMap<String, BTreeSet<String>>, Value> {
    let mut by_key: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut items = client.list_aliases().into_paginator().items().send();
    while let Some(item) = items.next().await {
        match item {
            Ok(a) => {
                if let (Some(key), Some(name)) = (a.target_key_id(), a.alias_name()) {
                    by_key
                        .entry(key.to_owned())
                        .or_default()
                        .insert(name.to_owned());
                }
            }
            Err(e) => {
                let err = CollectError::from_sdk("kms:ListAliases", &e);
                let marker = shareline_model::attr::unavailable(
                    "kms:ListAliases",
                    err.code.as_deref(),
                    &err.message,
                );
                out.gaps.push(err);
                return Err(marker);
            }
        }
    }
    Ok(by_key)
}

/// Reads one key; failing extra calls become unavailable markers.
async fn key(
    ctx: &Ctx,
    client: &aws_sdk_kms::Client,
    id: String,
    listed_arn: Option<String>,
    aliases: Result<BTreeSet<String>, Value>,
) -> Collected {
    let mut out = Collected::default();
    let arn = listed_arn.unwrap_or_else(|| {
        format!(
            "arn:{}:kms:{}:{}:key/{id}",
            ctx.partition(),
            ctx.region,
            ctx.account_id
        )
    });
    let mut r = Resource::new(&ctx.account_id, &ctx.region, "AWS::KMS::Key", &id, &arn);
    if let Some(first) = aliases.as_ref().ok().and_then(|a| a.iter().next()) {
        r.name.clone_from(first);
    }
    // The names, or the marker saying they could not be listed.
    let alias_list: Value = match &aliases {
        Ok(names) => json!(names.iter().collect::<Vec<_>>()),
        Err(marker) => marker.clone(),
    };

    let described = client.describe_key().key_id(&id).send().await;
    // Customer-managed symmetric keys are the only ones whose rotation and
    // tags can be set; `None` when the key could not be described.
    let mut customer = None;
    let mut symmetric = None;
    match described {
        Ok(o) => {
            if let Some(m) = o.key_metadata() {
                customer = Some(m.key_manager().is_some_and(|k| k.as_str() == "CUSTOMER"));
                symmetric = Some(
                    m.key_spec()
                        .is_none_or(|s| s.as_str() == "SYMMETRIC_DEFAULT"),
                );
                r.configuration = json!({
                    "keyId": m.key_id(),
                    "arn": m.arn().unwrap_or(&arn),
                    "awsAccountId": m.aws_account_id(),
                    "keyState": m.key_state().map(|s| s.as_str()),
                    "keyManager": m.key_manager().map(|s| s.as_str()),
                    "keyUsage": m.key_usage().map(|s| s.as_str()),
                    "keySpec": m.key_spec().map(|s| s.as_str()),
                    "origin": m.origin().map(|s| s.as_str()),
                    "creationDate": ts_opt(m.creation_date()),
                    "enabled": m.enabled(),
                    "deletionDate": ts_opt(m.deletion_date()),
                    "pendingDeletionWindowInDays": m.pending_deletion_window_in_days(),
                    "multiRegion": m.multi_region(),
                    "description": m.description(),
                    "customKeyStoreId": m.custom_key_store_id(),
                    "aliases": alias_list,
                });
            }
        }
        Err(e) => {
            let err = CollectError::from_sdk("kms:DescribeKey", &e);
            r.configuration = json!({
                "keyId": id,
                "arn": arn,
                "aliases": alias_list,
                "keyMetadata": shareline_model::attr::unavailable(
                    "kms:DescribeKey",
                    err.code.as_deref(),
                    &err.message,
                ),
            });
            out.gaps.push(err);
        }
    }

    let rotation = if customer == Some(false) || symmetric == Some(false) {
        Value::Null
    } else {
        let res = client.get_key_rotation_status().key_id(&id).send().await;
        out.sub(
            "kms:GetKeyRotationStatus",
            res,
            &["UnsupportedOperationException"],
            |o| {
                json!({
                    "keyRotationEnabled": o.key_rotation_enabled(),
                    "rotationPeriodInDays": o.rotation_period_in_days(),
                    "nextRotationDate": ts_opt(o.next_rotation_date()),
                })
            },
        )
    };

    let policy = client
        .get_key_policy()
        .key_id(&id)
        .policy_name("default")
        .send()
        .await;
    let policy = out.sub("kms:GetKeyPolicy", policy, &[], |o| {
        o.policy().map_or(Value::Null, policy_doc)
    });

    if customer != Some(false) {
        let tags = client
            .list_resource_tags()
            .key_id(&id)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        match tags {
            Ok(t) => r.tags = tag_map(t.iter().map(|t| (t.tag_key(), t.tag_value()))),
            Err(e) => out
                .gaps
                .push(CollectError::from_sdk("kms:ListResourceTags", &e)),
        }
    }

    r.supplementary = json!({
        "KeyRotationStatus": rotation,
        "KeyPolicy": policy,
    });
    out.resources.push(r);
    out
}
