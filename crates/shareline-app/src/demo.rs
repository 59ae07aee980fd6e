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
use crate::responsibility::NewAssignment;
use shareline_engine::responsibility::{Party, Scope, Target};
use shareline_store::Contact;

/// The demo directory in the source tree, used when `SHARELINE_DEMO_DIR` is unset.
pub const BUILT_IN_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo");

#[derive(Debug, Deserialize)]
struct Manifest {
    tenants: Vec<DemoTenant>,
    #[serde(default)]
    offerings: Vec<DemoOffering>,
}

#[derive(Debug, Deserialize)]
struct DemoTenant {
    id: String,
    name: String,
    accounts: Vec<DemoAccount>,
    #[serde(default)]
    responsibility: Option<DemoResponsibility>,
}

#[derive(Debug, Deserialize)]
struct DemoOffering {
    id: String,
    name: String,
    description: String,
    from: String,
    assign: Vec<DemoAssign>,
}

#[derive(Debug, Deserialize)]
struct DemoAssign {
    area: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    service_model: Option<String>,
    #[serde(default)]
    service: Option<String>,
    party: String,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    accept: bool,
}

#[derive(Debug, Deserialize)]
struct DemoResponsibility {
    #[serde(default)]
    offering: Option<String>,
    #[serde(default)]
    offering_from: Option<String>,
    #[serde(default)]
    contacts: Vec<DemoContact>,
    #[serde(default)]
    assignments: Vec<DemoAssign>,
}

#[derive(Debug, Deserialize)]
struct DemoContact {
    party: String,
    name: String,
    email: String,
}

fn date(s: &str) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| AppError::Import(format!("demo manifest: `{s}` is not a YYYY-MM-DD date")))
}

fn party(s: &str) -> Result<Party, AppError> {
    Party::parse(s).map_err(|p| AppError::Import(format!("demo manifest: unknown party `{p}`")))
}

fn assignment(a: &DemoAssign, default_from: &str) -> Result<NewAssignment, AppError> {
    let target = match (&a.service, a.service_model.as_ref().or(a.model.as_ref())) {
        (Some(s), _) => Target::Service { service: s.clone() },
        (None, Some(m)) if m != "*" => Target::ServiceModel { model: m.clone() },
        _ => Target::All,
    };
    Ok(NewAssignment {
        area: a.area.clone(),
        target,
        party: party(&a.party)?,
        copied: Vec::new(),
        valid_from: date(a.from.as_deref().unwrap_or(default_from))?,
        valid_until: a.until.as_deref().map(date).transpose()?,
        author: "demo".to_owned(),
        reason: a
            .reason
            .clone()
            .unwrap_or_else(|| "demo arrangement".to_owned()),
        source: "demo".to_owned(),
    })
}

/// Creates the demo's MSP offerings (those that do not exist yet).
async fn load_offerings(store: &Store, offerings: &[DemoOffering]) -> Result<(), AppError> {
    let existing: Vec<String> = store
        .list_offerings()
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    for o in offerings {
        if existing.contains(&o.id) {
            continue;
        }
        store
            .create_offering(&o.id, &o.name, &o.description)
            .await?;
        for a in &o.assign {
            crate::responsibility::set(
                store,
                Scope::Offering(o.id.clone()),
                assignment(a, &o.from)?,
            )
            .await?;
        }
    }
    Ok(())
}

/// Applies a tenant's demo arrangement: offering, contacts, assignments.
async fn load_arrangement(
    store: &Store,
    tenant: &TenantId,
    r: &DemoResponsibility,
) -> Result<(), AppError> {
    if let Some(o) = &r.offering {
        let from = date(r.offering_from.as_deref().unwrap_or("2025-01-01"))?;
        store.choose_offering(tenant, Some(o), from, "demo").await?;
    }
    for c in &r.contacts {
        store
            .add_contact(
                tenant,
                &Contact {
                    party: party(&c.party)?,
                    name: c.name.clone(),
                    email: c.email.clone(),
                },
            )
            .await?;
    }
    for a in &r.assignments {
        let out = crate::responsibility::set(
            store,
            Scope::Tenant(tenant.to_string()),
            assignment(a, "2025-01-01")?,
        )
        .await?;
        if a.accept {
            store
                .accept_assignment(
                    tenant,
                    &out.assignment.id,
                    out.assignment.valid_from,
                    "demo",
                )
                .await?;
        }
    }
    Ok(())
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
    load_offerings(store, &manifest.offerings).await?;
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
        if let Some(r) = &t.responsibility {
            load_arrangement(store, &id, r).await?;
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
