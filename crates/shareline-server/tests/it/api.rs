//! The JSON API, logins, tokens, CSRF, the OpenAPI document and the audit
//! log, against a real server.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shareline_model::TenantId;
use shareline_server::{Kind, ROUTES, ServerConfig};

use crate::harness::{Client, Db, PASSWORD, Server, start};

async fn sqlite() -> Server {
    start(Db::Sqlite, ServerConfig::default()).await.unwrap()
}

fn acme() -> TenantId {
    TenantId::parse("acme").unwrap()
}

#[tokio::test]
async fn login_sessions_csrf_and_rate_limit() {
    let server = start(
        Db::Sqlite,
        ServerConfig {
            secure_cookies: true,
            ..ServerConfig::default()
        },
    )
    .await
    .unwrap();

    // Not logged in: pages redirect to the login form, the API answers 401.
    let anon = Client::anonymous(&server);
    let a = anon.get("/t/acme").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location.as_deref(), Some("/login?next=/t/acme"));
    let a = anon.get("/api/v1/overview").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.json()["error"]["code"], "unauthenticated");

    // A wrong password and an unknown user get the same answer.
    let c = Client::anonymous(&server);
    let wrong = c.try_login("admin@msp.test", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Wrong e-mail or password"));
    let unknown = c.try_login("nobody@msp.test", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(unknown.body.contains("Wrong e-mail or password"));
    assert!(c.cookie("shareline_session").is_none());

    // A good login: an HttpOnly, SameSite, Secure session cookie.
    let admin = Client::anonymous(&server);
    let ok = admin.try_login("admin@msp.test", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let session = ok
        .set_cookies
        .iter()
        .find(|c| c.starts_with("shareline_session="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(session.contains(flag), "{session} lacks {flag}");
    }
    let home = admin.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("MSP overview"));
    assert!(home.body.matches("/t/").count() >= 3);

    // The login form refuses a post without its CSRF cookie.
    let bare = Client::anonymous(&server);
    let a = bare
        .send(
            Method::POST,
            "/login",
            Some(vec![
                ("email".into(), "admin@msp.test".into()),
                ("password".into(), PASSWORD.into()),
                ("csrf".into(), "forged".into()),
            ]),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    // A state-changing form without the session's CSRF token is refused.
    let a = admin
        .send(
            Method::POST,
            "/logout",
            Some(vec![("csrf".into(), "forged".into())]),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body.contains("csrf"));
    // So is a JSON request riding on the cookie with a wrong CSRF header.
    let forged = reqwest::Client::new()
        .put(format!("{}/api/v1/tenants/acme/matrix", server.url))
        .header("cookie", format!("shareline_session={}", admin.cookie("shareline_session").unwrap()))
        .header("x-csrf-token", "forged")
        .json(&json!({ "area": "backup", "applies_to": "iaas", "party": "msp", "reason": "cross-site attempt" }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.text().await.unwrap().contains("\"csrf\""));

    // Logging out ends the session on the server too.
    let old_cookie = admin.cookie("shareline_session").unwrap();
    let out = admin.post_form("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let again = Client::anonymous(&server);
    let replay = again.send(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    let forged = reqwest::Client::new()
        .get(format!("{}/api/v1/me", server.url))
        .header("cookie", format!("shareline_session={old_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    // Five failures lock the user name out, even with the right password.
    let c = Client::anonymous(&server);
    for _ in 0..5 {
        let a = c.try_login("viewer@globex.test", "guess guess guess").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let locked = c.try_login("viewer@globex.test", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.body.contains("Too many failed attempts"));

    // Every login, failed or not, is in the audit log.
    let rows = server.store.audit_chain(0, 1000).await.unwrap();
    assert!(
        rows.iter()
            .any(|e| e.action == "session.login" && e.target == "admin@msp.test")
    );
    assert!(
        rows.iter()
            .any(|e| e.action == "session.login_failed" && e.target == "nobody@msp.test")
    );
    assert!(rows.iter().all(|e| !e.target.contains(PASSWORD)));
}

#[tokio::test]
async fn api_tokens_are_scoped_hashed_and_revocable() {
    let server = sqlite().await;
    let eng = Client::login(&server, "engineer@msp.test").await;
    let a = eng
        .json(
            Method::POST,
            "/api/v1/tokens",
            json!({ "name": "ci", "tenants": ["acme"], "expires_in_days": 7 }),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let body = a.json();
    let secret = body["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("shl_"));
    let id = body["record"]["id"].as_str().unwrap().to_owned();

    // The token sees only acme, and needs no CSRF token.
    let bot = Client::with_token(&server, &secret);
    let tenants = bot.get("/api/v1/tenants").await.json();
    let ids: Vec<&str> = tenants["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["acme"]);
    assert_eq!(
        bot.get("/api/v1/tenants/globex").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(bot.get("/api/v1/tenants/acme").await.status, StatusCode::OK);

    // Use is recorded; the secret itself is stored nowhere.
    let list = eng.get("/api/v1/tokens").await;
    assert!(!list.body.contains(&secret));
    assert!(list.json()[0]["last_used_at"].is_string(), "{}", list.body);

    // A token cannot carry more than its user has.
    let a = eng
        .json(
            Method::POST,
            "/api/v1/tokens",
            json!({ "name": "x", "role": "msp_admin" }),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = eng
        .json(
            Method::POST,
            "/api/v1/tokens",
            json!({ "name": "x", "tenants": ["initech"] }),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    // Revoked: refused at once.
    let a = eng
        .json(Method::DELETE, &format!("/api/v1/tokens/{id}"), json!(null))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = bot.get("/api/v1/tenants").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.json()["error"]["code"], "unauthenticated");
    let a = Client::with_token(&server, "shl_not-a-token")
        .get("/api/v1/me")
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

/// Fills a route's path parameters with real ids from the demo estate.
async fn fill(server: &Server, path: &str, tenant: &str) -> String {
    let t = TenantId::parse(tenant).unwrap();
    let mut out = path.replace("{tenant}", tenant);
    if out.contains("/findings/{id}") {
        let f = &server
            .store
            .list_findings(&t, &Default::default())
            .await
            .unwrap()[0];
        out = out.replace("{id}", &f.result.id);
    }
    if out.contains("/scans/{id}") {
        let job = server.store.create_scan_job(&t, "test").await.unwrap();
        out = out.replace("{id}", &job.id);
    }
    if out.contains("{rid}") {
        let r = &server
            .store
            .list_resources(&t, &Default::default())
            .await
            .unwrap()[0];
        out = out.replace("{rid}", &r.rid.to_string());
    }
    out.replace("{framework}", "cis-aws-5.0")
        .replace("{id}", "does-not-exist")
}

#[tokio::test]
async fn openapi_document_is_valid_and_lists_exactly_the_api_routes() {
    let server = sqlite().await;
    let anon = Client::anonymous(&server);
    let doc = anon.get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();

    // Validated by an independent OpenAPI 3.1 validator.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = std::process::Command::new(shareline_test_support::venv_python())
        .args([
            "-c",
            "import json,sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('ok')",
        ])
        .arg(file.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Exactly the API routes of the router's table, no more, no fewer.
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    documented.sort();
    let mut served: Vec<(String, String)> = ROUTES
        .iter()
        .filter(|r| r.kind == Kind::Api)
        .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
        .collect();
    served.sort();
    assert_eq!(documented, served);

    let admin = every_operation_answers(&server, &documented).await;

    // Unknown routes and malformed input answer in the same error format.
    let a = admin.get("/api/v1/nope").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.json()["error"]["code"], "no_route");
    let a = admin.get("/api/v1/tenants/acme/findings?page=zero").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json()["error"]["code"], "invalid");
    let a = admin
        .send(
            Method::POST,
            "/api/v1/tenants/acme/mutes",
            None,
            Some(json!({ "check": 5 })),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["error"]["code"], "invalid");
}

/// Every documented GET answers 200 for an MSP admin with real ids, and
/// every documented operation reaches its handler (never the fallback) and
/// answers JSON. Returns the admin's client.
async fn every_operation_answers(server: &Server, documented: &[(String, String)]) -> Client {
    let admin = Client::login(server, "admin@msp.test").await;
    for (method, path) in documented {
        let url = fill(server, path, "acme").await;
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let a = admin.json(m.clone(), &url, json!({})).await;
        assert_ne!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {url}");
        if a.status == StatusCode::NOT_FOUND {
            assert_ne!(a.json()["error"]["code"], "no_route", "{method} {url}");
        }
        let body: Value = serde_json::from_str(&a.body)
            .unwrap_or_else(|_| panic!("{method} {url} did not answer JSON: {}", a.body));
        if !a.status.is_success() {
            assert!(body["error"]["code"].is_string(), "{method} {url}: {body}");
            assert!(body["error"]["message"].is_string());
        }
        if m == Method::GET && !url.contains("does-not-exist") {
            assert_eq!(a.status, StatusCode::OK, "{method} {url}: {}", a.body);
        }
    }

    admin
}

/// The same on PostgreSQL, where the Any driver maps fewer column types.
#[tokio::test]
async fn every_api_operation_answers_on_postgres() {
    let Some(server) = start(Db::Postgres, ServerConfig::default()).await else {
        eprintln!("SHARELINE_TEST_POSTGRES_URL not set: skipping the PostgreSQL run");
        return;
    };
    let documented: Vec<(String, String)> = ROUTES
        .iter()
        .filter(|r| r.kind == Kind::Api)
        .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
        .collect();
    let admin = every_operation_answers(&server, &documented).await;
    for page in ["/", "/queue", "/t/acme", "/t/acme/matrix", "/audit"] {
        let a = admin.get(page).await;
        assert_eq!(a.status, StatusCode::OK, "{page}: {:.300}", a.body);
    }
}

#[tokio::test]
async fn pagination_and_filters() {
    let server = sqlite().await;
    let admin = Client::login(&server, "admin@msp.test").await;
    let all = admin
        .get("/api/v1/tenants/acme/findings?status=FAIL&per_page=200")
        .await
        .json();
    let total = all["total"].as_i64().unwrap();
    assert!(total > 3, "{all}");
    let p1 = admin
        .get("/api/v1/tenants/acme/findings?status=FAIL&per_page=2&page=1")
        .await
        .json();
    let p2 = admin
        .get("/api/v1/tenants/acme/findings?status=FAIL&per_page=2&page=2")
        .await
        .json();
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    assert_eq!(p1["total"], total);
    assert_ne!(p1["items"][0]["id"], p2["items"][0]["id"]);
    for f in all["items"].as_array().unwrap() {
        assert_eq!(f["status"], "FAIL");
    }
    let high = admin
        .get("/api/v1/tenants/acme/findings?status=FAIL&severity=high")
        .await
        .json();
    for f in high["items"].as_array().unwrap() {
        assert_eq!(f["severity"], "high");
    }
    // The tenant view rolls compliance up per framework.
    let t = admin.get("/api/v1/tenants/acme").await.json();
    let frameworks = t["compliance"].as_array().unwrap();
    assert!(frameworks.len() >= 5, "{t}");
    assert!(
        frameworks
            .iter()
            .any(|f| f["failing"].as_i64().unwrap() > 0),
        "{frameworks:?}"
    );
    assert!(
        frameworks
            .iter()
            .any(|f| f["passing"].as_i64().unwrap() > 0),
        "{frameworks:?}"
    );
    // per_page is capped.
    let big = admin
        .get("/api/v1/tenants/acme/resources?per_page=100000")
        .await
        .json();
    assert_eq!(big["per_page"], 200);
}

#[tokio::test]
async fn bulk_mute_matrix_edits_and_the_audit_chain() {
    let server = sqlite().await;
    let admin = Client::login(&server, "admin@msp.test").await;

    // The queue: the top check and where it fails.
    let queue = admin.get("/api/v1/queue").await.json();
    let top = &queue["items"][0];
    let check = top["check_id"].as_str().unwrap().to_owned();
    let failing_before = top["failing"].as_i64().unwrap();
    assert!(top["tenants"].as_i64().unwrap() >= 1);

    // Reason and expiry are required.
    let a = admin
        .json(
            Method::POST,
            "/api/v1/queue/mute",
            json!({ "check": check, "tenants": ["acme"], "reason": "", "expires": "2099-01-01" }),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let a = admin
        .json(Method::POST, "/api/v1/queue/mute", json!({ "check": check, "tenants": ["acme"], "reason": "accepted for the test", "expires": "not a date" }))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);

    // An engineer cannot reach a tenant outside its assignment, and nothing
    // is muted anywhere when one tenant is refused.
    let eng = Client::login(&server, "engineer@msp.test").await;
    let a = eng
        .json(Method::POST, "/api/v1/queue/mute", json!({ "check": check, "tenants": ["acme", "initech"], "reason": "accepted for the test", "expires": "2099-01-01" }))
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        server
            .store
            .list_mutes(&acme(), true)
            .await
            .unwrap()
            .is_empty()
    );

    // The admin mutes the check wherever it fails.
    let where_: Vec<String> = server
        .store
        .check_tenants(
            &check,
            &[
                acme(),
                TenantId::parse("globex").unwrap(),
                TenantId::parse("initech").unwrap(),
            ],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    let expires = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let a = admin
        .json(Method::POST, "/api/v1/queue/mute", json!({ "check": check, "tenants": where_, "reason": "accepted for the test", "expires": expires }))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let queue = admin.get("/api/v1/queue").await.json();
    let row = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["check_id"] == check.as_str());
    assert!(row.is_none(), "{check} still failing: {row:?}");
    let muted = admin
        .get(&format!(
            "/api/v1/tenants/{}/findings?status=MUTED&check={check}",
            where_[0]
        ))
        .await
        .json();
    assert!(muted["total"].as_i64().unwrap() > 0, "{muted}");
    assert!(failing_before > 0);

    // A customer admin edits its own matrix; a viewer may not.
    let cadmin = Client::login(&server, "admin@acme.test").await;
    let a = cadmin
        .json(Method::PUT, "/api/v1/tenants/acme/matrix", json!({ "area": "backup", "applies_to": "iaas", "party": "msp", "reason": "MSP takes backups again from today" }))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let hist = cadmin
        .get("/api/v1/tenants/acme/matrix/history")
        .await
        .json();
    assert!(
        hist.as_array()
            .unwrap()
            .iter()
            .any(|h| h["reason"] == "MSP takes backups again from today")
    );
    let viewer = Client::login(&server, "viewer@globex.test").await;
    let a = viewer
        .json(Method::PUT, "/api/v1/tenants/globex/matrix", json!({ "area": "backup", "applies_to": "iaas", "party": "msp", "reason": "not allowed to" }))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.json()["error"]["code"], "forbidden");

    // The audit log: who, when, which tenant, what, before and after.
    let log = cadmin.get("/api/v1/tenants/acme/audit").await.json();
    let edit = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "matrix.set")
        .unwrap();
    assert_eq!(edit["actor"], "user:admin@acme.test");
    assert_eq!(edit["tenant"], "acme");
    assert!(edit["before"].is_object(), "{edit}");
    assert_eq!(edit["after"]["assignment"]["party"], "msp");
    // The customer admin's view of the whole log holds only its tenant.
    let mine = cadmin.get("/api/v1/audit").await.json();
    assert!(!mine.as_array().unwrap().is_empty());
    for e in mine.as_array().unwrap() {
        assert_eq!(e["tenant"], "acme", "{e}");
    }
    // A viewer may not read it at all.
    assert_eq!(
        viewer.get("/api/v1/tenants/globex/audit").await.status,
        StatusCode::FORBIDDEN
    );

    // The chain verifies; an altered entry is caught at its position.
    let v = shareline_app::audit::verify(&server.store).await.unwrap();
    assert!(v.broken.is_none(), "{v:?}");
    assert!(v.entries >= 5);
    server
        .store
        .tamper_audit_for_tests(3, "mute.remove")
        .await
        .unwrap();
    let v = shareline_app::audit::verify(&server.store).await.unwrap();
    let broken = v.broken.unwrap();
    assert!(broken.contains('3'), "{broken}");
    assert_eq!(v.entries, 2);
}

#[tokio::test]
async fn users_are_managed_within_their_walls() {
    let server = sqlite().await;
    let cadmin = Client::login(&server, "admin@acme.test").await;
    // A customer admin adds a viewer to its own tenant...
    let a = cadmin
        .json(Method::POST, "/api/v1/users", json!({ "email": "new@acme.test", "role": "customer_viewer", "tenants": ["acme"], "password": "a long enough password" }))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert!(!a.body.contains("a long enough password"));
    assert!(!a.body.contains("argon2"));
    // ...but not to another tenant, not an MSP role, not a weak password.
    for body in [
        json!({ "email": "x@acme.test", "role": "customer_viewer", "tenants": ["globex"], "password": "a long enough password" }),
        json!({ "email": "x@acme.test", "role": "msp_engineer", "tenants": ["acme"], "password": "a long enough password" }),
    ] {
        let a = cadmin.json(Method::POST, "/api/v1/users", body).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    }
    let a = cadmin
        .json(Method::POST, "/api/v1/users", json!({ "email": "y@acme.test", "role": "customer_viewer", "tenants": ["acme"], "password": "short" }))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    // The new user logs in; its list of users holds only acme's.
    let listed = cadmin.get("/api/v1/users").await.json();
    for u in listed.as_array().unwrap() {
        assert_eq!(u["tenants"], json!(["acme"]), "{u}");
    }
    let _new = {
        let c = Client::anonymous(&server);
        let a = c.try_login("new@acme.test", "a long enough password").await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        c
    };
    // Disabling ends its access.
    let id = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "new@acme.test")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = cadmin
        .json(
            Method::POST,
            &format!("/api/v1/users/{id}/disable"),
            json!({}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let c = Client::anonymous(&server);
    assert_eq!(
        c.try_login("new@acme.test", "a long enough password")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // A customer admin cannot disable an MSP user.
    let admin_id = server
        .store
        .user_for_login("admin@msp.test")
        .await
        .unwrap()
        .unwrap()
        .0
        .id;
    let a = cadmin
        .json(
            Method::POST,
            &format!("/api/v1/users/{admin_id}/disable"),
            json!({}),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}
