//! Behaviour every backend must share.

use chrono::{Duration, Utc};
use serde_json::json;
use shareline_model::{CollectionStatus, Resource, ResourceKey, TenantId};
use shareline_store::{
    AccountRecord, CommitPlan, ResourceFilter, ScopeRecord, Staged, StagedResource, Store,
    StoreError,
};
use tokio::sync::mpsc;

crate::store_test_suite!(
    tenants_are_unique,
    accounts_stay_inside_their_tenant,
    versions_only_on_change_and_deletions_only_in_covered_scopes,
    a_failed_commit_changes_nothing,
    another_tenant_sees_nothing,
    repeated_sightings_become_versions_in_order,
    explicit_deletions_are_recorded,
    collections_record_scopes,
);

fn t(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

const ACCOUNT: &str = "111111111111";

fn bucket(name: &str, versioning: &str) -> Resource {
    let mut r = Resource::new(
        ACCOUNT,
        "us-east-1",
        "AWS::S3::Bucket",
        name,
        &format!("arn:aws:s3:::{name}"),
    );
    r.supplementary = json!({ "BucketVersioningConfiguration": { "status": versioning } });
    r
}

fn instance(id: &str, region: &str) -> Resource {
    Resource::new(
        ACCOUNT,
        region,
        "AWS::EC2::Instance",
        id,
        &format!("arn:aws:ec2:{region}:{ACCOUNT}:instance/{id}"),
    )
}

async fn setup(store: &Store, tenant: &str) -> TenantId {
    let id = t(tenant);
    store.create_tenant(&id, tenant).await.unwrap();
    store
        .add_account(
            &id,
            &AccountRecord {
                account_id: ACCOUNT.into(),
                provider: "aws".into(),
                name: "prod".into(),
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
    id
}

/// Commits `resources` as one collection covering `covered`.
async fn commit(
    store: &Store,
    tenant: &TenantId,
    resources: &[Resource],
    covered: &[(&str, &str)],
) -> Result<shareline_store::CommitStats, StoreError> {
    let id = store
        .begin_collection(tenant, ACCOUNT, "live")
        .await
        .unwrap();
    let plan = CommitPlan {
        collection_id: id,
        account_id: ACCOUNT.into(),
        covered: covered
            .iter()
            .map(|(a, b)| ((*a).into(), (*b).into()))
            .collect(),
        scopes: vec![],
        status: CollectionStatus::Succeeded,
    };
    let (tx, rx) = mpsc::channel(4);
    let batch: Vec<Staged> = resources
        .iter()
        .map(|r| Staged::Upsert(StagedResource::new(r).unwrap()))
        .collect();
    tx.send(Ok(batch)).await.unwrap();
    drop(tx);
    store.commit_collection(tenant, &plan, rx).await
}

async fn tenants_are_unique(store: &Store) {
    store.create_tenant(&t("acme"), "Acme").await.unwrap();
    let again = store.create_tenant(&t("acme"), "Acme again").await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let all = store.list_tenants().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name, "Acme");
}

async fn accounts_stay_inside_their_tenant(store: &Store) {
    let acme = setup(store, "acme").await;
    store.create_tenant(&t("globex"), "Globex").await.unwrap();
    assert_eq!(store.list_accounts(&acme).await.unwrap().len(), 1);
    assert!(store.list_accounts(&t("globex")).await.unwrap().is_empty());
    assert!(
        store
            .get_account(&t("globex"), ACCOUNT)
            .await
            .unwrap()
            .is_none()
    );
    // The same cloud account may belong to another tenant's record set without clashing.
    let dup = store
        .add_account(
            &acme,
            &store.get_account(&acme, ACCOUNT).await.unwrap().unwrap(),
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))));
    let unknown = store
        .add_account(
            &t("nobody"),
            &store.get_account(&acme, ACCOUNT).await.unwrap().unwrap(),
        )
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound(_))));
}

