//! CloudWatch Logs collector against moto.

use aws_sdk_cloudwatchlogs::types::MetricTransformation;
use serde_json::{Value, json};

use crate::{collect, of_type, setup};

#[tokio::test]
async fn log_groups_retention_and_metric_filters_are_read() {
    let (_moto, conf) = setup("us-east-1").await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    logs.create_log_group()
        .log_group_name("app/forever")
        .send()
        .await
        .unwrap();
    logs.create_log_group()
        .log_group_name("cloudtrail/trail")
        .send()
        .await
        .unwrap();
    logs.put_retention_policy()
        .log_group_name("cloudtrail/trail")
        .retention_in_days(30)
        .send()
        .await
        .unwrap();
    logs.put_metric_filter()
        .log_group_name("cloudtrail/trail")
        .filter_name("root-usage")
        .filter_pattern(r#"{ $.userIdentity.type = "Root" }"#)
        .metric_transformations(
            MetricTransformation::builder()
                .metric_name("RootAccountUsage")
                .metric_namespace("CISBenchmark")
                .metric_value("1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let got = collect(&conf, "logs", "us-east-1").await;
    assert!(got.gaps.is_empty(), "unexpected gaps: {:?}", got.gaps);
    let groups = of_type(&got, "AWS::Logs::LogGroup");
    assert_eq!(groups.len(), 2);

    let forever = groups
        .iter()
        .find(|g| g.resource_id == "app/forever")
        .unwrap();
    assert_eq!(forever.configuration["logGroupName"], "app/forever");
    assert_eq!(forever.configuration["retentionInDays"], Value::Null);
    assert_eq!(
        forever.arn,
        "arn:aws:logs:us-east-1:123456789012:log-group:app/forever"
    );
    assert_eq!(forever.supplementary["MetricFilters"], json!([]));
    let created = forever.configuration["creationTime"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.contains('T'), "{created}");

    let trail = groups
        .iter()
        .find(|g| g.resource_id == "cloudtrail/trail")
        .unwrap();
    assert_eq!(trail.configuration["retentionInDays"], 30);
    assert_eq!(trail.region, "us-east-1");
    let filters = trail.supplementary["MetricFilters"].as_array().unwrap();
    assert_eq!(filters.len(), 1);
    assert_eq!(filters[0]["filterName"], "root-usage");
    assert_eq!(
        filters[0]["filterPattern"],
        r#"{ $.userIdentity.type = "Root" }"#
    );
    assert_eq!(
        filters[0]["metricTransformations"][0]["metricName"],
        "RootAccountUsage"
    );
    assert_eq!(
        filters[0]["metricTransformations"][0]["metricNamespace"],
        "CISBenchmark"
    );

    // Another region holds nothing.
    let other = collect(&conf, "logs", "eu-west-1").await;
    assert!(other.resources.is_empty());
}
