//! Predicates for `catalog/checks/aws/iam/`.
//!
//! Shapes read here are those of `shareline-collect-aws`'s IAM collector and
//! of AWS Config exports (the demo estate), which differ in places:
//!
//! * the password policy is PascalCase under `supplementary.PasswordPolicy`
//!   (and `configuration`) when collected live, lowerCamelCase under
//!   `configuration` in an export; an account without a policy has a null
//!   `PasswordPolicy` live and no resource at all in an export;
//! * a managed policy's document is under `policyVersionList[].document`
//!   live and under `document` in an export;
//! * a group's members (`users`) are collected live only; exports carry the
//!   membership on the users (`groupList`).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::aws::{days_since, parse_time};
use crate::policy::{self, Statement};
use crate::view::walk;
use crate::{AccountView, Ctx, Known, Outcome, Res, Stop, Verdict};

const USER: &str = "AWS::IAM::User";
const GROUP: &str = "AWS::IAM::Group";
const ROLE: &str = "AWS::IAM::Role";
const POLICY: &str = "AWS::IAM::Policy";
const PASSWORD_POLICY: &str = "AWS::IAM::AccountPasswordPolicy";
const SUMMARY: &str = "AWS::IAM::AccountSummary";
const REPORT: &str = "AWS::IAM::CredentialReport";
const IAM_TYPES: [&str; 7] = [USER, GROUP, ROLE, POLICY, PASSWORD_POLICY, SUMMARY, REPORT];

/// The credential report's row for the root user.
const ROOT_ROW: &str = "<root_account>";

/// ARN suffixes of AWS managed policies some checks look for.
const ADMIN_ACCESS: &str = ":iam::aws:policy/AdministratorAccess";
const SUPPORT_ACCESS: &str = ":iam::aws:policy/AWSSupportAccess";
const CLOUDSHELL_FULL: &str = ":iam::aws:policy/AWSCloudShellFullAccess";

/// Actions that let a principal raise its own permissions when allowed on
/// every resource of their kind.
const ESCALATION_ACTIONS: &[&str] = &[
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AddUserToGroup",
    "iam:UpdateAssumeRolePolicy",
    "iam:DeleteUserPermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "lambda:UpdateFunctionCode",
    "glue:UpdateDevEndpoint",
];

/// Actions that run code under a role handed over with `iam:PassRole`.
const PASS_ROLE_TARGETS: &[&str] = &[
    "ec2:RunInstances",
    "lambda:CreateFunction",
    "cloudformation:CreateStack",
    "glue:CreateDevEndpoint",
    "datapipeline:CreatePipeline",
    "sagemaker:CreateNotebookInstance",
    "codebuild:CreateProject",
    "ecs:RunTask",
];

// ---------------------------------------------------------------- helpers

fn first<'a>(view: &AccountView<'a>, resource_type: &str) -> Option<Res<'a>> {
    view.of_type(resource_type).next()
}

/// True when the account has any IAM data at all: without it an account
/// check cannot tell "missing" from "not collected".
fn iam_collected(view: &AccountView<'_>) -> bool {
    IAM_TYPES.iter().any(|t| first(view, t).is_some())
}

/// A whole number as a JSON integer, anything else as a float.
fn number_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

fn not_collected(what: &str) -> Stop {
    Stop::Unknown(format!("{what} was not collected for this account"))
}

fn text<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// Whole days since a timestamp; ERROR when it cannot be read.
fn age_days(v: Option<&Value>, now: DateTime<Utc>, what: &str) -> Result<i64, Stop> {
    days_since(v, now).ok_or_else(|| Stop::error(format!("{what} is not a readable timestamp")))
}

/// A number from the account summary; `Ok(None)` when there is no summary.
fn summary_number(view: &AccountView<'_>, key: &str) -> Result<Option<f64>, Stop> {
    let Some(s) = first(view, SUMMARY) else {
        return Ok(None);
    };
    let source = match s.sup("AccountSummary") {
        Known::Unavailable(u) => return Err(Stop::unavailable(&u)),
        Known::Value(v) if v.is_object() => v,
        _ => &s.resource.configuration,
    };
    walk(source, key).f64()
}

/// The credential report's root row; `Ok(None)` when there is no report.
fn root_row<'a>(view: &AccountView<'a>) -> Result<Option<&'a Value>, Stop> {
    let Some(r) = first(view, REPORT) else {
        return Ok(None);
    };
    let rows = r.sup("CredentialReport").list()?;
    Ok(rows.iter().find(|row| text(row, "user") == Some(ROOT_ROW)))
}

/// Whether the root user has a credential: from the account summary's
/// `summary_key` (a count or flag), else from the credential report's
/// `columns` (any `true`). Returns the answer with the field and value seen.
fn root_flag(
    view: &AccountView<'_>,
    summary_key: &str,
    columns: &[&str],
) -> Result<(bool, String, Value), Stop> {
    let from_summary = summary_number(view, summary_key);
    if let Ok(Some(n)) = from_summary {
        return Ok((
            n > 0.0,
            format!("AWS::IAM::AccountSummary.{summary_key}"),
            number_value(n),
        ));
    }
    match root_row(view) {
        Ok(Some(row)) => {
            let mut seen = serde_json::Map::new();
            let mut on = false;
            for c in columns {
                let v = text(row, c).unwrap_or("");
                on |= v.eq_ignore_ascii_case("true");
                seen.insert((*c).to_owned(), json!(v));
            }
            return Ok((
                on,
                format!("AWS::IAM::CredentialReport.{ROOT_ROW}"),
                Value::Object(seen),
            ));
        }
        Ok(None) => {}
        Err(e) => return Err(from_summary.err().unwrap_or(e)),
    }
    match from_summary {
        Err(e) => Err(e),
        Ok(_) if iam_collected(view) => Err(not_collected(
            "Neither the IAM account summary nor the credential report",
        )),
        Ok(_) => Err(not_collected("IAM data")),
    }
}

/// The account password policy; `None` when the account has none.
fn password_policy<'a>(view: &AccountView<'a>) -> Result<Option<&'a Value>, Stop> {
    let Some(r) = first(view, PASSWORD_POLICY) else {
        return if iam_collected(view) {
            Ok(None)
        } else {
            Err(not_collected("IAM data"))
        };
    };
    match r.sup("PasswordPolicy") {
        Known::Unavailable(u) => Err(Stop::unavailable(&u)),
        Known::Value(v) if v.is_object() => Ok(Some(v)),
        _ => {
            let c = &r.resource.configuration;
            Ok(c.as_object().filter(|m| !m.is_empty()).map(|_| c))
        }
    }
}

