//! The engine over a small inventory: incremental equals full, errors stay
//! isolated, unreadable data is UNKNOWN, mutes mute until they expire, and
//! compliance rolls up.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a panic is a failed test"
)]

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::json;
use shareline_checks::Catalog;
use shareline_engine::mutes::{Compiled, Mute, Scope, Syntax};
use shareline_engine::{Finding, Input, Item, Selection, Status, evaluate, finding_id, reconcile};
use shareline_model::Resource;
use shareline_model::attr::unavailable;

const A: &str = "111111111111";
const B: &str = "222222222222";

fn now() -> DateTime<Utc> {
    "2026-06-01T00:00:00Z".parse().unwrap()
}

fn bucket(account: &str, name: &str, versioning: &str, policy: Option<&str>) -> Resource {
    let mut r = Resource::new(
        account,
        "us-east-1",
        "AWS::S3::Bucket",
        name,
        &format!("arn:aws:s3:::{name}"),
    );
    r.supplementary = json!({
        "BucketVersioningConfiguration": {"status": versioning},
        "BucketPolicy": policy.map(|p| json!({"policyText": p})),
        "PublicAccessBlockConfiguration": null,
    });
    r
}

fn trail(account: &str, logging: bool) -> Resource {
    let mut r = Resource::new(
        account,
        "us-east-1",
        "AWS::CloudTrail::Trail",
        "main",
        "arn:aws:cloudtrail:us-east-1:x:trail/main",
    );
    r.configuration = json!({"isMultiRegionTrail": true, "includeGlobalServiceEvents": true});
    r.supplementary = json!({"TrailStatus": {"isLogging": logging}});
    r
}

fn user(account: &str, name: &str, key_created: &str) -> Resource {
    let mut r = Resource::new(
        account,
        "global",
        "AWS::IAM::User",
        &format!("AIDA{name}"),
        &format!("arn:aws:iam::{account}:user/{name}"),
    );
    r.name = name.to_owned();
    r.supplementary = json!({"AccessKeys": [{"accessKeyId": "AKIA", "status": "Active", "createDate": key_created}]});
    r
}

fn items(resources: Vec<Resource>) -> Vec<Item> {
    resources
        .into_iter()
        .map(|r| {
            let hash = r.content_hash();
            Item { resource: r, hash }
        })
        .collect()
}

fn inventory() -> Vec<Resource> {
    vec![
        bucket(A, "a-logs", "Enabled", None),
        bucket(
            A,
            "a-web",
            "Off",
            Some(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}"#),
        ),
        bucket(A, "a-broken", "Enabled", Some("{not json")),
        trail(A, true),
        user(A, "alice", "2026-05-01T00:00:00Z"),
        bucket(B, "b-data", "Suspended", None),
        user(B, "bob", "2024-01-01T00:00:00Z"),
    ]
}

fn run(
    items: &[Item],
    selection: Selection<'_>,
    mutes: &[Compiled],
) -> Vec<shareline_engine::CheckResult> {
    let catalog = Catalog::builtin().unwrap();
    let overrides = HashMap::new();
    evaluate(&Input {
        tenant: "acme",
        items,
        catalog,
        overrides: &overrides,
        mutes,
        now: now(),
        selection,
        failed_scopes: &HashMap::new(),
    })
    .unwrap()
    .results
}

fn by_id(results: &[shareline_engine::CheckResult]) -> HashMap<String, (Status, String)> {
    results
        .iter()
        .map(|r| (r.id.clone(), (r.status, r.evidence.message.clone())))
        .collect()
}

fn status_of(results: &[shareline_engine::CheckResult], check: &str, resource_id: &str) -> Status {
    results
        .iter()
        .find(|r| &*r.check_id == check && r.key.resource_id == resource_id)
        .map(|r| r.status)
        .unwrap_or_else(|| panic!("no result for {check} on {resource_id}"))
}

