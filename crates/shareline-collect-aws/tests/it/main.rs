//! Collector tests against moto's standalone server (a real AWS API emulator).
//! Each test starts its own moto on a free loopback port, creates resources
//! through the SDK, runs one collector and checks what it read.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod acm;
mod bench;
mod cloudtrail;
mod config;
mod ec2;
mod elbv2;
mod guardduty;
mod iam;
mod kms;
mod lambda;
mod logs;
mod permissions;
mod rds;
mod s3;
mod secretsmanager;
mod sns;
mod sqs;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use shareline_collect_aws::ctx::Ctx;
use shareline_collect_aws::services::{Collected, service};
use shareline_test_support::moto::Moto;

/// moto's default account.
pub const ACCOUNT: &str = "123456789012";

/// Starts moto and returns it with an SDK config (static test keys) for `region`.
pub async fn setup(region: &str) -> (Moto, SdkConfig) {
    let moto = Moto::start();
    let conf = sdk_config(&moto.endpoint(), region).await;
    (moto, conf)
}

/// An SDK config against `endpoint` with moto's test keys.
pub async fn sdk_config(endpoint: &str, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .load()
        .await
}

/// Runs the collector of `name` in `region` and fails the test if the
/// service as a whole failed.
pub async fn collect(conf: &SdkConfig, name: &str, region: &str) -> Collected {
    let svc = service(name).expect("service exists");
    let ctx = Ctx::new(conf, ACCOUNT, region);
    (svc.collect)(&ctx).await.expect("collector succeeds")
}

/// Returns the resources of one type.
pub fn of_type<'a>(c: &'a Collected, ty: &str) -> Vec<&'a shareline_model::Resource> {
    c.resources
        .iter()
        .filter(|r| r.resource_type == ty)
        .collect()
}
