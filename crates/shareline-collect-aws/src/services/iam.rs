//! IAM: users (groups, attached and inline policies, login profile, MFA
//! devices, access keys and their last use), groups, roles, customer-managed
//! policies and the AWS-managed policies attached to something (with their
//! default version's document), and per account the password policy, the
//! account summary and the credential report.
//!
//! Configuration follows AWS Config's lowerCamelCase shape for IAM items. As
//! in AWS Config, a user's, group's, role's or policy's resource id is IAM's
//! unique id (`AIDA...`, `AGPA...`, `AROA...`, `ANPA...`) and its name is the
//! friendly name. The account-level resources use the account id. Every IAM
//! resource's region is `global`.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{
    AttachedPermissionsBoundary, AttachedPolicy, Group, PasswordPolicy, Policy, PolicyScopeType,
    ReportStateType, Role, User,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures::StreamExt;
use serde_json::{Map, Value, json};
use shareline_model::{Relationship, Resource};

use super::{BoxFuture, Collected, ServiceDef, policy_doc, tag_map, ts, ts_opt};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The IAM collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "iam",
    global: true,
    resource_types: &[
        "AWS::IAM::User",
        "AWS::IAM::Group",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::AccountPasswordPolicy",
        "AWS::IAM::AccountSummary",
        "AWS::IAM::CredentialReport",
    ],
    permissions: &[
        "iam:ListUsers",
        "iam:GetUser",
        "iam:ListGroupsForUser",
        "iam:ListAttachedUserPolicies",
        "iam:ListUserPolicies",
        "iam:GetUserPolicy",
        "iam:GetLoginProfile",
        "iam:ListMFADevices",
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
        "iam:ListGroups",
        "iam:GetGroup",
        "iam:ListAttachedGroupPolicies",
        "iam:ListGroupPolicies",
        "iam:GetGroupPolicy",
        "iam:ListRoles",
        "iam:GetRole",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:ListPolicies",
        "iam:GetPolicyVersion",
        "iam:GetAccountPasswordPolicy",
        "iam:GetAccountSummary",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
    ],
    collect: run,
};

/// The region IAM resources are filed under.
const REGION: &str = "global";

/// How many users, groups, roles or policies are read at once.
const CONCURRENCY: usize = 8;

/// How many times the credential report's generation is checked.
const REPORT_TRIES: u32 = 20;

/// The wait between two checks grows by this much per try...
const REPORT_WAIT_STEP: Duration = Duration::from_millis(500);

/// ...up to this much.
const REPORT_WAIT_MAX: Duration = Duration::from_secs(3);

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let c = Client::new(&ctx.sdk);
    let users = c
        .list_users()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| CollectError::from_sdk("iam:ListUsers", &e))?;
    let groups = c
        .list_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| CollectError::from_sdk("iam:ListGroups", &e))?;
    let roles = c
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| CollectError::from_sdk("iam:ListRoles", &e))?;
    let mut policies = c
        .list_policies()
        .scope(PolicyScopeType::Local)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| CollectError::from_sdk("iam:ListPolicies", &e))?;
    let aws_managed = c
        .list_policies()
        .scope(PolicyScopeType::Aws)
        .only_attached(true)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| CollectError::from_sdk("iam:ListPolicies", &e))?;
    policies.extend(aws_managed);

    // Policy ARN -> policy id, for relationships from attachments (which
    // only name the ARN). Every attached policy is in the list.
    let policy_ids: HashMap<String, String> = policies
        .iter()
        .filter_map(|p| Some((p.arn()?.to_owned(), p.policy_id()?.to_owned())))
        .collect();
    let ids = &policy_ids;
    let c = &c;

    let mut out = Collected::default();
    let parts: Vec<Collected> = futures::stream::iter(users)
        .map(|u| user(ctx, c, u, ids))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    merge(&mut out, parts);
    let parts: Vec<Collected> = futures::stream::iter(groups)
        .map(|g| group(ctx, c, g, ids))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    merge(&mut out, parts);
    let parts: Vec<Collected> = futures::stream::iter(roles)
        .map(|r| role(ctx, c, r, ids))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    merge(&mut out, parts);
    let parts: Vec<Collected> = futures::stream::iter(policies)
        .map(|p| policy(ctx, c, p))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    merge(&mut out, parts);

    let r = password_policy(ctx, c, &mut out).await;
    out.resources.push(r);
    let r = account_summary(ctx, c, &mut out).await;
    out.resources.push(r);
    let r = credential_report(ctx, c, &mut out).await;
    out.resources.push(r);
    Ok(out)
}

