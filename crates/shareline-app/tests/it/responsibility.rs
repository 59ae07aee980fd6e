//! The responsibility line on the demo estate: three arrangements, time
//! questions, routing by first sighting, conflicts, gaps, and OSCAL in and
//! out validated against NIST's schema.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use shareline_app::evaluate::{EvaluateOptions, evaluate_tenant};
use shareline_app::findings::list;
use shareline_app::responsibility::{self as resp, NewAssignment};
use shareline_engine::Status;
use shareline_engine::responsibility::{Party, Scope, Target};
use shareline_model::TenantId;
use shareline_store::{FindingFilter, Store};

async fn demo(dir: &Path) -> Store {
    let store = Store::open(dir.join("resp.db").to_str().unwrap())
        .await
        .unwrap();
    shareline_app::demo::load(&store, &shareline_app::demo::demo_dir())
        .await
        .unwrap();
    store
}

fn t(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

fn d(s: &str) -> DateTime<Utc> {
    format!("{s}T00:00:00Z").parse().unwrap()
}

fn cell(m: &resp::Matrix, model: &str, area: &str) -> Party {
    m.cells
        .iter()
        .find(|c| c.model == model && c.area == area)
        .unwrap()
        .resolution
        .owner
}

fn all() -> FindingFilter {
    FindingFilter {
        limit: Some(1_000_000),
        ..FindingFilter::default()
    }
}

#[tokio::test]
async fn three_tenants_three_arrangements() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo(dir.path()).await;
    let now = Utc::now();
    let acme = resp::show(&store, &t("acme"), now, now).await.unwrap();
    let globex = resp::show(&store, &t("globex"), now, now).await.unwrap();
    let initech = resp::show(&store, &t("initech"), now, now).await.unwrap();
    assert_eq!(acme.offering.as_deref(), Some("managed-iaas"));
    assert_eq!(globex.offering, None);
    assert_eq!(initech.offering.as_deref(), Some("monitoring-only"));
    assert_eq!(cell(&acme, "iaas", "host_os"), Party::Msp);
    assert_eq!(cell(&globex, "iaas", "host_os"), Party::Customer);
    assert_eq!(cell(&initech, "iaas", "backup"), Party::Nobody);
    // Globex split logging: its external SOC watches threats, it keeps the
    // audit trail itself.
    assert_eq!(
        cell(&globex, "saas", "logging.threat_detection"),
        Party::ThirdParty
    );
    assert_eq!(
        cell(&globex, "saas", "logging.audit_trail"),
        Party::Customer
    );
    assert_eq!(cell(&globex, "saas", "logging"), Party::Customer);
    for m in [&acme, &globex, &initech] {
        assert_eq!(cell(m, "iaas", "physical"), Party::Provider);
    }
    // Acme took server backups in-house on 1 March 2026.
    let feb = resp::show(&store, &t("acme"), d("2026-02-01"), now)
        .await
        .unwrap();
    assert_eq!(cell(&feb, "iaas", "backup"), Party::Msp);
    assert_eq!(cell(&acme, "iaas", "backup"), Party::Customer);
    // As known before anything was recorded: the provider's defaults only.
    let before = resp::show(&store, &t("acme"), now, d("2020-01-01"))
        .await
        .unwrap();
    assert_eq!(before.offering, None);
    assert_eq!(cell(&before, "iaas", "host_os"), Party::Customer);

    // Every finding is routed; the owner filter and the compliance split work.
    for tenant in ["acme", "globex", "initech"] {
        let found = list(&store, &t(tenant), &all()).await.unwrap();
        assert!(
            found.iter().all(|v| v.finding.result.owner.is_some()),
            "{tenant}"
        );
        let msp = list(
            &store,
            &t(tenant),
            &FindingFilter {
                owners: vec![Party::Msp],
                ..all()
            },
        )
        .await
        .unwrap();
        assert!(
            msp.iter()
                .all(|v| v.finding.result.owner == Some(Party::Msp))
        );
    }
    let report = shareline_app::findings::compliance(&store, &t("acme"), "cis-aws-5.0")
        .await
        .unwrap();
    let parties: Vec<&str> = report.by_party.iter().map(|p| p.party.as_str()).collect();
    assert!(
        parties.contains(&"msp") && parties.contains(&"customer"),
        "{parties:?}"
    );

    // Gaps differ by tenant and are findings routed to the MSP.
    let kinds = |v: Vec<shareline_app::findings::FindingView>| {
        let mut k: Vec<String> = v
            .into_iter()
            .map(|v| v.finding.result.check_id.to_string())
            .collect();
        k.sort();
        k.dedup();
        k
    };
    let initech_gaps = kinds(resp::gaps(&store, &t("initech")).await.unwrap());
    for g in ["unowned", "conflict", "delegation_expired", "no_contact"] {
        assert!(
            initech_gaps.contains(&format!("shareline_gap_{g}")),
            "{g} in {initech_gaps:?}"
        );
    }
    let globex_gaps = kinds(resp::gaps(&store, &t("globex")).await.unwrap());
    assert!(
        globex_gaps.contains(&"shareline_gap_delegation_not_accepted".to_owned()),
        "{globex_gaps:?}"
    );
    assert!(resp::gaps(&store, &t("acme")).await.unwrap().is_empty());
    let gap = &resp::gaps(&store, &t("initech")).await.unwrap()[0];
    assert_eq!(gap.finding.result.owner, Some(Party::Msp));
    assert_eq!(gap.finding.result.status, Status::Fail);
}

