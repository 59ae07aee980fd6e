//! Scans started from the server, against moto: progress in the API, a
//! cancel while a call is in flight, and a failing cloud the server outlives.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shareline_app::accounts::{AccessInput, NewAccount, add_account};
use shareline_collect_aws::{Limits, Tuning, service};
use shareline_model::TenantId;
use shareline_server::ServerConfig;
use shareline_test_support::fault_proxy::{Fault, FaultProxy};
use shareline_test_support::moto::{Moto, free_port};

use crate::harness::{Client, Db, Server, start};

const ACCOUNT: &str = "123456789012";

pub(crate) fn scan_config() -> ServerConfig {
    ServerConfig {
        scan: shareline_app::scan::ScanOptions {
            services: ["s3", "kms", "ec2"]
                .iter()
                .map(|s| service(s).unwrap())
                .collect(),
            tuning: Tuning {
                max_attempts: 2,
                initial_backoff: Duration::from_millis(20),
                attempt_timeout: Duration::from_secs(20),
            },
            limits: Limits::default(),
        },
        ..ServerConfig::default()
    }
}

/// Adds tenant `cloudco` with one account read through `endpoint`.
pub(crate) async fn cloud_tenant(server: &Server, endpoint: &str) -> TenantId {
    assert!(
        std::env::var("AWS_ACCESS_KEY_ID").is_ok()
            && std::env::var("AWS_EC2_METADATA_DISABLED").is_ok(),
        "run the tests through scripts/test, which sets moto's keys"
    );
    let id = TenantId::parse("cloudco").unwrap();
    server.store.create_tenant(&id, "CloudCo").await.unwrap();
    add_account(
        &server.store,
        None,
        &id,
        NewAccount {
            account_id: ACCOUNT.into(),
            name: Some("cloudco-prod".into()),
            access: AccessInput::AssumeRole {
                role_arn: format!("arn:aws:iam::{ACCOUNT}:role/ShareLineAudit"),
                external_id: None,
                profile: None,
            },
            regions: vec!["us-east-1".into()],
            endpoint_url: Some(endpoint.to_owned()),
        },
    )
    .await
    .unwrap();
    id
}

/// Polls the scan until it ends (or the test times out).
async fn wait_done(c: &Client, url: &str) -> Value {
    for _ in 0..600 {
        let job = c.get(url).await.json();
        if !matches!(job["status"].as_str(), Some("queued" | "running")) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the scan at {url} did not end");
}

#[tokio::test]
async fn a_scan_runs_in_the_background_and_reports_progress() {
    let moto = Moto::start();
    let server = start(Db::Sqlite, scan_config()).await.unwrap();
    let tenant = cloud_tenant(&server, &moto.endpoint()).await;
    let admin = Client::login(&server, "admin@msp.test").await;

    // Import-only tenants cannot be scanned; viewers may not start scans.
    let a = admin
        .json(Method::POST, "/api/v1/tenants/acme/scans", json!({}))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let viewer = Client::login(&server, "viewer@globex.test").await;
    let a = viewer
        .json(Method::POST, "/api/v1/tenants/globex/scans", json!({}))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    let a = admin
        .json(Method::POST, "/api/v1/tenants/cloudco/scans", json!({}))
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    let id = a.json()["id"].as_str().unwrap().to_owned();
    let job = wait_done(&admin, &format!("/api/v1/tenants/cloudco/scans/{id}")).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(job["planned"].as_i64().unwrap() >= 3, "{job}");
    assert_eq!(job["done"], job["planned"]);
    assert_eq!(job["result"][0]["account_id"], ACCOUNT);

    // The collection and its evaluation are visible everywhere.
    let t = admin.get("/api/v1/tenants/cloudco").await.json();
    assert_eq!(t["accounts"][0]["last"]["status"], "succeeded", "{t}");
    assert!(t["posture"]["resources"].as_i64().unwrap() > 0, "{t}");
    let overview = admin.get("/api/v1/overview?per_page=200").await.json();
    let row = overview["tenants"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "cloudco")
        .unwrap();
    assert_eq!(row["activity"]["last_scan_status"], "succeeded", "{row}");
    let log = server
        .store
        .list_audit(&[tenant], false, None, 100)
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"scan.start") && actions.contains(&"scan.finish"),
        "{actions:?}"
    );
    // Only one scan of a tenant at a time.
    let first = admin
        .json(Method::POST, "/api/v1/tenants/cloudco/scans", json!({}))
        .await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    let second = admin
        .json(Method::POST, "/api/v1/tenants/cloudco/scans", json!({}))
        .await;
    if second.status != StatusCode::ACCEPTED {
        assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
    }
    let id = first.json()["id"].as_str().unwrap().to_owned();
    wait_done(&admin, &format!("/api/v1/tenants/cloudco/scans/{id}")).await;
}

#[tokio::test]
async fn a_scan_is_cancelled_in_flight_and_a_dead_cloud_does_not_take_the_server_down() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(moto.port());
    proxy.set_faults(vec![Fault::hold("kms")]);
    let server = start(Db::Sqlite, scan_config()).await.unwrap();
    let tenant = cloud_tenant(&server, &proxy.endpoint()).await;
    let eng_tenants = server
        .store
        .list_resources(&tenant, &Default::default())
        .await
        .unwrap();
    assert!(eng_tenants.is_empty());
    let admin = Client::login(&server, "admin@msp.test").await;
    let a = admin
        .json(Method::POST, "/api/v1/tenants/cloudco/scans", json!({}))
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    let id = a.json()["id"].as_str().unwrap().to_owned();
    let url = format!("/api/v1/tenants/cloudco/scans/{id}");
    // Wait until a KMS call hangs in the proxy, then cancel.
    for _ in 0..600 {
        if proxy.held() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(proxy.held() > 0, "no KMS call reached the proxy");
    let running = admin.get(&url).await.json();
    assert_eq!(running["status"], "running", "{running}");
    let a = admin
        .json(Method::POST, &format!("{url}/cancel"), json!({}))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let job = wait_done(&admin, &url).await;
    proxy.release();
    assert_eq!(job["status"], "cancelled", "{job}");
    // Nothing of the cancelled collection was applied.
    assert!(
        server
            .store
            .list_resources(&tenant, &Default::default())
            .await
            .unwrap()
            .is_empty()
    );
    // Cancelling a scan that is not running is a 404.
    let a = admin
        .json(Method::POST, &format!("{url}/cancel"), json!({}))
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    // A cloud that refuses every connection: the scan fails, the server answers.
    let dead = TenantId::parse("deadco").unwrap();
    server.store.create_tenant(&dead, "DeadCo").await.unwrap();
    add_account(
        &server.store,
        None,
        &dead,
        NewAccount {
            account_id: "210987654321".into(),
            name: None,
            access: AccessInput::DefaultChain { profile: None },
            regions: vec!["us-east-1".into()],
            endpoint_url: Some(format!("http://127.0.0.1:{}", free_port())),
        },
    )
    .await
    .unwrap();
    let a = admin
        .json(Method::POST, "/api/v1/tenants/deadco/scans", json!({}))
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    let id = a.json()["id"].as_str().unwrap().to_owned();
    let job = wait_done(&admin, &format!("/api/v1/tenants/deadco/scans/{id}")).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert!(job["result"][0]["error"].is_string(), "{job}");
    assert_eq!(admin.get("/api/v1/me").await.status, StatusCode::OK);
    let page = admin.get(&format!("/t/deadco/scans/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("failed"));
}
