//! AWS Config: configuration recorders with their recording group and mode;
//! each recorder's status (`DescribeConfigurationRecorderStatus`) and the
//! region's delivery channel (`DescribeDeliveryChannels`) go into the
//! supplementary keys `ConfigurationRecorderStatus` and `DeliveryChannel`.
//!
//! A region without a recorder yields nothing: checks decide on absence at
//! account level. Status and delivery channels are read once per region; a
//! failure puts the unavailable marker into every recorder's key.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use shareline_model::Resource;
use shareline_model::attr::UNAVAILABLE_KEY;

use super::{BoxFuture, Collected, ServiceDef, ts_opt};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The AWS Config collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "config",
    global: false,
    resource_types: &["AWS::Config::ConfigurationRecorder"],
    permissions: &[
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
        "config:DescribeDeliveryChannels",
    ],
    collect: run,
};

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let client = aws_sdk_config::Client::new(&ctx.sdk);
    // Not paginated: a region holds at most a handful of recorders.
    let recorders = client
        .describe_configuration_recorders()
        .send()
        .await
        .map_err(|e| CollectError::from_sdk("config:DescribeConfigurationRecorders", &e))?;
    let mut out = Collected::default();
    if recorders.configuration_recorders().is_empty() {
        return Ok(out);
    }

    let status = client.describe_configuration_recorder_status().send().await;
    let status = out.sub(
        "config:DescribeConfigurationRecorderStatus",
        status,
        &[],
        |o| {
            let by_name: BTreeMap<&str, Value> = o
                .configuration_recorders_status()
                .iter()
                .filter_map(|s| {
                    Some((
                        s.name()?,
                        json!({
                            "name": s.name(),
                            "recording": s.recording(),
                            "lastStatus": s.last_status().map(|x| x.as_str().to_owned()),
                            "lastStartTime": ts_opt(s.last_start_time()),
                            "lastStopTime": ts_opt(s.last_stop_time()),
                            "lastStatusChangeTime": ts_opt(s.last_status_change_time()),
                            "lastErrorCode": s.last_error_code(),
                            "lastErrorMessage": s.last_error_message(),
                        }),
                    ))
                })
                .collect();
            json!(by_name)
        },
    );

    let channels = client.describe_delivery_channels().send().await;
    let channel = out.sub("config:DescribeDeliveryChannels", channels, &[], |o| {
        // A region has at most one delivery channel; it serves every recorder.
        o.delivery_channels().first().map_or(Value::Null, |c| {
            json!({
                "name": c.name(),
                "s3BucketName": c.s3_bucket_name(),
                "s3KeyPrefix": c.s3_key_prefix(),
                "s3KmsKeyArn": c.s3_kms_key_arn(),
                "snsTopicARN": c.sns_topic_arn(),
                "configSnapshotDeliveryProperties": c.config_snapshot_delivery_properties().map(|p| json!({
                    "deliveryFrequency": p.delivery_frequency().map(|f| f.as_str().to_owned()),
                })),
            })
        })
    });

    for rec in recorders.configuration_recorders() {
        let Some(name) = rec.name() else {
            continue;
        };
        let arn = rec.arn().map_or_else(
            || {
                format!(
                    "arn:{}:config:{}:{}:configuration-recorder/{name}",
                    ctx.partition(),
                    ctx.region,
                    ctx.account_id
                )
            },
            str::to_owned,
        );
        let mut r = Resource::new(
            &ctx.account_id,
            &ctx.region,
            "AWS::Config::ConfigurationRecorder",
            name,
            &arn,
        );
        let group = rec.recording_group();
        let mode = rec.recording_mode();
        r.configuration = json!({
            "name": name,
            "arn": rec.arn(),
            "roleARN": rec.role_arn(),
            "recordingGroup": group.map(|g| json!({
                "allSupported": g.all_supported(),
                "includeGlobalResourceTypes": g.include_global_resource_types(),
                "resourceTypes": g.resource_types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                "exclusionByResourceTypes": g.exclusion_by_resource_types().map(|x| json!({
                    "resourceTypes": x.resource_types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                })),
                "recordingStrategy": g.recording_strategy().map(|s| json!({
                    "useOnly": s.use_only().map(|u| u.as_str().to_owned()),
                })),
            })),
            "recordingMode": mode.map(|m| json!({
                "recordingFrequency": m.recording_frequency().as_str(),
                "recordingModeOverrides": m.recording_mode_overrides().iter().map(|o| json!({
                    "description": o.description(),
                    "resourceTypes": o.resource_types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                    "recordingFrequency": o.recording_frequency().as_str(),
                })).collect::<Vec<_>>(),
            })),
            "recordingScope": rec.recording_scope().map(|s| s.as_str().to_owned()),
            "servicePrincipal": rec.service_principal(),
        });
        r.supplementary = json!({
            "ConfigurationRecorderStatus": for_recorder(&status, name),
            "DeliveryChannel": channel.clone(),
        });
        out.resources.push(r);
    }
    Ok(out)
}

/// Picks one recorder's status out of the region's answer: its status, null
/// when the service listed none for it, or the region's unavailable marker.
fn for_recorder(all: &Value, name: &str) -> Value {
    if all.get(UNAVAILABLE_KEY).is_some() {
        return all.clone();
    }
    all.get(name).cloned().unwrap_or(Value::Null)
}
