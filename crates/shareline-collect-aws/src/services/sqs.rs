//! SQS: queues with all their attributes and tags.
//!
//! Configuration is the GetQueueAttributes(All) map as AWS returns it
//! (`QueueArn`, `KmsMasterKeyId`, `SqsManagedSseEnabled`, `VisibilityTimeout`,
//! ... with string values) plus `QueueUrl`; the JSON-valued attributes
//! (`Policy`, `RedrivePolicy`, `RedriveAllowPolicy`) are parsed. When the
//! attributes cannot be read, the security-relevant ones hold unavailable
//! markers so that checks answer UNKNOWN.

use futures::StreamExt;
use serde_json::{Map, Value, json};
use shareline_model::Resource;
use shareline_model::attr::UNAVAILABLE_KEY;

use super::{BoxFuture, Collected, ServiceDef, policy_doc, tag_map};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The SQS collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "sqs",
    global: false,
    resource_types: &["AWS::SQS::Queue"],
    permissions: &[
        "sqs:ListQueues",
        "sqs:GetQueueAttributes",
        "sqs:ListQueueTags",
    ],
    collect: run,
};

/// How many queues are read at once.
const QUEUE_CONCURRENCY: usize = 8;

/// Attributes whose values are JSON documents.
const JSON_ATTRIBUTES: &[&str] = &["Policy", "RedrivePolicy", "RedriveAllowPolicy"];

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let client = aws_sdk_sqs::Client::new(&ctx.sdk);
    let mut urls = Vec::new();
    let mut items = client.list_queues().into_paginator().items().send();
    while let Some(url) = items.next().await {
        urls.push(url.map_err(|e| CollectError::from_sdk("sqs:ListQueues", &e))?);
    }

    let results: Vec<Collected> = futures::stream::iter(urls)
        .map(|url| queue(ctx, &client, url))
        .buffer_unordered(QUEUE_CONCURRENCY)
        .collect()
        .await;
    let mut out = Collected::default();
    for r in results {
        out.resources.extend(r.resources);
        out.gaps.extend(r.gaps);
    }
    Ok(out)
}

/// Reads one queue's attributes and tags.
async fn queue(ctx: &Ctx, client: &aws_sdk_sqs::Client, url: String) -> Collected {
    let mut out = Collected::default();
    let name = url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(&url)
        .to_owned();

    let attrs = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await;
    let attrs = out.sub(
        "sqs:GetQueueAttributes",
        attrs,
        &[
            "AWS.SimpleQueueService.NonExistentQueue",
            "QueueDoesNotExist",
        ],
        |o| {
            let map: Map<String, Value> = o
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| {
                            let key = k.as_str();
                            let value = if JSON_ATTRIBUTES.contains(&key) {
                                policy_doc(v)
                            } else {
                                Value::String(v.clone())
                            };
                            (key.to_owned(), value)
                        })
                        .collect()
                })
                .unwrap_or_default();
            Value::Object(map)
        },
    );
    if attrs.is_null() {
        // Deleted between listing and reading: nothing to record.
        return out;
    }
    let mut configuration = if attrs.get(UNAVAILABLE_KEY).is_some() {
        json!({
            "Policy": attrs,
            "KmsMasterKeyId": attrs,
            "SqsManagedSseEnabled": attrs,
        })
    } else {
        attrs
    };
    let arn = configuration
        .get("QueueArn")
        .and_then(Value::as_str)
        .map_or_else(
            || {
                format!(
                    "arn:{}:sqs:{}:{}:{name}",
                    ctx.partition(),
                    ctx.region,
                    ctx.account_id
                )
            },
            str::to_owned,
        );
    if let Value::Object(map) = &mut configuration {
        map.insert("QueueUrl".to_owned(), Value::String(url.clone()));
        map.entry("QueueArn")
            .or_insert_with(|| Value::String(arn.clone()));
    }
    let mut r = Resource::new(&ctx.account_id, &ctx.region, "AWS::SQS::Queue", &url, &arn);
    r.name = name;
    r.configuration = configuration;

    match client.list_queue_tags().queue_url(&url).send().await {
        Ok(o) => {
            if let Some(t) = o.tags() {
                r.tags = tag_map(t.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            }
        }
        Err(e) => out
            .gaps
            .push(CollectError::from_sdk("sqs:ListQueueTags", &e)),
    }

    r.supplementary = json!({});
    out.resources.push(r);
    out
}
