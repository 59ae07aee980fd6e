//! AWS Config imports and the demo estate.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use shareline_app::AppError;
use shareline_app::accounts::{AccessInput, NewAccount, add_account};
use shareline_app::import::{ImportProgress, import_aws_config};
use shareline_model::{CollectionStatus, TenantId};
use shareline_store::{ResourceFilter, Store};

const ACCOUNT: &str = "123456789012";

async fn store_with_account(dir: &Path) -> (Store, TenantId) {
    let store = Store::open(dir.join("t.db").to_str().unwrap())
        .await
        .unwrap();
    let t = TenantId::parse("acme").unwrap();
    store.create_tenant(&t, "Acme").await.unwrap();
    add_account(
        &store,
        None,
        &t,
        NewAccount {
            account_id: ACCOUNT.into(),
            name: None,
            access: AccessInput::ImportOnly,
            regions: vec![],
            endpoint_url: None,
        },
    )
    .await
    .unwrap();
    (store, t)
}

fn item(id: &str, status: &str, captured: &str, versioning: &str) -> Value {
    json!({
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": captured,
        "configurationItemStatus": status,
        "awsAccountId": ACCOUNT,
        "resourceType": "AWS::S3::Bucket",
        "resourceId": id,
        "resourceName": id,
        "ARN": format!("arn:aws:s3:::{id}"),
        "awsRegion": "us-east-1",
        "tags": {"Environment": "prod"},
        "relationships": [],
        "configuration": {"name": id},
        "supplementaryConfiguration": {
            "BucketVersioningConfiguration": {"status": versioning},
            "BucketPolicy": {"policyText": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"}
        }
    })
}

fn snapshot(items: Vec<Value>) -> Value {
    json!({"fileVersion": "1.0", "configSnapshotId": "s-1", "configurationItems": items})
}

fn write(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

async fn import(
    store: &Store,
    t: &TenantId,
    path: &Path,
) -> Result<shareline_app::import::ImportReport, AppError> {
    import_aws_config(store, t, ACCOUNT, path, Arc::new(ImportProgress::default())).await
}

#[tokio::test]
async fn snapshots_plain_and_gzip_with_versions_and_deletions() {
    let dir = tempfile::tempdir().unwrap();
    let (store, t) = store_with_account(dir.path()).await;
    let t0 = "2026-11-01T00:00:00.000Z";
    let first = dir.path().join("first.json");
    write(
        &first,
        &snapshot(vec![item("a", "OK", t0, "Off"), item("b", "OK", t0, "Off")]),
    );
    let r = import(&store, &t, &first).await.unwrap();
    assert!(r.snapshot);
    assert_eq!(
        (r.stats.resources, r.stats.new_versions, r.stats.deleted),
        (2, 2, 0)
    );

    let a = store.find_resource(&t, "arn:aws:s3:::a").await.unwrap();
    let doc = store.current_document(&t, a.rid).await.unwrap().unwrap();
    assert_eq!(doc.tags["Environment"], "prod");
    // AWS Config delivers some settings as JSON text; they are kept as given.
    assert_eq!(
        doc.supplementary["BucketVersioningConfiguration"]["status"],
        "Off"
    );

    // The next snapshot, gzipped: a changed, b gone, c new.
    let t1 = "2026-11-02T00:00:00.000Z";
    let second = dir.path().join("second.json.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(
        &serde_json::to_vec(&snapshot(vec![
            item("a", "OK", t1, "Enabled"),
            item("c", "OK", t1, "Off"),
        ]))
        .unwrap(),
    )
    .unwrap();
    std::fs::write(&second, gz.finish().unwrap()).unwrap();
    let r = import(&store, &t, &second).await.unwrap();
    assert_eq!(
        (r.stats.resources, r.stats.new_versions, r.stats.deleted),
        (2, 2, 1)
    );
    let b = store.find_resource(&t, "b").await.unwrap();
    assert!(b.deleted_at.is_some());
    let a = store.find_resource(&t, "a").await.unwrap();
    assert_eq!(a.version, 2);

    let (_, history) = shareline_app::history::history(&store, &t, "arn:aws:s3:::a")
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].change, "changed");
    let ops = history[1].patch.as_array().unwrap();
    assert!(
        ops.iter().any(|op| op["op"] == "replace"
            && op["path"] == "/supplementary/BucketVersioningConfiguration/status"
            && op["value"] == "Enabled"),
        "{ops:?}"
    );
}

#[tokio::test]
async fn history_files_keep_every_sighting_and_deletions() {
    let dir = tempfile::tempdir().unwrap();
    let (store, t) = store_with_account(dir.path()).await;
    let path = dir.path().join("history.json");
    write(
        &path,
        &json!({"fileVersion": "1.0", "configurationItems": [
            item("h", "ResourceDiscovered", "2026-11-01T00:00:00Z", "Off"),
            item("h", "OK", "2026-11-01T06:00:00Z", "Enabled"),
            item("h", "ResourceDeleted", "2026-11-01T12:00:00Z", "Enabled"),
        ]}),
    );
    let r = import(&store, &t, &path).await.unwrap();
    assert!(!r.snapshot);
    assert_eq!(r.stats.new_versions, 2);
    assert_eq!(r.stats.deleted, 1);
    let (row, history) = shareline_app::history::history(&store, &t, "h")
        .await
        .unwrap();
    assert!(row.deleted_at.is_some());
    let changes: Vec<&str> = history.iter().map(|h| h.change).collect();
    assert_eq!(changes, ["created", "changed", "deleted"]);
}