#[tokio::test]
async fn findings_are_routed_by_the_assignment_in_force_when_first_seen() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo(dir.path()).await;
    let tenant = t("globex");
    let catalog = shareline_app::evaluate::catalog().unwrap();
    let found = list(&store, &tenant, &all()).await.unwrap();
    let data_finding = found
        .iter()
        .find(|v| {
            catalog.check(&v.finding.result.check_id).is_some_and(|c| {
                c.meta.areas.first().map(String::as_str) == Some("data")
                    && v.finding.result.key.resource_type == "AWS::S3::Bucket"
            })
        })
        .expect("a bucket data finding");
    assert_eq!(data_finding.finding.result.owner, Some(Party::Customer));
    // From next year the MSP owns data of S3. Findings first seen before then
    // stay with the customer; the record says who owned them when they arose.
    let from = Utc::now() + Duration::days(60);
    resp::set(
        &store,
        Scope::Tenant("globex".into()),
        NewAssignment {
            area: "data".into(),
            target: Target::Service {
                service: "aws:s3".into(),
            },
            party: Party::Msp,
            copied: vec![],
            valid_from: from,
            valid_until: None,
            author: "test".into(),
            reason: "SOW-20 data stewardship".into(),
            source: "test".into(),
        },
    )
    .await
    .unwrap();
    let run = evaluate_tenant(
        &store,
        &tenant,
        EvaluateOptions {
            full: false,
            now: Some(from + Duration::days(1)),
        },
    )
    .await
    .unwrap();
    assert_eq!(run.record.mode, "full", "a matrix change forces a full run");
    let again = store
        .get_finding(&tenant, &data_finding.finding.result.id)
        .await
        .unwrap();
    assert_eq!(
        again.result.owner,
        Some(Party::Customer),
        "routed as of its first sighting"
    );
    let matrix = resp::show(&store, &tenant, from + Duration::days(1), Utc::now())
        .await
        .unwrap();
    assert!(matrix.service_cells.iter().any(|c| c.area == "data"
        && c.service.as_deref() == Some("aws:s3")
        && c.resolution.owner == Party::Msp));
}

#[tokio::test]
async fn provider_areas_cannot_be_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo(dir.path()).await;
    let out = resp::set(
        &store,
        Scope::Tenant("acme".into()),
        NewAssignment {
            area: "physical".into(),
            target: Target::ServiceModel {
                model: "paas".into(),
            },
            party: Party::Msp,
            copied: vec![],
            valid_from: d("2026-01-01"),
            valid_until: None,
            author: "test".into(),
            reason: "wishful contract".into(),
            source: "test".into(),
        },
    )
    .await
    .unwrap();
    assert!(out.conflict.is_some());
    let now = Utc::now();
    let m = resp::show(&store, &t("acme"), now, now).await.unwrap();
    let c = m
        .cells
        .iter()
        .find(|c| c.model == "paas" && c.area == "physical")
        .unwrap();
    assert_eq!(c.resolution.owner, Party::Provider);
    assert_eq!(c.resolution.conflicts, vec![out.assignment.id.clone()]);
    // Bad input is refused with a reason.
    for (area, model, why) in [
        ("nonsense", "iaas", "unknown area"),
        ("backup", "mainframe", "unknown service model"),
    ] {
        let err = resp::set(
            &store,
            Scope::Tenant("acme".into()),
            NewAssignment {
                area: area.into(),
                target: Target::ServiceModel {
                    model: model.into(),
                },
                party: Party::Msp,
                copied: vec![],
                valid_from: d("2026-01-01"),
                valid_until: None,
                author: "test".into(),
                reason: "x y z".into(),
                source: "test".into(),
            },
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(err.contains(why), "{err}");
    }
    // History is append-only and ordered.
    let h = resp::history(&store, &t("acme")).await.unwrap();
    assert!(h.len() >= 4);
}

