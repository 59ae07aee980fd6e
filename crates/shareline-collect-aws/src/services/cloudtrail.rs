//! CloudTrail: the trails whose home is the region being read (shadow copies
//! of multi-region trails are left to their home region), with their logging
//! status, event selectors and tags.
//!
//! Configuration follows the `Trail` shape AWS Config records for
//! `AWS::CloudTrail::Trail`, in lowerCamelCase. Supplementary keys:
//! `TrailStatus` (GetTrailStatus) and `EventSelectors` (GetEventSelectors).

use futures::StreamExt;
use serde_json::{Value, json};
use shareline_model::Resource;

use super::{BoxFuture, Collected, ServiceDef, tag_map, ts_opt};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The CloudTrail collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "cloudtrail",
    global: false,
    resource_types: &["AWS::CloudTrail::Trail"],
    permissions: &[
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:ListTags",
    ],
    collect: run,
};

/// How many trails are read at once.
const TRAIL_CONCURRENCY: usize = 8;

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let client = aws_sdk_cloudtrail::Client::new(&ctx.sdk);
    // DescribeTrails is not paginated: it returns every trail at once.
    let trails = client
        .describe_trails()
        .include_shadow_trails(false)
        .send()
        .await
        .map_err(|e| CollectError::from_sdk("cloudtrail:DescribeTrails", &e))?
        .trail_list
        .unwrap_or_default();

    let results: Vec<Collected> = futures::stream::iter(trails)
        .map(|t| trail(ctx, &client, t))
        .buffer_unordered(TRAIL_CONCURRENCY)
        .collect()
        .await;
    let mut out = Collected::default();
    for r in results {
        out.resources.extend(r.resources);
        out.gaps.extend(r.gaps);
    }
    Ok(out)
}

/// Reads one trail's status, selectors and tags.
async fn trail(
    ctx: &Ctx,
    client: &aws_sdk_cloudtrail::Client,
    t: aws_sdk_cloudtrail::types::Trail,
) -> Collected {
    let mut out = Collected::default();
    let arn_name = t.trail_arn().and_then(|a| a.rsplit('/').next());
    let name = t.name().or(arn_name).unwrap_or_default().to_owned();
    let region = t.home_region().unwrap_or(&ctx.region).to_owned();
    let arn = t.trail_arn().map_or_else(
        || {
            format!(
                "arn:{}:cloudtrail:{region}:{}:trail/{name}",
                ctx.partition(),
                ctx.account_id
            )
        },
        str::to_owned,
    );
    let mut r = Resource::new(
        &ctx.account_id,
        &region,
        "AWS::CloudTrail::Trail",
        &name,
        &arn,
    );
    r.configuration = json!({
        "name": name,
        "trailARN": arn,
        "homeRegion": region,
        "s3BucketName": t.s3_bucket_name(),
        "s3KeyPrefix": t.s3_key_prefix(),
        "snsTopicARN": t.sns_topic_arn(),
        "isMultiRegionTrail": t.is_multi_region_trail(),
        "includeGlobalServiceEvents": t.include_global_service_events(),
        "logFileValidationEnabled": t.log_file_validation_enabled(),
        "kmsKeyId": t.kms_key_id(),
        "cloudWatchLogsLogGroupArn": t.cloud_watch_logs_log_group_arn(),
        "cloudWatchLogsRoleArn": t.cloud_watch_logs_role_arn(),
        "isOrganizationTrail": t.is_organization_trail(),
        "hasCustomEventSelectors": t.has_custom_event_selectors(),
        "hasInsightSelectors": t.has_insight_selectors(),
    });

    // The ARN, not the name: organization trails are only found by ARN.
    let status = client.get_trail_status().name(&arn).send().await;
    let status = out.sub("cloudtrail:GetTrailStatus", status, &[], |o| {
        json!({
            "isLogging": o.is_logging(),
            "latestDeliveryTime": ts_opt(o.latest_delivery_time()),
            "latestDeliveryError": o.latest_delivery_error(),
            "latestCloudWatchLogsDeliveryError": o.latest_cloud_watch_logs_delivery_error(),
            "startLoggingTime": ts_opt(o.start_logging_time()),
            "stopLoggingTime": ts_opt(o.stop_logging_time()),
        })
    });

    let selectors = client.get_event_selectors().trail_name(&arn).send().await;
    let selectors = out.sub("cloudtrail:GetEventSelectors", selectors, &[], |o| {
        let basic: Vec<Value> = o
            .event_selectors()
            .iter()
            .map(|s| {
                json!({
                    "readWriteType": s.read_write_type().map(|x| x.as_str()),
                    "includeManagementEvents": s.include_management_events(),
                    "dataResources": s.data_resources().iter().map(|d| json!({
                        "type": d.r#type(),
                        "values": d.values(),
                    })).collect::<Vec<_>>(),
                    "excludeManagementEventSources": s.exclude_management_event_sources(),
                })
            })
            .collect();
        let advanced: Vec<Value> = o
            .advanced_event_selectors()
            .iter()
            .map(|s| {
                json!({
                    "name": s.name(),
                    "fieldSelectors": s.field_selectors().iter().map(|f| json!({
                        "field": f.field(),
                        "equals": f.equals(),
                        "startsWith": f.starts_with(),
                        "endsWith": f.ends_with(),
                        "notEquals": f.not_equals(),
                        "notStartsWith": f.not_starts_with(),
                        "notEndsWith": f.not_ends_with(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({ "eventSelectors": basic, "advancedEventSelectors": advanced })
    });

    let tags = client
        .list_tags()
        .resource_id_list(&arn)
        .into_paginator()
        .send()
        .try_collect()
        .await;
    match tags {
        Ok(pages) => {
            r.tags = tag_map(
                pages
                    .iter()
                    .flat_map(|p| p.resource_tag_list())
                    .flat_map(|rt| rt.tags_list())
                    .map(|t| (t.key(), t.value().unwrap_or_default())),
            );
        }
        Err(e) => {
            let err = CollectError::from_sdk("cloudtrail:ListTags", &e);
            if !err.has_code(&["CloudTrailARNInvalidException"]) {
                out.gaps.push(err);
            }
        }
    }

    r.supplementary = json!({ "TrailStatus": status, "EventSelectors": selectors });
    out.resources.push(r);
    out
}