fn merge(out: &mut Collected, parts: Vec<Collected>) {
    for p in parts {
        out.resources.extend(p.resources);
        out.gaps.extend(p.gaps);
    }
}

/// Records a failed extra call as a gap and returns its unavailable marker.
fn failed<E, R>(out: &mut Collected, operation: &str, e: SdkError<E, R>) -> Value
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    out.sub(operation, Err::<(), _>(e), &[], |()| Value::Null)
}

fn rel(kind: &str, resource_type: &str, resource_id: &str) -> Relationship {
    Relationship {
        kind: kind.to_owned(),
        resource_type: resource_type.to_owned(),
        resource_id: resource_id.to_owned(),
    }
}

/// `attachedManagedPolicies`, plus an `Is attached to` link per known policy.
fn attached_json(
    policies: &[AttachedPolicy],
    policy_ids: &HashMap<String, String>,
    rels: &mut Vec<Relationship>,
) -> Value {
    for p in policies {
        if let Some(id) = p.policy_arn().and_then(|a| policy_ids.get(a)) {
            rels.push(rel("Is attached to", "AWS::IAM::Policy", id));
        }
    }
    Value::Array(
        policies
            .iter()
            .map(|p| json!({ "policyName": p.policy_name(), "policyArn": p.policy_arn() }))
            .collect(),
    )
}

fn boundary_json(b: Option<&AttachedPermissionsBoundary>) -> Value {
    b.map_or(Value::Null, |b| {
        json!({
            "permissionsBoundaryType": b.permissions_boundary_type().map(|t| t.as_str().to_owned()),
            "permissionsBoundaryArn": b.permissions_boundary_arn(),
        })
    })
}

