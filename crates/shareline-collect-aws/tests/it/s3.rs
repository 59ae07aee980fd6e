//! S3 collector against moto.

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};
use serde_json::Value;
use shareline_model::Attr;

use crate::{collect, of_type, setup};

#[tokio::test]
async fn buckets_and_their_settings_are_read() {
    let (_moto, conf) = setup("us-east-1").await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket("open-bucket")
        .send()
        .await
        .unwrap();
    s3.put_bucket_acl()
        .bucket("open-bucket")
        .acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    s3.put_bucket_policy()
        .bucket("open-bucket")
        .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::open-bucket/*"}]}"#)
        .send()
        .await
        .unwrap();

    let eu = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .region(aws_config::Region::new("eu-west-1"))
            .force_path_style(true)
            .build(),
    );
    eu.create_bucket()
        .bucket("locked-bucket")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    eu.put_public_access_block()
        .bucket("locked-bucket")
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    eu.put_bucket_versioning()
        .bucket("locked-bucket")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    eu.put_bucket_encryption()
        .bucket("locked-bucket")
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::AwsKms)
                                .build()
                                .unwrap(),
                        )
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let got = collect(&conf, "s3", "us-east-1").await;
    let buckets = of_type(&got, "AWS::S3::Bucket");
    assert_eq!(buckets.len(), 2);

    let open = buckets
        .iter()
        .find(|b| b.resource_id == "open-bucket")
        .unwrap();
    assert_eq!(open.region, "us-east-1");
    assert_eq!(open.arn, "arn:aws:s3:::open-bucket");
    let grants = open.supplementary["AccessControlList"]["grantList"]
        .as_array()
        .unwrap();
    assert!(grants.iter().any(|g| {
        g["grantee"]["uri"]
            .as_str()
            .is_some_and(|u| u.ends_with("/global/AllUsers"))
    }));
    let policy = open.supplementary["BucketPolicy"]["policyText"]
        .as_str()
        .unwrap();
    assert!(policy.contains("\"Principal\":\"*\""));
    // No public access block and no policy-less settings: the API said "none".
    assert_eq!(
        Attr::of(open.supplementary.get("PublicAccessBlockConfiguration")),
        Attr::Absent
    );
    // moto answers GetBucketVersioning on a never-versioned bucket with a
    // `GetBucketVersioningResponse` root that is not S3's shape (AWS sends an
    // empty `VersioningConfiguration`). The collector must then say
    // "unavailable", never a made-up "Off".
    assert!(
        Attr::of(open.supplementary.get("BucketVersioningConfiguration")).is_unavailable(),
        "{:#}",
        open.supplementary
    );

    let locked = buckets
        .iter()
        .find(|b| b.resource_id == "locked-bucket")
        .unwrap();
    assert_eq!(locked.region, "eu-west-1");
    assert_eq!(
        locked.supplementary["PublicAccessBlockConfiguration"]["blockPublicPolicy"],
        Value::Bool(true)
    );
    // moto's versioning answers have the wrong root element for the Rust SDK
    // (see above): unavailable, whatever the bucket's real setting.
    assert!(Attr::of(locked.supplementary.get("BucketVersioningConfiguration")).is_unavailable());
    assert_eq!(
        locked.supplementary["ServerSideEncryptionConfiguration"]["rules"][0]["applyServerSideEncryptionByDefault"]
            ["sseAlgorithm"],
        "aws:kms"
    );
    assert_eq!(
        Attr::of(locked.supplementary.get("BucketPolicy")),
        Attr::Absent
    );

    let account = of_type(&got, "AWS::S3::AccountPublicAccessBlock");
    assert_eq!(account.len(), 1);
    let gap_ops: Vec<&str> = got.gaps.iter().map(|g| g.operation.as_str()).collect();
    assert_eq!(
        gap_ops,
        ["s3:GetBucketVersioning", "s3:GetBucketVersioning"],
        "only moto's versioning quirk"
    );
}