/// A password policy setting under its API name (`MinimumPasswordLength`)
/// or AWS Config's lowerCamelCase one.
fn pp_field<'v>(policy: &'v Value, key: &str) -> Option<&'v Value> {
    let mut chars = key.chars();
    let lower = chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default();
    policy
        .get(key)
        .filter(|v| !v.is_null())
        .or_else(|| policy.get(&lower).filter(|v| !v.is_null()))
}

fn pp_number(policy: &Value, key: &str) -> Option<f64> {
    pp_field(policy, key).and_then(|v| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn pp_flag(policy: &Value, key: &str) -> bool {
    match pp_field(policy, key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn pp_evidence(key: &str) -> String {
    format!("supplementary.PasswordPolicy.{key}")
}

/// A password-policy character requirement (`RequireSymbols`...).
fn password_requirement(view: &AccountView<'_>, key: &str, what: &str) -> Verdict {
    let account = view.account_id();
    let Some(p) = password_policy(view)? else {
        return Ok(Outcome::fail(format!(
            "Account {account} has no IAM password policy, so passwords need not contain {what}."
        )));
    };
    Ok(if pp_flag(p, key) {
        Outcome::pass(format!(
            "The password policy of account {account} requires {what}."
        ))
    } else {
        Outcome::fail(format!(
            "The password policy of account {account} does not require {what}."
        ))
        .at(
            &pp_evidence(key),
            pp_field(p, key).cloned().unwrap_or(Value::Null),
        )
    })
}

/// The user's active access keys.
fn active_keys<'a>(res: &Res<'a>) -> Result<Vec<&'a Value>, Stop> {
    Ok(res
        .sup("AccessKeys")
        .list()?
        .iter()
        .filter(|k| text(k, "status") == Some("Active"))
        .collect())
}

fn key_id(key: &Value) -> &str {
    text(key, "accessKeyId").unwrap_or("?")
}

/// When a key was last used; `Ok(None)` when never.
fn key_last_used(key: &Value) -> Result<Option<&Value>, Stop> {
    walk(key, "lastUsed.lastUsedDate").opt()
}

/// Inline policies of a user, group or role: `(name, field, document)`.
fn inline_policies(res: &Res<'_>, list: &str) -> Result<Vec<(String, String, Value)>, Stop> {
    let items = res.cfg(list).list()?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let name = text(item, "policyName").unwrap_or("?").to_owned();
        let field = format!("configuration.{list}.{i}.policyDocument");
        if let Some(doc) = res.json_text(&field)? {
            out.push((name, field, doc));
        }
    }
    Ok(out)
}

/// The default version's document of a managed policy, with its field.
fn managed_document(res: &Res<'_>) -> Result<Option<(String, Value)>, Stop> {
    let field = match res.cfg("policyVersionList") {
        Known::Unavailable(u) => return Err(Stop::unavailable(&u)),
        Known::Value(Value::Array(items)) => {
            if items.is_empty() {
                return Ok(None);
            }
            let i = items
                .iter()
                .position(|v| v.get("isDefaultVersion").and_then(Value::as_bool) == Some(true))
                .unwrap_or(0);
            format!("configuration.policyVersionList.{i}.document")
        }
        _ => "configuration.document".to_owned(),
    };
    Ok(res.json_text(&field)?.map(|doc| (field, doc)))
}

fn aws_managed(arn: &str) -> bool {
    arn.contains(":iam::aws:policy/")
}

/// `Action: "*"` on `Resource: "*"`.
fn full_admin(s: &Statement) -> bool {
    s.allow && s.actions.iter().any(|a| a == "*" || a == "*:*") && s.all_resources()
}

/// True when a statement reaches every resource of a kind: `*`, `...:*`,
/// `.../*`, or `NotResource`.
fn broad(s: &Statement) -> bool {
    s.resources.is_empty()
        || s.resources
            .iter()
            .any(|r| r == "*" || r.ends_with(":*") || r.ends_with("/*"))
}

fn denied(statements: &[Statement], action: &str) -> bool {
    statements
        .iter()
        .any(|s| !s.allow && broad(s) && s.condition.is_null() && s.covers_action(action))
}

/// Allowed on every resource of its kind and not denied outright.
fn allowed_broadly(statements: &[Statement], action: &str) -> bool {
    statements
        .iter()
        .any(|s| s.allow && broad(s) && s.covers_action(action))
        && !denied(statements, action)
}

fn allowed(statements: &[Statement], action: &str) -> bool {
    statements
        .iter()
        .any(|s| s.allow && s.covers_action(action))
        && !denied(statements, action)
}

/// The privilege-escalation paths a document opens.
fn escalation_paths(statements: &[Statement]) -> Vec<String> {
    let mut out: Vec<String> = ESCALATION_ACTIONS
        .iter()
        .filter(|a| allowed_broadly(statements, a))
        .map(|a| (*a).to_owned())
        .collect();
    if allowed_broadly(statements, "iam:PassRole") {
        for t in PASS_ROLE_TARGETS {
            if allowed(statements, t) {
                out.push(format!("iam:PassRole + {t}"));
            }
        }
    }
    out
}

fn shorten(items: &[String], max: usize) -> String {
    if items.len() <= max {
        items.join(", ")
    } else {
        let shown: Vec<&str> = items.iter().take(max).map(String::as_str).collect();
        format!("{} and {} more", shown.join(", "), items.len() - max)
    }
}

/// What gives an identity full administrator access: the AWS managed
/// `AdministratorAccess` policy, a managed policy (found in `view`) or an
/// inline policy allowing `*` on `*`.
fn admin_grants(
    res: &Res<'_>,
    view: &AccountView<'_>,
    inline_list: &str,
) -> Result<Vec<String>, Stop> {
    let mut found = Vec::new();
    let mut unknown = None;
    match res.cfg("attachedManagedPolicies").list() {
        Err(e) => unknown = Some(e),
        Ok(items) => {
            for p in items {
                let arn = text(p, "policyArn").unwrap_or("");
                let name = text(p, "policyName").unwrap_or(arn);
                if arn.ends_with(ADMIN_ACCESS) {
                    found.push(format!("managed policy {name}"));
                    continue;
                }
                let Some(pol) = view.by_arn(arn) else {
                    continue;
                };
                match managed_document(&pol) {
                    Ok(Some((_, doc))) => {
                        if policy::statements(&doc).iter().any(full_admin) {
                            found.push(format!("managed policy {name}"));
                        }
                    }
                    Ok(None) => {}
                    Err(e) => unknown = Some(e),
                }
            }
        }
    }
    match inline_policies(res, inline_list) {
        Err(e) => unknown = Some(e),
        Ok(list) => {
            for (name, _, doc) in list {
                if policy::statements(&doc).iter().any(full_admin) {
                    found.push(format!("inline policy {name}"));
                }
            }
        }
    }
    match unknown {
        Some(e) if found.is_empty() => Err(e),
        _ => Ok(found),
    }
}

/// Names of identities of `resource_type` attaching a managed policy whose
/// ARN ends with `suffix`; UNKNOWN when none was found but some identity's
/// attachments were unreadable.
fn attached_to(
    view: &AccountView<'_>,
    resource_type: &str,
    suffix: &str,
    found: &mut Vec<String>,
    unknown: &mut Option<Stop>,
) {
    let kind = resource_type
        .rsplit("::")
        .next()
        .unwrap_or("")
        .to_lowercase();
    for r in view.of_type(resource_type) {
        match r.cfg("attachedManagedPolicies").list() {
            Err(e) => *unknown = Some(e),
            Ok(items) => {
                if items
                    .iter()
                    .any(|p| text(p, "policyArn").is_some_and(|a| a.ends_with(suffix)))
                {
                    found.push(format!("{kind} {}", r.name()));
                }
            }
        }
    }
}

/// The values a condition tests `key` against with a positive string
/// operator (`StringEquals`, `StringLike` and their `ForAnyValue:` forms);
/// `None` when no such operator tests it.
fn positive_condition_values<'v>(condition: &'v Value, key: &str) -> Option<Vec<&'v str>> {
    let ops = condition.as_object()?;
    let mut out: Option<Vec<&str>> = None;
    for (op, tests) in ops {
        let op = op.to_ascii_lowercase();
        if !(op.contains("stringequals") || op.contains("stringlike")) || op.contains("not") {
            continue;
        }
        for (k, v) in tests.as_object().into_iter().flatten() {
            if !k.eq_ignore_ascii_case(key) {
                continue;
            }
            let list = out.get_or_insert_with(Vec::new);
            match v {
                Value::String(s) => list.push(s),
                Value::Array(items) => list.extend(items.iter().filter_map(Value::as_str)),
                _ => {}
            }
        }
    }
    out
}

