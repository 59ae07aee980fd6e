//! The main flows in real headless Chromium: log in, the overview, a tenant,
//! a finding, a resource diff, a bulk mute from the queue, a matrix edit, a
//! scan watched to the end, and a customer viewer kept out of another
//! tenant. Every page must load without a JavaScript error and with labelled
//! form fields; a screenshot of each lands in `artifacts/screenshots/`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use shareline_app::import::{ImportProgress, import_aws_config};
use shareline_model::TenantId;
use shareline_test_support::browser::{Browser, Page};
use shareline_test_support::moto::Moto;

use crate::harness::{Db, PASSWORD, start};

fn shots() -> PathBuf {
    shareline_test_support::workspace_root().join("artifacts/screenshots")
}

/// Loads `path`, checks it rendered cleanly, and takes its screenshot.
async fn visit(page: &Page, base: &str, path: &str, shot: &str) -> String {
    page.goto(&format!("{base}{path}")).await.unwrap();
    check(page, shot).await
}

async fn check(page: &Page, shot: &str) -> String {
    assert_eq!(
        page.last_status(),
        Some(200),
        "{shot}: {}",
        page.url().await.unwrap()
    );
    let errors = page.errors();
    assert!(errors.is_empty(), "{shot}: JavaScript errors: {errors:?}");
    let a11y = page
        .eval(
            "(() => { const bad = [...document.querySelectorAll('input:not([type=hidden]), select')]
                 .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label'))
                 .map(e => e.name || e.id);
               return { h1: document.querySelectorAll('h1').length, unlabelled: bad,
                        lang: document.documentElement.lang }; })()",
        )
        .await
        .unwrap();
    assert_eq!(a11y["h1"], 1, "{shot}: one h1 per page");
    assert_eq!(
        a11y["unlabelled"],
        serde_json::json!([]),
        "{shot}: unlabelled fields"
    );
    assert_eq!(a11y["lang"], "en");
    page.screenshot(shots().join(format!("{shot}.png")))
        .await
        .unwrap();
    page.text().await.unwrap()
}