#[test]
fn statuses_errors_and_unknowns_are_per_pair() {
    let mut inv = inventory();
    let mut denied = bucket(A, "a-denied", "Enabled", None);
    denied.supplementary["BucketVersioningConfiguration"] =
        unavailable("s3:GetBucketVersioning", Some("AccessDenied"), "denied");
    inv.push(denied);
    let items = items(inv);
    let results = run(&items, Selection::Full, &[]);
    assert_eq!(
        status_of(&results, "aws_s3_bucket_versioning_enabled", "a-logs"),
        Status::Pass
    );
    assert_eq!(
        status_of(&results, "aws_s3_bucket_versioning_enabled", "a-web"),
        Status::Fail
    );
    assert_eq!(
        status_of(&results, "aws_s3_bucket_policy_not_public", "a-web"),
        Status::Fail
    );
    // A policy that is not JSON is an ERROR for that pair only...
    assert_eq!(
        status_of(&results, "aws_s3_bucket_policy_not_public", "a-broken"),
        Status::Error
    );
    // ...the same bucket's other checks still run.
    assert_eq!(
        status_of(&results, "aws_s3_bucket_versioning_enabled", "a-broken"),
        Status::Pass
    );
    // Unreadable data is UNKNOWN, never a PASS or FAIL.
    assert_eq!(
        status_of(&results, "aws_s3_bucket_versioning_enabled", "a-denied"),
        Status::Unknown
    );
    // Account checks give one finding per account.
    assert_eq!(
        status_of(&results, "aws_cloudtrail_multi_region_trail_enabled", A),
        Status::Pass
    );
    assert_eq!(
        status_of(&results, "aws_cloudtrail_multi_region_trail_enabled", B),
        Status::Fail
    );
    assert_eq!(
        status_of(&results, "aws_iam_user_access_keys_rotated", "AIDAbob"),
        Status::Fail
    );
    let ids: HashSet<&str> = results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), results.len(), "finding ids are unique");
}

#[test]
fn incremental_equals_full() {
    let catalog = Catalog::builtin().unwrap();
    let first = items(inventory());
    let full1 = run(&first, Selection::Full, &[]);
    let first_keys: Vec<_> = first.iter().map(|i| i.resource.key()).collect();
    let prev: HashMap<String, Finding> = reconcile(
        catalog,
        &HashMap::new(),
        full1,
        Selection::Full,
        &first_keys.iter().collect(),
        now(),
    )
    .changed
    .into_iter()
    .map(|f| (f.result.id.clone(), f))
    .collect();

    // Change one bucket, delete another, add one, stop the trail in A.
    let mut inv = inventory();
    inv[0] = bucket(A, "a-logs", "Suspended", None);
    inv.remove(1);
    inv.push(bucket(B, "b-new", "Enabled", None));
    for r in &mut inv {
        if r.resource_type == "AWS::CloudTrail::Trail" {
            *r = trail(A, false);
        }
    }
    let second = items(inv);
    let prev_hash: HashMap<_, _> = first
        .iter()
        .map(|i| (i.resource.key(), i.hash.clone()))
        .collect();
    let keys: Vec<_> = second.iter().map(|i| i.resource.key()).collect();
    let changed: HashSet<_> = second
        .iter()
        .zip(&keys)
        .filter(|(i, k)| prev_hash.get(*k) != Some(&i.hash))
        .map(|(_, k)| k)
        .collect();
    assert_eq!(changed.len(), 3, "changed bucket, new bucket, trail");

    let live: HashSet<_> = keys.iter().collect();
    let incremental = run(&second, Selection::Changed(&changed), &[]);
    let full_results = run(&second, Selection::Full, &[]);
    assert!(
        incremental.len() < full_results.len(),
        "incremental evaluates less"
    );
    let rec = reconcile(
        catalog,
        &prev,
        incremental,
        Selection::Changed(&changed),
        &live,
        now(),
    );
    let mut merged = prev;
    for f in rec.changed {
        merged.insert(f.result.id.clone(), f);
    }
    let merged: HashMap<String, (Status, String)> = merged
        .into_values()
        .filter(|f| f.removed_at.is_none())
        .map(|f| (f.result.id, (f.result.status, f.result.evidence.message)))
        .collect();
    assert_eq!(merged, by_id(&full_results));
    assert!(
        rec.events.iter().any(|e| e.kind == "removed"),
        "the deleted bucket's findings are removed"
    );
}