fn validate_oscal(file: &Path) -> (bool, String) {
    let script = shareline_test_support::workspace_root().join("tools/validate_oscal.py");
    let out = std::process::Command::new(shareline_test_support::venv_python())
        .arg(script)
        .arg(file)
        .output()
        .expect("run the OSCAL validator (scripts/test installs jsonschema and regex)");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test]
async fn oscal_exports_validate_and_the_crm_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo(dir.path()).await;
    for tenant in ["acme", "globex", "initech"] {
        let ssp = shareline_app::oscal::export_tenant_ssp(&store, &t(tenant), Utc::now())
            .await
            .unwrap();
        let file = dir.path().join(format!("{tenant}-ssp.json"));
        std::fs::write(&file, serde_json::to_vec_pretty(&ssp).unwrap()).unwrap();
        let (ok, out) = validate_oscal(&file);
        assert!(ok, "{tenant} SSP does not validate:\n{out}");
        let reqs = ssp
            .pointer("/system-security-plan/control-implementation/implemented-requirements")
            .unwrap();
        assert_eq!(
            reqs.as_array().unwrap().len(),
            shareline_app::responsibility::aws_model()
                .unwrap()
                .area_ids()
                .len(),
            "one requirement per area and sub-area"
        );
        let text = serde_json::to_string(&ssp).unwrap();
        assert!(text.contains("\"inherited\"") && text.contains("\"satisfied\""));
    }
    let crm = shareline_app::oscal::export_offering_crm(&store, "managed-iaas")
        .await
        .unwrap();
    let file = dir.path().join("crm.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&crm).unwrap()).unwrap();
    let (ok, out) = validate_oscal(&file);
    assert!(ok, "CRM does not validate:\n{out}");
    assert!(
        serde_json::to_string(&crm)
            .unwrap()
            .contains("\"provided\"")
    );

    // Import into a new offering: the same assignments come back.
    store
        .create_offering("imported", "Imported", "from OSCAL")
        .await
        .unwrap();
    let rows = shareline_app::oscal::import_crm(&store, "imported", &file, "test")
        .await
        .unwrap();
    let key = |a: &shareline_engine::responsibility::Assignment| {
        (a.area.clone(), format!("{:?}", a.target), a.party)
    };
    let mut got: Vec<_> = rows.iter().map(key).collect();
    let mut want: Vec<_> = store
        .offering_assignments("managed-iaas")
        .await
        .unwrap()
        .iter()
        .map(key)
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert!(rows.iter().all(|a| a.source.starts_with("oscal:")));

    // A broken document is refused, naming the file and what is wrong; the
    // validator refuses a broken export too.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"system-security-plan": {"uuid": "x"}}"#).unwrap();
    let before = store.offering_assignments("imported").await.unwrap().len();
    let err = shareline_app::oscal::import_crm(&store, "imported", &bad, "test")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.json") && err.contains("implemented-requirements"),
        "{err}"
    );
    assert_eq!(
        store.offering_assignments("imported").await.unwrap().len(),
        before
    );
    let mut broken: Value = crm.clone();
    broken["system-security-plan"]
        .as_object_mut()
        .unwrap()
        .remove("metadata");
    std::fs::write(&bad, serde_json::to_vec(&broken).unwrap()).unwrap();
    let (ok, out) = validate_oscal(&bad);
    assert!(!ok && out.contains("metadata"), "{out}");
}