/// Imports acme's production snapshot again with one resource changed, so
/// it has a second version to diff. Returns its store id.
async fn second_version(server: &crate::harness::Server) -> i64 {
    let src = shareline_test_support::workspace_root().join("demo/acme/111111111111.json");
    let mut snap: serde_json::Value = serde_json::from_slice(&std::fs::read(src).unwrap()).unwrap();
    let item = snap["configurationItems"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["resourceType"] == "AWS::S3::Bucket")
        .unwrap();
    item["configuration"]["browserTestMarker"] = serde_json::json!("changed-by-the-browser-test");
    let arn = item["ARN"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("second.json");
    std::fs::write(&file, serde_json::to_vec(&snap).unwrap()).unwrap();
    let acme = TenantId::parse("acme").unwrap();
    // An evaluation three days ago, so the trend has history to draw.
    let earlier = shareline_store::PostureSnapshot {
        tenant_id: "acme".into(),
        at: chrono::Utc::now() - chrono::Duration::days(3),
        fail: 400,
        fail_critical: 9,
        fail_high: 30,
        score: 500,
        ..Default::default()
    };
    server
        .store
        .record_posture(&acme, &earlier, &[])
        .await
        .unwrap();
    import_aws_config(
        &server.store,
        &acme,
        "111111111111",
        &file,
        Arc::new(ImportProgress::default()),
    )
    .await
    .unwrap();
    shareline_app::evaluate::evaluate_tenant(&server.store, &acme, Default::default())
        .await
        .unwrap();
    server.store.find_resource(&acme, &arn).await.unwrap().rid
}

#[tokio::test]
async fn main_flows_in_chromium() {
    let moto = Moto::start();
    let server = start(Db::Sqlite, crate::scans::scan_config())
        .await
        .unwrap();
    let rid = second_version(&server).await;
    crate::scans::cloud_tenant(&server, &moto.endpoint()).await;
    let base = server.url.clone();
    let browser = Browser::launch().await.unwrap();

    // Log in as the MSP admin.
    let ctx = browser.new_context().await.unwrap();
    let mut page = ctx.new_page().await.unwrap();
    page.set_timeout(Duration::from_secs(30));
    page.set_viewport(1366, 900).await.unwrap();
    let text = visit(&page, &base, "/t/acme", "01-login").await;
    assert!(text.contains("Log in to Shareline"));
    page.fill("#email", "admin@msp.test").await.unwrap();
    page.fill("#password", PASSWORD).await.unwrap();
    page.submit_and_wait("form[action='/login']").await.unwrap();
    assert!(
        page.url().await.unwrap().ends_with("/t/acme"),
        "login returns to the asked page"
    );

    // The overview: every tenant, the split, the trend chart.
    let text = visit(&page, &base, "/", "02-overview").await;
    for name in ["Acme Corp", "Globex", "Initech", "CloudCo"] {
        assert!(text.contains(name), "overview lacks {name}");
    }
    assert!(text.contains("Who owns the failing findings"));
    let chart = page
        .eval("document.querySelector('svg.chart desc').textContent")
        .await
        .unwrap();
    assert!(chart.as_str().unwrap().contains("failing now"), "{chart}");

    // Drill into a tenant by its link.
    page.click("a[href='/t/acme']").await.unwrap();
    page.wait_for(
        "location.pathname === '/t/acme' && document.readyState === 'complete'",
        Duration::from_secs(15),
    )
    .await
    .unwrap();
    let text = check(&page, "03-tenant").await;
    for part in [
        "Accounts and collections",
        "Failing findings by owner",
        "Compliance",
        "Gaps in the responsibility line",
        "acme-prod",
    ] {
        assert!(text.contains(part), "tenant page lacks {part}");
    }

    // A finding: evidence, risk, remediation, history.
    visit(&page, &base, "/t/acme/findings?status=FAIL", "04-findings").await;
    let href = page
        .eval("document.querySelector('main table tbody a').getAttribute('href')")
        .await
        .unwrap();
    let text = visit(&page, &base, href.as_str().unwrap(), "05-finding").await;
    for part in ["Evidence", "Risk", "Remediation", "History"] {
        assert!(text.contains(part), "finding page lacks {part}");
    }

    // A resource with two versions: the diff names the changed field.
    let text = visit(
        &page,
        &base,
        &format!("/t/acme/resources/{rid}"),
        "06-resource",
    )
    .await;
    assert!(text.contains("Version 2"), "{text:.500}");
    assert!(
        text.contains("/configuration/browserTestMarker"),
        "{text:.800}"
    );

    // The queue: tick the top check, give a reason, mute it everywhere.
    let text = visit(&page, &base, "/queue", "07-queue").await;
    assert!(text.contains("fails in"));
    let check_id = page
        .eval("document.querySelector('input[name=check]').value")
        .await
        .unwrap();
    let check_id = check_id.as_str().unwrap().to_owned();
    page.click("input[name=check]").await.unwrap();
    page.fill("#m-reason", "Accepted by the browser test")
        .await
        .unwrap();
    page.eval("window.confirm = () => true").await.unwrap();
    page.submit_and_wait("#bulk-mute").await.unwrap();
    let text = check(&page, "08-queue-muted").await;
    assert!(text.contains("Muted 1 check(s)"), "{text:.400}");
    let acme = TenantId::parse("acme").unwrap();
    let mutes = server.store.list_mutes(&acme, false).await.unwrap();
    let all_mutes: Vec<String> = mutes.iter().map(|m| m.mute.reason.clone()).collect();
    let muted_somewhere = all_mutes
        .iter()
        .any(|r| r == "Accepted by the browser test")
        || !server
            .store
            .list_mutes(&TenantId::parse("globex").unwrap(), false)
            .await
            .unwrap()
            .is_empty()
        || !server
            .store
            .list_mutes(&TenantId::parse("initech").unwrap(), false)
            .await
            .unwrap()
            .is_empty();
    assert!(muted_somewhere, "no mute stored for {check_id}");

    // The matrix: record a change, see it in force and in the history.
    visit(&page, &base, "/t/acme/matrix", "09-matrix").await;
    page.eval(
        "(() => { const s = document.getElementById('e-area'); s.value = [...s.options].map(o => o.value).includes('backup') ? 'backup' : s.options[0].value;
                  document.getElementById('e-party').value = 'msp'; })()",
    )
    .await
    .unwrap();
    page.fill("#e-reason", "Browser test: MSP takes this over")
        .await
        .unwrap();
    page.submit_and_wait("form[action='/t/acme/matrix']")
        .await
        .unwrap();
    let text = check(&page, "10-matrix-edited").await;
    assert!(text.contains("is now owned by msp"), "{text:.400}");
    assert!(text.contains("Browser test: MSP takes this over"));

    // Start a scan and watch it to the end (the page polls the API).
    visit(&page, &base, "/t/cloudco", "11-cloud-tenant").await;
    page.submit_and_wait("form[action='/t/cloudco/scans']")
        .await
        .unwrap();
    assert!(page.url().await.unwrap().contains("/t/cloudco/scans/"));
    page.wait_for(
        "document.getElementById('scan-status') && document.getElementById('scan-status').textContent === 'succeeded'",
        Duration::from_secs(120),
    )
    .await
    .unwrap();
    let text = check(&page, "12-scan-done").await;
    assert!(text.contains("123456789012"));

    // The audit log shows what happened.
    let text = visit(&page, &base, "/audit", "13-audit").await;
    for action in ["mute.add", "matrix.set", "scan.start", "session.login"] {
        assert!(text.contains(action), "audit page lacks {action}");
    }

    // Tablet width: the overview still fits (tables scroll inside their box).
    page.set_viewport(820, 1180).await.unwrap();
    visit(&page, &base, "/", "14-overview-tablet").await;
    let fits = page
        .eval("document.documentElement.scrollWidth <= window.innerWidth + 1")
        .await
        .unwrap();
    assert_eq!(
        fits,
        serde_json::json!(true),
        "the overview overflows at tablet width"
    );

    // A customer viewer sees its own tenant only.
    let other = browser.new_context().await.unwrap();
    let viewer = other.new_page().await.unwrap();
    viewer.goto(&format!("{base}/login")).await.unwrap();
    viewer.fill("#email", "viewer@globex.test").await.unwrap();
    viewer.fill("#password", PASSWORD).await.unwrap();
    viewer
        .submit_and_wait("form[action='/login']")
        .await
        .unwrap();
    let text = check(&viewer, "15-viewer-overview").await;
    assert!(text.contains("Globex"));
    for foreign in ["Acme Corp", "Initech", "CloudCo"] {
        assert!(!text.contains(foreign), "viewer sees {foreign}");
    }
    for path in [
        "/t/acme",
        "/t/acme/findings",
        "/t/initech/matrix",
        &format!("/t/acme/resources/{rid}"),
    ] {
        viewer.goto(&format!("{base}{path}")).await.unwrap();
        assert_eq!(viewer.last_status(), Some(404), "viewer reached {path}");
        let text = viewer.text().await.unwrap();
        assert!(!text.contains("Acme Corp"), "{path} leaked the tenant name");
    }
    viewer
        .screenshot(shots().join("16-viewer-denied.png"))
        .await
        .unwrap();
    browser.close().await.unwrap();
}