#[tokio::test]
async fn malformed_files_are_refused_whole_with_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let (store, t) = store_with_account(dir.path()).await;
    let good = dir.path().join("good.json");
    write(
        &good,
        &snapshot(vec![item("keep", "OK", "2026-11-01T00:00:00Z", "Off")]),
    );
    import(&store, &t, &good).await.unwrap();

    // Valid items, then a truncated one: nothing of the file may land.
    let mut text = serde_json::to_string_pretty(&snapshot(vec![
        item("x1", "OK", "2026-11-02T00:00:00Z", "Off"),
        item("x2", "OK", "2026-11-02T00:00:00Z", "Off"),
    ]))
    .unwrap();
    text.truncate(text.len() - 40);
    let bad = dir.path().join("truncated.json");
    std::fs::write(&bad, &text).unwrap();
    let err = import(&store, &t, &bad).await.unwrap_err().to_string();
    assert!(err.contains("truncated.json"), "{err}");
    assert!(err.contains("line"), "{err}");

    // An item of another account.
    let mut other = item("y", "OK", "2026-11-02T00:00:00Z", "Off");
    other["awsAccountId"] = json!("999999999999");
    let wrong = dir.path().join("wrong.json");
    write(
        &wrong,
        &snapshot(vec![item("z", "OK", "2026-11-02T00:00:00Z", "Off"), other]),
    );
    let err = import(&store, &t, &wrong).await.unwrap_err().to_string();
    assert!(
        err.contains("configuration item 2") && err.contains("999999999999"),
        "{err}"
    );

    // Not an AWS Config file at all; a hostile deeply nested one.
    let not = dir.path().join("not.json");
    std::fs::write(&not, b"{\"hello\": 1}").unwrap();
    assert!(
        import(&store, &t, &not)
            .await
            .unwrap_err()
            .to_string()
            .contains("configurationItems")
    );
    let deep = dir.path().join("deep.json");
    let nested = format!(
        "{{\"configurationItems\":[{{\"configuration\":{}1{}}}]}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    std::fs::write(&deep, nested).unwrap();
    let err = import(&store, &t, &deep).await.unwrap_err().to_string();
    assert!(err.contains("deep.json"), "{err}");
    let missing = import(&store, &t, &dir.path().join("nope.json"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("cannot open") && missing.contains("nope.json"),
        "{missing}"
    );

    // The first import is intact, and the failures are recorded as failed collections.
    let live = store
        .list_resources(&t, &ResourceFilter::default())
        .await
        .unwrap();
    let ids: Vec<&str> = live.iter().map(|r| r.resource_id.as_str()).collect();
    assert_eq!(ids, ["keep"]);
    let collections = store.list_collections(&t, 10).await.unwrap();
    assert_eq!(
        collections
            .iter()
            .filter(|c| c.status == CollectionStatus::Failed)
            .count(),
        4
    );
    assert_eq!(
        collections
            .iter()
            .filter(|c| c.status == CollectionStatus::Succeeded)
            .count(),
        1
    );
}

#[tokio::test]
async fn unknown_accounts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (store, t) = store_with_account(dir.path()).await;
    let path = dir.path().join("s.json");
    write(&path, &snapshot(vec![]));
    let err = import_aws_config(
        &store,
        &t,
        "999999999999",
        &path,
        Arc::new(ImportProgress::default()),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)), "{err}");
}

#[tokio::test]
async fn the_demo_estate_loads_three_separate_tenants() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("demo.db").to_str().unwrap())
        .await
        .unwrap();
    let report = shareline_app::demo::load(&store, &shareline_app::demo::demo_dir())
        .await
        .unwrap();
    assert_eq!(report.tenants, ["acme", "globex", "initech"]);
    assert!(report.resources >= 300, "{}", report.resources);
    let mut total = 0;
    for tenant in store.list_tenants().await.unwrap() {
        let accounts: Vec<String> = store
            .list_accounts(&tenant.id)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.account_id)
            .collect();
        let resources = store
            .list_resources(
                &tenant.id,
                &ResourceFilter {
                    limit: Some(100_000),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(!resources.is_empty());
        assert!(
            resources.iter().all(|r| accounts.contains(&r.account_id)),
            "{}",
            tenant.id
        );
        total += resources.len();
    }
    assert_eq!(i64::try_from(total).unwrap(), report.resources);
    // Loading again leaves everything as it is.
    let again = shareline_app::demo::load(&store, &shareline_app::demo::demo_dir())
        .await
        .unwrap();
    assert!(again.tenants.is_empty());
    assert_eq!(again.skipped.len(), 3);
}