/// True when the condition tests any of `keys`, with any operator.
fn condition_has_key(condition: &Value, keys: &[&str]) -> bool {
    condition.as_object().is_some_and(|ops| {
        ops.values().any(|tests| {
            tests.as_object().is_some_and(|m| {
                m.keys()
                    .any(|k| keys.iter().any(|want| k.eq_ignore_ascii_case(want)))
            })
        })
    })
}

/// The role's trust policy statements, with the document.
fn trust(res: &Res<'_>) -> Result<Option<(Value, Vec<Statement>)>, Stop> {
    let Some(doc) = res.json_text("configuration.assumeRolePolicyDocument")? else {
        return Ok(None);
    };
    let statements = policy::statements(&doc);
    Ok(Some((doc, statements)))
}

/// Accounts other than the role's own (and `trusted`) that its trust policy
/// lets assume it; `*` when anyone can.
fn foreign_principals(res: &Res<'_>, statements: &[Statement], trusted: &[&str]) -> Vec<String> {
    let own = res.account_id();
    let mut out = Vec::new();
    for s in statements.iter().filter(|s| s.allow) {
        if s.anyone() {
            out.push("*".to_owned());
        }
        for a in s.principal_accounts() {
            if a != own && !trusted.contains(&a.as_str()) && !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out
}

/// Roles AWS creates and manages itself.
fn aws_owned_role(res: &Res<'_>) -> Result<bool, Stop> {
    let path = res.cfg("path").str()?.unwrap_or("/");
    Ok(path.starts_with("/aws-service-role/") || path.starts_with("/aws-reserved/"))
}

/// Tags present on a user or role; the tags are read by the Get call whose
/// failure the collector records on `permissionsBoundary`.
fn tagged(res: &Res<'_>, ctx: &Ctx<'_>, kind: &str) -> Verdict {
    if let Known::Unavailable(u) = res.cfg("permissionsBoundary") {
        return Err(Stop::unavailable(&u));
    }
    let required = ctx.list("required_tag_keys")?;
    let name = res.name();
    if required.is_empty() {
        let has_any = res.resource.tags.keys().any(|k| !k.starts_with("aws:"));
        return Ok(if has_any {
            Outcome::pass(format!("IAM {kind} `{name}` has tags."))
        } else {
            Outcome::fail(format!(
                "IAM {kind} `{name}` has no tags other than AWS system tags."
            ))
            .at("tags", json!(res.resource.tags))
        });
    }
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|k| res.tag(k).is_none())
        .collect();
    Ok(if missing.is_empty() {
        Outcome::pass(format!("IAM {kind} `{name}` has every required tag."))
    } else {
        Outcome::fail(format!(
            "IAM {kind} `{name}` lacks the tag(s) {}.",
            missing.join(", ")
        ))
        .at("tags", json!(res.resource.tags))
    })
}

/// FAIL when an inline policy allows `*` on `*`.
fn inline_no_admin(res: &Res<'_>, list: &str, kind: &str) -> Verdict {
    let name = res.name();
    for (policy_name, field, doc) in inline_policies(res, list)? {
        let statements = policy::statements(&doc);
        if let Some((i, s)) = statements.iter().enumerate().find(|(_, s)| full_admin(s)) {
            return Ok(Outcome::fail(format!(
                "Inline policy `{policy_name}` of IAM {kind} `{name}` allows every action on every resource (statement {}).",
                s.label(i)
            ))
            .at(&field, doc));
        }
    }
    Ok(Outcome::pass(format!(
        "No inline policy of IAM {kind} `{name}` grants full administrator access."
    )))
}

/// FAIL when an inline policy opens a privilege-escalation path.
fn inline_no_escalation(res: &Res<'_>, list: &str, kind: &str) -> Verdict {
    let name = res.name();
    for (policy_name, field, doc) in inline_policies(res, list)? {
        let paths = escalation_paths(&policy::statements(&doc));
        if !paths.is_empty() {
            return Ok(Outcome::fail(format!(
                "Inline policy `{policy_name}` of IAM {kind} `{name}` allows privilege escalation through {}.",
                shorten(&paths, 4)
            ))
            .at(&field, doc));
        }
    }
    Ok(Outcome::pass(format!(
        "No inline policy of IAM {kind} `{name}` allows a known privilege-escalation action on all resources."
    )))
}

/// For customer managed policies: the parsed default document, or `None`
/// when the check does not apply (AWS managed, unattached unless
/// `include_unattached`, no document).
fn customer_policy(res: &Res<'_>, ctx: &Ctx<'_>) -> Result<Option<(String, Value)>, Stop> {
    let arn = if res.arn().is_empty() {
        res.cfg("arn").str()?.unwrap_or("")
    } else {
        res.arn()
    };
    if aws_managed(arn) {
        return Ok(None);
    }
    if !ctx.flag("include_unattached")? {
        let attached = res.cfg("attachmentCount").f64()?.unwrap_or(0.0);
        if attached <= 0.0 {
            return Ok(None);
        }
    }
    managed_document(res)
}

// ------------------------------------------------------------ root user

/// PASS when the root user has MFA.
pub(crate) fn root_mfa_enabled(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let (on, field, value) = root_flag(view, "AccountMFAEnabled", &["mfa_active"])?;
    let account = view.account_id();
    Ok(if on {
        Outcome::pass(format!(
            "The root user of account {account} has MFA enabled."
        ))
    } else {
        Outcome::fail(format!(
            "The root user of account {account} signs in without MFA."
        ))
        .at(&field, value)
    })
}

/// PASS when the root user has no access keys.
pub(crate) fn root_no_access_keys(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let (present, field, value) = root_flag(
        view,
        "AccountAccessKeysPresent",
        &["access_key_1_active", "access_key_2_active"],
    )?;
    let account = view.account_id();
    Ok(if present {
        Outcome::fail(format!(
            "The root user of account {account} has an access key."
        ))
        .at(&field, value)
    } else {
        Outcome::pass(format!(
            "The root user of account {account} has no access keys."
        ))
    })
}

/// PASS when the root user has no X.509 signing certificates.
pub(crate) fn root_no_signing_certificates(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let (present, field, value) = root_flag(
        view,
        "AccountSigningCertificatesPresent",
        &["cert_1_active", "cert_2_active"],
    )?;
    let account = view.account_id();
    Ok(if present {
        Outcome::fail(format!(
            "The root user of account {account} has an X.509 signing certificate."
        ))
        .at(&field, value)
    } else {
        Outcome::pass(format!(
            "The root user of account {account} has no signing certificates."
        ))
    })
}

/// FAIL when the credential report shows the root password or a root key in
/// use within `recent_days`.
pub(crate) fn root_not_used_recently(view: &AccountView<'_>, ctx: &Ctx<'_>) -> Verdict {
    let recent = ctx.int("recent_days")?;
    let now = ctx.now()?;
    let account = view.account_id();
    let Some(row) = root_row(view)? else {
        return Err(if iam_collected(view) {
            not_collected("The IAM credential report (or its root row)")
        } else {
            not_collected("IAM data")
        });
    };
    let mut latest: Option<(&str, DateTime<Utc>)> = None;
    for column in [
        "password_last_used",
        "access_key_1_last_used_date",
        "access_key_2_last_used_date",
    ] {
        if let Some(t) = parse_time(row.get(column))
            && latest.is_none_or(|(_, l)| t > l)
        {
            latest = Some((column, t));
        }
    }
    Ok(match latest {
        None => Outcome::pass(format!(
            "The credential report shows no use of the root user of account {account}."
        )),
        Some((column, t)) => {
            let days = (now - t).num_days();
            if days <= recent {
                let when = if days < 1 {
                    "less than a day ago".to_owned()
                } else {
                    format!("{days} day(s) ago")
                };
                Outcome::fail(format!(
                    "The root user of account {account} was used {when} ({column}), within the last {recent} days."
                ))
                .at(
                    &format!("AWS::IAM::CredentialReport.{ROOT_ROW}.{column}"),
                    t.to_rfc3339(),
                )
            } else {
                Outcome::pass(format!(
                    "The root user of account {account} was last used {days} days ago."
                ))
            }
        }
    })
}

// ------------------------------------------------------ password policy

/// PASS when the account has a password policy.
pub(crate) fn password_policy_exists(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let account = view.account_id();
    Ok(match password_policy(view)? {
        Some(_) => Outcome::pass(format!("Account {account} has an IAM password policy.")),
        None => Outcome::fail(format!(
            "Account {account} has no IAM password policy; AWS defaults apply."
        )),
    })
}

/// PASS when passwords must be at least `min_length` characters long.
pub(crate) fn password_policy_min_length(view: &AccountView<'_>, ctx: &Ctx<'_>) -> Verdict {
    let min = ctx.int("min_length")?;
    let account = view.account_id();
    let Some(p) = password_policy(view)? else {
        return Ok(Outcome::fail(format!(
            "Account {account} has no IAM password policy, so passwords may be as short as 8 characters (minimum wanted: {min})."
        )));
    };
    let key = "MinimumPasswordLength";
    let len = pp_number(p, key).unwrap_or(0.0);
    Ok(if len >= min as f64 {
        Outcome::pass(format!(
            "Account {account} requires passwords of at least {len} characters."
        ))
    } else {
        Outcome::fail(format!(
            "Account {account} requires passwords of only {len} characters (minimum wanted: {min})."
        ))
        .at(
            &pp_evidence(key),
            pp_field(p, key).cloned().unwrap_or(Value::Null),
        )
    })
}

/// PASS when the last `min_remembered` passwords cannot be reused.
pub(crate) fn password_policy_reuse_prevention(view: &AccountView<'_>, ctx: &Ctx<'_>) -> Verdict {
    let min = ctx.int("min_remembered")?;
    let account = view.account_id();
    let Some(p) = password_policy(view)? else {
        return Ok(Outcome::fail(format!(
            "Account {account} has no IAM password policy, so old passwords can be reused."
        )));
    };
    let key = "PasswordReusePrevention";
    Ok(match pp_number(p, key) {
        Some(n) if n >= min as f64 => Outcome::pass(format!(
            "Account {account} prevents reuse of the last {n} passwords."
        )),
        Some(n) => Outcome::fail(format!(
            "Account {account} prevents reuse of only the last {n} passwords (wanted: {min})."
        ))
        .at(&pp_evidence(key), number_value(n)),
        None => Outcome::fail(format!(
            "The password policy of account {account} does not prevent password reuse."
        ))
        .at(&pp_evidence(key), Value::Null),
    })
}

/// PASS when passwords must contain an uppercase letter.
pub(crate) fn password_policy_requires_uppercase(
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    password_requirement(view, "RequireUppercaseCharacters", "an uppercase letter")
}

/// PASS when passwords must contain a lowercase letter.
pub(crate) fn password_policy_requires_lowercase(
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    password_requirement(view, "RequireLowercaseCharacters", "a lowercase letter")
}

/// PASS when passwords must contain a symbol.
pub(crate) fn password_policy_requires_symbols(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    password_requirement(view, "RequireSymbols", "a symbol")
}

/// PASS when passwords must contain a number.
pub(crate) fn password_policy_requires_numbers(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    password_requirement(view, "RequireNumbers", "a number")
}

/// PASS when passwords expire within `max_age_days`.
pub(crate) fn password_policy_expires_passwords(view: &AccountView<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_age_days")?;
    let account = view.account_id();
    let Some(p) = password_policy(view)? else {
        return Ok(Outcome::fail(format!(
            "Account {account} has no IAM password policy, so passwords never expire."
        )));
    };
    let key = "MaxPasswordAge";
    Ok(match pp_number(p, key) {
        Some(age) if age >= 1.0 && age <= max as f64 => Outcome::pass(format!(
            "Passwords in account {account} expire after {age} days."
        )),
        Some(age) if age >= 1.0 => Outcome::fail(format!(
            "Passwords in account {account} expire only after {age} days (limit {max})."
        ))
        .at(&pp_evidence(key), number_value(age)),
        _ => Outcome::fail(format!("Passwords in account {account} never expire."))
            .at(&pp_evidence(key), Value::Null),
    })
}

// ------------------------------------------------------- account-wide

/// PASS when some role has the AWS managed `AWSSupportAccess` policy.
pub(crate) fn support_role_exists(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    if !iam_collected(view) {
        return Err(not_collected("IAM data"));
    }
    let mut found = Vec::new();
    let mut unknown = None;
    attached_to(view, ROLE, SUPPORT_ACCESS, &mut found, &mut unknown);
    let account = view.account_id();
    if let Some(first) = found.first() {
        return Ok(Outcome::pass(format!(
            "Account {account} has a support role: {first} has AWSSupportAccess."
        )));
    }
    if let Some(e) = unknown {
        return Err(e);
    }
    Ok(Outcome::fail(format!(
        "No role in account {account} has the AWSSupportAccess policy."
    )))
}

/// FAIL when a user, group or role has `AWSCloudShellFullAccess`.
pub(crate) fn cloudshell_full_access_restricted(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    if !iam_collected(view) {
        return Err(not_collected("IAM data"));
    }
    let mut found = Vec::new();
    let mut unknown = None;
    for t in [USER, GROUP, ROLE] {
        attached_to(view, t, CLOUDSHELL_FULL, &mut found, &mut unknown);
    }
    let account = view.account_id();
    if !found.is_empty() {
        return Ok(Outcome::fail(format!(
            "AWSCloudShellFullAccess is attached to {} in account {account}.",
            shorten(&found, 5)
        ))
        .at("attachedManagedPolicies", json!(found)));
    }
    if let Some(e) = unknown {
        return Err(e);
    }
    Ok(Outcome::pass(format!(
        "No user, group or role in account {account} has AWSCloudShellFullAccess."
    )))
}

// ---------------------------------------------------------------- users

/// FAIL when an active access key is older than `max_key_age_days`.
pub(crate) fn user_access_keys_rotated(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_key_age_days")?;
    let now = ctx.now()?;
    let keys = res.sup("AccessKeys").list()?;
    let mut active = 0;
    for key in keys {
        if key.get("status").and_then(|s| s.as_str()) != Some("Active") {
            continue;
        }
        active += 1;
        let id = key
            .get("accessKeyId")
            .and_then(|s| s.as_str())
            .unwrap_or("?");
        let Some(age) = days_since(key.get("createDate"), now) else {
            return Err(Stop::error(format!(
                "access key {id} has no readable createDate"
            )));
        };
        if age > max {
            return Ok(Outcome::fail(format!(
                "Access key {id} of `{}` is {age} days old (limit {max}).",
                res.name()
            ))
            .at("supplementary.AccessKeys", key.clone()));
        }
    }
    Ok(if active == 0 {
        Outcome::Skip
    } else {
        Outcome::pass(format!(
            "Every active key of `{}` is at most {max} days old.",
            res.name()
        ))
    })
}

/// FAIL when a console password has not been used for `max_unused_days`.
pub(crate) fn user_console_password_unused(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_unused_days")?;
    let now = ctx.now()?;
    let Some(login) = res.sup("LoginProfile").opt()? else {
        return Ok(Outcome::Skip);
    };
    let name = res.name();
    if let Some(last) = res.cfg("passwordLastUsed").opt()? {
        let days = age_days(Some(last), now, "passwordLastUsed")?;
        return Ok(if days > max {
            Outcome::fail(format!(
                "IAM user `{name}` last signed in to the console {days} days ago (limit {max}) but still has a password."
            ))
            .at("configuration.passwordLastUsed", last.clone())
        } else {
            Outcome::pass(format!(
                "IAM user `{name}` signed in to the console {days} day(s) ago."
            ))
        });
    }
    let created = login
        .get("createDate")
        .or_else(|| res.resource.configuration.get("createDate"));
    let days = age_days(created, now, "LoginProfile.createDate")?;
    Ok(if days > max {
        Outcome::fail(format!(
            "IAM user `{name}` got a console password {days} days ago and has never used it (limit {max})."
        ))
        .at("configuration.passwordLastUsed", Value::Null)
    } else {
        Outcome::pass(format!(
            "IAM user `{name}` got a console password {days} day(s) ago and has not used it yet."
        ))
    })
}

/// FAIL when an active access key has not been used for `max_unused_days`.
pub(crate) fn user_access_key_unused(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_unused_days")?;
    let now = ctx.now()?;
    let name = res.name();
    let keys = active_keys(res)?;
    if keys.is_empty() {
        return Ok(Outcome::Skip);
    }
    let mut unknown = None;
    for key in &keys {
        let id = key_id(key);
        let (days, never) = match key_last_used(key) {
            Err(e) => {
                unknown = Some(e);
                continue;
            }
            Ok(Some(last)) => (age_days(Some(last), now, "lastUsedDate")?, false),
            Ok(None) => (age_days(key.get("createDate"), now, "createDate")?, true),
        };
        if days > max {
            let msg = if never {
                format!(
                    "Active access key {id} of IAM user `{name}` was created {days} days ago and never used (limit {max})."
                )
            } else {
                format!(
                    "Active access key {id} of IAM user `{name}` was last used {days} days ago (limit {max})."
                )
            };
            return Ok(Outcome::fail(msg).at("supplementary.AccessKeys", (*key).clone()));
        }
    }
    if let Some(e) = unknown {
        return Err(e);
    }
    Ok(Outcome::pass(format!(
        "Every active access key of IAM user `{name}` was used in the last {max} days."
    )))
}

/// FAIL when a console user has an active access key that was never used.
pub(crate) fn user_console_no_unused_access_key(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    if res.sup("LoginProfile").opt()?.is_none() {
        return Ok(Outcome::Skip);
    }
    let name = res.name();
    let mut unknown = None;
    for key in active_keys(res)? {
        match key_last_used(key) {
            Err(e) => unknown = Some(e),
            Ok(Some(_)) => {}
            Ok(None) => {
                return Ok(Outcome::fail(format!(
                    "Console user `{name}` has active access key {} that has never been used.",
                    key_id(key)
                ))
                .at("supplementary.AccessKeys", key.clone()));
            }
        }
    }
    if let Some(e) = unknown {
        return Err(e);
    }
    Ok(Outcome::pass(format!(
        "Console user `{name}` has no active access key that was never used."
    )))
}

/// FAIL when a user has more than one active access key.
pub(crate) fn user_single_active_access_key(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let keys = active_keys(res)?;
    let name = res.name();
    Ok(if keys.len() <= 1 {
        Outcome::pass(format!(
            "IAM user `{name}` has {} active access key(s).",
            keys.len()
        ))
    } else {
        let ids: Vec<&str> = keys.iter().map(|k| key_id(k)).collect();
        Outcome::fail(format!(
            "IAM user `{name}` has {} active access keys: {}.",
            keys.len(),
            ids.join(", ")
        ))
        .at("supplementary.AccessKeys", json!(ids))
    })
}

/// FAIL when a user created more than `max_inactive_days` ago has neither
/// signed in nor used an access key in that time.
pub(crate) fn user_recently_active(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_inactive_days")?;
    let now = ctx.now()?;
    let name = res.name();
    if let Some(days) = days_since(res.cfg("createDate").opt()?, now)
        && days <= max
    {
        return Ok(Outcome::pass(format!(
            "IAM user `{name}` was created {days} day(s) ago."
        )));
    }
    // Days since the most recent sign-in or key use.
    let mut recent: Option<i64> = None;
    let mut note = |d: i64| recent = Some(recent.map_or(d, |r| r.min(d)));
    let password = res.cfg("passwordLastUsed").opt()?;
    if let Some(d) = days_since(password, now) {
        note(d);
    }
    let mut unknown = None;
    match res.sup("AccessKeys").list() {
        Err(e) => unknown = Some(e),
        Ok(keys) => {
            for key in keys {
                match key_last_used(key) {
                    Err(e) => unknown = Some(e),
                    Ok(last) => {
                        if let Some(d) = days_since(last, now) {
                            note(d);
                        }
                    }
                }
            }
        }
    }
    if let Some(d) = recent
        && d <= max
    {
        return Ok(Outcome::pass(format!(
            "IAM user `{name}` was last active {d} day(s) ago."
        )));
    }
    if let Some(e) = unknown {
        return Err(e);
    }
    let evidence = password.cloned().unwrap_or(Value::Null);
    Ok(match recent {
        Some(d) => Outcome::fail(format!(
            "IAM user `{name}` was last active {d} days ago (limit {max})."
        )),
        None => Outcome::fail(format!(
            "IAM user `{name}` has never signed in or used an access key."
        )),
    }
    .at("configuration.passwordLastUsed", evidence))
}

/// FAIL when policies are attached to the user itself instead of a group.
pub(crate) fn user_no_direct_policies(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let name = res.name();
    let attached = res.cfg("attachedManagedPolicies").list()?;
    let inline = res.cfg("userPolicyList").list()?;
    let names: Vec<String> = attached
        .iter()
        .chain(inline)
        .map(|p| text(p, "policyName").unwrap_or("?").to_owned())
        .collect();
    let field = if attached.is_empty() {
        "configuration.userPolicyList"
    } else {
        "configuration.attachedManagedPolicies"
    };
    Ok(if names.is_empty() {
        Outcome::pass(format!(
            "IAM user `{name}` has no policies of its own; permissions come from groups."
        ))
    } else {
        Outcome::fail(format!(
            "IAM user `{name}` has policies attached directly: {}.",
            shorten(&names, 5)
        ))
        .at(field, json!(names))
    })
}

/// FAIL when the user, directly or through a group, has full admin rights.
pub(crate) fn user_no_administrator_access(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let name = res.name();
    let mut grants = Vec::new();
    let mut unknown = None;
    match admin_grants(res, view, "userPolicyList") {
        Ok(g) => grants.extend(g),
        Err(e) => unknown = Some(e),
    }
    match res.cfg("groupList").list() {
        Err(e) => unknown = Some(e),
        Ok(groups) => {
            for g in groups.iter().filter_map(Value::as_str) {
                let Some(group) = view.of_type(GROUP).find(|r| r.name() == g) else {
                    continue;
                };
                match admin_grants(&group, view, "groupPolicyList") {
                    Ok(found) => {
                        grants.extend(found.into_iter().map(|f| format!("{f} of group {g}")));
                    }
                    Err(e) => unknown = Some(e),
                }
            }
        }
    }
    if grants.is_empty() {
        if let Some(e) = unknown {
            return Err(e);
        }
        return Ok(Outcome::pass(format!(
            "IAM user `{name}` does not hold full administrator access."
        )));
    }
    Ok(Outcome::fail(format!(
        "IAM user `{name}` has full administrator access through {}.",
        shorten(&grants, 4)
    ))
    .at("configuration.attachedManagedPolicies", json!(grants)))
}

/// FAIL when a user's inline policy allows `*` on `*`.
pub(crate) fn user_inline_policies_no_admin(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    inline_no_admin(res, "userPolicyList", "user")
}

/// FAIL when a user's inline policy opens a privilege-escalation path.
pub(crate) fn user_inline_policies_no_privilege_escalation(
    res: &Res<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    inline_no_escalation(res, "userPolicyList", "user")
}

/// FAIL when the user lacks the required tags (or any tag).
pub(crate) fn user_tagged(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    tagged(res, ctx, "user")
}

// --------------------------------------------------------------- groups

/// FAIL when the group has no members.
pub(crate) fn group_has_users(res: &Res<'_>, view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let name = res.name();
    let count = match res.cfg("users") {
        Known::Unavailable(u) => return Err(Stop::unavailable(&u)),
        Known::Value(Value::Array(members)) => members.len(),
        _ => {
            // Exports carry membership on the users only.
            let groups_of = |u: &Res<'_>| {
                let groups = u.cfg("groupList").list()?;
                Ok(groups
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect())
            };
            view.filed("iam user groups", &[USER], groups_of, name, |_| true)?
                .len()
        }
    };
    Ok(if count > 0 {
        Outcome::pass(format!("IAM group `{name}` has {count} member(s)."))
    } else {
        Outcome::fail(format!("IAM group `{name}` has no members."))
            .at("configuration.users", json!([]))
    })
}

