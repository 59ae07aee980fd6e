//! Check metadata: what one `catalog/checks/<provider>/<service>/<name>.toml`
//! holds, and the rules it must follow.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::CatalogError;

/// Areas of responsibility a check can belong to (see `../shared/DESIGN.md`).
/// The responsibility matrix routes a finding to the party owning its area.
pub const AREAS: &[&str] = &[
    "physical",
    "network",
    "host_os",
    "identity_directory",
    "identity_access",
    "application",
    "data",
    "configuration",
    "endpoint",
    "logging",
    "backup",
];

/// Categories a check can carry; they group findings in reports.
pub const CATEGORIES: &[&str] = &[
    "public_exposure",
    "encryption_at_rest",
    "encryption_in_transit",
    "logging",
    "monitoring",
    "identity",
    "secrets",
    "network_exposure",
    "resilience",
    "backup",
    "patching",
    "cost",
    "threat_detection",
    "configuration",
];

/// How bad a failure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; no direct risk.
    Informational,
    /// Hardening.
    Low,
    /// A weakness that needs another failure to be exploited.
    Medium,
    /// Directly exploitable or a serious loss of control.
    High,
    /// Exposed to the internet or to everyone right now.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Self::Informational,
        Self::Low,
        Self::Medium,
        Self::High,
        Self::Critical,
    ];

    /// The stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Informational => "informational",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Parses the lower-case name.
    ///
    /// # Errors
    /// Returns the text when it names no severity.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| s.to_owned())
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The metadata of one check, as written in its TOML file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckMeta {
    /// One line saying what good looks like ("S3 bucket blocks public access").
    pub title: String,
    /// How bad a failure is.
    pub severity: Severity,
    /// The resource type it evaluates, as AWS Config names it
    /// (`AWS::S3::Bucket`), or `AWS::::Account` for account-wide checks.
    pub resource: String,
    /// Report groupings, from [`CATEGORIES`].
    pub categories: Vec<String>,
    /// Areas of responsibility, from [`AREAS`].
    pub areas: Vec<String>,
    /// What the check looks at (Markdown).
    pub description: String,
    /// What can go wrong when it fails (Markdown).
    pub risk: String,
    /// Former ids of this check, after a rename.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Links to the provider's documentation.
    #[serde(default)]
    pub references: Vec<String>,
    /// How to fix a failure.
    pub remediation: Remediation,
    /// Tunable parameters and their defaults; a tenant may override them.
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
    /// How the check decides.
    pub rule: Rule,
}

/// How to fix a failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remediation {
    /// In words.
    pub text: String,
    /// An AWS CLI command; `{name}`, `{resource_id}`, `{region}` are filled in.
    #[serde(default)]
    pub cli: Option<String>,
    /// A Terraform snippet.
    #[serde(default)]
    pub terraform: Option<String>,
    /// The id of an automated fix, when one exists.
    #[serde(default)]
    pub action: Option<String>,
}

/// Which kind of Rust predicate a check uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PredicateKind {
    /// Reads the resource alone: `fn(&Res, &Ctx) -> Outcome`.
    Resource,
    /// Reads the resource and others in its account (a bucket's KMS key):
    /// `fn(&Res, &AccountView, &Ctx) -> Outcome`.
    Related,
    /// Judges the account as a whole (a multi-region trail exists):
    /// `fn(&AccountView, &Ctx) -> Outcome`. Its resource is `AWS::::Account`.
    Account,
}

/// How a check decides: a declarative assertion, or a named Rust predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A Rust predicate named after the file stem, in `src/aws/<service>.rs`.
    #[serde(default)]
    pub predicate: Option<PredicateKind>,
    /// The declarative assertion; PASS when it holds.
    #[serde(default)]
    pub assert: Option<Assert>,
    /// When set and false, the check does not apply to the resource (no finding).
    #[serde(default)]
    pub applies: Option<Assert>,
    /// The predicate reads the clock (key age, certificate expiry): it is
    /// re-evaluated on every run, changed resource or not.
    #[serde(default)]
    pub uses_time: bool,
    /// Message on PASS; `{path}` placeholders are filled from the resource.
    #[serde(default)]
    pub pass: Option<String>,
    /// Message on FAIL.
    #[serde(default)]
    pub fail: Option<String>,
}

