//! Reading IAM-style policy documents (identity policies, bucket, queue, topic,
//! key and function policies): who is allowed what, and under which
//! conditions.

use serde_json::Value;

/// One statement, normalised: single values become lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The statement id, when given.
    pub sid: Option<String>,
    /// True for `Allow`, false for `Deny`.
    pub allow: bool,
    /// Principals as `(kind, value)`: `("AWS", "*")`, `("Service", "s3.amazonaws.com")`.
    /// `"Principal": "*"` becomes `("*", "*")`. Empty for identity policies.
    pub principals: Vec<(String, String)>,
    /// `Action` values.
    pub actions: Vec<String>,
    /// `NotAction` values.
    pub not_actions: Vec<String>,
    /// `Resource` values.
    pub resources: Vec<String>,
    /// The `Condition` block, or null.
    pub condition: Value,
}

/// Condition keys that narrow a public principal to known callers.
const NARROWING_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceip",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceorgid",
    "aws:userid",
    "aws:username",
    "kms:callerAccount",
    "kms:calleraccount",
    "kms:viaservice",
    "s3:dataaccesspointaccount",
];

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The statements of a policy document (empty when it has none).
pub fn statements(doc: &Value) -> Vec<Statement> {
    let list = match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(obj @ Value::Object(_)) => vec![obj],
        _ => Vec::new(),
    };
    list.into_iter()
        .map(|s| {
            let principals = match s.get("Principal") {
                Some(Value::String(p)) => vec![("*".to_owned(), p.clone())],
                Some(Value::Object(map)) => map
                    .iter()
                    .flat_map(|(k, v)| strings(Some(v)).into_iter().map(move |p| (k.clone(), p)))
                    .collect(),
                _ => Vec::new(),
            };
            Statement {
                sid: s.get("Sid").and_then(Value::as_str).map(str::to_owned),
                allow: s.get("Effect").and_then(Value::as_str) == Some("Allow"),
                principals,
                actions: strings(s.get("Action")),
                not_actions: strings(s.get("NotAction")),
                resources: strings(s.get("Resource")),
                condition: s.get("Condition").cloned().unwrap_or(Value::Null),
            }
        })
        .collect()
}

/// Matches an IAM pattern (`s3:Get*`, `*`) against a name, case-insensitively.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let n: Vec<char> = name.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// The shared verdict of "no statement of this resource policy is open to
/// anyone": PASS without a policy or without a public statement, FAIL naming
/// the first public statement. `kind` names the resource (`Bucket`).
pub fn no_public_statement(
    res: &crate::Res<'_>,
    field: &str,
    kind: &str,
    doc: Option<Value>,
) -> crate::Outcome {
    use crate::Outcome;
    let Some(doc) = doc else {
        return Outcome::pass(format!("{kind} `{}` has no resource policy.", res.name()));
    };
    let statements = statements(&doc);
    match statements
        .iter()
        .enumerate()
        .find(|(_, s)| s.public_allow())
    {
        Some((i, s)) => Outcome::fail(format!(
            "{kind} `{}` policy statement {} allows {} to anyone.",
            res.name(),
            s.label(i),
            s.actions_text()
        ))
        .at(field, doc),
        None => Outcome::pass(format!(
            "No statement of the {} `{}` policy is open to anyone.",
            kind.to_ascii_lowercase(),
            res.name()
        )),
    }
}