/// FAIL when a group's inline policy allows `*` on `*`.
pub(crate) fn group_inline_policies_no_admin(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    inline_no_admin(res, "groupPolicyList", "group")
}

/// FAIL when a group's inline policy opens a privilege-escalation path.
pub(crate) fn group_inline_policies_no_privilege_escalation(
    res: &Res<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    inline_no_escalation(res, "groupPolicyList", "group")
}

// ---------------------------------------------------------------- roles

/// FAIL when the trust policy lets anyone assume the role.
pub(crate) fn role_trust_not_public(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let name = res.name();
    let Some((doc, statements)) = trust(res)? else {
        return Ok(Outcome::Skip);
    };
    Ok(
        match statements
            .iter()
            .enumerate()
            .find(|(_, s)| s.public_allow())
        {
            Some((i, s)) => Outcome::fail(format!(
                "Trust policy statement {} of role `{name}` lets any AWS principal assume it.",
                s.label(i)
            ))
            .at("configuration.assumeRolePolicyDocument", doc),
            None => Outcome::pass(format!(
                "The trust policy of role `{name}` names who may assume it."
            )),
        },
    )
}

/// FAIL when another account may assume the role without an external id.
pub(crate) fn role_cross_account_trust_requires_external_id(
    res: &Res<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    let trusted = ctx.list("trusted_account_ids")?;
    let name = res.name();
    let own = res.account_id();
    let Some((doc, statements)) = trust(res)? else {
        return Ok(Outcome::Skip);
    };
    let mut cross = false;
    for (i, s) in statements.iter().enumerate().filter(|(_, s)| s.allow) {
        let foreign: Vec<String> = s
            .principal_accounts()
            .into_iter()
            .filter(|a| a != own && !trusted.contains(&a.as_str()))
            .collect();
        if foreign.is_empty() {
            continue;
        }
        cross = true;
        let guarded = condition_has_key(
            &s.condition,
            &[
                "sts:ExternalId",
                "aws:PrincipalOrgID",
                "aws:PrincipalOrgPaths",
            ],
        );
        if !guarded {
            return Ok(Outcome::fail(format!(
                "Role `{name}` trusts account(s) {} in statement {} without requiring an external id.",
                foreign.join(", "),
                s.label(i)
            ))
            .at("configuration.assumeRolePolicyDocument", doc));
        }
    }
    Ok(if cross {
        Outcome::pass(format!(
            "Every other account trusted by role `{name}` must present an external id or belong to the organisation."
        ))
    } else {
        Outcome::Skip
    })
}