/// One declarative assertion. Exactly one operator is set; `path` names the
/// value it reads (`configuration.x.y`, `supplementary.K`), relative to the list element inside `all`/`any`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assert {
    /// The value to read.
    #[serde(default)]
    pub path: Option<String>,
    /// Equal to this value.
    #[serde(default)]
    pub eq: Option<Value>,
    /// Not equal to this value (an absent value is not equal).
    #[serde(default)]
    pub ne: Option<Value>,
    /// One of these values.
    #[serde(default, rename = "in")]
    pub one_of: Option<Vec<Value>>,
    /// None of these values (an absent value is none of them).
    #[serde(default)]
    pub not_in: Option<Vec<Value>>,
    /// Present (true) or not (false).
    #[serde(default)]
    pub exists: Option<bool>,
    /// Absent or null (true) or not (false).
    #[serde(default)]
    pub absent: Option<bool>,
    /// A number at least this.
    #[serde(default)]
    pub gte: Option<f64>,
    /// A number at most this.
    #[serde(default)]
    pub lte: Option<f64>,
    /// A list holding this value, or a string holding this text.
    #[serde(default)]
    pub contains: Option<Value>,
    /// Every element of the list satisfies this (true for an empty list).
    #[serde(default)]
    pub all: Option<Box<Assert>>,
    /// Some element of the list satisfies this.
    #[serde(default)]
    pub any: Option<Box<Assert>>,
    /// All of these hold.
    #[serde(default)]
    pub and: Option<Vec<Assert>>,
    /// One of these holds.
    #[serde(default)]
    pub or: Option<Vec<Assert>>,
    /// This does not hold.
    #[serde(default)]
    pub not: Option<Box<Assert>>,
}

impl Assert {
    /// The number of operators set (exactly one is valid).
    fn operator_count(&self) -> usize {
        [
            self.eq.is_some(),
            self.ne.is_some(),
            self.one_of.is_some(),
            self.not_in.is_some(),
            self.exists.is_some(),
            self.absent.is_some(),
            self.gte.is_some(),
            self.lte.is_some(),
            self.contains.is_some(),
            self.all.is_some(),
            self.any.is_some(),
            self.and.is_some(),
            self.or.is_some(),
            self.not.is_some(),
        ]
        .into_iter()
        .filter(|b| *b)
        .count()
    }

    fn validate(&self, at: &str, nested_in_list: bool) -> Result<(), String> {
        if self.operator_count() != 1 {
            return Err(format!("{at}: exactly one operator must be set"));
        }
        let needs_path = self.and.is_none() && self.or.is_none() && self.not.is_none();
        if needs_path && self.path.is_none() && !nested_in_list {
            return Err(format!("{at}: `path` is required"));
        }
        if !needs_path && self.path.is_some() {
            return Err(format!("{at}: `path` is not allowed with and/or/not"));
        }
        if let Some(path) = &self.path
            && !nested_in_list
        {
            let root = path.split('.').next().unwrap_or("");
            if !matches!(root, "configuration" | "supplementary") {
                return Err(format!(
                    "{at}: path `{path}` must start with configuration or supplementary"
                ));
            }
        }
        for (i, a) in self.and.iter().chain(self.or.iter()).flatten().enumerate() {
            a.validate(&format!("{at}[{i}]"), nested_in_list)?;
        }
        if let Some(a) = &self.not {
            a.validate(&format!("{at}.not"), nested_in_list)?;
        }
        for inner in [&self.all, &self.any].into_iter().flatten() {
            inner.validate(&format!("{at}.all/any"), true)?;
        }
        Ok(())
    }
}

/// Builds a check id from its provider, service directory and file stem.
pub fn check_id(provider: &str, service: &str, stem: &str) -> String {
    format!("{provider}_{service}_{stem}")
}

impl CheckMeta {
    /// Parses and validates one check file.
    ///
    /// # Errors
    /// Names the file and the field that is wrong.
    pub fn parse(file: &str, text: &str) -> Result<Self, CatalogError> {
        let meta: CheckMeta =
            toml::from_str(text).map_err(|e| CatalogError::new(file, e.to_string()))?;
        meta.validate()
            .map_err(|message| CatalogError::new(file, message))?;
        Ok(meta)
    }

