//! PostgreSQL row-level security: the second wall. A query with no tenant
//! filter at all still sees only the tenant set on the transaction.

use chrono::Utc;
use shareline_model::{CollectionStatus, Resource, TenantId};
use shareline_store::{AccountRecord, CommitPlan, Staged, StagedResource};
use tokio::sync::mpsc;

#[tokio::test]
async fn unfiltered_queries_see_only_the_scoped_tenant() {
    let Some(db) = crate::postgres().await else {
        eprintln!("SHARELINE_TEST_POSTGRES_URL not set: skipping");
        return;
    };
    let store = &db.store;
    for (tenant, n) in [("acme", 3), ("globex", 2)] {
        let id = TenantId::parse(tenant).unwrap();
        store.create_tenant(&id, tenant).await.unwrap();
        store
            .add_account(
                &id,
                &AccountRecord {
                    account_id: "111111111111".into(),
                    provider: "aws".into(),
                    name: "a".into(),
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
            .begin_collection(&id, "111111111111", "live")
            .await
            .unwrap();
        let (tx, rx) = mpsc::channel(1);
        let batch = (0..n)
            .map(|i| {
                let r = Resource::new(
                    "111111111111",
                    "us-east-1",
                    "AWS::S3::Bucket",
                    &format!("{tenant}-{i}"),
                    &format!("arn:aws:s3:::{tenant}-{i}"),
                );
                Staged::Upsert(StagedResource::new(&r).unwrap())
            })
            .collect();
        tx.send(Ok(batch)).await.unwrap();
        drop(tx);
        let plan = CommitPlan {
            collection_id: cid,
            account_id: "111111111111".into(),
            covered: vec![],
            scopes: vec![],
            status: CollectionStatus::Succeeded,
        };
        store.commit_collection(&id, &plan, rx).await.unwrap();
    }
    let acme = TenantId::parse("acme").unwrap();
    let globex = TenantId::parse("globex").unwrap();
    for table in ["resources", "resource_versions", "collections", "accounts"] {
        let a = store
            .visible_rows_unscoped_filter(&acme, table)
            .await
            .unwrap();
        let g = store
            .visible_rows_unscoped_filter(&globex, table)
            .await
            .unwrap();
        match table {
            "resources" | "resource_versions" => assert_eq!((a, g), (3, 2), "{table}"),
            _ => assert_eq!((a, g), (1, 1), "{table}"),
        }
    }
}

#[tokio::test]
async fn findings_tables_are_walled_too() {
    use shareline_engine::mutes::{Mute, Scope, Syntax};
    use shareline_engine::{CheckResult, Event, Finding, Status};
    let Some(db) = crate::postgres().await else {
        eprintln!("SHARELINE_TEST_POSTGRES_URL not set: skipping");
        return;
    };
    let store = &db.store;
    let now = chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap();
    for (tenant, n) in [("acme", 3), ("globex", 2)] {
        let id = TenantId::parse(tenant).unwrap();
        store.create_tenant(&id, tenant).await.unwrap();
        let findings: Vec<Finding> = (0..n)
            .map(|i| Finding {
                result: CheckResult {
                    id: format!("{tenant}-{i}"),
                    check_id: "aws_s3_bucket_versioning_enabled".into(),
                    key: shareline_model::ResourceKey {
                        account_id: "111111111111".into(),
                        region: "us-east-1".into(),
                        resource_type: "AWS::S3::Bucket".into(),
                        resource_id: format!("{tenant}-{i}"),
                    }
                    .into(),
                    arn: "".into(),
                    name: "".into(),
                    resource_hash: "".into(),
                    service: "s3".into(),
                    severity: shareline_catalog::Severity::Low,
                    status: Status::Fail,
                    muted_by: None,
                    evidence: shareline_checks::Evidence::default(),
                    owner: None,
                    copied: Vec::new(),
                },
                first_seen: now,
                last_seen: now,
                status_since: now,
                resolved_at: None,
                reopened_count: 0,
                removed_at: None,
            })
            .collect();
        let events: Vec<Event> = findings
            .iter()
            .map(|f| Event {
                finding_id: f.result.id.clone(),
                at: now,
                kind: "new".into(),
                from: None,
                to: Some(Status::Fail),
                message: String::new(),
            })
            .collect();
        let record = shareline_store::EvaluationRecord {
            id: format!("e-{tenant}"),
            started_at: now,
            finished_at: now,
            mode: "full".into(),
            fingerprint: String::new(),
            resources: n,
            evaluations: n,
            results: n,
            changed: n,
            failing: n,
        };
        let passes: Vec<Finding> = findings
            .iter()
            .map(|f| {
                let mut p = f.clone();
                p.result.status = Status::Pass;
                p
            })
            .collect();
        let packed: Vec<shareline_engine::Packed<'_>> = passes
            .iter()
            .map(|p| shareline_engine::Packed {
                key: &p.result.key,
                findings: vec![p],
            })
            .collect();
        store
            .apply_evaluation(
                &id,
                &record,
                &findings.iter().collect::<Vec<_>>(),
                &packed,
                &events,
            )
            .await
            .unwrap();
        store
            .add_mutes(
                &id,
                &[Mute {
                    id: format!("m-{tenant}"),
                    scope: Scope::default(),
                    except: Scope::default(),
                    syntax: Syntax::Glob,
                    reason: "r".into(),
                    author: "a".into(),
                    created_at: now,
                    expires_at: now,
                    source: "t".into(),
                }],
            )
            .await
            .unwrap();
    }
    let acme = TenantId::parse("acme").unwrap();
    let globex = TenantId::parse("globex").unwrap();
    for table in [
        "findings",
        "finding_passes",
        "finding_events",
        "evaluations",
        "mutes",
    ] {
        let a = store
            .visible_rows_unscoped_filter(&acme, table)
            .await
            .unwrap();
        let g = store
            .visible_rows_unscoped_filter(&globex, table)
            .await
            .unwrap();
        match table {
            "findings" | "finding_passes" | "finding_events" => {
                assert_eq!((a, g), (3, 2), "{table}");
            }
            _ => assert_eq!((a, g), (1, 1), "{table}"),
        }
    }
}
