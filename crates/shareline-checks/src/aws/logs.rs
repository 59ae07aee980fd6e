//! Predicates for `catalog/checks/aws/logs/`.
//!
//! Log groups carry their DescribeLogGroups fields in `configuration`
//! (`retentionInDays` is null when events never expire) and their metric
//! filters in `supplementary.MetricFilters` (a list, or the unavailable
//! marker when DescribeMetricFilters failed for the region).
//!
//! The `metric_filter_*` account checks follow the CIS AWS Foundations
//! monitoring section: the log group that a logging multi-region trail
//! delivers to must have a metric filter matching the listed events. The
//! alarm on the metric and its subscribers are not collected, so these checks
//! can only vouch for the filter.

use serde_json::Value;

use crate::aws::cloudtrail::trail_log_groups;
#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};

const LOG_GROUP: &str = "AWS::Logs::LogGroup";

/// FAIL when events are kept for fewer than `min_retention_days` days.
/// Groups that never expire events pass.
pub(crate) fn log_group_retention_at_least(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let min = ctx.int("min_retention_days")?;
    let field = "configuration.retentionInDays";
    Ok(match res.get(field).f64()? {
        None => Outcome::pass(format!(
            "Log group `{}` keeps its events forever.",
            res.name()
        )),
        Some(days) if days >= min as f64 => Outcome::pass(format!(
            "Log group `{}` keeps its events for {days} days (at least {min}).",
            res.name()
        )),
        Some(days) => Outcome::fail(format!(
            "Log group `{}` deletes its events after {days} days; at least {min} are required.",
            res.name()
        ))
        .at(field, res.get(field).opt()?.cloned().unwrap_or_default()),
    })
}

/// Lower-cases a filter pattern and drops white space and quotes, so that
/// `($.eventName = "CreateTrail")` and `($.eventName=CreateTrail)` compare equal.
fn normalise(pattern: &str) -> String {
    pattern
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
        .flat_map(char::to_lowercase)
        .collect()
}

/// True when `token` occurs in `hay` and is not the start of a longer name
/// (`CreateRoute` must not match inside `CreateRouteTable`).
fn has_token(hay: &str, token: &str) -> bool {
    hay.match_indices(token).any(|(i, _)| {
        hay.get(i + token.len()..)
            .and_then(|rest| rest.chars().next())
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
    })
}

/// What a CIS metric filter must match: condition fragments and event names.
struct Wanted<'a> {
    what: &'a str,
    conditions: &'a [&'a str],
    events: &'a [&'a str],
}

impl Wanted<'_> {
    fn tokens(&self) -> Vec<String> {
        self.conditions
            .iter()
            .map(|c| normalise(c))
            .chain(
                self.events
                    .iter()
                    .map(|e| normalise(&format!("$.eventName={e}"))),
            )
            .collect()
    }
}

/// The filters of one log group, by (region, name).
fn group_filters<'a>(
    view: &AccountView<'a>,
    region: &str,
    name: &str,
) -> Result<Option<(Res<'a>, &'a [Value])>, Stop> {
    let Some(group) = view.of_type(LOG_GROUP).find(|g| {
        g.region() == region
            && (g.id() == name || g.cfg("logGroupName").str().ok().flatten() == Some(name))
    }) else {
        return Ok(None);
    };
    let filters = group.sup("MetricFilters").list()?;
    Ok(Some((group, filters)))
}

