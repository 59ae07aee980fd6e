//! Finding exports: JSON, CSV, and OCSF 1.3.0 Detection Finding events (the
//! format Prowler and AWS Security Hub speak).

use serde_json::{Value, json};
use shareline_catalog::Severity;
use shareline_checks::Catalog;
use shareline_engine::Status;

use crate::AppError;
use crate::findings::FindingView;

/// The OCSF schema version the events follow.
pub const OCSF_VERSION: &str = "1.3.0";

/// The CSV header.
pub const CSV_COLUMNS: &[&str] = &[
    "finding_id",
    "status",
    "severity",
    "check_id",
    "title",
    "service",
    "account_id",
    "region",
    "resource_type",
    "resource_id",
    "arn",
    "name",
    "message",
    "field",
    "first_seen",
    "last_seen",
    "status_since",
    "muted_by",
];

/// Findings as CSV, one row per finding.
///
/// # Errors
/// Only if writing to memory fails.
pub fn csv(views: &[FindingView]) -> Result<String, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| AppError::Invalid(format!("csv: {e}"));
    w.write_record(CSV_COLUMNS).map_err(err)?;
    for v in views {
        let r = &v.finding.result;
        let f = &v.finding;
        w.write_record([
            r.id.as_str(),
            r.status.as_str(),
            r.severity.as_str(),
            &r.check_id,
            v.title.as_str(),
            &r.service,
            r.key.account_id.as_str(),
            r.key.region.as_str(),
            r.key.resource_type.as_str(),
            r.key.resource_id.as_str(),
            &r.arn,
            &r.name,
            r.evidence.message.as_str(),
            r.evidence.field.as_deref().unwrap_or(""),
            &f.first_seen.to_rfc3339(),
            &f.last_seen.to_rfc3339(),
            &f.status_since.to_rfc3339(),
            r.muted_by.as_deref().unwrap_or(""),
        ])
        .map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Invalid(format!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Invalid(format!("csv: {e}")))
}

fn severity_id(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Informational => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// One finding as an OCSF Detection Finding (class 2004) with the cloud
/// profile.
pub fn ocsf(view: &FindingView, catalog: &Catalog, tenant: &str) -> Value {
    let f = &view.finding;
    let r = &f.result;
    let check = catalog.check(&r.check_id);
    let (activity_id, activity) = if f.removed_at.is_some() {
        (3, "Close")
    } else if f.first_seen == f.last_seen {
        (1, "Create")
    } else {
        (2, "Update")
    };
    let (status_id, status) = match r.status {
        Status::Fail => (1, "New"),
        Status::Muted => (3, "Suppressed"),
        Status::Pass => (4, "Resolved"),
        Status::Error | Status::Unknown => (99, "Other"),
    };
    let (sev_id, sev) = severity_id(r.severity);
    let compliance: Vec<Value> = catalog
        .frameworks_citing(&r.check_id)
        .into_iter()
        .map(|(fw, req)| json!({"framework": fw, "requirement": req}))
        .collect();
    let mut finding_info = json!({
        "uid": r.id,
        "title": view.title,
        "first_seen_time": f.first_seen.timestamp_millis(),
        "last_seen_time": f.last_seen.timestamp_millis(),
        "product_uid": r.check_id,
    });
    let mut event = json!({
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "Shareline",
                "vendor_name": "Shareline",
                "version": env!("CARGO_PKG_VERSION"),
            },
            "event_code": r.check_id,
            "tenant_uid": tenant,
        },
        "activity_id": activity_id,
        "activity_name": activity,
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "type_uid": 200_400 + activity_id,
        "type_name": format!("Detection Finding: {activity}"),
        "severity_id": sev_id,
        "severity": sev,
        "status_id": status_id,
        "status": status,
        "status_code": r.status.as_str(),
        "status_detail": r.evidence.message,
        "time": f.last_seen.timestamp_millis(),
        "resources": [{
            "uid": r.arn,
            "name": r.name,
            "type": r.key.resource_type,
            "region": r.key.region,
            "cloud_partition": "aws",
        }],
        "cloud": {
            "provider": "AWS",
            "region": r.key.region,
            "account": { "uid": r.key.account_id, "type": "AWS Account", "type_id": 10 },
        },
        "unmapped": {
            "check_id": r.check_id,
            "service": r.service,
            "evidence_field": r.evidence.field,
            "muted_by": r.muted_by,
            "compliance": compliance,
        },
    });
    if let Some(c) = check {
        finding_info["desc"] = json!(c.meta.description);
        finding_info["types"] = json!(c.meta.categories);
        event["risk_details"] = json!(c.meta.risk);
        event["remediation"] = json!({
            "desc": c.meta.remediation.text,
            "references": c.meta.references,
        });
    }
    event["finding_info"] = finding_info;
    event
}
