//! Secrets Manager collector against moto.

use serde_json::Value;
use shareline_model::Attr;

use crate::{collect, of_type, setup};

const SECRET_VALUE: &str = "hunter2-Sup3r-Secret-Value-7f3a";

#[tokio::test]
async fn secrets_metadata_and_policy_are_read_but_never_the_value() {
    let (_moto, conf) = setup("eu-west-1").await;
    let sm = aws_sdk_secretsmanager::Client::new(&conf);
    let created = sm
        .create_secret()
        .name("prod/db-password")
        .description("database password")
        .secret_string(SECRET_VALUE)
        .tags(
            aws_sdk_secretsmanager::types::Tag::builder()
                .key("team")
                .value("payments")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap().to_owned();
    sm.put_resource_policy()
        .secret_id(&arn)
        .resource_policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    sm.create_secret()
        .name("plain")
        .secret_string("another-value-not-to-leak")
        .send()
        .await
        .unwrap();

    let got = collect(&conf, "secretsmanager", "eu-west-1").await;
    assert!(got.gaps.is_empty(), "unexpected gaps: {:?}", got.gaps);
    let secrets = of_type(&got, "AWS::SecretsManager::Secret");
    assert_eq!(secrets.len(), 2);

    let db = secrets.iter().find(|s| s.resource_id == arn).unwrap();
    assert_eq!(db.name, "prod/db-password");
    assert_eq!(db.arn, arn);
    assert!(
        arn.starts_with("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-password")
    );
    assert_eq!(db.configuration["name"], "prod/db-password");
    assert_eq!(db.configuration["description"], "database password");
    assert_eq!(db.configuration["rotationEnabled"], Value::Bool(false));
    assert_eq!(db.configuration["rotationLambdaARN"], Value::Null);
    assert!(db.configuration["createdDate"].is_string());
    assert_eq!(db.tags.get("team").map(String::as_str), Some("payments"));
    let policy = &db.supplementary["ResourcePolicy"];
    assert_eq!(policy["Statement"][0]["Effect"], "Allow");
    assert_eq!(
        policy["Statement"][0]["Action"],
        "secretsmanager:GetSecretValue"
    );

    let plain = secrets.iter().find(|s| s.name == "plain").unwrap();
    assert_eq!(
        Attr::of(plain.supplementary.get("ResourcePolicy")),
        Attr::Absent
    );

    // No secret value is read or stored anywhere.
    let all = serde_json::to_string(&got.resources).unwrap();
    assert!(!all.contains(SECRET_VALUE));
    assert!(!all.contains("another-value-not-to-leak"));
}
