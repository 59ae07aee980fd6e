//! IAM collector against moto.

use serde_json::Value;
use shareline_model::Attr;

use crate::{ACCOUNT, collect, of_type, setup};

const INLINE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
const MANAGED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The first statement's value of `key` in a parsed policy document.
fn statement<'a>(doc: &'a Value, key: &str) -> &'a Value {
    let st = &doc["Statement"];
    if st.is_array() { &st[0][key] } else { &st[key] }
}

#[tokio::test]
async fn users_groups_roles_policies_and_account_settings_are_read() {
    let (_moto, conf) = setup("us-east-1").await;
    let iam = aws_sdk_iam::Client::new(&conf);

    iam.create_user()
        .user_name("alice")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("team")
                .value("red")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    iam.create_login_profile()
        .user_name("alice")
        .password("Sup3r-s3cret!")
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    let key_id = key.access_key().unwrap().access_key_id().to_owned();
    iam.put_user_policy()
        .user_name("alice")
        .policy_name("read-objects")
        .policy_document(INLINE)
        .send()
        .await
        .unwrap();
    let managed = iam
        .create_policy()
        .policy_name("describe-ec2")
        .policy_document(MANAGED)
        .send()
        .await
        .unwrap();
    let managed_arn = managed.policy().unwrap().arn().unwrap().to_owned();
    let managed_id = managed.policy().unwrap().policy_id().unwrap().to_owned();
    iam.attach_user_policy()
        .user_name("alice")
        .policy_arn(&managed_arn)
        .send()
        .await
        .unwrap();
    iam.create_user().user_name("bob").send().await.unwrap();

    iam.create_group().group_name("devs").send().await.unwrap();
    iam.add_user_to_group()
        .group_name("devs")
        .user_name("alice")
        .send()
        .await
        .unwrap();
    iam.attach_group_policy()
        .group_name("devs")
        .policy_arn(&managed_arn)
        .send()
        .await
        .unwrap();

    iam.create_role()
        .role_name("app")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("app")
        .policy_name("role-inline")
        .policy_document(INLINE)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("app")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();

    iam.update_account_password_policy()
        .minimum_password_length(14)
        .require_symbols(true)
        .send()
        .await
        .unwrap();

    let got = collect(&conf, "iam", "us-east-1").await;
    assert!(got.gaps.is_empty(), "unexpected gaps: {:?}", got.gaps);
    assert!(got.resources.iter().all(|r| r.region == "global"));

    // Users.
    let users = of_type(&got, "AWS::IAM::User");
    assert_eq!(users.len(), 2);
    let alice = users.iter().find(|u| u.name == "alice").unwrap();
    assert_eq!(alice.arn, format!("arn:aws:iam::{ACCOUNT}:user/alice"));
    assert_eq!(
        alice.resource_id,
        alice.configuration["userId"].as_str().unwrap()
    );
    assert_eq!(alice.tags.get("team").map(String::as_str), Some("red"));
    let cfg = &alice.configuration;
    assert_eq!(cfg["userName"], "alice");
    assert_eq!(cfg["groupList"], serde_json::json!(["devs"]));
    assert_eq!(
        cfg["attachedManagedPolicies"][0]["policyArn"],
        managed_arn.as_str()
    );
    assert_eq!(
        cfg["attachedManagedPolicies"][0]["policyName"],
        "describe-ec2"
    );
    assert_eq!(cfg["userPolicyList"][0]["policyName"], "read-objects");
    assert_eq!(
        statement(&cfg["userPolicyList"][0]["policyDocument"], "Action"),
        "s3:GetObject"
    );
    assert!(
        alice
            .relationships
            .iter()
            .any(|r| r.resource_type == "AWS::IAM::Policy" && r.resource_id == managed_id)
    );

    let sup = &alice.supplementary;
    assert!(matches!(Attr::of(sup.get("LoginProfile")), Attr::Value(_)));
    assert_eq!(sup["LoginProfile"]["userName"], "alice");
    let keys = sup["AccessKeys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["accessKeyId"], key_id.as_str());
    assert_eq!(keys[0]["status"], "Active");
    assert!(keys[0]["createDate"].is_string());
    assert!(!Attr::of(keys[0].get("lastUsed")).is_unavailable());
    assert_eq!(sup["MfaDevices"], serde_json::json!([]));

    let bob = users.iter().find(|u| u.name == "bob").unwrap();
    assert_eq!(
        Attr::of(bob.supplementary.get("LoginProfile")),
        Attr::Absent
    );
    assert_eq!(bob.supplementary["AccessKeys"], serde_json::json!([]));
    assert_eq!(bob.configuration["userPolicyList"], serde_json::json!([]));

    // Groups.
    let groups = of_type(&got, "AWS::IAM::Group");
    assert_eq!(groups.len(), 1);
    let devs = groups[0];
    assert_eq!(devs.name, "devs");
    assert_eq!(devs.configuration["users"][0]["userName"], "alice");
    assert_eq!(
        devs.configuration["attachedManagedPolicies"][0]["policyArn"],
        managed_arn.as_str()
    );
    assert!(
        devs.relationships
            .iter()
            .any(|r| r.resource_type == "AWS::IAM::User" && r.resource_id == alice.resource_id)
    );

    // Roles.
    let roles = of_type(&got, "AWS::IAM::Role");
    let app = roles.iter().find(|r| r.name == "app").unwrap();
    assert_eq!(app.arn, format!("arn:aws:iam::{ACCOUNT}:role/app"));
    let trust = &app.configuration["assumeRolePolicyDocument"];
    assert_eq!(
        statement(trust, "Principal")["Service"],
        "ec2.amazonaws.com"
    );
    assert_eq!(app.configuration["maxSessionDuration"], 3600);
    assert_eq!(
        statement(
            &app.configuration["rolePolicyList"][0]["policyDocument"],
            "Action"
        ),
        "s3:GetObject"
    );
    assert_eq!(
        app.configuration["attachedManagedPolicies"][0]["policyArn"],
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    );

    // Managed policies: the customer one, and the AWS one attached to the role.
    let policies = of_type(&got, "AWS::IAM::Policy");
    let mine = policies.iter().find(|p| p.arn == managed_arn).unwrap();
    assert_eq!(mine.resource_id, managed_id);
    assert_eq!(mine.configuration["policyName"], "describe-ec2");
    assert_eq!(mine.configuration["attachmentCount"], 2);
    assert_eq!(mine.configuration["isAttachable"], true);
    let version = &mine.configuration["policyVersionList"][0];
    assert_eq!(version["isDefaultVersion"], true);
    assert_eq!(
        statement(&version["document"], "Action"),
        "ec2:DescribeInstances"
    );
    let read_only = policies
        .iter()
        .find(|p| p.arn == "arn:aws:iam::aws:policy/ReadOnlyAccess")
        .unwrap();
    assert!(read_only.configuration["policyVersionList"][0]["document"]["Statement"].is_array());
    assert!(
        app.relationships
            .iter()
            .any(|r| r.resource_id == read_only.resource_id)
    );

    // Account-level resources.
    let pw = of_type(&got, "AWS::IAM::AccountPasswordPolicy");
    assert_eq!(pw.len(), 1);
    assert_eq!(pw[0].resource_id, ACCOUNT);
    assert_eq!(
        pw[0].supplementary["PasswordPolicy"]["MinimumPasswordLength"],
        14
    );
    assert_eq!(
        pw[0].supplementary["PasswordPolicy"]["RequireSymbols"],
        true
    );

    let summary = of_type(&got, "AWS::IAM::AccountSummary");
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0].configuration["Users"], 2);
    assert!(summary[0].configuration.get("AccountMFAEnabled").is_some());

    let report = of_type(&got, "AWS::IAM::CredentialReport");
    assert_eq!(report.len(), 1);
    let rows = report[0].supplementary["CredentialReport"]
        .as_array()
        .unwrap();
    let alice_row = rows.iter().find(|r| r["user"] == "alice").unwrap();
    assert_eq!(alice_row["password_enabled"], "true");
    assert_eq!(alice_row["access_key_1_active"], "true");
    assert!(rows.iter().any(|r| r["user"] == "bob"));
}

#[tokio::test]
async fn an_account_without_a_password_policy_reads_as_absent() {
    let (_moto, conf) = setup("us-east-1").await;
    let got = collect(&conf, "iam", "us-east-1").await;
    assert!(got.gaps.is_empty(), "unexpected gaps: {:?}", got.gaps);
    let pw = of_type(&got, "AWS::IAM::AccountPasswordPolicy");
    assert_eq!(pw.len(), 1);
    assert_eq!(
        Attr::of(pw[0].supplementary.get("PasswordPolicy")),
        Attr::Absent
    );
    assert!(of_type(&got, "AWS::IAM::User").is_empty());
}
