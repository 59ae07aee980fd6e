//! AWS Config collector against moto.

use aws_sdk_config::types::{ConfigurationRecorder, DeliveryChannel, RecordingGroup};
use serde_json::Value;

use crate::{collect, of_type, setup};

#[tokio::test]
async fn started_recorder_with_delivery_channel_is_read() {
    let (_moto, conf) = setup("us-east-1").await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket("config-history")
        .send()
        .await
        .unwrap();
    let cfg = aws_sdk_config::Client::new(&conf);
    cfg.put_configuration_recorder()
        .configuration_recorder(
            ConfigurationRecorder::builder()
                .name("default")
                .role_arn("arn:aws:iam::123456789012:role/config-role")
                .recording_group(
                    RecordingGroup::builder()
                        .all_supported(true)
                        .include_global_resource_types(true)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    cfg.put_delivery_channel()
        .delivery_channel(
            DeliveryChannel::builder()
                .name("default")
                .s3_bucket_name("config-history")
                .build(),
        )
        .send()
        .await
        .unwrap();
    cfg.start_configuration_recorder()
        .configuration_recorder_name("default")
        .send()
        .await
        .unwrap();

    let got = collect(&conf, "config", "us-east-1").await;
    assert!(got.gaps.is_empty(), "unexpected gaps: {:?}", got.gaps);
    let recorders = of_type(&got, "AWS::Config::ConfigurationRecorder");
    assert_eq!(recorders.len(), 1);
    let r = recorders[0];
    assert_eq!(r.resource_id, "default");
    assert!(
        r.arn.starts_with("arn:aws:config:us-east-1:123456789012:"),
        "{}",
        r.arn
    );
    assert_eq!(
        r.configuration["roleARN"],
        "arn:aws:iam::123456789012:role/config-role"
    );
    assert_eq!(
        r.configuration["recordingGroup"]["allSupported"],
        Value::Bool(true)
    );
    assert_eq!(
        r.configuration["recordingGroup"]["includeGlobalResourceTypes"],
        Value::Bool(true)
    );
    let status = &r.supplementary["ConfigurationRecorderStatus"];
    assert_eq!(status["recording"], Value::Bool(true));
    assert!(status["lastStatus"].is_string(), "{status}");
    let channel = &r.supplementary["DeliveryChannel"];
    assert_eq!(channel["name"], "default");
    assert_eq!(channel["s3BucketName"], "config-history");
    assert_eq!(channel["snsTopicARN"], Value::Null);

    // A region without a recorder yields nothing.
    let none = collect(&conf, "config", "eu-west-1").await;
    assert!(none.resources.is_empty());
}
