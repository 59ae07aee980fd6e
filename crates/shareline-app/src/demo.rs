//! The demo MSP: three tenants with AWS Config snapshots under `demo/`,
//! loaded through the same import path as a customer's own exports, then
//! evaluated so a newcomer sees findings at once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shareline_model::TenantId;
use shareline_store::Store;

use crate::AppError;
use crate::accounts::{AccessInput, NewAccount, add_account};
use crate::import::{ImportProgress, import_aws_config};

/// The demo directory in the source tree, used when `SHARELINE_DEMO_DIR` is unset.
pub const BUILT_IN_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo");

#[derive(Debug, Deserialize)]
struct Manifest {
    tenants: Vec<DemoTenant>,
}

#[derive(Debug, Deserialize)]
struct DemoTenant {
    id: String,
    name: String,
    accounts: Vec<DemoAccount>,
}

#[derive(Debug, Deserialize)]
struct DemoAccount {
    account_id: String,
    name: String,
    regions: Vec<String>,
    snapshots: Vec<String>,
}

/// What loading the demo did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DemoReport {
    /// Tenants created.
    pub tenants: Vec<String>,
    /// Tenants skipped because they existed.
    pub skipped: Vec<String>,
    /// Resources imported.
    pub resources: i64,
    /// Failing findings after evaluating the new tenants.
    pub failing: usize,
    /// Passing findings after evaluating the new tenants.
    pub passing: usize,
}

/// Returns the demo directory: `SHARELINE_DEMO_DIR`, else the source tree's.
pub fn demo_dir() -> PathBuf {
    std::env::var("SHARELINE_DEMO_DIR").map_or_else(|_| PathBuf::from(BUILT_IN_DIR), PathBuf::from)
}

/// Loads the demo estate from `dir` (its `manifest.json`). Tenants that exist
/// already are left alone, so loading twice is harmless.
///
/// # Errors
/// A missing or malformed manifest or snapshot, or a store error.
pub async fn load(store: &Store, dir: &Path) -> Result<DemoReport, AppError> {
    let manifest_path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|e| AppError::Import(format!("cannot read `{}`: {e}", manifest_path.display())))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| AppError::Import(format!("`{}`: {e}", manifest_path.display())))?;
    let mut report = DemoReport::default();
    for t in manifest.tenants {
        let id = TenantId::parse(&t.id)?;
        if store.get_tenant(&id).await?.is_some() {
            report.skipped.push(t.id);
            continue;
        }
        store.create_tenant(&id, &t.name).await?;
        for a in t.accounts {
            add_account(
                store,
                None,
                &id,
                NewAccount {
                    account_id: a.account_id.clone(),
                    name: Some(a.name),
                    access: AccessInput::ImportOnly,
                    regions: a.regions,
                    endpoint_url: None,
                },
            )
            .await?;
            for snap in a.snapshots {
                let path = dir.join(&snap);
                let r = import_aws_config(
                    store,
                    &id,
                    &a.account_id,
                    &path,
                    Arc::new(ImportProgress::default()),
                )
                .await?;
                report.resources += r.stats.resources;
            }
        }
        let summary = crate::evaluate::evaluate_tenant(
            store,
            &id,
            crate::evaluate::EvaluateOptions::default(),
        )
        .await?;
        let count = |s| summary.by_status.get(&s).copied().unwrap_or(0);
        report.failing += count(shareline_engine::Status::Fail);
        report.passing += count(shareline_engine::Status::Pass);
        report.tenants.push(t.id);
    }
    Ok(report)
}
