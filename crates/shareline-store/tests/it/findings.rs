//! Findings, their history, evaluations, mutes and parameters: the same on
//! every backend, and never visible to another tenant.

use chrono::{DateTime, Duration, Utc};
use shareline_catalog::Severity;
use shareline_checks::Evidence;
use shareline_engine::mutes::{Mute, Scope, Syntax};
use shareline_engine::{CheckResult, Event, Finding, Packed, Status, finding_id};
use shareline_model::{ResourceKey, TenantId};
use shareline_store::{EvaluationRecord, FindingFilter, Store, StoreError};

crate::store_test_suite!(
    removing_an_account_or_a_tenant_removes_only_theirs,
    findings_round_trip_with_history,
    findings_and_mutes_stay_inside_their_tenant,
    mutes_are_kept_when_removed_and_params_round_trip,
    passes_are_packed_per_resource_and_read_as_findings,
    unchanged_failures_are_packed_with_their_status,
);

fn t(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

fn ms(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap()
}

fn finding(id: &str, status: Status, at: DateTime<Utc>) -> Finding {
    Finding {
        result: CheckResult {
            id: id.into(),
            check_id: "aws_s3_bucket_versioning_enabled".into(),
            key: ResourceKey {
                account_id: "111111111111".into(),
                region: "us-east-1".into(),
                resource_type: "AWS::S3::Bucket".into(),
                resource_id: format!("bucket-{id}"),
            }
            .into(),
            arn: format!("arn:aws:s3:::bucket-{id}").into(),
            name: format!("bucket-{id}").into(),
            resource_hash: "h1".into(),
            service: "s3".into(),
            severity: Severity::Medium,
            status,
            muted_by: None,
            evidence: Evidence {
                message: format!("bucket-{id} is {status}"),
                field: Some("supplementary.BucketVersioningConfiguration.status".into()),
                value: Some(serde_json::json!("Off")),
            },
            owner: Some(shareline_engine::responsibility::Party::Msp),
            copied: vec![shareline_engine::responsibility::Party::Provider],
        },
        first_seen: ms(at),
        last_seen: ms(at),
        status_since: ms(at),
        resolved_at: None,
        reopened_count: 0,
        removed_at: None,
    }
}

fn record(at: DateTime<Utc>) -> EvaluationRecord {
    EvaluationRecord {
        id: uuid_like(at),
        started_at: ms(at),
        finished_at: ms(at),
        mode: "full".into(),
        fingerprint: "fp".into(),
        resources: 2,
        evaluations: 2,
        results: 2,
        changed: 2,
        failing: 1,
    }
}

fn uuid_like(at: DateTime<Utc>) -> String {
    format!("eval-{}", at.timestamp_nanos_opt().unwrap_or_default())
}

fn event(id: &str, kind: &str, to: Status, at: DateTime<Utc>) -> Event {
    Event {
        finding_id: id.into(),
        at: ms(at),
        kind: kind.into(),
        from: None,
        to: Some(to),
        message: kind.into(),
    }
}

async fn setup(store: &Store, tenant: &TenantId) {
    store.create_tenant(tenant, "T").await.unwrap();
}

async fn findings_round_trip_with_history(store: &Store) {
    let acme = t("acme");
    setup(store, &acme).await;
    let t0 = Utc::now() - Duration::hours(2);
    let a = finding("a", Status::Fail, t0);
    let b = finding("b", Status::Pass, t0);
    store
        .apply_evaluation(
            &acme,
            &record(t0),
            &[&a, &b],
            &[],
            &[
                event("a", "new", Status::Fail, t0),
                event("b", "new", Status::Pass, t0),
            ],
        )
        .await
        .unwrap();
    assert_eq!(store.get_finding(&acme, "a").await.unwrap(), a);

    // A second run resolves `a` and only moves `b`'s last-seen.
    let t1 = t0 + Duration::hours(1);
    let mut a2 = finding("a", Status::Pass, t0);
    a2.last_seen = ms(t1);
    a2.status_since = ms(t1);
    a2.resolved_at = Some(ms(t1));
    store
        .apply_evaluation(
            &acme,
            &record(t1),
            &[&a2],
            &[],
            &[
                // As the engine sends a first entry with a first change; an
                // earlier version stored it already, so it is not repeated.
                event("a", "new", Status::Fail, t0),
                Event {
                    from: Some(Status::Fail),
                    ..event("a", "resolved", Status::Pass, t1)
                },
            ],
        )
        .await
        .unwrap();
    assert_eq!(store.get_finding(&acme, "a").await.unwrap(), a2);
    assert_eq!(
        store.get_finding(&acme, "b").await.unwrap().last_seen,
        ms(t1)
    );
    let history = store.finding_events(&acme, "a").await.unwrap();
    let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["new", "resolved"]);
    assert_eq!(
        store
            .last_evaluation(&acme)
            .await
            .unwrap()
            .unwrap()
            .started_at,
        ms(t1)
    );

    let failing = store
        .list_findings(
            &acme,
            &FindingFilter {
                statuses: vec![Status::Fail],
                ..FindingFilter::default()
            },
        )
        .await
        .unwrap();
    assert!(failing.is_empty());
    let passing = store
        .list_findings(
            &acme,
            &FindingFilter {
                statuses: vec![Status::Pass],
                ..FindingFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(passing.len(), 2);
    assert!(matches!(
        store.get_finding(&acme, "zzz").await,
        Err(StoreError::NotFound(_))
    ));
}

async fn findings_and_mutes_stay_inside_their_tenant(store: &Store) {
    let (acme, globex) = (t("acme"), t("globex"));
    setup(store, &acme).await;
    setup(store, &globex).await;
    let now = Utc::now();
    store
        .apply_evaluation(
            &acme,
            &record(now),
            &[&finding("a", Status::Fail, now)],
            &[],
            &[event("a", "new", Status::Fail, now)],
        )
        .await
        .unwrap();
    store.add_mutes(&acme, &[mute("m1")]).await.unwrap();
    assert!(
        store
            .list_findings(&globex, &FindingFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.get_finding(&globex, "a").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.finding_events(&globex, "a").await.unwrap().is_empty());
    assert!(
        store
            .load_findings(&globex)
            .await
            .unwrap()
            .findings
            .is_empty()
    );
    assert!(store.last_evaluation(&globex).await.unwrap().is_none());
    assert!(store.list_mutes(&globex, true).await.unwrap().is_empty());
    assert!(matches!(
        store.remove_mute(&globex, "m1", "x").await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.list_mutes(&acme, false).await.unwrap().len(), 1);
}

fn mute(id: &str) -> Mute {
    Mute {
        id: id.into(),
        scope: Scope {
            checks: vec!["aws_s3_*".into()],
            ..Scope::default()
        },
        except: Scope::default(),
        syntax: Syntax::Glob,
        reason: "accepted".into(),
        author: "ops".into(),
        created_at: ms(Utc::now()),
        expires_at: ms(Utc::now() + Duration::days(10)),
        source: "test".into(),
    }
}

async fn mutes_are_kept_when_removed_and_params_round_trip(store: &Store) {
    let acme = t("acme");
    setup(store, &acme).await;
    store
        .add_mutes(&acme, &[mute("m1"), mute("m2")])
        .await
        .unwrap();
    assert!(matches!(
        store.add_mutes(&acme, &[mute("m3"), mute("m1")]).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.list_mutes(&acme, true).await.unwrap().len(),
        2,
        "all or nothing"
    );
    store.remove_mute(&acme, "m1", "ops").await.unwrap();
    assert_eq!(store.list_mutes(&acme, false).await.unwrap().len(), 1);
    let all = store.list_mutes(&acme, true).await.unwrap();
    let removed = all.iter().find(|m| m.mute.id == "m1").unwrap();
    assert_eq!(removed.removed_by.as_deref(), Some("ops"));
    assert_eq!(removed.mute, mute("m1").clone_with_times(&removed.mute));

    let mut p = shareline_checks::Params::new();
    p.insert("max_key_age_days".into(), serde_json::json!(30));
    store
        .set_check_params(&acme, "aws_iam_user_access_keys_rotated", Some(&p))
        .await
        .unwrap();
    assert_eq!(
        store.check_params(&acme).await.unwrap()["aws_iam_user_access_keys_rotated"],
        p
    );
    store
        .set_check_params(&acme, "aws_iam_user_access_keys_rotated", None)
        .await
        .unwrap();
    assert!(store.check_params(&acme).await.unwrap().is_empty());

    assert_eq!(store.mute_max_days(&acme).await.unwrap(), 365);
    store.set_mute_max_days(&acme, 90).await.unwrap();
    assert_eq!(store.mute_max_days(&acme).await.unwrap(), 90);
    assert!(store.set_mute_max_days(&acme, 0).await.is_err());
}

trait SameTimes {
    fn clone_with_times(&self, other: &Mute) -> Mute;
}

impl SameTimes for Mute {
    fn clone_with_times(&self, other: &Mute) -> Mute {
        Mute {
            created_at: other.created_at,
            expires_at: other.expires_at,
            ..self.clone()
        }
    }
}

async fn seed_account(store: &Store, tenant: &TenantId, account: &str, buckets: usize) {
    use shareline_store::{AccountRecord, CommitPlan, Staged, StagedResource};
    store
        .add_account(
            tenant,
            &AccountRecord {
                account_id: account.into(),
                provider: "aws".into(),
                name: account.into(),
                access_mode: "import_only".into(),
                role_arn: None,
                profile: None,
                secret_ciphertext: None,
                regions: vec![],
                endpoint_url: None,
                created_at: Utc::now(),
            },
        )
        .await
        .unwrap();
    let cid = store
        .begin_collection(tenant, account, "test")
        .await
        .unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let batch = (0..buckets)
        .map(|i| {
            let r = shareline_model::Resource::new(
                account,
                "us-east-1",
                "AWS::S3::Bucket",
                &format!("{account}-{i}"),
                &format!("arn:aws:s3:::{account}-{i}"),
            );
            Staged::Upsert(StagedResource::new(&r).unwrap())
        })
        .collect();
    tx.send(Ok(batch)).await.unwrap();
    drop(tx);
    let plan = CommitPlan {
        collection_id: cid,
        account_id: account.into(),
        covered: vec![],
        scopes: vec![],
        status: shareline_model::CollectionStatus::Succeeded,
    };
    store.commit_collection(tenant, &plan, rx).await.unwrap();
    let mut f = finding(account, Status::Fail, Utc::now());
    std::sync::Arc::make_mut(&mut f.result.key).account_id = account.into();
    // Two packed passes on the account's first bucket.
    let passes: Vec<Finding> = [
        "aws_s3_bucket_versioning_enabled",
        "aws_s3_bucket_default_encryption",
    ]
    .into_iter()
    .map(|check| {
        let mut p = pass(tenant.as_str(), check, &format!("{account}-0"), Utc::now());
        std::sync::Arc::make_mut(&mut p.result.key).account_id = account.into();
        p.result.id = finding_id(tenant.as_str(), check, &p.result.key);
        p
    })
    .collect();
    store
        .apply_evaluation(
            tenant,
            &record(Utc::now()),
            &[&f],
            &[Packed {
                key: &passes[0].result.key,
                findings: passes.iter().collect(),
            }],
            &[event(account, "new", Status::Fail, Utc::now())],
        )
        .await
        .unwrap();
}

async fn removing_an_account_or_a_tenant_removes_only_theirs(store: &Store) {
    let (acme, globex) = (t("acme"), t("globex"));
    setup(store, &acme).await;
    setup(store, &globex).await;
    seed_account(store, &acme, "111111111111", 3).await;
    seed_account(store, &acme, "222222222222", 2).await;
    seed_account(store, &globex, "333333333333", 4).await;
    store
        .update_account(
            &acme,
            "222222222222",
            Some("renamed"),
            Some(&["eu-west-1".to_owned()]),
        )
        .await
        .unwrap();
    let accounts = store.list_accounts(&acme).await.unwrap();
    let renamed = accounts
        .iter()
        .find(|a| a.account_id == "222222222222")
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.regions.clone()),
        ("renamed", vec!["eu-west-1".to_owned()])
    );
    assert!(matches!(
        store
            .update_account(&globex, "222222222222", Some("x"), None)
            .await,
        Err(StoreError::NotFound(_))
    ));

    let removed = store.remove_account(&acme, "111111111111").await.unwrap();
    assert_eq!(
        (removed.resources, removed.findings, removed.collections),
        (3, 3, 1),
        "one finding row and two packed passes"
    );
    assert_eq!(store.count_resources(&acme).await.unwrap(), 2);
    assert_eq!(store.list_accounts(&acme).await.unwrap().len(), 1);
    assert!(
        store
            .finding_events(&acme, "111111111111")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.remove_account(&globex, "222222222222").await,
        Err(StoreError::NotFound(_))
    ));

    store.add_mutes(&acme, &[mute("m1")]).await.unwrap();
    store.remove_tenant(&acme).await.unwrap();
    assert!(store.get_tenant(&acme).await.unwrap().is_none());
    assert_eq!(store.count_resources(&acme).await.unwrap(), 0);
    assert!(store.list_mutes(&acme, true).await.unwrap().is_empty());
    assert_eq!(store.count_resources(&globex).await.unwrap(), 4);
    assert!(
        store
            .load_findings(&acme)
            .await
            .unwrap()
            .findings
            .is_empty()
    );
    assert_eq!(
        store
            .list_findings(&globex, &FindingFilter::default())
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(matches!(
        store.remove_tenant(&acme).await,
        Err(StoreError::NotFound(_))
    ));
}

/// A pass of `check` on bucket `bucket`, with the id the store derives.
fn pass(tenant: &str, check: &str, bucket: &str, at: DateTime<Utc>) -> Finding {
    let mut f = finding(bucket, Status::Pass, at);
    f.result.check_id = check.into();
    std::sync::Arc::make_mut(&mut f.result.key).resource_id = bucket.into();
    f.result.id = finding_id(tenant, check, &f.result.key);
    f.result.evidence.message = format!("{bucket} passes {check}");
    f
}

async fn passes_are_packed_per_resource_and_read_as_findings(store: &Store) {
    let (acme, globex) = (t("acme"), t("globex"));
    setup(store, &acme).await;
    setup(store, &globex).await;
    let t0 = Utc::now() - Duration::hours(3);
    let versioning = pass("acme", "aws_s3_bucket_versioning_enabled", "logs", t0);
    let mut encryption = pass("acme", "aws_s3_bucket_default_encryption", "logs", t0);
    encryption.result.severity = Severity::High;
    encryption.result.owner = Some(shareline_engine::responsibility::Party::Customer);
    encryption.result.evidence.value = None;
    encryption.result.evidence.field = None;
    let failing = finding("web", Status::Fail, t0);
    let key = versioning.result.key.clone();
    store
        .apply_evaluation(
            &acme,
            &record(t0),
            &[&failing],
            &[Packed {
                key: &key,
                findings: vec![&encryption, &versioning],
            }],
            &[event("web", "new", Status::Fail, t0)],
        )
        .await
        .unwrap();

    // Packed passes read back whole, with their derived ids.
    let stored = store.load_findings(&acme).await.unwrap();
    assert_eq!(stored.findings.len(), 3);
    assert_eq!(stored.rows, ["web".to_owned()].into_iter().collect());
    assert!(stored.findings.contains(&versioning));
    assert!(stored.findings.contains(&encryption));
    assert_eq!(
        store
            .get_finding(&acme, &versioning.result.id)
            .await
            .unwrap(),
        versioning
    );

    // Listing merges packed passes with rows, worst first, filters applied.
    let ids = |list: Vec<Finding>| -> Vec<String> {
        list.into_iter()
            .map(|f| f.result.check_id.to_string())
            .collect()
    };
    let all = store
        .list_findings(&acme, &FindingFilter::default())
        .await
        .unwrap();
    assert_eq!(
        ids(all),
        [
            "aws_s3_bucket_default_encryption",
            "aws_s3_bucket_versioning_enabled",
            "aws_s3_bucket_versioning_enabled"
        ]
    );
    let list = |filter: FindingFilter| {
        let (store, acme) = (store.clone(), acme.clone());
        async move { store.list_findings(&acme, &filter).await }
    };
    let high = list(FindingFilter {
        severities: vec![Severity::High],
        ..FindingFilter::default()
    })
    .await
    .unwrap();
    assert_eq!(ids(high), ["aws_s3_bucket_default_encryption"]);
    let fails = list(FindingFilter {
        statuses: vec![Status::Fail],
        ..FindingFilter::default()
    })
    .await
    .unwrap();
    assert_eq!(fails.len(), 1, "no packed pass in a FAIL listing");
    let customer = list(FindingFilter {
        owners: vec![shareline_engine::responsibility::Party::Customer],
        ..FindingFilter::default()
    })
    .await
    .unwrap();
    assert_eq!(ids(customer), ["aws_s3_bucket_default_encryption"]);
    let other_account = list(FindingFilter {
        accounts: vec!["999999999999".into()],
        ..FindingFilter::default()
    })
    .await
    .unwrap();
    assert!(other_account.is_empty());
    let first = list(FindingFilter {
        limit: Some(1),
        ..FindingFilter::default()
    })
    .await
    .unwrap();
    assert_eq!(ids(first), ["aws_s3_bucket_default_encryption"]);

    // Another tenant sees none of it.
    assert!(
        store
            .list_findings(&globex, &FindingFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.get_finding(&globex, &versioning.result.id).await,
        Err(StoreError::NotFound(_))
    ));

    // A run that changes nothing moves the packed passes' last-seen.
    let t1 = t0 + Duration::hours(1);
    store
        .apply_evaluation(&acme, &record(t1), &[], &[], &[])
        .await
        .unwrap();
    let moved = store
        .get_finding(&acme, &versioning.result.id)
        .await
        .unwrap();
    assert_eq!((moved.first_seen, moved.last_seen), (ms(t0), ms(t1)));

    // Encryption stops passing: it becomes a row; the pack keeps versioning.
    let t2 = t1 + Duration::hours(1);
    let mut broken = encryption.clone();
    broken.result.status = Status::Fail;
    broken.status_since = ms(t2);
    broken.last_seen = ms(t2);
    store
        .apply_evaluation(
            &acme,
            &record(t2),
            &[&broken],
            &[Packed {
                key: &key,
                findings: vec![&versioning],
            }],
            &[],
        )
        .await
        .unwrap();
    let stored = store.load_findings(&acme).await.unwrap();
    assert_eq!(stored.findings.len(), 3);
    assert!(stored.rows.contains(&encryption.result.id));
    assert_eq!(
        store
            .get_finding(&acme, &encryption.result.id)
            .await
            .unwrap()
            .result
            .status,
        Status::Fail
    );

    // A resource with no packed pass left loses its pack.
    store
        .apply_evaluation(
            &acme,
            &record(t2 + Duration::hours(1)),
            &[],
            &[Packed {
                key: &key,
                findings: vec![],
            }],
            &[],
        )
        .await
        .unwrap();
    let stored = store.load_findings(&acme).await.unwrap();
    assert_eq!(stored.findings.len(), 2);
    assert!(matches!(
        store.get_finding(&acme, &versioning.result.id).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn unchanged_failures_are_packed_with_their_status(store: &Store) {
    let acme = t("acme");
    setup(store, &acme).await;
    let t0 = Utc::now() - Duration::hours(1);
    let versioning = pass("acme", "aws_s3_bucket_versioning_enabled", "logs", t0);
    let mut muted = pass("acme", "aws_s3_bucket_default_encryption", "logs", t0);
    muted.result.status = Status::Muted;
    muted.result.muted_by = Some("accepted-risk".into());
    // An account-wide finding shares its key with the account's own.
    muted.result.arn = "arn:aws:::111111111111".into();
    muted.result.name = "account 111111111111".into();
    muted.result.resource_hash = "".into();
    let mut failing = pass("acme", "aws_s3_bucket_policy_not_public", "logs", t0);
    failing.result.status = Status::Fail;
    failing.result.severity = Severity::Critical;
    failing.result.evidence.value = Some(serde_json::Value::Null);
    let key = versioning.result.key.clone();
    store
        .apply_evaluation(
            &acme,
            &record(t0),
            &[],
            &[Packed {
                key: &key,
                findings: vec![&muted, &failing, &versioning],
            }],
            &[],
        )
        .await
        .unwrap();

    // Read back whole: status, mute and all.
    let stored = store.load_findings(&acme).await.unwrap();
    assert!(stored.rows.is_empty());
    for f in [&versioning, &muted, &failing] {
        assert!(stored.findings.contains(f), "{}", f.result.check_id);
        assert_eq!(&store.get_finding(&acme, &f.result.id).await.unwrap(), f);
    }

    // Listing filters packed findings by status like rows.
    let by_status = |statuses: Vec<Status>| {
        let (store, acme) = (store.clone(), acme.clone());
        async move {
            store
                .list_findings(
                    &acme,
                    &FindingFilter {
                        statuses,
                        ..FindingFilter::default()
                    },
                )
                .await
                .unwrap()
                .into_iter()
                .map(|f| f.result.check_id.to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        by_status(vec![Status::Fail]).await,
        ["aws_s3_bucket_policy_not_public"]
    );
    assert_eq!(
        by_status(vec![Status::Muted, Status::Pass]).await,
        [
            "aws_s3_bucket_default_encryption",
            "aws_s3_bucket_versioning_enabled"
        ]
    );
    assert_eq!(
        by_status(Vec::new()).await[0],
        "aws_s3_bucket_policy_not_public",
        "worst first"
    );
}

/// Packs are stored compressed; a row written before they were (its JSON
/// in `passes`) still reads, and a damaged one is refused, naming its
/// resource. SQLite only: the test edits the file behind the store's back.
#[tokio::test]
async fn packs_are_stored_compressed_and_earlier_rows_still_read() {
    use sqlx::{Connection as _, Row as _};
    let db = crate::sqlite().await;
    let store = &db.store;
    let acme = t("acme");
    setup(store, &acme).await;
    let at = Utc::now();
    let checks = [
        "aws_s3_bucket_versioning_enabled",
        "aws_s3_bucket_default_encryption",
    ];
    let passes: Vec<Finding> = checks.iter().map(|c| pass("acme", c, "logs", at)).collect();
    store
        .apply_evaluation(
            &acme,
            &record(at),
            &[],
            &[Packed {
                key: &passes[0].result.key,
                findings: passes.iter().collect(),
            }],
            &[],
        )
        .await
        .unwrap();

    sqlx::any::install_default_drivers();
    let mut raw = sqlx::AnyConnection::connect(&db.sqlite_url().unwrap())
        .await
        .unwrap();
    let row = sqlx::query("SELECT passes, packed FROM finding_passes")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    let (json, blob): (String, Vec<u8>) = (row.get(0), row.get(1));
    assert!(json.is_empty(), "the JSON column is left empty");
    assert_eq!(blob.first(), Some(&1), "LZ4-compressed entries, format 1");
    let loaded = store.load_findings(&acme).await.unwrap().findings;
    assert_eq!(loaded.len(), 2);
    assert!(loaded.contains(&passes[0]) && loaded.contains(&passes[1]));

    // The form of the earlier migration: JSON in `passes`, no `packed`.
    let earlier = format!(r#"[{{"c":"{}","m":"kept from before"}}]"#, checks[0]);
    sqlx::query("UPDATE finding_passes SET passes = $1, packed = NULL")
        .bind(earlier)
        .execute(&mut raw)
        .await
        .unwrap();
    let loaded = store.load_findings(&acme).await.unwrap().findings;
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].result.id, passes[0].result.id);
    assert_eq!(loaded[0].result.evidence.message, "kept from before");

    // A damaged blob: a clear error, and nothing else read as if it held
    // no findings.
    sqlx::query("UPDATE finding_passes SET packed = $1")
        .bind(vec![1u8, 0xff, 0xff, 0xff, 0x7f, 0])
        .execute(&mut raw)
        .await
        .unwrap();
    let err = store.load_findings(&acme).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt(m) if m.contains("`logs`") && m.contains("more than")),
        "{err}"
    );
}