    /// Checks the rules a check file must follow.
    ///
    /// # Errors
    /// Returns what is wrong, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        let len = |field: &str, value: &str, min: usize, max: usize| {
            let n = value.trim().chars().count();
            if n < min || n > max {
                Err(format!(
                    "`{field}` must be {min}..={max} characters, is {n}"
                ))
            } else {
                Ok(())
            }
        };
        len("title", &self.title, 10, 100)?;
        len("description", &self.description, 20, 2000)?;
        len("risk", &self.risk, 20, 2000)?;
        len("remediation.text", &self.remediation.text, 10, 2000)?;
        // Every check says how to fix it from the command line and as code.
        len(
            "remediation.cli",
            self.remediation.cli.as_deref().unwrap_or(""),
            10,
            2000,
        )?;
        len(
            "remediation.terraform",
            self.remediation.terraform.as_deref().unwrap_or(""),
            10,
            6000,
        )?;
        if !self.resource.starts_with("AWS::") || self.resource.split("::").count() != 3 {
            return Err(format!(
                "`resource` must be an AWS Config type like AWS::S3::Bucket, is `{}`",
                self.resource
            ));
        }
        if self.categories.is_empty() {
            return Err("`categories` must not be empty".into());
        }
        for c in &self.categories {
            if !CATEGORIES.contains(&c.as_str()) {
                return Err(format!(
                    "`categories`: unknown `{c}` (known: {})",
                    CATEGORIES.join(", ")
                ));
            }
        }
        if self.areas.is_empty() {
            return Err("`areas` must not be empty".into());
        }
        for a in &self.areas {
            // A top-level area, or a sub-area `<area>.<name>` that the
            // provider's responsibility file defines (the build checks that).
            let (top, sub) = a.split_once('.').unwrap_or((a.as_str(), ""));
            let sub_ok = sub.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if !AREAS.contains(&top) || !sub_ok {
                return Err(format!(
                    "`areas`: unknown `{a}` (known: {})",
                    AREAS.join(", ")
                ));
            }
        }
        for r in &self.references {
            if !r.starts_with("https://") {
                return Err(format!("`references`: `{r}` is not an https URL"));
            }
        }
        for (k, v) in &self.params {
            if !k
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(format!("`params.{k}`: names are snake_case"));
            }
            if v.is_null() || v.is_object() {
                return Err(format!(
                    "`params.{k}`: must be a number, string, bool or list"
                ));
            }
        }
        let rule = &self.rule;
        match (&rule.predicate, &rule.assert) {
            (Some(_), Some(_)) => {
                return Err("`rule`: set either `predicate` or `assert`, not both".into());
            }
            (None, None) => return Err("`rule`: set `predicate` or `assert`".into()),
            (None, Some(a)) => {
                a.validate("rule.assert", false)?;
                if rule.pass.is_none() || rule.fail.is_none() {
                    return Err(
                        "`rule`: a declarative rule needs `pass` and `fail` messages".into(),
                    );
                }
                if rule.uses_time {
                    return Err("`rule.uses_time`: declarative rules cannot read the clock".into());
                }
            }
            (Some(kind), None) => {
                let account = self.resource == "AWS::::Account";
                if (*kind == PredicateKind::Account) != account {
                    return Err(
                        "`rule.predicate`: `account` predicates (and only they) use resource AWS::::Account"
                            .into(),
                    );
                }
            }
        }
        if let Some(a) = &rule.applies {
            a.validate("rule.applies", false)?;
        }
        Ok(())
    }

    /// The service part of the resource type (`S3`).
    pub fn resource_service(&self) -> &str {
        self.resource.split("::").nth(1).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "S3 bucket has versioning enabled"
severity = "medium"
resource = "AWS::S3::Bucket"
categories = ["resilience"]
areas = ["data", "configuration"]
description = "Looks at the bucket's versioning status."
risk = "Overwritten or deleted objects cannot be recovered."
[remediation]
text = "Turn versioning on for the bucket."
cli = "aws s3api put-bucket-versioning --bucket {name} --versioning-configuration Status=Enabled"
terraform = "resource \"aws_s3_bucket_versioning\" \"b\" {}"
[rule]
assert = { path = "supplementary.BucketVersioningConfiguration.status", eq = "Enabled" }
pass = "versioning is on"
fail = "versioning is {supplementary.BucketVersioningConfiguration.status}"
"#;

    #[test]
    fn parses_a_good_file() {
        let meta = CheckMeta::parse("x.toml", GOOD).unwrap();
        assert_eq!(meta.severity, Severity::Medium);
        assert_eq!(meta.resource_service(), "S3");
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        let bad = GOOD.replace("areas = [\"data\", \"configuration\"]", "areas = [\"dta\"]");
        let err = CheckMeta::parse("x.toml", &bad).unwrap_err();
        assert!(err.to_string().contains("x.toml"), "{err}");
        assert!(err.to_string().contains("`areas`: unknown `dta`"), "{err}");
        let bad = GOOD.replace("severity = \"medium\"", "severity = \"urgent\"");
        assert!(CheckMeta::parse("x.toml", &bad).is_err());
        let bad = GOOD.replace("eq = \"Enabled\"", "eq = \"Enabled\", ne = \"x\"");
        let err = CheckMeta::parse("x.toml", &bad).unwrap_err();
        assert!(err.to_string().contains("exactly one operator"), "{err}");
        let bad = GOOD.replace("title =", "titel = \"x\"\ntitle =");
        assert!(CheckMeta::parse("x.toml", &bad).is_err());
        let bad = GOOD.replace("terraform =", "# terraform =");
        let err = CheckMeta::parse("x.toml", &bad).unwrap_err();
        assert!(err.to_string().contains("remediation.terraform"), "{err}");
    }
}
