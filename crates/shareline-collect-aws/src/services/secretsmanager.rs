//! Secrets Manager: secrets with their rotation settings, KMS key, dates and
//! tags (all from `ListSecrets`), and each secret's resource policy.
//!
//! Only metadata is read. `GetSecretValue` is never called and is not among
//! the declared permissions: no secret value is read or stored.

use futures::StreamExt;
use serde_json::json;
use shareline_model::Resource;

use super::{BoxFuture, Collected, ServiceDef, policy_doc, tag_map, ts_opt};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The Secrets Manager collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "secretsmanager",
    global: false,
    resource_types: &["AWS::SecretsManager::Secret"],
    permissions: &[
        "secretsmanager:ListSecrets",
        "secretsmanager:GetResourcePolicy",
    ],
    collect: run,
};

/// How many secrets are read at once.
const SECRET_CONCURRENCY: usize = 8;

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let client = aws_sdk_secretsmanager::Client::new(&ctx.sdk);
    let mut entries = Vec::new();
    let mut pages = client.list_secrets().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CollectError::from_sdk("secretsmanager:ListSecrets", &e))?;
        entries.extend(page.secret_list().iter().cloned());
    }
    let results: Vec<Collected> = futures::stream::iter(entries)
        .map(|s| secret(ctx, &client, s))
        .buffer_unordered(SECRET_CONCURRENCY)
        .collect()
        .await;
    let mut out = Collected::default();
    for r in results {
        out.resources.extend(r.resources);
        out.gaps.extend(r.gaps);
    }
    Ok(out)
}

/// Builds one secret's resource and reads its resource policy.
async fn secret(
    ctx: &Ctx,
    client: &aws_sdk_secretsmanager::Client,
    s: aws_sdk_secretsmanager::types::SecretListEntry,
) -> Collected {
    let mut out = Collected::default();
    let Some(arn) = s.arn() else {
        return out;
    };
    let name = s.name().unwrap_or(arn);
    let mut r = Resource::new(
        &ctx.account_id,
        &ctx.region,
        "AWS::SecretsManager::Secret",
        arn,
        arn,
    );
    r.name = name.to_owned();
    r.tags = tag_map(
        s.tags()
            .iter()
            .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
    );
    let rules = s.rotation_rules();
    r.configuration = json!({
        "name": name,
        "arn": arn,
        "description": s.description(),
        "kmsKeyId": s.kms_key_id(),
        "rotationEnabled": s.rotation_enabled().unwrap_or(false),
        "rotationLambdaARN": s.rotation_lambda_arn(),
        "rotationRules": rules.map(|x| json!({
            "automaticallyAfterDays": x.automatically_after_days(),
            "duration": x.duration(),
            "scheduleExpression": x.schedule_expression(),
        })),
        "lastRotatedDate": ts_opt(s.last_rotated_date()),
        "lastAccessedDate": ts_opt(s.last_accessed_date()),
        "lastChangedDate": ts_opt(s.last_changed_date()),
        "nextRotationDate": ts_opt(s.next_rotation_date()),
        "deletedDate": ts_opt(s.deleted_date()),
        "createdDate": ts_opt(s.created_date()),
        "owningService": s.owning_service(),
        "primaryRegion": s.primary_region(),
    });

    let policy = client.get_resource_policy().secret_id(arn).send().await;
    let policy = out.sub(
        "secretsmanager:GetResourcePolicy",
        policy,
        &["ResourceNotFoundException"],
        |o| {
            o.resource_policy()
                .map_or(serde_json::Value::Null, policy_doc)
        },
    );
    r.supplementary = json!({ "ResourcePolicy": policy });
    out.resources.push(r);
    out
}
