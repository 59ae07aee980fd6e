//! GuardDuty: one resource per detector of the region, with its status,
//! finding publishing frequency, data sources and features.
//!
//! A region without a detector yields nothing: checks decide on absence at
//! account level. When `GetDetector` fails, the detector is still emitted and
//! each of its settings holds the unavailable marker.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::{Value, json};
use shareline_model::Resource;
use shareline_model::attr::UNAVAILABLE_KEY;

use super::{BoxFuture, Collected, ServiceDef, tag_map, ts_opt};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The GuardDuty collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "guardduty",
    global: false,
    resource_types: &["AWS::GuardDuty::Detector"],
    permissions: &["guardduty:ListDetectors", "guardduty:GetDetector"],
    collect: run,
};

/// How many detectors are read at once.
const DETECTOR_CONCURRENCY: usize = 8;

/// The settings `GetDetector` provides; all hold the marker when it fails.
const DETAIL_KEYS: &[&str] = &[
    "status",
    "findingPublishingFrequency",
    "serviceRole",
    "createdAt",
    "updatedAt",
    "dataSources",
    "features",
];

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let client = aws_sdk_guardduty::Client::new(&ctx.sdk);
    let mut ids = Vec::new();
    let mut pages = client.list_detectors().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CollectError::from_sdk("guardduty:ListDetectors", &e))?;
        ids.extend(page.detector_ids().iter().cloned());
    }
    let results: Vec<Collected> = futures::stream::iter(ids)
        .map(|id| detector(ctx, &client, id))
        .buffer_unordered(DETECTOR_CONCURRENCY)
        .collect()
        .await;
    let mut out = Collected::default();
    for r in results {
        out.resources.extend(r.resources);
        out.gaps.extend(r.gaps);
    }
    Ok(out)
}

/// Reads one detector's settings.
async fn detector(ctx: &Ctx, client: &aws_sdk_guardduty::Client, id: String) -> Collected {
    let mut out = Collected::default();
    let arn = format!(
        "arn:{}:guardduty:{}:{}:detector/{id}",
        ctx.partition(),
        ctx.region,
        ctx.account_id
    );
    let mut r = Resource::new(
        &ctx.account_id,
        &ctx.region,
        "AWS::GuardDuty::Detector",
        &id,
        &arn,
    );
    let mut tags = BTreeMap::new();
    let res = client.get_detector().detector_id(&id).send().await;
    let detail = out.sub("guardduty:GetDetector", res, &[], |o| {
        if let Some(t) = o.tags() {
            tags = tag_map(t.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        json!({
            "status": o.status().map(|s| s.as_str().to_owned()),
            "findingPublishingFrequency": o
                .finding_publishing_frequency()
                .map(|f| f.as_str().to_owned()),
            "serviceRole": o.service_role(),
            "createdAt": o.created_at(),
            "updatedAt": o.updated_at(),
            "dataSources": legacy_data_sources(&o),
            "features": o.features().iter().map(|f| json!({
                "name": f.name().map(|n| n.as_str().to_owned()),
                "status": f.status().map(|s| s.as_str().to_owned()),
                "updatedAt": ts_opt(f.updated_at()),
                "additionalConfiguration": f.additional_configuration().iter().map(|a| json!({
                    "name": a.name().map(|n| n.as_str().to_owned()),
                    "status": a.status().map(|s| s.as_str().to_owned()),
                    "updatedAt": ts_opt(a.updated_at()),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    });
    let mut config = serde_json::Map::new();
    config.insert("detectorId".to_owned(), Value::String(id.clone()));
    match detail {
        Value::Object(fields) if !fields.contains_key(UNAVAILABLE_KEY) => config.extend(fields),
        marker => {
            for key in DETAIL_KEYS {
                config.insert((*key).to_owned(), marker.clone());
            }
        }
    }
    r.configuration = Value::Object(config);
    r.name = format!("GuardDuty detector {id}");
    r.tags = tags;
    out.resources.push(r);
    out
}

/// The legacy data-source view of the detector's protections (deprecated by
/// AWS in favour of features, but still answered and still what older
/// benchmarks look at).
#[expect(deprecated, reason = "dataSources is still returned and still checked")]
fn legacy_data_sources(o: &aws_sdk_guardduty::operation::get_detector::GetDetectorOutput) -> Value {
    o.data_sources().map_or(Value::Null, data_sources)
}

/// The data-source settings of a detector.
fn data_sources(d: &aws_sdk_guardduty::types::DataSourceConfigurationsResult) -> Value {
    let status =
        |s: Option<&aws_sdk_guardduty::types::DataSourceStatus>| s.map(|x| x.as_str().to_owned());
    let ebs = d
        .malware_protection()
        .and_then(|m| m.scan_ec2_instance_with_findings())
        .and_then(|s| s.ebs_volumes());
    json!({
        "cloudTrail": { "status": status(d.cloud_trail().and_then(|x| x.status())) },
        "dnsLogs": { "status": status(d.dns_logs().and_then(|x| x.status())) },
        "flowLogs": { "status": status(d.flow_logs().and_then(|x| x.status())) },
        "s3Logs": { "status": status(d.s3_logs().and_then(|x| x.status())) },
        "kubernetes": {
            "auditLogs": {
                "status": status(d.kubernetes().and_then(|k| k.audit_logs()).and_then(|a| a.status())),
            },
        },
        "malwareProtection": {
            "scanEc2InstanceWithFindings": {
                "ebsVolumes": {
                    "status": status(ebs.and_then(|e| e.status())),
                    "reason": ebs.and_then(|e| e.reason()),
                },
            },
            "serviceRole": d.malware_protection().and_then(|m| m.service_role()),
        },
    })
}
