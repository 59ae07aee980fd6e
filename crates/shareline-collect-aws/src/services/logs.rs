//! CloudWatch Logs: log groups with their retention, KMS key, size, data
//! protection status and class; and the metric filters defined on each group
//! (CIS monitoring checks look for filters on the CloudTrail log group).
//!
//! Metric filters are read once per region with `DescribeMetricFilters` and
//! grouped by log group into the supplementary key `MetricFilters`: a list
//! (empty when the group has none) or an unavailable marker.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::error::SdkError;
use aws_sdk_cloudwatchlogs::operation::describe_metric_filters::DescribeMetricFiltersError;
use serde_json::{Value, json};
use shareline_model::Resource;
use shareline_model::attr::UNAVAILABLE_KEY;

use super::{BoxFuture, Collected, ServiceDef, ts};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The CloudWatch Logs collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "logs",
    global: false,
    resource_types: &["AWS::Logs::LogGroup"],
    permissions: &["logs:DescribeLogGroups", "logs:DescribeMetricFilters"],
    collect: run,
};

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let client = aws_sdk_cloudwatchlogs::Client::new(&ctx.sdk);
    let mut groups = Vec::new();
    let mut pages = client.describe_log_groups().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CollectError::from_sdk("logs:DescribeLogGroups", &e))?;
        groups.extend(page.log_groups().iter().cloned());
    }
    let mut out = Collected::default();
    if groups.is_empty() {
        return Ok(out);
    }

    let filters = metric_filters(&client).await;
    let filters = out.sub("logs:DescribeMetricFilters", filters, &[], |m| json!(m));

    for g in groups {
        let Some(name) = g.log_group_name() else {
            continue;
        };
        let arn = g
            .log_group_arn()
            .map(str::to_owned)
            .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_owned()))
            .unwrap_or_else(|| {
                format!(
                    "arn:{}:logs:{}:{}:log-group:{name}",
                    ctx.partition(),
                    ctx.region,
                    ctx.account_id
                )
            });
        let mut r = Resource::new(
            &ctx.account_id,
            &ctx.region,
            "AWS::Logs::LogGroup",
            name,
            &arn,
        );
        r.configuration = json!({
            "logGroupName": name,
            "arn": g.arn(),
            // Null: events never expire.
            "retentionInDays": g.retention_in_days(),
            "kmsKeyId": g.kms_key_id(),
            "storedBytes": g.stored_bytes(),
            "creationTime": g
                .creation_time()
                .map_or(Value::Null, |ms| ts(&aws_smithy_types::DateTime::from_millis(ms))),
            "metricFilterCount": g.metric_filter_count(),
            "dataProtectionStatus": g.data_protection_status().map(|s| s.as_str().to_owned()),
            "logGroupClass": g.log_group_class().map(|c| c.as_str().to_owned()),
            "deletionProtectionEnabled": g.deletion_protection_enabled(),
        });
        r.supplementary = json!({ "MetricFilters": for_group(&filters, name) });
        out.resources.push(r);
    }
    Ok(out)
}

/// Reads every metric filter of the region, grouped by log group name.
async fn metric_filters(
    client: &aws_sdk_cloudwatchlogs::Client,
) -> Result<BTreeMap<String, Vec<Value>>, SdkError<DescribeMetricFiltersError>> {
    let mut by_group: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut pages = client.describe_metric_filters().into_paginator().send();
    while let Some(page) = pages.next().await {
        for f in page?.metric_filters() {
            let Some(group) = f.log_group_name() else {
                continue;
            };
            let transformations: Vec<Value> = f
                .metric_transformations()
                .iter()
                .map(|t| {
                    json!({
                        "metricName": t.metric_name(),
                        "metricNamespace": t.metric_namespace(),
                        "metricValue": t.metric_value(),
                    })
                })
                .collect();
            by_group.entry(group.to_owned()).or_default().push(json!({
                "filterName": f.filter_name(),
                "filterPattern": f.filter_pattern(),
                "metricTransformations": transformations,
            }));
        }
    }
    Ok(by_group)
}

/// Picks one group's filters out of the region's answer: its list, an empty
/// list when it has none, or the region's unavailable marker.
fn for_group(all: &Value, group: &str) -> Value {
    if all.get(UNAVAILABLE_KEY).is_some() {
        return all.clone();
    }
    all.get(group).cloned().unwrap_or_else(|| json!([]))
}
