//! Evaluation over the stored inventory: findings and their life, incremental
//! runs equal to full ones, parameters, mutes (with expiry and Prowler
//! mutelist import), exports and compliance.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::Value;
use shareline_app::evaluate::{EvaluateOptions, evaluate_tenant};
use shareline_app::findings::{NewMute, add_mute, list, list_mutes};
use shareline_app::import::{ImportProgress, import_aws_config};
use shareline_engine::Status;
use shareline_engine::mutes::{Mute, Scope, Syntax};
use shareline_model::TenantId;
use shareline_store::{FindingFilter, Store};

async fn demo_store(dir: &Path) -> Store {
    let store = Store::open(dir.join("eval.db").to_str().unwrap())
        .await
        .unwrap();
    shareline_app::demo::load(&store, &shareline_app::demo::demo_dir())
        .await
        .unwrap();
    store
}

fn acme() -> TenantId {
    TenantId::parse("acme").unwrap()
}

fn all() -> FindingFilter {
    FindingFilter {
        limit: Some(1_000_000),
        ..FindingFilter::default()
    }
}

async fn statuses(store: &Store, tenant: &TenantId) -> HashMap<String, (Status, String)> {
    list(store, tenant, &all())
        .await
        .unwrap()
        .into_iter()
        .map(|v| {
            let r = v.finding.result;
            (r.id, (r.status, r.evidence.message))
        })
        .collect()
}

/// The tenant's worst failing finding.
async fn first_failure(store: &Store, tenant: &TenantId) -> shareline_engine::Finding {
    let failing = FindingFilter {
        statuses: vec![Status::Fail],
        ..all()
    };
    list(store, tenant, &failing).await.unwrap()[0]
        .finding
        .clone()
}

/// Evaluates the tenant in full, whatever changed.
async fn evaluate_full(
    store: &Store,
    tenant: &TenantId,
) -> shareline_app::evaluate::EvaluationSummary {
    let full = EvaluateOptions {
        full: true,
        now: None,
    };
    evaluate_tenant(store, tenant, full).await.unwrap()
}

/// The first demo snapshot of acme, for re-imports with changes.
fn acme_snapshot() -> (String, std::path::PathBuf) {
    let dir = shareline_app::demo::demo_dir();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let account = &manifest["tenants"][0]["accounts"][0];
    (
        account["account_id"].as_str().unwrap().to_owned(),
        dir.join(account["snapshots"][0].as_str().unwrap()),
    )
}

#[tokio::test]
async fn the_demo_estate_has_failing_and_passing_findings() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    for t in store.list_tenants().await.unwrap() {
        let found = list(&store, &t.id, &all()).await.unwrap();
        let fail = found
            .iter()
            .filter(|v| v.finding.result.status == Status::Fail)
            .count();
        let pass = found
            .iter()
            .filter(|v| v.finding.result.status == Status::Pass)
            .count();
        assert!(
            fail > 0 && pass > 0,
            "{}: {fail} failing, {pass} passing",
            t.id
        );
        // Every finding belongs to one of the tenant's own accounts.
        let accounts: Vec<String> = store
            .list_accounts(&t.id)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.account_id)
            .collect();
        // (Responsibility gaps are tenant-wide: their account is `*`.)
        assert!(
            found
                .iter()
                .filter(|v| &*v.finding.result.service != "responsibility")
                .all(|v| accounts.contains(&v.finding.result.key.account_id))
        );
    }
    // Finding ids are per tenant: no id is shared.
    let a = statuses(&store, &acme()).await;
    let g = statuses(&store, &TenantId::parse("globex").unwrap()).await;
    assert!(a.keys().all(|id| !g.contains_key(id)));
}