/// FAIL when a role that another account can assume has full admin rights.
pub(crate) fn role_cross_account_not_admin(
    res: &Res<'_>,
    view: &AccountView<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    let trusted = ctx.list("trusted_account_ids")?;
    let name = res.name();
    let Some((_, statements)) = trust(res)? else {
        return Ok(Outcome::Skip);
    };
    let foreign = foreign_principals(res, &statements, &trusted);
    if foreign.is_empty() {
        return Ok(Outcome::Skip);
    }
    let grants = admin_grants(res, view, "rolePolicyList")?;
    Ok(if grants.is_empty() {
        Outcome::pass(format!(
            "Role `{name}`, assumable from {}, does not have full administrator access.",
            foreign.join(", ")
        ))
    } else {
        Outcome::fail(format!(
            "Role `{name}` can be assumed from {} and has full administrator access through {}.",
            foreign.join(", "),
            shorten(&grants, 3)
        ))
        .at("configuration.attachedManagedPolicies", json!(grants))
    })
}

/// FAIL when a role trusting an IAM OIDC provider does not pin the token's
/// subject.
pub(crate) fn role_oidc_trust_restricts_subject(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let name = res.name();
    let Some((doc, statements)) = trust(res)? else {
        return Ok(Outcome::Skip);
    };
    let mut oidc = false;
    for (i, s) in statements.iter().enumerate().filter(|(_, s)| s.allow) {
        for (kind, principal) in &s.principals {
            if kind != "Federated" {
                continue;
            }
            let Some((_, host)) = principal.split_once(":oidc-provider/") else {
                continue;
            };
            oidc = true;
            let key = format!("{host}:sub");
            let fail = match positive_condition_values(&s.condition, &key) {
                None => Some(format!(
                    "Role `{name}` trusts OIDC provider {host} in statement {} without a condition on `{key}`: any identity of that provider can assume it.",
                    s.label(i)
                )),
                Some(values) => values
                    .iter()
                    .find(|v| **v == "*" || (v.ends_with(":*") && v.matches(':').count() == 1))
                    .map(|v| {
                        format!(
                            "Role `{name}` trusts OIDC provider {host} for any subject matching `{v}` (statement {}).",
                            s.label(i)
                        )
                    }),
            };
            if let Some(msg) = fail {
                return Ok(Outcome::fail(msg).at("configuration.assumeRolePolicyDocument", doc));
            }
        }
    }
    Ok(if oidc {
        Outcome::pass(format!(
            "Role `{name}` limits which OIDC token subjects may assume it."
        ))
    } else {
        Outcome::Skip
    })
}

