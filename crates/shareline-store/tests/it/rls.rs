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
