//! The isolation test: every route of the table, as every role (and as
//! nobody), against another tenant's real ids. Nothing may leak: a foreign
//! tenant answers 404 exactly like a missing one, and no body carries any
//! of its names, account ids, ARNs or finding ids. Runs on SQLite and on
//! PostgreSQL (where row-level security is the second wall).

use reqwest::{Method, StatusCode};
use serde_json::json;
use shareline_model::TenantId;
use shareline_server::{Kind, ROUTES, ServerConfig};
use shareline_store::ResourceFilter;

use crate::harness::{Client, Db, Server, start};

/// What identifies a tenant's data in a body.
struct Secrets {
    tenant: String,
    markers: Vec<String>,
    finding: String,
    rid: String,
    scan: String,
    mute: String,
}

async fn secrets_of(server: &Server, tenant: &str) -> Secrets {
    let t = TenantId::parse(tenant).unwrap();
    let store = &server.store;
    let name = store.get_tenant(&t).await.unwrap().unwrap().name;
    let mut markers = vec![name];
    for a in store.list_accounts(&t).await.unwrap() {
        markers.push(a.account_id.clone());
    }
    let findings = store.list_findings(&t, &Default::default()).await.unwrap();
    markers.extend(findings.iter().take(20).map(|f| f.result.id.clone()));
    let resources = store
        .list_resources(&t, &ResourceFilter::default())
        .await
        .unwrap();
    markers.extend(resources.iter().take(20).map(|r| r.arn.clone()));
    let scan = store.create_scan_job(&t, "isolation-test").await.unwrap();
    let mute = shareline_app::findings::add_mute(
        store,
        &t,
        shareline_app::findings::NewMute {
            check: findings[0].result.check_id.to_string(),
            resources: vec!["arn:aws:s3:::isolation-marker-*".into()],
            reason: format!("isolation marker for {tenant}"),
            author: "test".into(),
            expires_at: Some(chrono::Utc::now() + chrono::Duration::days(5)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    markers.push(format!("isolation marker for {tenant}"));
    markers.push(scan.id.clone());
    Secrets {
        tenant: tenant.to_owned(),
        markers,
        finding: findings[0].result.id.clone(),
        rid: resources[0].rid.to_string(),
        scan: scan.id,
        mute: mute.id,
    }
}

fn fill(path: &str, s: &Secrets) -> String {
    let id = if path.contains("/findings/") {
        &s.finding
    } else if path.contains("/scans/") {
        &s.scan
    } else if path.contains("/mutes/") {
        &s.mute
    } else {
        "x"
    };
    path.replace("{tenant}", &s.tenant)
        .replace("{rid}", &s.rid)
        .replace("{framework}", "cis-aws-5.0")
        .replace("{id}", id)
}

fn assert_clean(body: &str, s: &Secrets, what: &str) {
    for m in &s.markers {
        assert!(
            !body.contains(m.as_str()),
            "{what} leaked `{m}` of tenant {}: {body:.400}",
            s.tenant
        );
    }
}

async fn call(c: &Client, method: &Method, url: &str, kind: Kind) -> crate::harness::Answer {
    match (method.as_str(), kind) {
        ("GET", _) => c.get(url).await,
        (_, Kind::Page) => {
            c.post_form(
                url,
                &[
                    ("reason", "isolation probe"),
                    ("expires", "2099-01-01"),
                    ("area", "backup"),
                    ("applies_to", "iaas"),
                    ("party", "nobody"),
                    ("check", "isolation_probe_no_such_check"),
                ],
            )
            .await
        }
        _ => c.json(method.clone(), url, json!({ "reason": "isolation probe", "expires": "2099-01-01", "check": "x", "tenants": [], "area": "backup", "applies_to": "iaas", "party": "nobody", "name": "x", "email": "x@x.test", "role": "customer_viewer", "password": "isolation probe password" })).await,
    }
}

async fn isolation(db: Db) {
    let Some(server) = start(db, ServerConfig::default()).await else {
        eprintln!("SHARELINE_TEST_POSTGRES_URL not set: skipping the PostgreSQL run");
        return;
    };
    // Each role against a tenant outside its walls.
    let cases = [
        ("engineer@msp.test", "initech"),
        ("auditor@msp.test", "globex"),
        ("admin@acme.test", "globex"),
        ("viewer@globex.test", "acme"),
    ];
    let mut probes = 0;
    for (email, foreign) in cases {
        let secrets = secrets_of(&server, foreign).await;
        let c = Client::login(&server, email).await;
        for r in ROUTES
            .iter()
            .filter(|r| r.action.is_some() && r.path != "/logout")
        {
            let url = fill(r.path, &secrets);
            let a = call(&c, &r.method, &url, r.kind).await;
            probes += 1;
            assert!(
                !a.status.is_server_error(),
                "{email} {} {url}: {}",
                r.method,
                a.body
            );
            if r.path.contains("{tenant}") {
                assert_eq!(
                    a.status,
                    StatusCode::NOT_FOUND,
                    "{email} {} {url}: {}",
                    r.method,
                    a.body
                );
            }
            assert_clean(&a.body, &secrets, &format!("{email} {} {url}", r.method));
            if let Some(loc) = &a.location {
                assert_clean(loc, &secrets, "a redirect");
            }
        }
        // Bulk actions naming the foreign tenant in the body are refused too.
        let a = c
            .json(Method::POST, "/api/v1/queue/mute", json!({ "check": "aws_s3_bucket_versioning_enabled", "tenants": [foreign], "reason": "isolation probe", "expires": "2099-01-01" }))
            .await;
        assert!(
            matches!(a.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{email}: {}",
            a.body
        );
        let t = TenantId::parse(foreign).unwrap();
        let mutes = server.store.list_mutes(&t, true).await.unwrap();
        assert!(
            mutes
                .iter()
                .all(|m| m.mute.reason != "isolation probe" && m.removed_at.is_none()),
            "{email} changed {foreign}'s mutes"
        );
        // An API token of this user is held to the same walls.
        let tok = c
            .json(Method::POST, "/api/v1/tokens", json!({ "name": "probe" }))
            .await;
        assert_eq!(tok.status, StatusCode::CREATED, "{}", tok.body);
        let bot = Client::with_token(&server, tok.json()["token"].as_str().unwrap());
        for r in ROUTES
            .iter()
            .filter(|r| r.kind == Kind::Api && r.action.is_some())
        {
            let url = fill(r.path, &secrets);
            let a = call(&bot, &r.method, &url, r.kind).await;
            probes += 1;
            assert!(
                !a.status.is_server_error(),
                "token of {email} {} {url}: {}",
                r.method,
                a.body
            );
            if r.path.contains("{tenant}") {
                assert_eq!(
                    a.status,
                    StatusCode::NOT_FOUND,
                    "token of {email} {} {url}",
                    r.method
                );
            }
            assert_clean(
                &a.body,
                &secrets,
                &format!("token of {email} {} {url}", r.method),
            );
        }
    }
    // Nobody: every guarded route refuses, leaking nothing.
    let secrets = secrets_of(&server, "acme").await;
    let anon = Client::anonymous(&server);
    for r in ROUTES.iter().filter(|r| r.action.is_some()) {
        let url = fill(r.path, &secrets);
        let a = call(&anon, &r.method, &url, r.kind).await;
        probes += 1;
        match (r.kind, r.method.as_str()) {
            (Kind::Page, "GET") => assert_eq!(a.status, StatusCode::SEE_OTHER, "{url}"),
            _ => assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{} {url}", r.method),
        }
        assert_clean(&a.body, &secrets, &format!("anonymous {} {url}", r.method));
    }
    // The foreign tenants' data is untouched: still one mute each, and no
    // matrix change recorded by a probe.
    for t in ["acme", "globex", "initech"] {
        let t = TenantId::parse(t).unwrap();
        let hist = shareline_app::responsibility::history(&server.store, &t)
            .await
            .unwrap();
        let text = serde_json::to_string(&hist).unwrap();
        assert!(!text.contains("isolation probe"), "{t}: {text:.300}");
    }
    assert!(probes > 200, "only {probes} probes");
}

#[tokio::test]
async fn no_route_leaks_another_tenant_sqlite() {
    isolation(Db::Sqlite).await;
}

#[tokio::test]
async fn no_route_leaks_another_tenant_postgres() {
    isolation(Db::Postgres).await;
}