/// FAIL when a customer role has not been used for `max_unused_days`.
pub(crate) fn role_unused(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_unused_days")?;
    let now = ctx.now()?;
    if aws_owned_role(res)? {
        return Ok(Outcome::Skip);
    }
    let name = res.name();
    if let Some(last) = res.cfg("roleLastUsed.lastUsedDate").opt()? {
        let days = age_days(Some(last), now, "roleLastUsed.lastUsedDate")?;
        return Ok(if days > max {
            Outcome::fail(format!(
                "Role `{name}` was last used {days} days ago (limit {max})."
            ))
            .at("configuration.roleLastUsed.lastUsedDate", last.clone())
        } else {
            Outcome::pass(format!("Role `{name}` was used {days} day(s) ago."))
        });
    }
    let days = age_days(res.cfg("createDate").opt()?, now, "createDate")?;
    Ok(if days > max {
        Outcome::fail(format!(
            "Role `{name}` was created {days} days ago and has no recorded use (limit {max})."
        ))
        .at("configuration.roleLastUsed", Value::Null)
    } else {
        Outcome::pass(format!(
            "Role `{name}` was created {days} day(s) ago and is not yet due for review."
        ))
    })
}

/// FAIL when a role's inline policy allows `*` on `*`.
pub(crate) fn role_inline_policies_no_admin(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    inline_no_admin(res, "rolePolicyList", "role")
}

