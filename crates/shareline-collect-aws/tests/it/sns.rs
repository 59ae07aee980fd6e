//! SNS collector against moto.

use crate::{collect, of_type, setup};

#[tokio::test]
async fn topics_with_policy_encryption_and_subscriptions_are_read() {
    let (_moto, conf) = setup("ap-southeast-2").await;
    let sns = aws_sdk_sns::Client::new(&conf);
    let arn = "arn:aws:sns:ap-southeast-2:123456789012:alerts";
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"open","Effect":"Allow","Principal":"*","Action":"SNS:Publish","Resource":"{arn}"}}]}}"#
    );
    let created = sns
        .create_topic()
        .name("alerts")
        .attributes("KmsMasterKeyId", "alias/aws/sns")
        .attributes("DisplayName", "Alerts")
        .attributes("Policy", &policy)
        .tags(
            aws_sdk_sns::types::Tag::builder()
                .key("tier")
                .value("ops")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.topic_arn(), Some(arn));
    sns.subscribe()
        .topic_arn(arn)
        .protocol("https")
        .endpoint("https://hooks.example.com/secret-path")
        .send()
        .await
        .unwrap();
    sns.create_topic().name("plain").send().await.unwrap();

    let got = collect(&conf, "sns", "ap-southeast-2").await;
    assert!(got.gaps.is_empty(), "unexpected gaps: {:?}", got.gaps);
    let topics = of_type(&got, "AWS::SNS::Topic");
    assert_eq!(topics.len(), 2);

    let t = topics.iter().find(|t| t.resource_id == arn).unwrap();
    assert_eq!(t.arn, arn);
    assert_eq!(t.name, "alerts");
    assert_eq!(t.tags.get("tier").map(String::as_str), Some("ops"));
    let c = &t.configuration;
    assert_eq!(c["TopicArn"], arn);
    assert_eq!(c["Owner"], "123456789012");
    assert_eq!(c["DisplayName"], "Alerts");
    assert_eq!(c["KmsMasterKeyId"], "alias/aws/sns");
    assert_eq!(c["Policy"]["Statement"][0]["Principal"], "*");
    assert_eq!(c["Policy"]["Statement"][0]["Action"], "SNS:Publish");
    assert_eq!(t.supplementary["Subscriptions"]["count"], 1);
    assert_eq!(t.supplementary["Subscriptions"]["protocols"]["https"], 1);
    // Subscription endpoints are not kept.
    assert!(
        !serde_json::to_string(&got.resources)
            .unwrap()
            .contains("secret-path")
    );

    let p = topics.iter().find(|t| t.name == "plain").unwrap();
    assert!(p.configuration.get("KmsMasterKeyId").is_none());
    assert_eq!(p.supplementary["Subscriptions"]["count"], 0);
}
