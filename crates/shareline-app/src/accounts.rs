//! Registering accounts and turning a stored account into a collection target.

use chrono::Utc;
use shareline_collect_aws::{Access, AccountTarget, Secret};
use shareline_model::{AwsAccountId, TenantId};
use shareline_store::{AccountRecord, Store};

use crate::AppError;
use crate::secrets::{AccountSecrets, MasterKey, context};

/// How Shareline reaches a new account.
#[derive(Debug, Clone)]
pub enum AccessInput {
    /// Assume a role, optionally with an external id.
    AssumeRole {
        /// The role ARN.
        role_arn: String,
        /// The external id.
        external_id: Option<String>,
        /// A profile for the base credentials.
        profile: Option<String>,
    },
    /// The default credential chain or a named profile.
    DefaultChain {
        /// The profile.
        profile: Option<String>,
    },
    /// Static keys.
    Static {
        /// Access key id.
        access_key_id: String,
        /// Secret access key.
        secret_access_key: String,
        /// Session token.
        session_token: Option<String>,
    },
    /// Data arrives only through imports.
    ImportOnly,
}

/// A new account as the user described it.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The twelve-digit id.
    pub account_id: String,
    /// A display name (defaults to the id).
    pub name: Option<String>,
    /// How to get in.
    pub access: AccessInput,
    /// Regions; empty means every enabled region.
    pub regions: Vec<String>,
    /// An endpoint override.
    pub endpoint_url: Option<String>,
}

/// Checks a region name's shape (`us-east-1`, `us-gov-west-1`).
fn valid_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// Registers an account, sealing its secrets with the master key.
///
/// # Errors
/// Invalid ids, ARNs, regions or endpoints; a secret without a master key; a
/// duplicate account; an unknown tenant.
pub async fn add_account(
    store: &Store,
    key: Option<&MasterKey>,
    tenant: &TenantId,
    new: NewAccount,
) -> Result<AccountRecord, AppError> {
    let account_id = AwsAccountId::parse(&new.account_id)?;
    for r in &new.regions {
        if !valid_region(r) {
            return Err(AppError::Invalid(format!(
                "region `{r}` is not a region name like `us-east-1`"
            )));
        }
    }
    if let Some(url) = &new.endpoint_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(AppError::Invalid(format!(
            "endpoint `{url}` must be an http(s) URL"
        )));
    }
    let mut secrets = AccountSecrets::default();
    let (mode, role_arn, profile) = match new.access {
        AccessInput::AssumeRole {
            role_arn,
            external_id,
            profile,
        } => {
            let ok = role_arn.starts_with("arn:aws")
                && role_arn.contains(":iam::")
                && role_arn.contains(":role/");
            if !ok {
                return Err(AppError::Invalid(format!(
                    "role `{role_arn}` is not an IAM role ARN like `arn:aws:iam::111111111111:role/ShareLineAudit`"
                )));
            }
            if !role_arn.contains(&format!("::{account_id}:")) {
                return Err(AppError::Invalid(format!(
                    "role `{role_arn}` is not in account `{account_id}`"
                )));
            }
            secrets.external_id = external_id;
            ("assume_role", Some(role_arn), profile)
        }
        AccessInput::DefaultChain { profile } => ("default_chain", None, profile),
        AccessInput::Static {
            access_key_id,
            secret_access_key,
            session_token,
        } => {
            secrets.access_key_id = Some(access_key_id);
            secrets.secret_access_key = Some(secret_access_key);
            secrets.session_token = session_token;
            ("static", None, None)
        }
        AccessInput::ImportOnly => ("import_only", None, None),
    };
    let has_secret = secrets.external_id.is_some() || secrets.access_key_id.is_some();
    let secret_ciphertext = if has_secret {
        let key = key.ok_or_else(|| {
            AppError::MasterKey(
                "SHARELINE_MASTER_KEY (or SHARELINE_MASTER_KEY_FILE) must be set to store \
                 account credentials encrypted; make one with `shareline key generate`"
                    .to_owned(),
            )
        })?;
        let plain = serde_json::to_vec(&secrets).map_err(|e| AppError::Invalid(e.to_string()))?;
        Some(key.seal(&context(tenant.as_str(), account_id.as_str()), &plain)?)
    } else {
        None
    };
    let record = AccountRecord {
        account_id: account_id.to_string(),
        provider: "aws".to_owned(),
        name: new.name.unwrap_or_else(|| account_id.to_string()),
        access_mode: mode.to_owned(),
        role_arn,
        profile,
        secret_ciphertext,
        regions: new.regions,
        endpoint_url: new.endpoint_url,
        created_at: Utc::now(),
    };
    store.add_account(tenant, &record).await?;
    Ok(record)
}

/// Turns a stored account into a collection target, opening its secrets.
/// `AWS_ENDPOINT_URL` applies when the account has no endpoint of its own.
///
/// # Errors
/// A missing or wrong master key; an import-only account.
pub fn target(
    key: Option<&MasterKey>,
    tenant: &TenantId,
    a: &AccountRecord,
) -> Result<AccountTarget, AppError> {
    let secrets: AccountSecrets = match &a.secret_ciphertext {
        None => AccountSecrets::default(),
        Some(sealed) => {
            let key = key.ok_or_else(|| {
                AppError::MasterKey(format!(
                    "account `{}` has encrypted credentials: set SHARELINE_MASTER_KEY (or SHARELINE_MASTER_KEY_FILE)",
                    a.account_id
                ))
            })?;
            let plain = key.open(&context(tenant.as_str(), &a.account_id), sealed)?;
            serde_json::from_slice(&plain)
                .map_err(|_| AppError::MasterKey("stored credentials are corrupt".to_owned()))?
        }
    };
    let access = match a.access_mode.as_str() {
        "assume_role" => Access::AssumeRole {
            role_arn: a.role_arn.clone().unwrap_or_default(),
            external_id: secrets.external_id.map(Secret::new),
            profile: a.profile.clone(),
        },
        "default_chain" => Access::DefaultChain {
            profile: a.profile.clone(),
        },
        "static" => Access::Static {
            access_key_id: Secret::new(secrets.access_key_id.unwrap_or_default()),
            secret_access_key: Secret::new(secrets.secret_access_key.unwrap_or_default()),
            session_token: secrets.session_token.map(Secret::new),
        },
        _ => {
            return Err(AppError::Invalid(format!(
                "account `{}` is import-only: load its data with `shareline import aws-config`",
                a.account_id
            )));
        }
    };
    let endpoint_url = a.endpoint_url.clone().or_else(|| {
        std::env::var("AWS_ENDPOINT_URL")
            .ok()
            .filter(|s| !s.is_empty())
    });
    Ok(AccountTarget {
        account_id: a.account_id.clone(),
        access,
        regions: a.regions.clone(),
        endpoint_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        assert!(valid_region("us-east-1"));
        assert!(valid_region("us-gov-west-1"));
        assert!(!valid_region("us-east"));
        assert!(!valid_region("US-EAST-1"));
        assert!(!valid_region("us-east-1; rm"));
    }
}