/// Shared body of the metric filter checks.
fn metric_filter(view: &AccountView<'_>, wanted: &Wanted<'_>) -> Verdict {
    let groups = trail_log_groups(view)?;
    let what = wanted.what;
    if groups.is_empty() {
        return Ok(Outcome::fail(format!(
            "No logging multi-region trail of account {} sends its events to CloudWatch Logs, so no metric filter can watch for {what}.",
            view.account_id()
        )));
    }
    let tokens = wanted.tokens();
    let mut unknown = None;
    let mut seen = Vec::new();
    for (region, name) in &groups {
        let found = match group_filters(view, region, name) {
            Ok(Some(found)) => found,
            Ok(None) => {
                unknown = Some(Stop::Unknown(format!(
                    "log group `{name}` ({region}) that a trail delivers to is not in this account's inventory"
                )));
                continue;
            }
            Err(stop) => {
                unknown = Some(stop);
                continue;
            }
        };
        let (group, filters) = found;
        seen.push(format!("`{name}`"));
        for f in filters {
            let pattern = f.get("filterPattern").and_then(Value::as_str).unwrap_or("");
            let norm = normalise(pattern);
            if tokens.iter().all(|t| has_token(&norm, t)) {
                let filter = f.get("filterName").and_then(Value::as_str).unwrap_or("?");
                return Ok(Outcome::pass(format!(
                    "Metric filter `{filter}` on log group `{}` watches for {what}.",
                    group.name()
                )));
            }
        }
    }
    if let Some(stop) = unknown {
        return Err(stop);
    }
    Ok(Outcome::fail(format!(
        "No metric filter on trail log group(s) {} matches the full CIS pattern for {what}.",
        seen.join(", ")
    )))
}

/// CIS: unauthorized API calls.
pub(crate) fn metric_filter_unauthorized_api_calls(
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "unauthorized API calls",
            conditions: &[
                "$.errorCode = \"*UnauthorizedOperation\"",
                "$.errorCode = \"AccessDenied*\"",
            ],
            events: &[],
        },
    )
}

/// CIS: console sign-in without MFA.
pub(crate) fn metric_filter_console_signin_without_mfa(
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "console sign-ins without MFA",
            conditions: &["$.additionalEventData.MFAUsed != \"Yes\""],
            events: &["ConsoleLogin"],
        },
    )
}

/// CIS: use of the root user.
pub(crate) fn metric_filter_root_usage(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "use of the root user",
            conditions: &[
                "$.userIdentity.type = \"Root\"",
                "$.userIdentity.invokedBy NOT EXISTS",
                "$.eventType != \"AwsServiceEvent\"",
            ],
            events: &[],
        },
    )
}

/// CIS: IAM policy changes.
pub(crate) fn metric_filter_iam_policy_changes(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "IAM policy changes",
            conditions: &[],
            events: &[
                "DeleteGroupPolicy",
                "DeleteRolePolicy",
                "DeleteUserPolicy",
                "PutGroupPolicy",
                "PutRolePolicy",
                "PutUserPolicy",
                "CreatePolicy",
                "DeletePolicy",
                "CreatePolicyVersion",
                "DeletePolicyVersion",
                "AttachRolePolicy",
                "DetachRolePolicy",
                "AttachUserPolicy",
                "DetachUserPolicy",
                "AttachGroupPolicy",
                "DetachGroupPolicy",
            ],
        },
    )
}

/// CIS: CloudTrail configuration changes.
pub(crate) fn metric_filter_cloudtrail_changes(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "CloudTrail configuration changes",
            conditions: &[],
            events: &[
                "CreateTrail",
                "UpdateTrail",
                "DeleteTrail",
                "StartLogging",
                "StopLogging",
            ],
        },
    )
}

/// CIS: failed console sign-ins.
pub(crate) fn metric_filter_console_auth_failures(
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "failed console sign-ins",
            conditions: &["$.errorMessage = \"Failed authentication\""],
            events: &["ConsoleLogin"],
        },
    )
}

/// CIS: disabling or scheduled deletion of KMS keys.
pub(crate) fn metric_filter_kms_key_disable_or_deletion(
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "KMS keys being disabled or scheduled for deletion",
            conditions: &["$.eventSource = kms.amazonaws.com"],
            events: &["DisableKey", "ScheduleKeyDeletion"],
        },
    )
}

/// CIS: S3 bucket policy changes.
pub(crate) fn metric_filter_s3_bucket_policy_changes(
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "S3 bucket policy, ACL, CORS, lifecycle and replication changes",
            conditions: &["$.eventSource = s3.amazonaws.com"],
            events: &[
                "PutBucketAcl",
                "PutBucketPolicy",
                "PutBucketCors",
                "PutBucketLifecycle",
                "PutBucketReplication",
                "DeleteBucketPolicy",
                "DeleteBucketCors",
                "DeleteBucketLifecycle",
                "DeleteBucketReplication",
            ],
        },
    )
}