#[tokio::test]
async fn incremental_evaluation_equals_full_after_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let tenant = acme();
    // Nothing changed: an incremental run evaluates nothing resource-only.
    let again = evaluate_tenant(&store, &tenant, EvaluateOptions::default())
        .await
        .unwrap();
    assert_eq!(again.record.mode, "incremental");
    assert_eq!(
        again.record.changed, 0,
        "an unchanged inventory changes no finding"
    );

    // Re-import the snapshot with every bucket's versioning suspended and one
    // resource dropped.
    let (account, path) = acme_snapshot();
    let mut snap: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let items = snap["configurationItems"].as_array_mut().unwrap();
    // Drop a resource whose type and region the snapshot still covers, so the
    // import marks it deleted.
    let scope = |i: &Value| (i["resourceType"].to_string(), i["awsRegion"].to_string());
    let at = (0..items.len())
        .find(|&n| {
            items
                .iter()
                .filter(|i| scope(i) == scope(&items[n]))
                .count()
                >= 2
        })
        .unwrap();
    let dropped = items.remove(at);
    for item in items.iter_mut() {
        if item["resourceType"] == "AWS::S3::Bucket"
            && let Some(v) = item
                .get_mut("supplementaryConfiguration")
                .and_then(|s| s.get_mut("BucketVersioningConfiguration"))
        {
            v["status"] = Value::from("Suspended");
        }
    }
    let changed_file = dir.path().join("changed.json");
    std::fs::write(&changed_file, serde_json::to_vec(&snap).unwrap()).unwrap();
    import_aws_config(
        &store,
        &tenant,
        &account,
        &changed_file,
        Arc::new(ImportProgress::default()),
    )
    .await
    .unwrap();

    let inc = evaluate_tenant(&store, &tenant, EvaluateOptions::default())
        .await
        .unwrap();
    assert_eq!(inc.record.mode, "incremental");
    assert!(inc.record.changed > 0);
    let after_incremental = statuses(&store, &tenant).await;
    let full = evaluate_full(&store, &tenant).await;
    assert_eq!(full.record.mode, "full");
    assert!(full.record.evaluations > inc.record.evaluations);
    assert_eq!(
        after_incremental,
        statuses(&store, &tenant).await,
        "incremental == full"
    );

    // The dropped resource's findings are removed, with history.
    let dropped_id = dropped["resourceId"].as_str().unwrap();
    let removed = list(
        &store,
        &tenant,
        &FindingFilter {
            include_removed: true,
            ..all()
        },
    )
    .await
    .unwrap()
    .into_iter()
    .filter(|v| v.finding.result.key.resource_id == dropped_id)
    .collect::<Vec<_>>();
    assert!(!removed.is_empty(), "the dropped resource had findings");
    for v in &removed {
        assert!(v.finding.removed_at.is_some());
        let detail = shareline_app::findings::show(&store, &tenant, &v.finding.result.id)
            .await
            .unwrap();
        assert_eq!(detail.history.last().unwrap().kind, "removed");
    }
}

#[tokio::test]
async fn a_tenant_parameter_changes_results_and_forces_a_full_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let tenant = acme();
    let check = "aws_iam_user_access_keys_rotated";
    let count = |m: &HashMap<String, (Status, String)>, s: Status| {
        m.values().filter(|(st, _)| *st == s).count()
    };
    let failing = |store: Store, tenant: TenantId| async move {
        list(
            &store,
            &tenant,
            &FindingFilter {
                checks: vec![check.into()],
                ..all()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|v| v.finding.result.status == Status::Fail)
        .count()
    };
    let before = failing(store.clone(), tenant.clone()).await;
    let mut p = shareline_checks::Params::new();
    p.insert("max_key_age_days".into(), Value::from(100_000));
    store
        .set_check_params(&tenant, check, Some(&p))
        .await
        .unwrap();
    let run = evaluate_tenant(&store, &tenant, EvaluateOptions::default())
        .await
        .unwrap();
    assert_eq!(
        run.record.mode, "full",
        "a parameter change forces a full run"
    );
    let after = failing(store.clone(), tenant.clone()).await;
    assert!(before > 0, "the demo has stale keys");
    assert_eq!(after, 0, "nothing is older than 100,000 days");
    let all_now = statuses(&store, &tenant).await;
    assert!(count(&all_now, Status::Pass) > 0);
}

fn mute(id: &str, check: &str, expires_in_days: i64) -> Mute {
    Mute {
        id: id.into(),
        scope: Scope {
            checks: vec![check.into()],
            ..Scope::default()
        },
        except: Scope::default(),
        syntax: Syntax::Glob,
        reason: "accepted for the test".into(),
        author: "tester".into(),
        created_at: Utc::now() - Duration::days(30),
        expires_at: Utc::now() + Duration::days(expires_in_days),
        source: "test".into(),
    }
}