async fn versions_only_on_change_and_deletions_only_in_covered_scopes(store: &Store) {
    let acme = setup(store, "acme").await;
    let covered = [
        ("AWS::S3::Bucket", "*"),
        ("AWS::EC2::Instance", "us-east-1"),
    ];
    let first = vec![
        bucket("a", "Off"),
        bucket("b", "Enabled"),
        instance("i-1", "us-east-1"),
        instance("i-2", "eu-west-1"),
    ];
    let stats = commit(store, &acme, &first, &covered).await.unwrap();
    assert_eq!(stats.resources, 4);
    assert_eq!(stats.new_versions, 4);
    assert_eq!(stats.deleted, 0);

    // Same content, later capture time: no new versions.
    let mut same = first.clone();
    for r in &mut same {
        r.captured_at += Duration::minutes(5);
    }
    let stats = commit(store, &acme, &same, &covered).await.unwrap();
    assert_eq!(stats.new_versions, 0);

    // Bucket a changes, bucket b disappears (S3 covered), i-2 missing but its
    // region was not covered (say eu-west-1 failed): it must stay live.
    let second = vec![bucket("a", "Enabled"), instance("i-1", "us-east-1")];
    let stats = commit(store, &acme, &second, &covered).await.unwrap();
    assert_eq!(stats.new_versions, 1);
    assert_eq!(stats.deleted, 1);

    let live = store
        .list_resources(&acme, &ResourceFilter::default())
        .await
        .unwrap();
    let ids: Vec<&str> = live.iter().map(|r| r.resource_id.as_str()).collect();
    assert!(
        ids.contains(&"a") && ids.contains(&"i-1") && ids.contains(&"i-2"),
        "{ids:?}"
    );
    assert!(!ids.contains(&"b"));

    let a = store.find_resource(&acme, "arn:aws:s3:::a").await.unwrap();
    assert_eq!(a.version, 2);
    let history = store.resource_history(&acme, a.rid).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        history[1].document.as_ref().unwrap().supplementary["BucketVersioningConfiguration"]["status"],
        "Enabled"
    );

    let b = store.find_resource(&acme, "arn:aws:s3:::b").await.unwrap();
    assert!(b.deleted_at.is_some());
    let history = store.resource_history(&acme, b.rid).await.unwrap();
    assert_eq!(history.len(), 2);
    assert!(history[1].document.is_none(), "deletion marker");
    // Its last good document is still readable.
    assert!(
        store
            .current_document(&acme, b.rid)
            .await
            .unwrap()
            .is_some()
    );

    // b comes back: a new version, live again.
    let stats = commit(
        store,
        &acme,
        &[bucket("a", "Enabled"), bucket("b", "Enabled")],
        &[("AWS::S3::Bucket", "*")],
    )
    .await
    .unwrap();
    assert_eq!(stats.new_versions, 1);
    let b = store.find_resource(&acme, "b").await.unwrap();
    assert!(b.deleted_at.is_none());
    assert_eq!(b.version, 3);

    let with_deleted = ResourceFilter {
        include_deleted: true,
        ..ResourceFilter::default()
    };
    assert_eq!(
        store
            .list_resources(&acme, &with_deleted)
            .await
            .unwrap()
            .len(),
        4
    );
    let only_s3 = ResourceFilter {
        resource_type: Some("AWS::S3::Bucket".into()),
        ..ResourceFilter::default()
    };
    assert_eq!(
        store.list_resources(&acme, &only_s3).await.unwrap().len(),
        2
    );
}

async fn a_failed_commit_changes_nothing(store: &Store) {
    let acme = setup(store, "acme").await;
    commit(
        store,
        &acme,
        &[bucket("a", "Off")],
        &[("AWS::S3::Bucket", "*")],
    )
    .await
    .unwrap();

    let id = store
        .begin_collection(&acme, ACCOUNT, "import:bad.json")
        .await
        .unwrap();
    let plan = CommitPlan {
        collection_id: id.clone(),
        account_id: ACCOUNT.into(),
        covered: vec![("AWS::S3::Bucket".into(), "*".into())],
        scopes: vec![],
        status: CollectionStatus::Succeeded,
    };
    let (tx, rx) = mpsc::channel(4);
    let good = vec![
        Staged::Upsert(StagedResource::new(&bucket("a", "Enabled")).unwrap()),
        Staged::Upsert(StagedResource::new(&bucket("new", "Off")).unwrap()),
    ];
    tx.send(Ok(good)).await.unwrap();
    tx.send(Err("bad.json: line 9 column 3: expected value".into()))
        .await
        .unwrap();
    drop(tx);
    let err = store.commit_collection(&acme, &plan, rx).await.unwrap_err();
    assert!(err.to_string().contains("line 9"), "{err}");
    store
        .abandon_collection(&acme, &id, CollectionStatus::Failed, &err.to_string(), &[])
        .await
        .unwrap();

    let live = store
        .list_resources(&acme, &ResourceFilter::default())
        .await
        .unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].version, 1);
    let (record, _) = store.get_collection(&acme, &id).await.unwrap();
    assert_eq!(record.status, CollectionStatus::Failed);
    assert!(record.error.unwrap().contains("line 9"));
}

