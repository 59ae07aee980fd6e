//! Shared AWS setup: credentials per access mode, region configs, retry
//! policy and client construction. Collectors and (later) remediation use
//! this module and nothing else to reach AWS.

use std::fmt;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

/// A secret string that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// Returns the secret; call only where it is handed to the SDK or the cipher.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How Shareline reaches an account.
#[derive(Debug, Clone)]
pub enum Access {
    /// Assume a role in the customer's account, with the tenant's external id
    /// (the MSP standard). Base credentials come from the default chain.
    AssumeRole {
        /// The role to assume.
        role_arn: String,
        /// The external id the role's trust policy demands.
        external_id: Option<Secret>,
        /// A named profile for the base credentials; the default chain when none.
        profile: Option<String>,
    },
    /// The default credential chain, or a named profile.
    DefaultChain {
        /// The profile name.
        profile: Option<String>,
    },
    /// Static keys, stored encrypted.
    Static {
        /// The access key id.
        access_key_id: Secret,
        /// The secret access key.
        secret_access_key: Secret,
        /// A session token for temporary keys.
        session_token: Option<Secret>,
    },
}

/// Tuning for the SDK: retries and timeouts.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Attempts per call, including the first (standard retry mode: exponential
    /// backoff with jitter on throttling, 5xx and transient network errors).
    pub max_attempts: u32,
    /// The first backoff delay.
    pub initial_backoff: Duration,
    /// The time limit of one attempt.
    pub attempt_timeout: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            attempt_timeout: Duration::from_secs(30),
        }
    }
}

/// Everything needed to read one account.
#[derive(Debug, Clone)]
pub struct AccountTarget {
    /// The twelve-digit account id.
    pub account_id: String,
    /// How to get in.
    pub access: Access,
    /// The regions to read; all enabled regions when empty.
    pub regions: Vec<String>,
    /// An endpoint override (emulators, GovCloud); `AWS_ENDPOINT_URL` is honoured too.
    pub endpoint_url: Option<String>,
}

/// Retries for the assume-role call itself.
const TUNING_FOR_STS: Tuning = Tuning {
    max_attempts: 3,
    initial_backoff: Duration::from_millis(200),
    attempt_timeout: Duration::from_secs(20),
};

/// The region used for global services and region discovery.
pub const HOME_REGION: &str = "us-east-1";

/// Builds the account's base SDK config in `HOME_REGION`, with credentials
/// for its access mode. Credentials are cached by the provider and shared by
/// every region's config made from it.
pub async fn account_config(target: &AccountTarget, tuning: Tuning) -> SdkConfig {
    let loader = base_loader(target, tuning);
    account_config_with(loader, target).await
}

/// The loader every config starts from: home region, retries, timeouts, endpoint.
fn base_loader(target: &AccountTarget, tuning: Tuning) -> aws_config::ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(HOME_REGION))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(tuning.max_attempts)
                .with_initial_backoff(tuning.initial_backoff),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(tuning.attempt_timeout)
                .connect_timeout(Duration::from_secs(10))
                .build(),
        );
    if let Some(url) = &target.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader
}

async fn account_config_with(
    mut loader: aws_config::ConfigLoader,
    target: &AccountTarget,
) -> SdkConfig {
    match &target.access {
        Access::DefaultChain { profile } => {
            if let Some(p) = profile {
                loader = loader.profile_name(p);
            }
            loader.load().await
        }
        Access::Static {
            access_key_id,
            secret_access_key,
            session_token,
        } => {
            let creds = Credentials::new(
                access_key_id.expose(),
                secret_access_key.expose(),
                session_token.as_ref().map(|s| s.expose().to_owned()),
                None,
                "shareline-static",
            );
            loader
                .credentials_provider(SharedCredentialsProvider::new(creds))
                .load()
                .await
        }
        Access::AssumeRole {
            role_arn,
            external_id,
            profile,
        } => {
            let mut base_loader = base_loader(target, TUNING_FOR_STS);
            if let Some(p) = profile {
                base_loader = base_loader.profile_name(p);
            }
            let base = base_loader.load().await;
            let mut builder = aws_config::sts::AssumeRoleProvider::builder(role_arn)
                .session_name("shareline-audit")
                .configure(&base);
            if let Some(id) = external_id {
                builder = builder.external_id(id.expose());
            }
            let provider = builder.build().await;
            loader
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .load()
                .await
        }
    }
}

/// What a collector gets: the account's config in one region.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The SDK config for `region`.
    pub sdk: SdkConfig,
    /// The account being read.
    pub account_id: String,
    /// The region being read (`HOME_REGION` for global services).
    pub region: String,
    /// True when an endpoint override is in force (emulators need path-style S3).
    pub custom_endpoint: bool,
}

impl Ctx {
    /// Builds the context for one region from the account config.
    pub fn new(base: &SdkConfig, account_id: &str, region: &str) -> Self {
        let sdk = base
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build();
        let custom_endpoint = sdk.endpoint_url().is_some();
        Self {
            sdk,
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            custom_endpoint,
        }
    }

    /// Returns the ARN partition of the region.
    pub fn partition(&self) -> &'static str {
        partition_of(&self.region)
    }

    /// Returns an S3 client; path-style when an endpoint override is set.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk)
            .force_path_style(self.custom_endpoint)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// Returns an S3 client for a bucket's own region.
    pub fn s3_in(&self, region: &str) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_owned()))
            .force_path_style(self.custom_endpoint)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }
}

/// Returns the ARN partition of a region name.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("AKIASECRET");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        let a = Access::Static {
            access_key_id: Secret::new("AKIAEXAMPLE"),
            secret_access_key: Secret::new("wJalrXUtnFEMI"),
            session_token: None,
        };
        let shown = format!("{a:?}");
        assert!(!shown.contains("AKIAEXAMPLE"));
        assert!(!shown.contains("wJalrXUtnFEMI"));
    }

    #[test]
    fn partitions() {
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("eu-west-1"), "aws");
    }
}
