//! The permissions the collectors declare are the permissions they use: every
//! query- and JSON-protocol call made during a full collection (seen by a
//! loopback proxy in front of moto) is in the published audit policy, and the
//! onboarding templates carry exactly that policy.

use std::collections::BTreeSet;

use shareline_collect_aws::onboarding::{TemplateFormat, audit_policy, template};
use shareline_collect_aws::{
    AccountTarget, Limits, NoProgress, Tuning, all_permissions, collect_account,
};
use shareline_test_support::fault_proxy::FaultProxy;
use shareline_test_support::moto::Moto;

#[tokio::test]
async fn every_call_a_collection_makes_is_declared() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(moto.port());
    // A little of everything, so that per-item calls happen too.
    let conf = crate::sdk_config(&moto.endpoint(), "us-east-1").await;
    aws_sdk_iam::Client::new(&conf)
        .create_user()
        .user_name("u")
        .send()
        .await
        .unwrap();
    aws_sdk_kms::Client::new(&conf)
        .create_key()
        .send()
        .await
        .unwrap();
    aws_sdk_ec2::Client::new(&conf)
        .create_volume()
        .availability_zone("us-east-1a")
        .size(1)
        .send()
        .await
        .unwrap();
    let target = AccountTarget {
        account_id: crate::ACCOUNT.to_owned(),
        access: shareline_collect_aws::Access::Static {
            access_key_id: shareline_collect_aws::Secret::new("testing"),
            secret_access_key: shareline_collect_aws::Secret::new("testing"),
            session_token: None,
        },
        regions: vec!["us-east-1".to_owned()],
        endpoint_url: Some(proxy.endpoint()),
    };
    let got = collect_account(
        &target,
        &[],
        Tuning::default(),
        &Limits::default(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(
        got.scopes.iter().all(|s| s.error.is_none()),
        "{:?}",
        got.scopes
    );

    let declared: BTreeSet<String> = all_permissions().iter().map(|p| (*p).to_owned()).collect();
    let mut undeclared = BTreeSet::new();
    let mut named = 0;
    for call in proxy.calls() {
        let Some(op) = call.operation else { continue };
        named += 1;
        let action = format!("{}:{op}", call.service);
        if !declared.contains(&action) {
            undeclared.insert(action);
        }
    }
    assert!(
        named > 20,
        "the proxy should have named most calls, named {named}"
    );
    assert!(
        undeclared.is_empty(),
        "called but not declared: {undeclared:?}"
    );
}

#[test]
fn templates_carry_exactly_the_declared_permissions() {
    let declared: Vec<String> = all_permissions().iter().map(|p| (*p).to_owned()).collect();
    let cfn: serde_json::Value = serde_json::from_str(&template(
        TemplateFormat::CloudFormation,
        "999999999999",
        "acme-x",
    ))
    .unwrap();
    let role = &cfn["Resources"]["ShareLineAuditRole"]["Properties"];
    let actions: Vec<String> = role["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, declared);
    let trust = &role["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(trust["Principal"]["AWS"], "arn:aws:iam::999999999999:root");
    assert_eq!(
        trust["Condition"]["StringEquals"]["sts:ExternalId"],
        "acme-x"
    );
    // Read-only: no action that writes.
    for a in &declared {
        let verb = a.split(':').nth(1).unwrap();
        assert!(
            ["List", "Get", "Describe", "Generate"]
                .iter()
                .any(|p| verb.starts_with(p)),
            "{a} is not a read"
        );
    }
    let tf = template(TemplateFormat::Terraform, "999999999999", "acme-x");
    let doc_start = tf.find("policy = <<-EOT").unwrap();
    let doc = &tf[doc_start + "policy = <<-EOT".len()..];
    let doc: serde_json::Value =
        serde_json::from_str(doc[..doc.find("EOT").unwrap()].trim()).unwrap();
    assert_eq!(doc, audit_policy());
    assert!(tf.contains("\"sts:ExternalId\": \"acme-x\""));
}