#[tokio::test]
async fn mutes_mute_expire_and_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let tenant = acme();
    let failing_check = first_failure(&store, &tenant)
        .await
        .result
        .check_id
        .to_string();

    // Validation: reason, expiry, maximum, a pattern that names a check.
    let good = NewMute {
        check: failing_check.clone(),
        reason: "risk accepted by the customer".into(),
        author: "ops".into(),
        expires_at: Some(Utc::now() + Duration::days(30)),
        ..NewMute::default()
    };
    for (bad, what) in [
        (
            NewMute {
                expires_at: None,
                ..good.clone()
            },
            "expiry",
        ),
        (
            NewMute {
                expires_at: Some(Utc::now() - Duration::days(1)),
                ..good.clone()
            },
            "past",
        ),
        (
            NewMute {
                expires_at: Some(Utc::now() + Duration::days(400)),
                ..good.clone()
            },
            "maximum",
        ),
        (
            NewMute {
                reason: String::new(),
                ..good.clone()
            },
            "reason",
        ),
        (
            NewMute {
                check: "aws_nothing_like_this".into(),
                ..good.clone()
            },
            "matches no check",
        ),
        (
            NewMute {
                tags: vec!["no-equals-sign".into()],
                ..good.clone()
            },
            "key=value",
        ),
    ] {
        let err = add_mute(&store, &tenant, bad)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(what), "{what}: {err}");
    }
    store.set_mute_max_days(&tenant, 500).await.unwrap();
    add_mute(
        &store,
        &tenant,
        NewMute {
            expires_at: Some(Utc::now() + Duration::days(400)),
            ..good.clone()
        },
    )
    .await
    .unwrap();
    evaluate_tenant(&store, &tenant, EvaluateOptions::default())
        .await
        .unwrap();
    let found = list(
        &store,
        &tenant,
        &FindingFilter {
            checks: vec![failing_check.clone()],
            ..all()
        },
    )
    .await
    .unwrap();
    assert!(
        found
            .iter()
            .any(|v| v.finding.result.status == Status::Muted)
    );
    assert!(
        found
            .iter()
            .all(|v| v.finding.result.status != Status::Fail)
    );

    // A mute that has expired since the evaluation reads as FAIL at once and
    // is listed as expired.
    let other = first_failure(&store, &tenant)
        .await
        .result
        .check_id
        .to_string();
    store
        .add_mutes(&tenant, &[mute("m-expired", &other, -1)])
        .await
        .unwrap();
    let past = Utc::now() - Duration::days(2);
    evaluate_tenant(
        &store,
        &tenant,
        EvaluateOptions {
            full: true,
            now: Some(past),
        },
    )
    .await
    .unwrap();
    let stored = store
        .list_findings(
            &tenant,
            &FindingFilter {
                checks: vec![other.clone()],
                ..all()
            },
        )
        .await
        .unwrap();
    assert!(
        stored.iter().any(|f| f.result.status == Status::Muted),
        "muted while it was active"
    );
    let shown = list(
        &store,
        &tenant,
        &FindingFilter {
            checks: vec![other.clone()],
            statuses: vec![Status::Fail],
            ..all()
        },
    )
    .await
    .unwrap();
    assert!(
        !shown.is_empty()
            && shown
                .iter()
                .all(|v| v.mute_expired || v.finding.result.muted_by.is_none())
    );
    let states: Vec<(String, &str)> = list_mutes(&store, &tenant, false)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.record.mute.id, m.state))
        .collect();
    assert!(
        states.contains(&("m-expired".to_owned(), "expired")),
        "{states:?}"
    );
    // The next evaluation no longer mutes it.
    evaluate_tenant(&store, &tenant, EvaluateOptions::default())
        .await
        .unwrap();
    let stored = store
        .list_findings(
            &tenant,
            &FindingFilter {
                checks: vec![other],
                ..all()
            },
        )
        .await
        .unwrap();
    assert!(stored.iter().all(|f| f.result.status != Status::Muted));
}