/// FAIL when a role's inline policy opens a privilege-escalation path.
pub(crate) fn role_inline_policies_no_privilege_escalation(
    res: &Res<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    inline_no_escalation(res, "rolePolicyList", "role")
}

/// FAIL when the role lacks the required tags (or any tag).
pub(crate) fn role_tagged(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    if aws_owned_role(res)? {
        return Ok(Outcome::Skip);
    }
    tagged(res, ctx, "role")
}

// ------------------------------------------------------------- policies

/// FAIL when a customer managed policy allows `*` on `*`.
pub(crate) fn policy_no_full_admin(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let Some((field, doc)) = customer_policy(res, ctx)? else {
        return Ok(Outcome::Skip);
    };
    let name = res.name();
    let statements = policy::statements(&doc);
    Ok(
        match statements.iter().enumerate().find(|(_, s)| full_admin(s)) {
            Some((i, s)) => Outcome::fail(format!(
                "Policy `{name}` allows every action on every resource (statement {}).",
                s.label(i)
            ))
            .at(&field, doc),
            None => Outcome::pass(format!(
                "Policy `{name}` does not grant full administrator access."
            )),
        },
    )
}

/// FAIL when a customer managed policy allows every action of a service.
pub(crate) fn policy_no_service_wildcards(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let Some((field, doc)) = customer_policy(res, ctx)? else {
        return Ok(Outcome::Skip);
    };
    let name = res.name();
    let mut wild: Vec<String> = Vec::new();
    for s in policy::statements(&doc).iter().filter(|s| s.allow) {
        for a in &s.actions {
            if a.ends_with(":*") && a != "*:*" && !wild.contains(a) {
                wild.push(a.clone());
            }
        }
    }
    Ok(if wild.is_empty() {
        Outcome::pass(format!(
            "Policy `{name}` names the actions it allows instead of whole services."
        ))
    } else {
        Outcome::fail(format!(
            "Policy `{name}` allows every action of a service: {}.",
            shorten(&wild, 5)
        ))
        .at(&field, doc)
    })
}

