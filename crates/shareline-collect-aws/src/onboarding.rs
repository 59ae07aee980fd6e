//! The read-only audit role a customer deploys, generated from the
//! permissions the collectors declare.

use serde_json::{Value, json};

use crate::services::all_permissions;

/// The name of the role the templates create.
pub const ROLE_NAME: &str = "ShareLineAudit";

/// The output format of the onboarding template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateFormat {
    /// An AWS CloudFormation template (JSON).
    CloudFormation,
    /// A Terraform configuration (HCL).
    Terraform,
}

/// Returns the audit policy document: exactly the collectors' permissions.
pub fn audit_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ShareLineReadOnlyAudit",
            "Effect": "Allow",
            "Action": all_permissions(),
            "Resource": "*",
        }]
    })
}

/// Returns the trust policy: the MSP's account may assume the role only with
/// the tenant's external id.
pub fn trust_policy(msp_account_id: &str, external_id: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": format!("arn:aws:iam::{msp_account_id}:root") },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "sts:ExternalId": external_id } },
        }]
    })
}

/// Renders the template in `format`.
pub fn template(format: TemplateFormat, msp_account_id: &str, external_id: &str) -> String {
    match format {
        TemplateFormat::CloudFormation => {
            let doc = json!({
                "AWSTemplateFormatVersion": "2010-09-09",
                "Description": "Read-only audit role for the Shareline posture service of your MSP",
                "Resources": {
                    "ShareLineAuditRole": {
                        "Type": "AWS::IAM::Role",
                        "Properties": {
                            "RoleName": ROLE_NAME,
                            "MaxSessionDuration": 3600,
                            "AssumeRolePolicyDocument": trust_policy(msp_account_id, external_id),
                            "Policies": [{
                                "PolicyName": "ShareLineReadOnlyAudit",
                                "PolicyDocument": audit_policy(),
                            }],
                        }
                    }
                },
                "Outputs": {
                    "RoleArn": { "Value": { "Fn::GetAtt": ["ShareLineAuditRole", "Arn"] } }
                }
            });
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        }
        TemplateFormat::Terraform => {
            let trust = serde_json::to_string_pretty(&trust_policy(msp_account_id, external_id))
                .unwrap_or_default();
            let policy = serde_json::to_string_pretty(&audit_policy()).unwrap_or_default();
            format!(
                "# Read-only audit role for the Shareline posture service of your MSP.\n\
                 resource \"aws_iam_role\" \"shareline_audit\" {{\n  \
                 name                 = \"{ROLE_NAME}\"\n  \
                 max_session_duration = 3600\n  \
                 assume_role_policy   = <<-EOT\n{trust}\n  EOT\n}}\n\n\
                 resource \"aws_iam_role_policy\" \"shareline_audit\" {{\n  \
                 name   = \"ShareLineReadOnlyAudit\"\n  \
                 role   = aws_iam_role.shareline_audit.id\n  \
                 policy = <<-EOT\n{policy}\n  EOT\n}}\n\n\
                 output \"role_arn\" {{\n  value = aws_iam_role.shareline_audit.arn\n}}\n"
            )
        }
    }
}