#[tokio::test]
async fn prowler_mutelists_import_into_mutes() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let tenant = acme();
    let (account, _) = acme_snapshot();
    let yaml = format!(
        r#"
Mutelist:
  Accounts:
    "{account}":
      Checks:
        "s3_bucket_versioning_enabled":
          Regions: ["*"]
          Resources: ["*"]
          Description: "versioning handled by backups"
    "*":
      Checks:
        "iam_.*":
          Regions: ["*"]
          Resources: ["*"]
          Tags: ["team=platform"]
          Exceptions:
            Accounts: ["999999999999"]
        "not_a_real_prowler_check":
          Regions: ["*"]
          Resources: ["*"]
"#
    );
    let file = dir.path().join("mutelist.yaml");
    std::fs::write(&file, yaml).unwrap();
    let expires = Some(Utc::now() + Duration::days(60));
    let imported = shareline_app::mutelist::import(&store, &tenant, &file, expires, "ops")
        .await
        .unwrap();
    assert_eq!(imported.mutes.len(), 3);
    assert_eq!(imported.unmatched_checks, ["not_a_real_prowler_check"]);
    let versioning = imported
        .mutes
        .iter()
        .find(|m| m.scope.checks == ["s3_bucket_versioning_enabled"])
        .unwrap();
    assert_eq!(versioning.scope.accounts, std::slice::from_ref(&account));
    assert_eq!(versioning.reason, "versioning handled by backups");
    assert_eq!(versioning.syntax, Syntax::Regex);
    evaluate_tenant(&store, &tenant, EvaluateOptions::default())
        .await
        .unwrap();
    let found = list(
        &store,
        &tenant,
        &FindingFilter {
            checks: vec!["aws_s3_bucket_versioning_enabled".into()],
            ..all()
        },
    )
    .await
    .unwrap();
    let in_account: Vec<_> = found
        .iter()
        .filter(|v| v.finding.result.key.account_id == account)
        .collect();
    assert!(!in_account.is_empty());
    assert!(
        in_account
            .iter()
            .all(|v| v.finding.result.status != Status::Fail)
    );

    // Bad files are refused whole, naming the file.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "Mutelist:\n  Accounts: [not, a, map]\n").unwrap();
    let before = store.list_mutes(&tenant, true).await.unwrap().len();
    let err = shareline_app::mutelist::import(&store, &tenant, &bad, expires, "ops")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad.yaml"), "{err}");
    assert_eq!(store.list_mutes(&tenant, true).await.unwrap().len(), before);
    let err = shareline_app::mutelist::import(&store, &tenant, &file, None, "ops")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("expiry"), "{err}");
}

#[tokio::test]
async fn exports_csv_and_ocsf_validate() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let tenant = acme();
    let views = list(&store, &tenant, &all()).await.unwrap();
    let csv = shareline_app::outputs::csv(&views).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().len(),
        shareline_app::outputs::CSV_COLUMNS.len()
    );
    assert_eq!(reader.records().count(), views.len());

    let catalog = shareline_app::evaluate::catalog().unwrap();
    let events: Vec<Value> = views
        .iter()
        .map(|v| shareline_app::outputs::ocsf(v, catalog, "acme"))
        .collect();
    let file = dir.path().join("ocsf.json");
    std::fs::write(&file, serde_json::to_vec(&events).unwrap()).unwrap();
    let python = shareline_test_support::venv_python();
    let script = shareline_test_support::workspace_root().join("tools/validate_ocsf.py");
    let out = std::process::Command::new(python)
        .arg(&script)
        .arg(&file)
        .output()
        .expect("run the OCSF validator (scripts/test installs it)");
    assert!(
        out.status.success(),
        "OCSF validation failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{} valid", events.len())));

    // The validator does refuse a broken event.
    let mut broken = events[0].clone();
    broken.as_object_mut().unwrap().remove("finding_info");
    std::fs::write(&file, serde_json::to_vec(&[broken]).unwrap()).unwrap();
    let out = std::process::Command::new(shareline_test_support::venv_python())
        .arg(script)
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("finding_info"));
}