async fn another_tenant_sees_nothing(store: &Store) {
    let acme = setup(store, "acme").await;
    let globex = t("globex");
    store.create_tenant(&globex, "Globex").await.unwrap();
    commit(store, &acme, &[bucket("secret-bucket", "Off")], &[])
        .await
        .unwrap();
    let a = store.find_resource(&acme, "secret-bucket").await.unwrap();

    assert!(
        store
            .list_resources(&globex, &ResourceFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .find_resource(&globex, "arn:aws:s3:::secret-bucket")
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store
            .resource_history(&globex, a.rid)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .current_document(&globex, a.rid)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .list_collections(&globex, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let acme_collection = &store.list_collections(&acme, 10).await.unwrap()[0];
    assert!(
        store
            .get_collection(&globex, &acme_collection.id)
            .await
            .is_err()
    );
    assert_eq!(store.count_resources(&globex).await.unwrap(), 0);
    assert_eq!(store.count_resources(&acme).await.unwrap(), 1);
}

async fn repeated_sightings_become_versions_in_order(store: &Store) {
    let acme = setup(store, "acme").await;
    let mut v1 = bucket("h", "Off");
    let mut v2 = bucket("h", "Enabled");
    let mut v3 = bucket("h", "Suspended");
    let base = Utc::now() - Duration::hours(3);
    v1.captured_at = base;
    v2.captured_at = base + Duration::hours(1);
    v3.captured_at = base + Duration::hours(2);
    let stats = commit(store, &acme, &[v1, v2, v3], &[]).await.unwrap();
    assert_eq!(stats.new_versions, 3);
    let h = store.find_resource(&acme, "h").await.unwrap();
    let history = store.resource_history(&acme, h.rid).await.unwrap();
    let statuses: Vec<String> = history
        .iter()
        .map(|v| {
            v.document.as_ref().unwrap().supplementary["BucketVersioningConfiguration"]["status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(statuses, ["Off", "Enabled", "Suspended"]);
}

async fn explicit_deletions_are_recorded(store: &Store) {
    let acme = setup(store, "acme").await;
    commit(store, &acme, &[bucket("gone", "Off")], &[])
        .await
        .unwrap();
    let id = store
        .begin_collection(&acme, ACCOUNT, "import:history")
        .await
        .unwrap();
    let plan = CommitPlan {
        collection_id: id,
        account_id: ACCOUNT.into(),
        covered: vec![],
        scopes: vec![],
        status: CollectionStatus::Succeeded,
    };
    let (tx, rx) = mpsc::channel(1);
    tx.send(Ok(vec![Staged::Delete {
        key: ResourceKey {
            account_id: ACCOUNT.into(),
            region: "us-east-1".into(),
            resource_type: "AWS::S3::Bucket".into(),
            resource_id: "gone".into(),
        },
        at: Utc::now(),
    }]))
    .await
    .unwrap();
    drop(tx);
    let stats = store.commit_collection(&acme, &plan, rx).await.unwrap();
    assert_eq!(stats.deleted, 1);
    assert!(
        store
            .find_resource(&acme, "gone")
            .await
            .unwrap()
            .deleted_at
            .is_some()
    );
}

async fn collections_record_scopes(store: &Store) {
    let acme = setup(store, "acme").await;
    let id = store
        .begin_collection(&acme, ACCOUNT, "live")
        .await
        .unwrap();
    let listed = store.list_collections(&acme, 10).await.unwrap();
    assert_eq!(listed[0].status, CollectionStatus::Running);
    let scopes = vec![
        ScopeRecord {
            service: "s3".into(),
            region: "*".into(),
            ok: true,
            resource_count: 1,
            duration_ms: 12,
            error_kind: None,
            error_code: None,
            error_message: None,
            gaps: json!([]),
        },
        ScopeRecord {
            service: "kms".into(),
            region: "us-east-1".into(),
            ok: false,
            resource_count: 0,
            duration_ms: 40,
            error_kind: Some("throttled".into()),
            error_code: Some("ThrottlingException".into()),
            error_message: Some("Rate exceeded".into()),
            gaps: json!([]),
        },
    ];
    let plan = CommitPlan {
        collection_id: id.clone(),
        account_id: ACCOUNT.into(),
        covered: vec![("AWS::S3::Bucket".into(), "*".into())],
        scopes,
        status: CollectionStatus::Partial,
    };
    let (tx, rx) = mpsc::channel(1);
    tx.send(Ok(vec![Staged::Upsert(
        StagedResource::new(&bucket("x", "Off")).unwrap(),
    )]))
    .await
    .unwrap();
    drop(tx);
    store.commit_collection(&acme, &plan, rx).await.unwrap();
    let (record, scopes) = store.get_collection(&acme, &id[..8]).await.unwrap();
    assert_eq!(record.status, CollectionStatus::Partial);
    assert_eq!(record.resource_count, 1);
    assert!(record.finished_at.is_some());
    assert_eq!(scopes.len(), 2);
    let kms = scopes.iter().find(|s| s.service == "kms").unwrap();
    assert!(!kms.ok);
    assert_eq!(kms.error_kind.as_deref(), Some("throttled"));
}
