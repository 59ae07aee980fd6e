//! Importing Prowler's mutelist YAML (accounts → checks → regions,
//! resources, tags, exceptions) into mutes.
//!
//! Prowler matches check names, regions and resources as regular
//! expressions searched anywhere in the value, and `*` as everything; the
//! imported mutes keep those semantics (`Syntax::Regex`). Prowler check
//! names are searched in Shareline ids, so `s3_bucket_default_encryption`
//! matches `aws_s3_bucket_default_encryption`; patterns that match no
//! Shareline check are reported. Prowler mutelists have no expiry, so the
//! import applies one (required, within the tenant's maximum).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shareline_engine::mutes::{Compiled, Mute, Scope, Syntax};
use shareline_model::TenantId;
use shareline_store::Store;

use crate::AppError;
use crate::evaluate::catalog;

/// Largest mutelist accepted.
const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Most mutes one file may create.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct File {
    mutelist: Option<Body>,
    /// Older Prowler versions call it the allowlist.
    allowlist: Option<Body>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Body {
    accounts: BTreeMap<String, AccountEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccountEntry {
    checks: BTreeMap<String, CheckEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CheckEntry {
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    exceptions: Option<Exceptions>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Exceptions {
    #[serde(default)]
    accounts: Vec<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct MutelistImport {
    /// The mutes created.
    pub mutes: Vec<Mute>,
    /// Check patterns that match no Shareline check (imported anyway).
    pub unmatched_checks: Vec<String>,
}

fn star_is_all(list: Vec<String>) -> Vec<String> {
    if list.iter().any(|v| v == "*") {
        Vec::new()
    } else {
        list
    }
}

/// Parses a Prowler mutelist into mutes (not stored). `source` names the
/// file in errors and in each mute's source.
///
/// # Errors
/// [`AppError::Import`] naming the file and what is wrong.
pub fn parse(
    source: &str,
    text: &str,
    expires_at: DateTime<Utc>,
    author: &str,
    now: DateTime<Utc>,
) -> Result<MutelistImport, AppError> {
    if text.len() > MAX_BYTES {
        return Err(AppError::Import(format!(
            "{source}: {} bytes is over the {MAX_BYTES}-byte limit for a mutelist",
            text.len()
        )));
    }
    let file: File = serde_norway::from_str(text)
        .map_err(|e| AppError::Import(format!("{source}: not a Prowler mutelist: {e}")))?;
    let body = file.mutelist.or(file.allowlist).ok_or_else(|| {
        AppError::Import(format!(
            "{source}: no top-level `Mutelist:` (or `Allowlist:`) key"
        ))
    })?;
    let catalog = catalog()?;
    let mut mutes = Vec::new();
    let mut unmatched = Vec::new();
    for (account, entry) in body.accounts {
        for (check, c) in entry.checks {
            if mutes.len() >= MAX_ENTRIES {
                return Err(AppError::Import(format!(
                    "{source}: more than {MAX_ENTRIES} entries"
                )));
            }
            let except = c.exceptions.unwrap_or_default();
            let n = mutes.len() + 1;
            let mute = Mute {
                id: format!("mute-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
                scope: Scope {
                    checks: star_is_all(vec![check.clone()]),
                    accounts: star_is_all(vec![account.clone()]),
                    regions: star_is_all(c.regions),
                    resources: star_is_all(c.resources),
                    tags: c.tags,
                },
                except: Scope {
                    checks: Vec::new(),
                    accounts: except.accounts,
                    regions: except.regions,
                    resources: except.resources,
                    tags: except.tags,
                },
                syntax: Syntax::Regex,
                reason: c
                    .description
                    .filter(|d| !d.trim().is_empty())
                    .unwrap_or_else(|| format!("imported from Prowler mutelist {source}")),
                author: author.to_owned(),
                created_at: now,
                expires_at,
                source: format!("prowler-mutelist:{source}"),
            };
            let compiled = Compiled::new(mute.clone()).map_err(|e| {
                AppError::Import(format!(
                    "{source}: account `{account}`, check `{check}` (entry {n}): {e}"
                ))
            })?;
            if check != "*" {
                let hits = catalog.checks.iter().any(|k| compiled.names_check(k.id));
                if !hits {
                    unmatched.push(check.clone());
                }
            }
            mutes.push(mute);
        }
    }
    Ok(MutelistImport {
        mutes,
        unmatched_checks: unmatched,
    })
}

/// Imports a mutelist file into the tenant's mutes.
///
/// # Errors
/// [`AppError::Import`] for an unreadable or invalid file, or
/// [`AppError::Invalid`] for an expiry beyond the tenant's maximum.
pub async fn import(
    store: &Store,
    tenant: &TenantId,
    path: &std::path::Path,
    expires_at: Option<DateTime<Utc>>,
    author: &str,
) -> Result<MutelistImport, AppError> {
    let now = Utc::now();
    let max = store.mute_max_days(tenant).await?;
    let expires_at = crate::findings::validate_expiry(expires_at, max, now)?;
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| AppError::Import(format!("{shown}: {e}")))?;
    if meta.len() > MAX_BYTES as u64 {
        return Err(AppError::Import(format!(
            "{shown}: {} bytes is over the {MAX_BYTES}-byte limit for a mutelist",
            meta.len()
        )));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| AppError::Import(format!("{shown}: {e}")))?;
    let imported = parse(&shown, &text, expires_at, author, now)?;
    store.add_mutes(tenant, &imported.mutes).await?;
    Ok(imported)
}
