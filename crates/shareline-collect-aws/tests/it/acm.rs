//! ACM collector against moto.

use serde_json::Value;

use crate::{collect, of_type, setup};

#[tokio::test]
async fn requested_certificate_is_described() {
    let (_moto, conf) = setup("eu-west-1").await;
    let acm = aws_sdk_acm::Client::new(&conf);
    let arn = acm
        .request_certificate()
        .domain_name("www.example.com")
        .subject_alternative_names("www.example.com")
        .subject_alternative_names("api.example.com")
        .send()
        .await
        .unwrap()
        .certificate_arn()
        .unwrap()
        .to_owned();

    let got = collect(&conf, "acm", "eu-west-1").await;
    assert!(got.gaps.is_empty(), "unexpected gaps: {:?}", got.gaps);
    let certs = of_type(&got, "AWS::ACM::Certificate");
    assert_eq!(certs.len(), 1);
    let c = certs[0];
    assert_eq!(c.resource_id, arn);
    assert_eq!(c.arn, arn);
    assert!(arn.starts_with("arn:aws:acm:eu-west-1:123456789012:certificate/"));
    assert_eq!(c.name, "www.example.com");
    assert_eq!(c.configuration["certificateArn"], arn.as_str());
    assert_eq!(c.configuration["domainName"], "www.example.com");
    let sans = c.configuration["subjectAlternativeNames"]
        .as_array()
        .unwrap();
    assert!(sans.iter().any(|s| s == "api.example.com"));
    assert_eq!(c.configuration["type"], "AMAZON_ISSUED");
    assert_eq!(c.configuration["status"], "PENDING_VALIDATION");
    assert_eq!(c.configuration["keyAlgorithm"], "RSA_2048");
    assert!(c.configuration["inUseBy"].as_array().unwrap().is_empty());
    assert!(c.configuration["options"].is_object() || c.configuration["options"] == Value::Null);

    let none = collect(&conf, "acm", "us-west-2").await;
    assert!(none.resources.is_empty());
}
