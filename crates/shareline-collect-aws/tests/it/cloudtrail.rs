//! CloudTrail collector against moto.

use aws_sdk_cloudtrail::types::{DataResource, EventSelector, ReadWriteType, Tag};
use shareline_model::Attr;

use crate::{collect, of_type, setup};

#[tokio::test]
async fn trails_with_status_and_event_selectors_are_read() {
    let (_moto, conf) = setup("us-east-1").await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket("trail-logs")
        .send()
        .await
        .unwrap();
    let ct = aws_sdk_cloudtrail::Client::new(&conf);

    ct.create_trail()
        .name("org-audit")
        .s3_bucket_name("trail-logs")
        .is_multi_region_trail(true)
        .include_global_service_events(true)
        .enable_log_file_validation(true)
        .tags_list(Tag::builder().key("owner").value("secops").build().unwrap())
        .send()
        .await
        .unwrap();
    ct.start_logging().name("org-audit").send().await.unwrap();
    ct.put_event_selectors()
        .trail_name("org-audit")
        .event_selectors(
            EventSelector::builder()
                .read_write_type(ReadWriteType::All)
                .include_management_events(true)
                .data_resources(
                    DataResource::builder()
                        .r#type("AWS::S3::Object")
                        .values("arn:aws:s3")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    ct.create_trail()
        .name("quiet")
        .s3_bucket_name("trail-logs")
        .send()
        .await
        .unwrap();

    let got = collect(&conf, "cloudtrail", "us-east-1").await;
    assert!(got.gaps.is_empty(), "unexpected gaps: {:?}", got.gaps);
    let trails = of_type(&got, "AWS::CloudTrail::Trail");
    assert_eq!(trails.len(), 2);

    let t = trails
        .iter()
        .find(|t| t.resource_id == "org-audit")
        .unwrap();
    assert_eq!(
        t.arn,
        "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-audit"
    );
    assert_eq!(t.region, "us-east-1");
    assert_eq!(t.tags.get("owner").map(String::as_str), Some("secops"));
    let c = &t.configuration;
    assert_eq!(c["name"], "org-audit");
    assert_eq!(c["homeRegion"], "us-east-1");
    assert_eq!(c["s3BucketName"], "trail-logs");
    assert_eq!(c["isMultiRegionTrail"], true);
    assert_eq!(c["includeGlobalServiceEvents"], true);
    assert_eq!(c["logFileValidationEnabled"], true);
    assert_eq!(t.supplementary["TrailStatus"]["isLogging"], true);
    let sel = &t.supplementary["EventSelectors"]["eventSelectors"][0];
    assert_eq!(sel["readWriteType"], "All");
    assert_eq!(sel["includeManagementEvents"], true);
    assert_eq!(sel["dataResources"][0]["type"], "AWS::S3::Object");
    assert_eq!(sel["dataResources"][0]["values"][0], "arn:aws:s3");

    let q = trails.iter().find(|t| t.resource_id == "quiet").unwrap();
    assert_eq!(q.configuration["isMultiRegionTrail"], false);
    assert_eq!(q.supplementary["TrailStatus"]["isLogging"], false);
    assert!(matches!(
        Attr::of(q.supplementary.get("EventSelectors")),
        Attr::Value(_)
    ));

    // Another region sees neither: the multi-region trail's shadow copy
    // belongs to its home region.
    let eu = collect(&conf, "cloudtrail", "eu-west-1").await;
    assert!(of_type(&eu, "AWS::CloudTrail::Trail").is_empty());
}
