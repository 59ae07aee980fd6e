//! Walks the whole registry: every check has valid metadata, a unique id, a
//! fixture file with at least one passing and one failing case, and every
//! case gives the status it expects with messages that render. Framework
//! mappings never dangle.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a panic is a failed test"
)]

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use shareline_checks::{ACCOUNT_TYPE, AccountView, Catalog, Check, Ctx, Outcome, Res, Stop};
use shareline_model::Resource;

const ACCOUNT: &str = "123456789012";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    expect: String,
    #[serde(default)]
    resource: Option<PartialResource>,
    #[serde(default)]
    others: Vec<PartialResource>,
    #[serde(default)]
    params: BTreeMap<String, Value>,
    #[serde(default)]
    now: Option<DateTime<Utc>>,
    /// (service, region) scopes whose last collection failed.
    #[serde(default)]
    failed_scopes: Vec<(String, String)>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartialResource {
    #[serde(default)]
    resource_type: Option<String>,
    #[serde(default)]
    resource_id: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    arn: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    configuration: Option<Value>,
    #[serde(default)]
    supplementary: Option<Value>,
}

impl PartialResource {
    fn build(self, default_type: &str) -> Resource {
        let rtype = self
            .resource_type
            .unwrap_or_else(|| default_type.to_owned());
        let id = self.resource_id.unwrap_or_else(|| "fixture".to_owned());
        let region = self.region.unwrap_or_else(|| "us-east-1".to_owned());
        let arn = self
            .arn
            .unwrap_or_else(|| format!("arn:aws:fixture:{region}:{ACCOUNT}:{id}"));
        let mut r = Resource::new(ACCOUNT, &region, &rtype, &id, &arn);
        r.name = self.name.unwrap_or(id);
        r.tags = self.tags;
        if let Some(c) = self.configuration {
            r.configuration = c;
        }
        if let Some(s) = self.supplementary {
            r.supplementary = s;
        }
        r
    }
}

fn fixture_path(check: &Check) -> PathBuf {
    let stem = check
        .id
        .strip_prefix(&format!("{}_{}_", check.provider, check.service))
        .unwrap();
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(check.provider)
        .join(check.service)
        .join(format!("{stem}.json"))
}

fn status(v: &Result<Outcome, Stop>) -> &'static str {
    match v {
        Ok(Outcome::Pass(_)) => "pass",
        Ok(Outcome::Fail(_)) => "fail",
        Ok(Outcome::Skip) => "skip",
        Err(Stop::Unknown(_)) => "unknown",
        Err(Stop::Error(_)) => "error",
    }
}

fn run_case(catalog: &Catalog, check: &Check, case: Case) -> Result<(), String> {
    let params = catalog
        .params(check, Some(&case.params))
        .map_err(|e| format!("params: {e}"))?;
    let now = case
        .now
        .unwrap_or_else(|| "2026-06-01T00:00:00Z".parse().unwrap());
    let ctx = Ctx::new(&params, check.meta.rule.uses_time.then_some(now));
    let others: Vec<Resource> = case
        .others
        .into_iter()
        .map(|o| o.build(&check.meta.resource))
        .collect();
    let verdict = if check.is_account() {
        if case.resource.is_some() {
            return Err("account checks take `others`, not `resource`".into());
        }
        let view = AccountView::new(ACCOUNT, others.iter().collect())
            .with_failed_scopes(case.failed_scopes);
        check.evaluate_account(&view, &ctx)
    } else {
        let subject = case
            .resource
            .ok_or("resource checks need `resource`")?
            .build(&check.meta.resource);
        if subject.resource_type != check.meta.resource {
            return Err(format!("fixture resource is a {}", subject.resource_type));
        }
        let mut all: Vec<&Resource> = others.iter().collect();
        all.push(&subject);
        let view = AccountView::new(ACCOUNT, all).with_failed_scopes(case.failed_scopes);
        check.evaluate(&Res::new(&subject), &view, &ctx)
    };
    let got = status(&verdict);
    if got != case.expect {
        return Err(format!(
            "case `{}`: expected {}, got {got}: {verdict:?}",
            case.name, case.expect
        ));
    }
    if let Ok(Outcome::Pass(ev) | Outcome::Fail(ev)) = &verdict {
        if ev.message.trim().is_empty() {
            return Err(format!("case `{}`: empty message", case.name));
        }
        if ev.message.contains("{configuration.") || ev.message.contains("{supplementary.") {
            return Err(format!(
                "case `{}`: unrendered message {}",
                case.name, ev.message
            ));
        }
    }
    Ok(())
}

