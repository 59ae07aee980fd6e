//! S3: buckets with their ACL, policy, public access block, default
//! encryption, versioning and MFA delete, logging, lifecycle, object lock and
//! tags; and the account-level public access block (through S3 Control).
//!
//! Supplementary keys follow AWS Config's names for S3 buckets
//! (`AccessControlList`, `BucketPolicy`, `PublicAccessBlockConfiguration`, ...)
//! so that an AWS Config snapshot and a live collection look alike.

use futures::StreamExt;
use serde_json::{Value, json};
use shareline_model::Resource;

use super::{BoxFuture, Collected, ServiceDef, tag_map, ts_opt};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The S3 collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "s3",
    global: true,
    resource_types: &["AWS::S3::Bucket", "AWS::S3::AccountPublicAccessBlock"],
    permissions: &[
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetBucketAcl",
        "s3:GetBucketPolicy",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketVersioning",
        "s3:GetBucketLogging",
        "s3:GetLifecycleConfiguration",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetBucketTagging",
        "s3:GetAccountPublicAccessBlock",
    ],
    collect: run,
};

/// How many buckets are read at once.
const BUCKET_CONCURRENCY: usize = 8;

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let client = ctx.s3();
    let mut names = Vec::new();
    let mut pages = client.list_buckets().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CollectError::from_sdk("s3:ListBuckets", &e))?;
        for b in page.buckets() {
            if let Some(name) = b.name() {
                names.push((name.to_owned(), ts_opt(b.creation_date())));
            }
        }
    }
    let owner = ctx.account_id.clone();
    let results: Vec<Collected> = futures::stream::iter(names)
        .map(|(name, created)| bucket(ctx, name, created, &owner))
        .buffer_unordered(BUCKET_CONCURRENCY)
        .collect()
        .await;
    let mut out = Collected::default();
    for r in results {
        out.resources.extend(r.resources);
        out.gaps.extend(r.gaps);
    }
    let account = account_public_access_block(ctx, &mut out).await;
    out.resources.push(account);
    Ok(out)
}