#[test]
fn mutes_mute_until_they_expire() {
    let items = items(inventory());
    let mute = |expires: &str| {
        Compiled::new(Mute {
            id: "m-web".into(),
            scope: Scope {
                checks: vec!["aws_s3_*".into()],
                resources: vec!["a-web".into()],
                ..Scope::default()
            },
            except: Scope::default(),
            syntax: Syntax::Glob,
            reason: "public website, accepted".into(),
            author: "ops@msp".into(),
            created_at: now(),
            expires_at: expires.parse().unwrap(),
            source: "test".into(),
        })
        .unwrap()
    };
    let results = run(&items, Selection::Full, &[mute("2026-07-01T00:00:00Z")]);
    let web = results
        .iter()
        .find(|r| &*r.check_id == "aws_s3_bucket_policy_not_public" && r.key.resource_id == "a-web")
        .unwrap();
    assert_eq!(web.status, Status::Muted);
    assert_eq!(web.muted_by.as_deref(), Some("m-web"));
    // Passing findings are not turned into MUTED.
    assert_eq!(
        status_of(&results, "aws_s3_bucket_versioning_enabled", "a-logs"),
        Status::Pass
    );
    let results = run(&items, Selection::Full, &[mute("2026-05-01T00:00:00Z")]);
    assert_eq!(
        status_of(&results, "aws_s3_bucket_policy_not_public", "a-web"),
        Status::Fail
    );
}

#[test]
fn finding_ids_are_stable_across_runs() {
    let items = items(inventory());
    let a = by_id(&run(&items, Selection::Full, &[]));
    let b = by_id(&run(&items, Selection::Full, &[]));
    assert_eq!(a, b);
    let key = items[0].resource.key();
    assert!(a.contains_key(&finding_id(
        "acme",
        "aws_s3_bucket_versioning_enabled",
        &key
    )));
}

#[test]
fn standing_from_tallies_equals_the_full_rollup() {
    use shareline_engine::compliance::{Tally, rollup, standing};
    let mut inv = inventory();
    inv.push(bucket(
        "111111111111",
        "broken",
        "Enabled",
        Some("{not json"),
    ));
    let results = run(&items(inv), Selection::Full, &[]);
    let mut tallies: HashMap<&str, Tally> = HashMap::new();
    for r in &results {
        tallies.entry(&*r.check_id).or_default().add(r.status);
    }
    let catalog = Catalog::builtin().unwrap();
    let mut failing_somewhere = 0;
    for fw in &catalog.frameworks {
        let full = rollup(fw, &results);
        let brief = standing(fw, &tallies);
        let count = |s: &str| full.counts.get(s).copied().unwrap_or(0);
        assert_eq!(brief.score, full.score, "{}", fw.id);
        assert_eq!(brief.passing, count("PASS"), "{}", fw.id);
        assert_eq!(brief.failing, count("FAIL"), "{}", fw.id);
        failing_somewhere += brief.failing;
    }
    assert!(
        failing_somewhere > 0,
        "the inventory fails some requirement"
    );
}

/// What a store holds after applying placements: rows by id, and packed
/// findings by resource.
#[derive(Default)]
struct Stored {
    rows: HashMap<String, Finding>,
    packed: std::collections::BTreeMap<shareline_model::ResourceKey, Vec<Finding>>,
}

impl Stored {
    fn all(&self) -> HashMap<String, Finding> {
        let mut all = self.rows.clone();
        for f in self.packed.values().flatten() {
            assert!(
                all.insert(f.result.id.clone(), f.clone()).is_none(),
                "{} is both a row and packed",
                f.result.check_id
            );
        }
        all
    }

