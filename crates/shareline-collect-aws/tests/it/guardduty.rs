//! GuardDuty collector against moto.

use aws_sdk_guardduty::types::FindingPublishingFrequency;

use crate::{collect, of_type, setup};

#[tokio::test]
async fn enabled_detector_is_read_and_empty_regions_yield_nothing() {
    let (_moto, conf) = setup("us-east-1").await;
    let gd = aws_sdk_guardduty::Client::new(&conf);
    let id = gd
        .create_detector()
        .enable(true)
        .finding_publishing_frequency(FindingPublishingFrequency::SixHours)
        .send()
        .await
        .unwrap()
        .detector_id()
        .unwrap()
        .to_owned();

    let got = collect(&conf, "guardduty", "us-east-1").await;
    assert!(got.gaps.is_empty(), "unexpected gaps: {:?}", got.gaps);
    assert_eq!(got.resources.len(), 1);
    let detectors = of_type(&got, "AWS::GuardDuty::Detector");
    let d = detectors[0];
    assert_eq!(d.resource_id, id);
    assert_eq!(
        d.arn,
        format!("arn:aws:guardduty:us-east-1:123456789012:detector/{id}")
    );
    assert_eq!(d.configuration["detectorId"], id.as_str());
    assert_eq!(d.configuration["status"], "ENABLED");
    assert_eq!(d.configuration["findingPublishingFrequency"], "SIX_HOURS");
    assert!(d.configuration["createdAt"].is_string());
    assert!(d.configuration["features"].is_array());

    // A region without a detector: nothing at all.
    let none = collect(&conf, "guardduty", "eu-central-1").await;
    assert!(none.resources.is_empty());
    assert!(none.gaps.is_empty());
}