/// FAIL when a customer managed policy allows `iam:PassRole` on every role.
pub(crate) fn policy_no_pass_role_on_all_resources(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let Some((field, doc)) = customer_policy(res, ctx)? else {
        return Ok(Outcome::Skip);
    };
    let name = res.name();
    let statements = policy::statements(&doc);
    Ok(if allowed_broadly(&statements, "iam:PassRole") {
        Outcome::fail(format!(
            "Policy `{name}` allows iam:PassRole on every role."
        ))
        .at(&field, doc)
    } else {
        Outcome::pass(format!(
            "Policy `{name}` does not allow passing every role."
        ))
    })
}

/// FAIL when a customer managed policy opens a privilege-escalation path.
pub(crate) fn policy_no_privilege_escalation(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let Some((field, doc)) = customer_policy(res, ctx)? else {
        return Ok(Outcome::Skip);
    };
    let name = res.name();
    let paths = escalation_paths(&policy::statements(&doc));
    Ok(if paths.is_empty() {
        Outcome::pass(format!(
            "Policy `{name}` allows no known privilege-escalation action on all resources."
        ))
    } else {
        Outcome::fail(format!(
            "Policy `{name}` allows privilege escalation through {}.",
            shorten(&paths, 4)
        ))
        .at(&field, doc)
    })
}

// ------------------------------------- AWS managed policies on identities

/// AWS managed policies known to allow privilege escalation, for exports
/// that carry attachments but not AWS managed policy documents.
const AWS_ESCALATION_POLICIES: &[&str] = &[
    ":iam::aws:policy/IAMFullAccess",
    ":iam::aws:policy/PowerUserAccess",
];

/// AWS managed policies attached to `res` that allow privilege escalation,
/// not counting full administrator policies (reported by other checks).
fn aws_policy_escalations(res: &Res<'_>, view: &AccountView<'_>) -> Result<Vec<String>, Stop> {
    let mut found = Vec::new();
    let mut unknown = None;
    for p in res.cfg("attachedManagedPolicies").list()? {
        let arn = text(p, "policyArn").unwrap_or("");
        if !aws_managed(arn) || arn.ends_with(ADMIN_ACCESS) {
            continue;
        }
        let name = text(p, "policyName").unwrap_or(arn);
        match view.by_arn(arn).map(|pol| managed_document(&pol)) {
            Some(Err(e)) => unknown = Some(e),
            Some(Ok(Some((_, doc)))) => {
                let statements = policy::statements(&doc);
                if statements.iter().any(full_admin) {
                    continue;
                }
                let paths = escalation_paths(&statements);
                if !paths.is_empty() {
                    found.push(format!("{name} ({})", shorten(&paths, 2)));
                }
            }
            Some(Ok(None)) | None => {
                if AWS_ESCALATION_POLICIES.iter().any(|s| arn.ends_with(s)) {
                    found.push(name.to_owned());
                }
            }
        }
    }
    match unknown {
        Some(e) if found.is_empty() => Err(e),
        _ => Ok(found),
    }
}

fn aws_policies_no_escalation(res: &Res<'_>, view: &AccountView<'_>, kind: &str) -> Verdict {
    let name = res.name();
    let found = aws_policy_escalations(res, view)?;
    Ok(if found.is_empty() {
        Outcome::pass(format!(
            "No AWS managed policy attached to IAM {kind} `{name}` allows privilege escalation."
        ))
    } else {
        Outcome::fail(format!(
            "IAM {kind} `{name}` has AWS managed policies that allow privilege escalation: {}.",
            shorten(&found, 3)
        ))
        .at("configuration.attachedManagedPolicies", json!(found))
    })
}

/// FAIL when an AWS managed policy attached to the user allows escalation.
pub(crate) fn user_aws_policies_no_privilege_escalation(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    aws_policies_no_escalation(res, view, "user")
}

/// FAIL when an AWS managed policy attached to the group allows escalation.
pub(crate) fn group_aws_policies_no_privilege_escalation(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    aws_policies_no_escalation(res, view, "group")
}

/// FAIL when a role that an AWS service assumes (an instance, function or
/// task role) has full administrator access.
pub(crate) fn role_workload_not_admin(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    if aws_owned_role(res)? {
        return Ok(Outcome::Skip);
    }
    let name = res.name();
    let Some((_, statements)) = trust(res)? else {
        return Ok(Outcome::Skip);
    };
    let mut services: Vec<&str> = Vec::new();
    for s in statements.iter().filter(|s| s.allow) {
        for (kind, p) in &s.principals {
            if kind == "Service" && !services.contains(&p.as_str()) {
                services.push(p);
            }
        }
    }
    if services.is_empty() {
        return Ok(Outcome::Skip);
    }
    let grants = admin_grants(res, view, "rolePolicyList")?;
    let who = services.join(", ");
    Ok(if grants.is_empty() {
        Outcome::pass(format!(
            "Role `{name}`, used by {who}, does not have full administrator access."
        ))
    } else {
        Outcome::fail(format!(
            "Role `{name}` is used by {who} and has full administrator access through {}.",
            shorten(&grants, 3)
        ))
        .at("configuration.attachedManagedPolicies", json!(grants))
    })
}