/// Reads one bucket and its settings; a failing setting call becomes an
/// unavailable marker, never a failed service.
async fn bucket(ctx: &Ctx, name: String, created: Value, owner: &str) -> Collected {
    let mut out = Collected::default();
    let home = ctx.s3();
    let loc = home.get_bucket_location().bucket(&name).send().await;
    let region = match &loc {
        Ok(o) => match o.location_constraint().map(|c| c.as_str()) {
            None | Some("") => "us-east-1".to_owned(),
            Some("EU") => "eu-west-1".to_owned(),
            Some(r) => r.to_owned(),
        },
        Err(_) => ctx.region.clone(),
    };
    if let Err(e) = &loc {
        out.gaps
            .push(CollectError::from_sdk("s3:GetBucketLocation", e));
    }
    let c = ctx.s3_in(&region);
    let arn = format!("arn:{}:s3:::{name}", ctx.partition());
    let mut r = Resource::new(&ctx.account_id, &region, "AWS::S3::Bucket", &name, &arn);
    r.configuration = json!({ "name": name, "owner": owner, "creationDate": created });

    let acl = c.get_bucket_acl().bucket(&name).send().await;
    let acl = out.sub("s3:GetBucketAcl", acl, &[], |o| {
        let grants: Vec<Value> = o
            .grants()
            .iter()
            .map(|g| {
                let grantee = g.grantee();
                json!({
                    "grantee": {
                        "type": grantee.map(|x| x.r#type().as_str().to_owned()),
                        "id": grantee.and_then(|x| x.id()),
                        "uri": grantee.and_then(|x| x.uri()),
                        "emailAddress": grantee.and_then(|x| x.email_address()),
                    },
                    "permission": g.permission().map(|p| p.as_str().to_owned()),
                })
            })
            .collect();
        json!({ "owner": { "id": o.owner().and_then(|x| x.id()) }, "grantList": grants })
    });

    let policy = c.get_bucket_policy().bucket(&name).send().await;
    let policy = out.sub(
        "s3:GetBucketPolicy",
        policy,
        &["NoSuchBucketPolicy"],
        |o| json!({ "policyText": o.policy() }),
    );

    let pab = c.get_public_access_block().bucket(&name).send().await;
    let pab = out.sub(
        "s3:GetBucketPublicAccessBlock",
        pab,
        &["NoSuchPublicAccessBlockConfiguration"],
        |o| {
            let p = o.public_access_block_configuration();
            json!({
                "blockPublicAcls": p.and_then(|x| x.block_public_acls()),
                "ignorePublicAcls": p.and_then(|x| x.ignore_public_acls()),
                "blockPublicPolicy": p.and_then(|x| x.block_public_policy()),
                "restrictPublicBuckets": p.and_then(|x| x.restrict_public_buckets()),
            })
        },
    );

    let enc = c.get_bucket_encryption().bucket(&name).send().await;
    let enc = out.sub(
        "s3:GetEncryptionConfiguration",
        enc,
        &["ServerSideEncryptionConfigurationNotFoundError"],
        |o| {
            let rules: Vec<Value> = o
                .server_side_encryption_configuration()
                .map(|c| c.rules())
                .unwrap_or_default()
                .iter()
                .map(|rule| {
                    let d = rule.apply_server_side_encryption_by_default();
                    json!({
                        "applyServerSideEncryptionByDefault": d.map(|d| json!({
                            "sseAlgorithm": d.sse_algorithm().as_str(),
                            "kmsMasterKeyID": d.kms_master_key_id(),
                        })),
                        "bucketKeyEnabled": rule.bucket_key_enabled(),
                    })
                })
                .collect();
            json!({ "rules": rules })
        },
    );

    let ver = c.get_bucket_versioning().bucket(&name).send().await;
    let ver = out.sub("s3:GetBucketVersioning", ver, &[], |o| {
        json!({
            "status": o.status().map_or("Off", |s| s.as_str()),
            "isMfaDeleteEnabled": o.mfa_delete().map(|m| m.as_str() == "Enabled"),
        })
    });

    let log = c.get_bucket_logging().bucket(&name).send().await;
    let log = out.sub("s3:GetBucketLogging", log, &[], |o| {
        match o.logging_enabled() {
            Some(l) => json!({
                "destinationBucketName": l.target_bucket(),
                "logFilePrefix": l.target_prefix(),
            }),
            None => json!({ "destinationBucketName": null, "logFilePrefix": null }),
        }
    });

    let life = c
        .get_bucket_lifecycle_configuration()
        .bucket(&name)
        .send()
        .await;
    let life = out.sub(
        "s3:GetLifecycleConfiguration",
        life,
        &["NoSuchLifecycleConfiguration"],
        |o| {
            let rules: Vec<Value> = o
                .rules()
                .iter()
                .map(|r| {
                    json!({
                        "id": r.id(),
                        "status": r.status().as_str(),
                        "expirationInDays": r.expiration().and_then(|e| e.days()),
                        "noncurrentVersionExpirationInDays": r
                            .noncurrent_version_expiration()
                            .and_then(|e| e.noncurrent_days()),
                        "abortIncompleteMultipartUpload": r
                            .abort_incomplete_multipart_upload()
                            .and_then(|a| a.days_after_initiation()),
                    })
                })
                .collect();
            json!({ "rules": rules })
        },
    );

    let lock = c.get_object_lock_configuration().bucket(&name).send().await;
    let lock = out.sub(
        "s3:GetBucketObjectLockConfiguration",
        lock,
        &["ObjectLockConfigurationNotFoundError"],
        |o| {
            let cfg = o.object_lock_configuration();
            let rule = cfg.and_then(|c| c.rule()).and_then(|r| r.default_retention());
            json!({
                "objectLockEnabled": cfg.and_then(|c| c.object_lock_enabled()).map(|e| e.as_str().to_owned()),
                "rule": rule.map(|d| json!({
                    "mode": d.mode().map(|m| m.as_str().to_owned()),
                    "days": d.days(),
                    "years": d.years(),
                })),
            })
        },
    );

    let tags = c.get_bucket_tagging().bucket(&name).send().await;
    match tags {
        Ok(o) => {
            r.tags = tag_map(o.tag_set().iter().map(|t| (t.key(), t.value())));
        }
        Err(e) => {
            let err = CollectError::from_sdk("s3:GetBucketTagging", &e);
            if !err.has_code(&["NoSuchTagSet"]) {
                out.gaps.push(err);
            }
        }
    }

    r.supplementary = json!({
        "AccessControlList": acl,
        "BucketPolicy": policy,
        "PublicAccessBlockConfiguration": pab,
        "ServerSideEncryptionConfiguration": enc,
        "BucketVersioningConfiguration": ver,
        "BucketLoggingConfiguration": log,
        "BucketLifecycleConfiguration": life,
        "ObjectLockConfiguration": lock,
    });
    out.resources.push(r);
    out
}

/// Reads the account-level public access block through S3 Control.
async fn account_public_access_block(ctx: &Ctx, out: &mut Collected) -> Resource {
    let client = s3control_client(ctx);
    let res = client
        .get_public_access_block()
        .account_id(&ctx.account_id)
        .send()
        .await;
    let value = out.sub(
        "s3:GetAccountPublicAccessBlock",
        res,
        &["NoSuchPublicAccessBlockConfiguration"],
        |o| {
            let p = o.public_access_block_configuration();
            json!({
                "blockPublicAcls": p.and_then(|x| x.block_public_acls()),
                "ignorePublicAcls": p.and_then(|x| x.ignore_public_acls()),
                "blockPublicPolicy": p.and_then(|x| x.block_public_policy()),
                "restrictPublicBuckets": p.and_then(|x| x.restrict_public_buckets()),
            })
        },
    );
    let arn = format!("arn:{}:s3::{}:account", ctx.partition(), ctx.account_id);
    let mut r = Resource::new(
        &ctx.account_id,
        &ctx.region,
        "AWS::S3::AccountPublicAccessBlock",
        &ctx.account_id,
        &arn,
    );
    r.name = format!("{} account public access block", ctx.account_id);
    // Null when the account has none configured: nothing is blocked.
    r.configuration = json!({});
    r.supplementary = json!({ "PublicAccessBlockConfiguration": value });
    r
}

/// Builds the S3 Control client. S3 Control puts the account id in front of
/// the host (`<account>.s3-control...`); against an endpoint override
/// (emulators) that host does not resolve, so the override is used as is.
fn s3control_client(ctx: &Ctx) -> aws_sdk_s3control::Client {
    let mut conf = aws_sdk_s3control::config::Builder::from(&ctx.sdk);
    if let Some(url) = ctx.sdk.endpoint_url() {
        conf = conf.endpoint_resolver(FixedEndpoint(url.to_owned()));
    }
    aws_sdk_s3control::Client::from_conf(conf.build())
}

/// An endpoint resolver that always answers the same URL.
#[derive(Debug)]
struct FixedEndpoint(String);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_sdk_s3control::config::endpoint::EndpointFuture<'a> {
        aws_sdk_s3control::config::endpoint::EndpointFuture::ready(Ok(
            aws_smithy_types::endpoint::Endpoint::builder()
                .url(self.0.clone())
                .build(),
        ))
    }
}