#[tokio::test]
async fn compliance_rolls_up_per_requirement() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let catalog = shareline_app::evaluate::catalog().unwrap();
    assert!(
        catalog.checks.len() >= 200,
        "{} checks",
        catalog.checks.len()
    );
    for id in [
        "cis-aws-5.0",
        "pci-dss-4.0",
        "hipaa-security",
        "nist-800-53-r5",
        "fedramp-moderate-r5",
        "nist-800-171-r2",
        "soc2-2017",
        "iso27001-2022",
        "aws-fsbp",
    ] {
        let report =
            shareline_app::findings::compliance(&store, &TenantId::parse("initech").unwrap(), id)
                .await
                .unwrap();
        let fw = catalog.framework(id).unwrap();
        assert_eq!(report.requirements.len(), fw.requirements.len(), "{id}");
        let count = |s: &str| report.counts.get(s).copied().unwrap_or(0);
        assert!(count("FAIL") > 0, "{id}: initech fails something");
        assert!(
            count("MANUAL") > 0,
            "{id}: some requirements need attestation"
        );
        for r in &report.requirements {
            let manual = fw
                .requirements
                .iter()
                .find(|q| q.id == r.id)
                .unwrap()
                .checks
                .is_empty();
            assert_eq!(manual, r.status.as_str() == "MANUAL", "{id} {}", r.id);
            assert_eq!(
                r.status.as_str() == "FAIL",
                !r.failing.is_empty(),
                "{id} {}",
                r.id
            );
        }
        let score = report.score.unwrap();
        let expected = count("PASS") as f64 * 100.0 / (count("PASS") + count("FAIL")) as f64;
        assert!(
            (score - expected).abs() < 0.1,
            "{id}: {score} vs {expected}"
        );
    }
    let err = shareline_app::findings::compliance(&store, &acme(), "no-such-framework")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cis-aws-5.0"),
        "lists the known frameworks: {err}"
    );
}

#[tokio::test]
async fn evaluating_every_tenant_as_a_pipeline_equals_one_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let tenants: Vec<TenantId> = store
        .list_tenants()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert!(tenants.len() >= 3, "the demo has several tenants");
    // The demo load evaluated each tenant on its own.
    let mut one_at_a_time = HashMap::new();
    for t in &tenants {
        one_at_a_time.insert(t.clone(), statuses(&store, t).await);
        let resources = store.count_resources(t).await.unwrap();
        store.reset_findings(t).await.unwrap();
        assert!(
            statuses(&store, t).await.is_empty(),
            "{t}: findings forgotten"
        );
        assert!(store.last_evaluation(t).await.unwrap().is_none());
        assert_eq!(store.count_resources(t).await.unwrap(), resources);
    }
    let mut order = Vec::new();
    shareline_app::evaluate::evaluate_tenants(
        &store,
        &tenants,
        EvaluateOptions::default(),
        |t, outcome| {
            let summary = outcome.unwrap();
            assert_eq!(summary.record.mode, "full", "{t}: a first evaluation");
            order.push(t.clone());
        },
    )
    .await;
    assert_eq!(order, tenants, "outcomes come in the order given");
    for t in &tenants {
        assert_eq!(statuses(&store, t).await, one_at_a_time[t], "{t}");
    }
}

#[tokio::test]
async fn a_failures_first_history_entry_is_stored_with_its_first_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let tenant = acme();
    let failing = first_failure(&store, &tenant).await;
    let id = failing.result.id.clone();
    let history = |store: Store, id: String| async move {
        shareline_app::findings::show(&store, &acme(), &id)
            .await
            .unwrap()
            .history
    };

    // Not changed since first seen: nothing stored, the row says it all.
    assert!(store.finding_events(&tenant, &id).await.unwrap().is_empty());
    let shown = history(store.clone(), id.clone()).await;
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].kind, "new");
    assert_eq!(shown[0].at, failing.first_seen);
    assert_eq!(shown[0].to, Some(Status::Fail));

    // Muting it changes it: the first entry is stored, then the change.
    store
        .add_mutes(&tenant, &[mute("m1", &failing.result.check_id, 30)])
        .await
        .unwrap();
    evaluate_tenant(&store, &tenant, EvaluateOptions::default())
        .await
        .unwrap();
    let stored = store.finding_events(&tenant, &id).await.unwrap();
    let kinds: Vec<&str> = stored.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["new", "status"]);
    assert_eq!(stored[0].at, failing.first_seen);
    assert_eq!(stored[0].to, Some(Status::Fail));
    assert_eq!(stored[1].to, Some(Status::Muted));
    assert_eq!(history(store.clone(), id.clone()).await, stored);

    // Evaluating again stores nothing more for it.
    evaluate_full(&store, &tenant).await;
    assert_eq!(store.finding_events(&tenant, &id).await.unwrap(), stored);
}