#[test]
fn every_check_has_fixtures_that_hold() {
    let catalog = Catalog::builtin().unwrap();
    let mut problems = Vec::new();
    for check in &catalog.checks {
        let path = fixture_path(check);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!(
                    "{}: no fixture file {}: {e}",
                    check.id,
                    path.display()
                ));
                continue;
            }
        };
        let file: FixtureFile = match serde_json::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                problems.push(format!("{}: {}: {e}", check.id, path.display()));
                continue;
            }
        };
        let expects: HashSet<&str> = file.cases.iter().map(|c| c.expect.as_str()).collect();
        if !expects.contains("pass") || !expects.contains("fail") {
            problems.push(format!("{}: needs a pass and a fail case", check.id));
        }
        for case in file.cases {
            if let Err(e) = run_case(catalog, check, case) {
                problems.push(format!("{}: {e}", check.id));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn no_fixture_file_without_a_check() {
    let catalog = Catalog::builtin().unwrap();
    let known: HashSet<PathBuf> = catalog.checks.iter().map(fixture_path).collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut stray = Vec::new();
    for provider in std::fs::read_dir(&root).unwrap() {
        for service in std::fs::read_dir(provider.unwrap().path()).unwrap() {
            for file in std::fs::read_dir(service.unwrap().path()).unwrap() {
                let p = file.unwrap().path();
                if !known.contains(&p) {
                    stray.push(p.display().to_string());
                }
            }
        }
    }
    assert!(stray.is_empty(), "fixtures without a check: {stray:?}");
}

#[test]
fn ids_are_unique_and_well_formed() {
    let catalog = Catalog::builtin().unwrap();
    let mut seen = HashSet::new();
    for check in &catalog.checks {
        assert!(seen.insert(check.id), "duplicate id {}", check.id);
        for alias in &check.meta.aliases {
            assert!(seen.insert(alias.as_str()), "alias {alias} collides");
        }
        assert!(check.id.starts_with("aws_"), "{}", check.id);
        check.meta.validate().unwrap();
        let account = check.meta.resource == ACCOUNT_TYPE;
        assert_eq!(account, check.is_account(), "{}", check.id);
        assert!(catalog.check(check.id).is_some());
    }
}

#[test]
fn framework_mappings_resolve() {
    let catalog = Catalog::builtin().unwrap();
    for fw in &catalog.frameworks {
        for req in &fw.requirements {
            for id in &req.checks {
                assert!(
                    catalog.check(id).is_some(),
                    "{} {} maps unknown check {id}",
                    fw.id,
                    req.id
                );
            }
        }
    }
}

#[test]
fn overriding_an_unknown_or_mistyped_parameter_is_refused() {
    let catalog = Catalog::builtin().unwrap();
    let check = catalog.check("aws_iam_user_access_keys_rotated").unwrap();
    let mut bad = BTreeMap::new();
    bad.insert("max_key_age".to_owned(), Value::from(30));
    assert!(catalog.params(check, Some(&bad)).is_err());
    let mut bad = BTreeMap::new();
    bad.insert("max_key_age_days".to_owned(), Value::from("thirty"));
    assert!(catalog.params(check, Some(&bad)).is_err());
}

#[test]
fn every_checked_resource_type_has_a_service_model() {
    let catalog = Catalog::builtin().unwrap();
    let aws = catalog
        .provider_model("aws")
        .expect("catalog/responsibility/aws.toml");
    for check in &catalog.checks {
        assert!(
            aws.service_of(&check.meta.resource).is_some(),
            "{}: resource type {} has no service in aws.toml",
            check.id,
            check.meta.resource
        );
    }
}