    fn evaluate(&mut self, inv: Vec<Resource>, at: DateTime<Utc>) {
        let catalog = Catalog::builtin().unwrap();
        let items = items(inv);
        let results = run(&items, Selection::Full, &[]);
        let prev = self.all();
        let keys: Vec<_> = items.iter().map(|i| i.resource.key()).collect();
        let live = keys.iter().collect();
        let rec = reconcile(catalog, &prev, results, Selection::Full, &live, at);
        let ids: HashSet<String> = self.rows.keys().cloned().collect();
        let placed = shareline_engine::place(&prev, &ids, &rec.changed);
        let (rows, packed): (
            Vec<Finding>,
            Vec<(shareline_model::ResourceKey, Vec<Finding>)>,
        ) = (
            placed
                .rows
                .iter()
                .map(|&i| rec.changed[i].clone())
                .collect(),
            placed
                .packed
                .into_iter()
                .map(|p| (p.key.clone(), p.findings.into_iter().cloned().collect()))
                .collect(),
        );
        for f in rows {
            self.rows.insert(f.result.id.clone(), f);
        }
        for (key, findings) in packed {
            if findings.is_empty() {
                self.packed.remove(&key);
            } else {
                self.packed.insert(key, findings);
            }
        }
        // Whatever the split, the store holds exactly the reconciled state.
        let mut expected = prev;
        for f in rec.changed {
            expected.insert(f.result.id.clone(), f);
        }
        assert_eq!(self.all(), expected);
    }

    fn is_row(&self, check: &str, resource_id: &str) -> bool {
        self.rows
            .values()
            .any(|f| &*f.result.check_id == check && f.result.key.resource_id == resource_id)
    }

    fn is_packed(&self, check: &str, resource_id: &str) -> bool {
        self.packed
            .values()
            .flatten()
            .any(|f| &*f.result.check_id == check && f.result.key.resource_id == resource_id)
    }
}

#[test]
fn findings_are_packed_until_they_first_change() {
    let versioning = "aws_s3_bucket_versioning_enabled";
    let t = |h: i64| now() + chrono::Duration::hours(h);
    let mut store = Stored::default();
    store.evaluate(inventory(), t(0));
    assert!(store.is_packed(versioning, "a-logs"), "a pass is packed");
    assert!(store.is_packed(versioning, "a-web"), "so is a failure");
    assert!(store.rows.is_empty(), "nothing has a history yet");

    // Evaluating the same inventory again changes nothing.
    store.evaluate(inventory(), t(1));
    assert!(store.rows.is_empty());
    assert!(store.is_packed(versioning, "a-web"));

    // a-logs stops versioning; a-web is deleted.
    let mut inv = inventory();
    inv[0] = bucket(A, "a-logs", "Suspended", None);
    inv.remove(1);
    store.evaluate(inv, t(2));
    assert!(store.is_row(versioning, "a-logs"));
    assert!(
        !store.is_packed(versioning, "a-logs"),
        "it left its resource's pack"
    );
    assert!(
        store.packed.keys().all(|k| k.resource_id != "a-web"),
        "a deleted resource keeps no pack"
    );
    assert!(
        store
            .rows
            .values()
            .any(|f| f.result.key.resource_id == "a-web"
                && f.result.status == Status::Pass
                && f.removed_at.is_some()),
        "its findings are kept as removed rows"
    );
    assert!(
        store.rows.values().all(|f| !f.unchanged()),
        "only findings with a history have rows"
    );

    // a-logs is fixed: the finding passes again but keeps its row and history.
    let mut inv = inventory();
    inv.remove(1);
    store.evaluate(inv, t(3));
    let fixed = store
        .rows
        .values()
        .find(|f| &*f.result.check_id == versioning && f.result.key.resource_id == "a-logs")
        .unwrap();
    assert_eq!(fixed.result.status, Status::Pass);
    assert_eq!(fixed.resolved_at, Some(t(3)));
    assert!(!store.is_packed(versioning, "a-logs"));
}