/// CIS: AWS Config configuration changes.
pub(crate) fn metric_filter_config_changes(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "AWS Config recorder and delivery channel changes",
            conditions: &["$.eventSource = config.amazonaws.com"],
            events: &[
                "StopConfigurationRecorder",
                "DeleteDeliveryChannel",
                "PutDeliveryChannel",
                "PutConfigurationRecorder",
            ],
        },
    )
}

/// CIS: security group changes.
pub(crate) fn metric_filter_security_group_changes(
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "security group changes",
            conditions: &[],
            events: &[
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
                "RevokeSecurityGroupIngress",
                "RevokeSecurityGroupEgress",
                "CreateSecurityGroup",
                "DeleteSecurityGroup",
            ],
        },
    )
}

/// CIS: network ACL changes.
pub(crate) fn metric_filter_nacl_changes(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "network ACL changes",
            conditions: &[],
            events: &[
                "CreateNetworkAcl",
                "CreateNetworkAclEntry",
                "DeleteNetworkAcl",
                "DeleteNetworkAclEntry",
                "ReplaceNetworkAclEntry",
                "ReplaceNetworkAclAssociation",
            ],
        },
    )
}

/// CIS: changes to network gateways.
pub(crate) fn metric_filter_network_gateway_changes(
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "internet and customer gateway changes",
            conditions: &[],
            events: &[
                "CreateCustomerGateway",
                "DeleteCustomerGateway",
                "AttachInternetGateway",
                "CreateInternetGateway",
                "DeleteInternetGateway",
                "DetachInternetGateway",
            ],
        },
    )
}

/// CIS: route table changes.
pub(crate) fn metric_filter_route_table_changes(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "route table changes",
            conditions: &[],
            events: &[
                "CreateRoute",
                "CreateRouteTable",
                "ReplaceRoute",
                "ReplaceRouteTableAssociation",
                "DeleteRouteTable",
                "DeleteRoute",
                "DisassociateRouteTable",
            ],
        },
    )
}

/// CIS: VPC changes.
pub(crate) fn metric_filter_vpc_changes(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "VPC and peering changes",
            conditions: &[],
            events: &[
                "CreateVpc",
                "DeleteVpc",
                "ModifyVpcAttribute",
                "AcceptVpcPeeringConnection",
                "CreateVpcPeeringConnection",
                "DeleteVpcPeeringConnection",
                "RejectVpcPeeringConnection",
                "AttachClassicLinkVpc",
                "DetachClassicLinkVpc",
                "DisableVpcClassicLink",
                "EnableVpcClassicLink",
            ],
        },
    )
}

/// CIS: AWS Organizations changes.
pub(crate) fn metric_filter_organizations_changes(
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    metric_filter(
        view,
        &Wanted {
            what: "AWS Organizations changes",
            conditions: &["$.eventSource = organizations.amazonaws.com"],
            events: &[
                "AcceptHandshake",
                "AttachPolicy",
                "CreateAccount",
                "CreateOrganizationalUnit",
                "CreatePolicy",
                "DeclineHandshake",
                "DeleteOrganization",
                "DeleteOrganizationalUnit",
                "DeletePolicy",
                "DetachPolicy",
                "DisablePolicyType",
                "EnablePolicyType",
                "InviteAccountToOrganization",
                "LeaveOrganization",
                "MoveAccount",
                "RemoveAccountFromOrganization",
                "UpdatePolicy",
                "UpdateOrganizationalUnit",
            ],
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_respect_name_boundaries() {
        let p =
            normalise("{ ($.eventName = CreateRouteTable) || ($.eventName = \"DeleteRoute\") }");
        assert!(has_token(&p, &normalise("$.eventName=CreateRouteTable")));
        assert!(!has_token(&p, &normalise("$.eventName=CreateRoute")));
        assert!(has_token(&p, &normalise("$.eventName=DeleteRoute")));
        let root = normalise(
            "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }",
        );
        assert!(has_token(
            &root,
            &normalise("$.userIdentity.invokedBy NOT EXISTS")
        ));
        assert!(has_token(
            &root,
            &normalise("$.eventType != \"AwsServiceEvent\"")
        ));
        assert!(!has_token(
            &root,
            &normalise("$.eventType = \"AwsServiceEvent\"")
        ));
    }
}