/// Reads one user and everything attached to it.
async fn user(
    ctx: &Ctx,
    c: &Client,
    listed: User,
    policy_ids: &HashMap<String, String>,
) -> Collected {
    let mut out = Collected::default();
    let name = listed.user_name().to_owned();
    let mut rels = Vec::new();

    // ListUsers leaves out tags and the permissions boundary; GetUser has
    // them. On failure the listed user is used and the boundary is marked.
    let got = c.get_user().user_name(&name).send().await;
    let mut full = None;
    let get_failed = out.sub("iam:GetUser", got, &["NoSuchEntity"], |o| {
        full = o.user;
        Value::Null
    });
    let u = full.unwrap_or(listed);
    let boundary = if get_failed.is_null() {
        boundary_json(u.permissions_boundary())
    } else {
        get_failed
    };

    let groups = c
        .list_groups_for_user()
        .user_name(&name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let group_list = out.sub("iam:ListGroupsForUser", groups, &[], |gs| {
        for g in &gs {
            rels.push(rel("Is attached to", "AWS::IAM::Group", g.group_id()));
        }
        Value::Array(gs.iter().map(|g| json!(g.group_name())).collect())
    });

    let attached = c
        .list_attached_user_policies()
        .user_name(&name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let attached = out.sub("iam:ListAttachedUserPolicies", attached, &[], |ps| {
        attached_json(&ps, policy_ids, &mut rels)
    });

    let inline = c
        .list_user_policies()
        .user_name(&name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let inline = match inline {
        Ok(names) => {
            let mut list = Vec::with_capacity(names.len());
            for p in names {
                let doc = c
                    .get_user_policy()
                    .user_name(&name)
                    .policy_name(&p)
                    .send()
                    .await;
                let doc = out.sub("iam:GetUserPolicy", doc, &[], |o| {
                    policy_doc(o.policy_document())
                });
                list.push(json!({ "policyName": p, "policyDocument": doc }));
            }
            Value::Array(list)
        }
        Err(e) => failed(&mut out, "iam:ListUserPolicies", e),
    };

    let login = c.get_login_profile().user_name(&name).send().await;
    let login = out.sub("iam:GetLoginProfile", login, &["NoSuchEntity"], |o| {
        o.login_profile().map_or(Value::Null, |l| {
            json!({
                "userName": l.user_name(),
                "createDate": ts(l.create_date()),
                "passwordResetRequired": l.password_reset_required(),
            })
        })
    });

    let mfa = c
        .list_mfa_devices()
        .user_name(&name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let mfa = out.sub("iam:ListMFADevices", mfa, &[], |ds| {
        Value::Array(
            ds.iter()
                .map(|d| json!({ "serialNumber": d.serial_number(), "enableDate": ts(d.enable_date()) }))
                .collect(),
        )
    });

    let keys = c
        .list_access_keys()
        .user_name(&name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let keys = match keys {
        Ok(keys) => {
            let mut list = Vec::with_capacity(keys.len());
            for k in keys {
                let last_used = match k.access_key_id() {
                    Some(id) => {
                        let r = c.get_access_key_last_used().access_key_id(id).send().await;
                        out.sub("iam:GetAccessKeyLastUsed", r, &[], |o| {
                            o.access_key_last_used().map_or(Value::Null, |l| {
                                json!({
                                    "lastUsedDate": ts_opt(l.last_used_date()),
                                    "serviceName": l.service_name(),
                                    "region": l.region(),
                                })
                            })
                        })
                    }
                    None => Value::Null,
                };
                list.push(json!({
                    "accessKeyId": k.access_key_id(),
                    "status": k.status().map(|s| s.as_str().to_owned()),
                    "createDate": ts_opt(k.create_date()),
                    "lastUsed": last_used,
                }));
            }
            Value::Array(list)
        }
        Err(e) => failed(&mut out, "iam:ListAccessKeys", e),
    };

    let mut r = Resource::new(
        &ctx.account_id,
        REGION,
        "AWS::IAM::User",
        u.user_id(),
        u.arn(),
    );
    r.name = u.user_name().to_owned();
    r.tags = tag_map(u.tags().iter().map(|t| (t.key(), t.value())));
    r.configuration = json!({
        "userName": u.user_name(),
        "userId": u.user_id(),
        "arn": u.arn(),
        "path": u.path(),
        "createDate": ts(u.create_date()),
        "passwordLastUsed": ts_opt(u.password_last_used()),
        "groupList": group_list,
        "attachedManagedPolicies": attached,
        "userPolicyList": inline,
        "permissionsBoundary": boundary,
    });
    r.supplementary = json!({
        "LoginProfile": login,
        "MfaDevices": mfa,
        "AccessKeys": keys,
    });
    r.relationships = rels;
    out.resources.push(r);
    out
}

/// Reads one group: its members and policies.
async fn group(ctx: &Ctx, c: &Client, g: Group, policy_ids: &HashMap<String, String>) -> Collected {
    let mut out = Collected::default();
    let name = g.group_name().to_owned();
    let mut rels = Vec::new();

    let members = c
        .get_group()
        .group_name(&name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let members = out.sub("iam:GetGroup", members, &[], |us| {
        for u in &us {
            rels.push(rel("Contains", "AWS::IAM::User", u.user_id()));
        }
        Value::Array(
            us.iter()
                .map(
                    |u| json!({ "userName": u.user_name(), "userId": u.user_id(), "arn": u.arn() }),
                )
                .collect(),
        )
    });

    let attached = c
        .list_attached_group_policies()
        .group_name(&name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let attached = out.sub("iam:ListAttachedGroupPolicies", attached, &[], |ps| {
        attached_json(&ps, policy_ids, &mut rels)
    });

    let inline = c
        .list_group_policies()
        .group_name(&name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let inline = match inline {
        Ok(names) => {
            let mut list = Vec::with_capacity(names.len());
            for p in names {
                let doc = c
                    .get_group_policy()
                    .group_name(&name)
                    .policy_name(&p)
                    .send()
                    .await;
                let doc = out.sub("iam:GetGroupPolicy", doc, &[], |o| {
                    policy_doc(o.policy_document())
                });
                list.push(json!({ "policyName": p, "policyDocument": doc }));
            }
            Value::Array(list)
        }
        Err(e) => failed(&mut out, "iam:ListGroupPolicies", e),
    };

    let mut r = Resource::new(
        &ctx.account_id,
        REGION,
        "AWS::IAM::Group",
        g.group_id(),
        g.arn(),
    );
    r.name = name;
    r.configuration = json!({
        "groupName": g.group_name(),
        "groupId": g.group_id(),
        "arn": g.arn(),
        "path": g.path(),
        "createDate": ts(g.create_date()),
        "attachedManagedPolicies": attached,
        "groupPolicyList": inline,
        "users": members,
    });
    r.relationships = rels;
    out.resources.push(r);
    out
}

/// Reads one role: trust policy, policies, last use, boundary and tags.
async fn role(
    ctx: &Ctx,
    c: &Client,
    listed: Role,
    policy_ids: &HashMap<String, String>,
) -> Collected {
    let mut out = Collected::default();
    let name = listed.role_name().to_owned();
    let mut rels = Vec::new();

    // ListRoles leaves out tags, the boundary and the last use; GetRole has them.
    let got = c.get_role().role_name(&name).send().await;
    let mut full = None;
    let get_failed = out.sub("iam:GetRole", got, &["NoSuchEntity"], |o| {
        full = o.role;
        Value::Null
    });
    let ro = full.unwrap_or(listed);
    let (boundary, last_used) = if get_failed.is_null() {
        let last = ro.role_last_used().map_or(
            Value::Null,
            |l| json!({ "lastUsedDate": ts_opt(l.last_used_date()), "region": l.region() }),
        );
        (boundary_json(ro.permissions_boundary()), last)
    } else {
        (get_failed.clone(), get_failed)
    };

    let attached = c
        .list_attached_role_policies()
        .role_name(&name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let attached = out.sub("iam:ListAttachedRolePolicies", attached, &[], |ps| {
        attached_json(&ps, policy_ids, &mut rels)
    });

    let inline = c
        .list_role_policies()
        .role_name(&name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let inline = match inline {
        Ok(names) => {
            let mut list = Vec::with_capacity(names.len());
            for p in names {
                let doc = c
                    .get_role_policy()
                    .role_name(&name)
                    .policy_name(&p)
                    .send()
                    .await;
                let doc = out.sub("iam:GetRolePolicy", doc, &[], |o| {
                    policy_doc(o.policy_document())
                });
                list.push(json!({ "policyName": p, "policyDocument": doc }));
            }
            Value::Array(list)
        }
        Err(e) => failed(&mut out, "iam:ListRolePolicies", e),
    };

    let mut r = Resource::new(
        &ctx.account_id,
        REGION,
        "AWS::IAM::Role",
        ro.role_id(),
        ro.arn(),
    );
    r.name = ro.role_name().to_owned();
    r.tags = tag_map(ro.tags().iter().map(|t| (t.key(), t.value())));
    r.configuration = json!({
        "roleName": ro.role_name(),
        "roleId": ro.role_id(),
        "arn": ro.arn(),
        "path": ro.path(),
        "description": ro.description(),
        "createDate": ts(ro.create_date()),
        "assumeRolePolicyDocument": ro.assume_role_policy_document().map_or(Value::Null, policy_doc),
        "maxSessionDuration": ro.max_session_duration(),
        "attachedManagedPolicies": attached,
        "rolePolicyList": inline,
        "roleLastUsed": last_used,
        "permissionsBoundary": boundary,
    });
    r.relationships = rels;
    out.resources.push(r);
    out
}

/// Reads one managed policy and its default version's document.
async fn policy(ctx: &Ctx, c: &Client, p: Policy) -> Collected {
    let mut out = Collected::default();
    let (Some(arn), Some(id)) = (p.arn(), p.policy_id()) else {
        return out;
    };
    let versions = match p.default_version_id() {
        Some(v) => {
            let got = c
                .get_policy_version()
                .policy_arn(arn)
                .version_id(v)
                .send()
                .await;
            out.sub("iam:GetPolicyVersion", got, &[], |o| {
                Value::Array(
                    o.policy_version()
                        .into_iter()
                        .map(|pv| {
                            json!({
                                "versionId": pv.version_id(),
                                "isDefaultVersion": pv.is_default_version(),
                                "createDate": ts_opt(pv.create_date()),
                                "document": pv.document().map_or(Value::Null, policy_doc),
                            })
                        })
                        .collect(),
                )
            })
        }
        None => Value::Array(Vec::new()),
    };
    let name = p.policy_name().unwrap_or(id);
    let mut r = Resource::new(&ctx.account_id, REGION, "AWS::IAM::Policy", id, arn);
    r.name = name.to_owned();
    r.tags = tag_map(p.tags().iter().map(|t| (t.key(), t.value())));
    r.configuration = json!({
        "policyName": name,
        "policyId": id,
        "arn": arn,
        "path": p.path(),
        "description": p.description(),
        "defaultVersionId": p.default_version_id(),
        "attachmentCount": p.attachment_count(),
        "permissionsBoundaryUsageCount": p.permissions_boundary_usage_count(),
        "isAttachable": p.is_attachable(),
        "createDate": ts_opt(p.create_date()),
        "updateDate": ts_opt(p.update_date()),
        "policyVersionList": versions,
    });
    out.resources.push(r);
    out
}

/// An account-level resource: id is the account, ARN built from `suffix`.
fn account_resource(ctx: &Ctx, resource_type: &str, suffix: &str, label: &str) -> Resource {
    let arn = format!("arn:{}:iam::{}:{suffix}", ctx.partition(), ctx.account_id);
    let mut r = Resource::new(
        &ctx.account_id,
        REGION,
        resource_type,
        &ctx.account_id,
        &arn,
    );
    r.name = format!("{} {label}", ctx.account_id);
    r
}

fn password_policy_json(p: &PasswordPolicy) -> Value {
    json!({
        "MinimumPasswordLength": p.minimum_password_length(),
        "RequireSymbols": p.require_symbols(),
        "RequireNumbers": p.require_numbers(),
        "RequireUppercaseCharacters": p.require_uppercase_characters(),
        "RequireLowercaseCharacters": p.require_lowercase_characters(),
        "AllowUsersToChangePassword": p.allow_users_to_change_password(),
        "ExpirePasswords": p.expire_passwords(),
        "MaxPasswordAge": p.max_password_age(),
        "PasswordReusePrevention": p.password_reuse_prevention(),
        "HardExpiry": p.hard_expiry(),
    })
}

/// The account password policy: `PasswordPolicy` is the policy, null when
/// the account has none (NoSuchEntity), or an unavailable marker.
async fn password_policy(ctx: &Ctx, c: &Client, out: &mut Collected) -> Resource {
    let got = c.get_account_password_policy().send().await;
    let value = out.sub(
        "iam:GetAccountPasswordPolicy",
        got,
        &["NoSuchEntity"],
        |o| {
            o.password_policy()
                .map_or(Value::Null, password_policy_json)
        },
    );
    let mut r = account_resource(
        ctx,
        "AWS::IAM::AccountPasswordPolicy",
        "account-password-policy",
        "password policy",
    );
    if value.is_object() && value.get(shareline_model::attr::UNAVAILABLE_KEY).is_none() {
        r.configuration = value.clone();
    }
    r.supplementary = json!({ "PasswordPolicy": value });
    r
}

/// The account summary: entity counts and quotas, `AccountMFAEnabled`,
/// `AccountAccessKeysPresent`...
async fn account_summary(ctx: &Ctx, c: &Client, out: &mut Collected) -> Resource {
    let got = c.get_account_summary().send().await;
    let value = out.sub("iam:GetAccountSummary", got, &[], |o| {
        let mut map = Map::new();
        for (k, v) in o.summary_map().into_iter().flatten() {
            map.insert(k.as_str().to_owned(), json!(v));
        }
        Value::Object(map)
    });
    let mut r = account_resource(
        ctx,
        "AWS::IAM::AccountSummary",
        "account-summary",
        "account summary",
    );
    if value.get(shareline_model::attr::UNAVAILABLE_KEY).is_none() && value.is_object() {
        r.configuration = value.clone();
    }
    r.supplementary = json!({ "AccountSummary": value });
    r
}

/// The credential report: generated, polled until complete (bounded), then
/// read. `CredentialReport` holds one object per CSV row keyed by the
/// header, or an unavailable marker.
async fn credential_report(ctx: &Ctx, c: &Client, out: &mut Collected) -> Resource {
    let mut r = account_resource(
        ctx,
        "AWS::IAM::CredentialReport",
        "credential-report",
        "credential report",
    );
    let rows = match wait_for_report(c).await {
        Err(e) => failed(out, "iam:GenerateCredentialReport", e),
        Ok(()) => {
            let got = c.get_credential_report().send().await;
            // The report's generation time is left out on purpose: it moves on
            // every read and would make a new version of an unchanged report.
            out.sub("iam:GetCredentialReport", got, &[], |o| {
                let text = o
                    .content()
                    .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
                    .unwrap_or_default();
                Value::Array(parse_csv(&text))
            })
        }
    };
    r.supplementary = json!({ "CredentialReport": rows });
    r
}

/// Asks for a report until IAM says it is complete, at most `REPORT_TRIES`
/// times. Running out of tries is not an error here: the read that follows
/// then fails with `ReportInProgress` and becomes the unavailable marker.
async fn wait_for_report(
    c: &Client,
) -> Result<
    (),
    SdkError<
        aws_sdk_iam::operation::generate_credential_report::GenerateCredentialReportError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
> {
    for attempt in 1..=REPORT_TRIES {
        let o = c.generate_credential_report().send().await?;
        if o.state() == Some(&ReportStateType::Complete) || attempt == REPORT_TRIES {
            break;
        }
        tokio::time::sleep(
            REPORT_WAIT_STEP
                .saturating_mul(attempt)
                .min(REPORT_WAIT_MAX),
        )
        .await;
    }
    Ok(())
}

/// Parses CSV text into one object per row, keyed by the header row.
/// Handles double-quoted cells (with `""` escapes); a short row's missing
/// cells are empty strings.
fn parse_csv(text: &str) -> Vec<Value> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let header = split_csv_line(header);
    lines
        .map(|line| {
            let cells = split_csv_line(line);
            let row: Map<String, Value> = header
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    (
                        h.clone(),
                        Value::String(cells.get(i).cloned().unwrap_or_default()),
                    )
                })
                .collect();
            Value::Object(row)
        })
        .collect()
}

fn split_csv_line(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(ch),
        }
    }
    cells.push(cell);
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_report_csv_is_parsed() {
        let text = "user,arn,password_enabled\r\n<root_account>,arn:aws:iam::1:root,not_supported\r\n\"a,b\",\"x\"\"y\",true\r\nshort\r\n";
        let rows = parse_csv(text);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0]["user"], "<root_account>");
        assert_eq!(rows[0]["password_enabled"], "not_supported");
        assert_eq!(rows[1]["user"], "a,b");
        assert_eq!(rows[1]["arn"], "x\"y");
        assert_eq!(rows[2]["arn"], "");
        assert!(parse_csv("").is_empty());
    }
}
