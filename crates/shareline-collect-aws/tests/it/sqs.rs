//! SQS collector against moto.

use aws_sdk_sqs::types::QueueAttributeName;

use crate::{collect, of_type, setup};

#[tokio::test]
async fn queues_with_kms_policy_and_redrive_are_read() {
    let (_moto, conf) = setup("us-east-2").await;
    let sqs = aws_sdk_sqs::Client::new(&conf);
    let dlq = sqs
        .create_queue()
        .queue_name("orders-dlq")
        .send()
        .await
        .unwrap();
    let dlq_url = dlq.queue_url().unwrap().to_owned();
    let dlq_arn = "arn:aws:sqs:us-east-2:123456789012:orders-dlq";
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-2:123456789012:orders"}]}"#;
    let q = sqs
        .create_queue()
        .queue_name("orders")
        .attributes(QueueAttributeName::KmsMasterKeyId, "alias/aws/sqs")
        .attributes(QueueAttributeName::VisibilityTimeout, "45")
        .attributes(QueueAttributeName::Policy, policy)
        .attributes(
            QueueAttributeName::RedrivePolicy,
            format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"5"}}"#),
        )
        .tags("app", "shop")
        .send()
        .await
        .unwrap();
    let url = q.queue_url().unwrap().to_owned();

    let got = collect(&conf, "sqs", "us-east-2").await;
    assert!(got.gaps.is_empty(), "unexpected gaps: {:?}", got.gaps);
    let queues = of_type(&got, "AWS::SQS::Queue");
    assert_eq!(queues.len(), 2);

    let o = queues.iter().find(|r| r.resource_id == url).unwrap();
    assert_eq!(o.arn, "arn:aws:sqs:us-east-2:123456789012:orders");
    assert_eq!(o.name, "orders");
    assert_eq!(o.tags.get("app").map(String::as_str), Some("shop"));
    let c = &o.configuration;
    assert_eq!(c["QueueUrl"], url.as_str());
    assert_eq!(c["QueueArn"], "arn:aws:sqs:us-east-2:123456789012:orders");
    assert_eq!(c["KmsMasterKeyId"], "alias/aws/sqs");
    assert_eq!(c["VisibilityTimeout"], "45");
    assert!(c["MessageRetentionPeriod"].is_string());
    assert_eq!(c["Policy"]["Statement"][0]["Principal"]["AWS"], "*");
    assert_eq!(c["RedrivePolicy"]["deadLetterTargetArn"], dlq_arn);

    let d = queues.iter().find(|r| r.resource_id == dlq_url).unwrap();
    assert_eq!(d.name, "orders-dlq");
    assert!(d.configuration.get("KmsMasterKeyId").is_none());
    assert!(d.configuration.get("Policy").is_none());
}
