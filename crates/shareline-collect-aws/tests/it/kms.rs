//! KMS collector against moto.

use aws_sdk_kms::types::{KeySpec, KeyUsageType, Tag};
use serde_json::Value;
use shareline_model::Attr;

use crate::{collect, of_type, setup};

#[tokio::test]
async fn keys_with_rotation_policy_aliases_and_tags_are_read() {
    let (_moto, conf) = setup("eu-west-1").await;
    let kms = aws_sdk_kms::Client::new(&conf);

    let rotated = kms
        .create_key()
        .description("rotated key")
        // moto leaves KeyUsage empty unless given (AWS defaults it).
        .key_usage(KeyUsageType::EncryptDecrypt)
        .tags(
            Tag::builder()
                .tag_key("team")
                .tag_value("sec")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let rotated_id = rotated.key_metadata().unwrap().key_id().to_owned();
    kms.enable_key_rotation()
        .key_id(&rotated_id)
        .send()
        .await
        .unwrap();
    kms.create_alias()
        .alias_name("alias/audit-logs")
        .target_key_id(&rotated_id)
        .send()
        .await
        .unwrap();

    let plain = kms
        .create_key()
        .description("plain key")
        .send()
        .await
        .unwrap();
    let plain_id = plain.key_metadata().unwrap().key_id().to_owned();

    let signing = kms
        .create_key()
        .key_usage(KeyUsageType::SignVerify)
        .key_spec(KeySpec::Rsa2048)
        .send()
        .await
        .unwrap();
    let signing_id = signing.key_metadata().unwrap().key_id().to_owned();

    let got = collect(&conf, "kms", "eu-west-1").await;
    assert!(got.gaps.is_empty(), "unexpected gaps: {:?}", got.gaps);
    let keys = of_type(&got, "AWS::KMS::Key");
    assert_eq!(keys.len(), 3);

    let k = keys.iter().find(|k| k.resource_id == rotated_id).unwrap();
    assert_eq!(
        k.arn,
        format!("arn:aws:kms:eu-west-1:123456789012:key/{rotated_id}")
    );
    assert_eq!(k.region, "eu-west-1");
    assert_eq!(k.name, "alias/audit-logs");
    assert_eq!(k.tags.get("team").map(String::as_str), Some("sec"));
    assert_eq!(k.configuration["keyId"], rotated_id.as_str());
    assert_eq!(k.configuration["keyState"], "Enabled");
    assert_eq!(k.configuration["keyManager"], "CUSTOMER");
    assert_eq!(k.configuration["keySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(k.configuration["keyUsage"], "ENCRYPT_DECRYPT");
    assert_eq!(k.configuration["enabled"], true);
    assert_eq!(k.configuration["description"], "rotated key");
    assert_eq!(k.configuration["aliases"][0], "alias/audit-logs");
    assert_eq!(
        k.supplementary["KeyRotationStatus"]["keyRotationEnabled"],
        true
    );
    let policy = &k.supplementary["KeyPolicy"];
    assert_eq!(policy["Version"], "2012-10-17");
    assert!(
        policy["Statement"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    );

    let p = keys.iter().find(|k| k.resource_id == plain_id).unwrap();
    assert_eq!(p.name, plain_id);
    assert_eq!(
        p.supplementary["KeyRotationStatus"]["keyRotationEnabled"],
        false
    );
    assert!(p.tags.is_empty());
    assert!(matches!(
        Attr::of(p.supplementary.get("KeyPolicy")),
        Attr::Value(Value::Object(_))
    ));

    // Rotation cannot be set on asymmetric keys: the collector does not ask.
    let s = keys.iter().find(|k| k.resource_id == signing_id).unwrap();
    assert_eq!(s.configuration["keySpec"], "RSA_2048");
    assert_eq!(
        Attr::of(s.supplementary.get("KeyRotationStatus")),
        Attr::Absent
    );
}

#[tokio::test]
async fn a_failed_alias_listing_marks_aliases_unavailable_not_empty() {
    use shareline_test_support::fault_proxy::{Fault, FaultProxy};
    let moto = shareline_test_support::moto::Moto::start();
    let proxy = FaultProxy::start(moto.port());
    let conf = crate::sdk_config(&proxy.endpoint(), "eu-west-1").await;
    let kms = aws_sdk_kms::Client::new(&conf);
    let key = kms
        .create_key()
        .key_usage(KeyUsageType::EncryptDecrypt)
        .send()
        .await
        .unwrap();
    let id = key.key_metadata().unwrap().key_id().to_owned();
    kms.create_alias()
        .alias_name("alias/app")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();

    proxy.set_faults(vec![Fault::json_access_denied("kms").only("ListAliases")]);
    let got = collect(&conf, "kms", "eu-west-1").await;
    assert!(
        got.gaps.iter().any(|g| g.operation == "kms:ListAliases"),
        "{:?}",
        got.gaps
    );
    let keys = of_type(&got, "AWS::KMS::Key");
    let k = keys.iter().find(|k| k.resource_id == id).unwrap();
    // The key itself is read; only its aliases are unknown, not "none".
    assert_eq!(k.configuration["keyState"], "Enabled");
    assert!(Attr::of(k.configuration.get("aliases")).is_unavailable());
    assert!(proxy.faulted() >= 1);
}