/// The accounts other than `own` and `trusted` that Allow statements name
/// as principals, sorted and without duplicates.
pub fn foreign_principals(statements: &[Statement], own: &str, trusted: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = statements
        .iter()
        .filter(|s| s.allow)
        .flat_map(Statement::principal_accounts)
        .filter(|a| a != own && !trusted.contains(&a.as_str()))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The shared verdict of "this resource policy grants nothing to accounts
/// outside the owner and `trusted`".
pub fn no_foreign_account(
    res: &crate::Res<'_>,
    field: &str,
    kind: &str,
    doc: Option<Value>,
    trusted: &[&str],
) -> crate::Outcome {
    use crate::Outcome;
    let Some(doc) = doc else {
        return Outcome::pass(format!("{kind} `{}` has no resource policy.", res.name()));
    };
    let foreign = foreign_principals(&statements(&doc), res.account_id(), trusted);
    if foreign.is_empty() {
        Outcome::pass(format!(
            "{kind} `{}` policy grants nothing to other accounts.",
            res.name()
        ))
    } else {
        Outcome::fail(format!(
            "{kind} `{}` policy grants access to account(s) {}.",
            res.name(),
            foreign.join(", ")
        ))
        .at(field, doc)
    }
}

impl Statement {
    /// The actions it grants, for messages (`NotAction` spelled out).
    pub fn actions_text(&self) -> String {
        if self.actions.is_empty() {
            format!("every action but {}", self.not_actions.join(", "))
        } else {
            self.actions.join(", ")
        }
    }

    /// A short label for evidence: the Sid, or the statement's number.
    pub fn label(&self, index: usize) -> String {
        self.sid
            .clone()
            .unwrap_or_else(|| format!("#{}", index + 1))
    }

    /// True when the statement covers `action` (through `Action` or a
    /// `NotAction` that leaves it in).
    pub fn covers_action(&self, action: &str) -> bool {
        if !self.not_actions.is_empty() {
            return !self.not_actions.iter().any(|p| wildcard_match(p, action));
        }
        self.actions.iter().any(|p| wildcard_match(p, action))
    }

    /// True when it grants every action (`*`, or a `NotAction` allow-list).
    pub fn all_actions(&self) -> bool {
        self.actions.iter().any(|a| a == "*" || a == "*:*") || !self.not_actions.is_empty()
    }

    /// True when some action is a whole-service wildcard (`s3:*`).
    pub fn service_wildcard(&self) -> Option<&str> {
        self.actions
            .iter()
            .find(|a| a.ends_with(":*") && a.as_str() != "*:*")
            .map(String::as_str)
    }

    /// True when it applies to every resource.
    pub fn all_resources(&self) -> bool {
        self.resources.iter().any(|r| r == "*")
    }

    /// True when the principal is anyone (`*` or `{"AWS": "*"}`).
    pub fn anyone(&self) -> bool {
        self.principals
            .iter()
            .any(|(kind, p)| (kind == "*" || kind == "AWS") && p == "*")
    }

    /// True when the condition narrows the callers (source account, VPC,
    /// organisation, IP range...).
    pub fn narrowed(&self) -> bool {
        let Value::Object(ops) = &self.condition else {
            return false;
        };
        ops.values().any(|keys| {
            keys.as_object().is_some_and(|m| {
                m.keys()
                    .any(|k| NARROWING_KEYS.contains(&k.to_ascii_lowercase().as_str()))
            })
        })
    }

    /// True for an Allow to anyone without a narrowing condition.
    pub fn public_allow(&self) -> bool {
        self.allow && self.anyone() && !self.narrowed()
    }

    /// AWS account ids named as principals (from ARNs or bare ids).
    pub fn principal_accounts(&self) -> Vec<String> {
        self.principals
            .iter()
            .filter(|(kind, _)| kind == "AWS")
            .filter_map(|(_, p)| {
                if p.len() == 12 && p.chars().all(|c| c.is_ascii_digit()) {
                    Some(p.clone())
                } else {
                    p.split(':')
                        .nth(4)
                        .filter(|a| !a.is_empty())
                        .map(str::to_owned)
                }
            })
            .collect()
    }

    /// True for a Deny of requests not made over TLS
    /// (`"Bool": {"aws:SecureTransport": "false"}`).
    pub fn denies_insecure_transport(&self) -> bool {
        if self.allow {
            return false;
        }
        let Some(b) = self.condition.get("Bool").and_then(Value::as_object) else {
            return false;
        };
        b.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("aws:SecureTransport")
                && match v {
                    Value::String(s) => s.eq_ignore_ascii_case("false"),
                    Value::Bool(b) => !b,
                    Value::Array(items) => items
                        .iter()
                        .any(|i| i.as_str().is_some_and(|s| s.eq_ignore_ascii_case("false"))),
                    _ => false,
                }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn public_and_narrowed() {
        let doc = json!({"Statement": [
            {"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sqs:*"],
             "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::999999999999:root"]}, "Action": "*"}
        ]});
        let s = statements(&doc);
        assert!(s[0].public_allow());
        assert!(!s[1].public_allow());
        assert!(s[2].denies_insecure_transport());
        assert!(s[3].all_actions());
        assert_eq!(s[3].principal_accounts(), vec!["999999999999"]);
        assert!(s[0].covers_action("s3:getobject"));
        assert!(!s[0].covers_action("s3:PutObject"));
        assert_eq!(s[1].service_wildcard(), Some("sqs:*"));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("s3:Get*", "s3:GetObject"));
        assert!(wildcard_match("*", "iam:PassRole"));
        assert!(!wildcard_match("s3:Put*", "s3:GetObject"));
        assert!(wildcard_match("iam:*Role", "iam:PassRole"));
    }
}
