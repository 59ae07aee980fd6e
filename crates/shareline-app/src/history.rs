//! Resource history as JSON Patch (RFC 6902) diffs between versions.

use serde::Serialize;
use serde_json::Value;
use shareline_model::TenantId;
use shareline_store::{ResourceRow, Store};

use crate::AppError;

/// One version with the patch that leads to it from the previous one.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// The version number.
    pub version: i64,
    /// When captured.
    pub captured_at: chrono::DateTime<chrono::Utc>,
    /// The collection that stored it.
    pub collection_id: String,
    /// `created`, `changed`, `deleted` or `restored`.
    pub change: &'static str,
    /// JSON Patch from the previous version's document (empty for the first).
    pub patch: Value,
}

/// Returns the resource and its history, oldest first. `captured_at` is left
/// out of the diffs: only content changes make versions.
///
/// # Errors
/// An unknown resource, or a store error.
pub async fn history(
    store: &Store,
    tenant: &TenantId,
    arn_or_id: &str,
) -> Result<(ResourceRow, Vec<HistoryEntry>), AppError> {
    let row = store.find_resource(tenant, arn_or_id).await?;
    let versions = store.resource_history(tenant, row.rid).await?;
    let mut out = Vec::with_capacity(versions.len());
    let mut prev: Option<Value> = None;
    let mut prev_deleted = false;
    for v in versions {
        let doc = v.document.as_ref().map(|d| {
            let mut value = serde_json::to_value(d).unwrap_or(Value::Null);
            if let Some(obj) = value.as_object_mut() {
                obj.remove("captured_at");
            }
            value
        });
        let (change, patch) = match (&prev, &doc) {
            (None, Some(_)) => ("created", Value::Array(vec![])),
            (_, None) => ("deleted", Value::Array(vec![])),
            (Some(p), Some(d)) => {
                let patch = serde_json::to_value(json_patch::diff(p, d)).unwrap_or(Value::Null);
                (if prev_deleted { "restored" } else { "changed" }, patch)
            }
        };
        prev_deleted = doc.is_none();
        if doc.is_some() {
            prev.clone_from(&doc);
        }
        out.push(HistoryEntry {
            version: v.version,
            captured_at: v.captured_at,
            collection_id: v.collection_id,
            change,
            patch,
        });
    }
    Ok((row, out))
}
