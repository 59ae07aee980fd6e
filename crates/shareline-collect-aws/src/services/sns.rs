//! SNS: topics with their attributes, subscription count and tags.
//!
//! Configuration is the GetTopicAttributes map as AWS returns it (`TopicArn`,
//! `Owner`, `DisplayName`, `KmsMasterKeyId`, ... with string values), except
//! that the JSON-valued attributes (`Policy`, `DeliveryPolicy`,
//! `EffectiveDeliveryPolicy`, `DataProtectionPolicy`) are parsed. When the
//! attributes cannot be read, `Policy` and `KmsMasterKeyId` hold unavailable
//! markers so that checks answer UNKNOWN. Supplementary key: `Subscriptions`
//! (`{count, protocols}`; endpoints are not kept, they may be e-mail addresses
//! or phone numbers).

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::{Map, Value, json};
use shareline_model::Resource;
use shareline_model::attr::UNAVAILABLE_KEY;

use super::{BoxFuture, Collected, ServiceDef, policy_doc, tag_map};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The SNS collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "sns",
    global: false,
    resource_types: &["AWS::SNS::Topic"],
    permissions: &[
        "sns:ListTopics",
        "sns:GetTopicAttributes",
        "sns:ListSubscriptionsByTopic",
        "sns:ListTagsForResource",
    ],
    collect: run,
};

/// How many topics are read at once.
const TOPIC_CONCURRENCY: usize = 8;

/// Attributes whose values are JSON documents.
const JSON_ATTRIBUTES: &[&str] = &[
    "Policy",
    "DeliveryPolicy",
    "EffectiveDeliveryPolicy",
    "DataProtectionPolicy",
];

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let client = aws_sdk_sns::Client::new(&ctx.sdk);
    let mut arns = Vec::new();
    let mut items = client.list_topics().into_paginator().items().send();
    while let Some(t) = items.next().await {
        let t = t.map_err(|e| CollectError::from_sdk("sns:ListTopics", &e))?;
        if let Some(arn) = t.topic_arn() {
            arns.push(arn.to_owned());
        }
    }

    let results: Vec<Collected> = futures::stream::iter(arns)
        .map(|arn| topic(ctx, &client, arn))
        .buffer_unordered(TOPIC_CONCURRENCY)
        .collect()
        .await;
    let mut out = Collected::default();
    for r in results {
        out.resources.extend(r.resources);
        out.gaps.extend(r.gaps);
    }
    Ok(out)
}

/// Reads one topic's attributes, subscriptions and tags.
async fn topic(ctx: &Ctx, client: &aws_sdk_sns::Client, arn: String) -> Collected {
    let mut out = Collected::default();
    let name = arn.rsplit(':').next().unwrap_or(&arn).to_owned();
    let mut r = Resource::new(&ctx.account_id, &ctx.region, "AWS::SNS::Topic", &arn, &arn);
    r.name = name;

    let attrs = client.get_topic_attributes().topic_arn(&arn).send().await;
    let attrs = out.sub("sns:GetTopicAttributes", attrs, &[], |o| {
        let mut map: Map<String, Value> = o
            .attributes()
            .map(|a| {
                a.iter()
                    .map(|(k, v)| {
                        let value = if JSON_ATTRIBUTES.contains(&k.as_str()) {
                            policy_doc(v)
                        } else {
                            Value::String(v.clone())
                        };
                        (k.clone(), value)
                    })
                    .collect()
            })
            .unwrap_or_default();
        map.entry("TopicArn")
            .or_insert_with(|| Value::String(arn.clone()));
        Value::Object(map)
    });
    r.configuration = if attrs.get(UNAVAILABLE_KEY).is_some() {
        json!({ "TopicArn": arn, "Policy": attrs, "KmsMasterKeyId": attrs })
    } else {
        attrs
    };

    let subs = client
        .list_subscriptions_by_topic()
        .topic_arn(&arn)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let subs = out.sub("sns:ListSubscriptionsByTopic", subs, &[], |list| {
        let mut protocols: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &list {
            *protocols
                .entry(s.protocol().unwrap_or("unknown"))
                .or_default() += 1;
        }
        json!({ "count": list.len(), "protocols": protocols })
    });

    match client
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
    {
        Ok(o) => r.tags = tag_map(o.tags().iter().map(|t| (t.key(), t.value()))),
        Err(e) => out
            .gaps
            .push(CollectError::from_sdk("sns:ListTagsForResource", &e)),
    }

    r.supplementary = json!({ "Subscriptions": subs });
    out.resources.push(r);
    out
}
