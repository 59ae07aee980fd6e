//! The `shareline` binary end to end on the demo estate: the catalog count,
//! frameworks, findings in every format, compliance, mutes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a panic is a failed test"
)]

use std::process::Command;

fn shareline(db: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_shareline"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn catalog_findings_compliance_and_mutes_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");

    let (ok, out, _) = shareline(&db, &["checks", "list"]);
    assert!(ok);
    let summary = out.lines().last().unwrap();
    let count: usize = summary.split_whitespace().next().unwrap().parse().unwrap();
    assert!(count >= 200, "{summary}");
    assert!(summary.contains("9 frameworks"), "{summary}");

    let (ok, out, _) = shareline(&db, &["checks", "frameworks", "--format", "json"]);
    assert!(ok);
    let fws: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(fws.as_array().unwrap().len(), 9);

    let (ok, out, err) = shareline(&db, &["demo", "load"]);
    assert!(ok, "{err}");
    assert!(out.contains("failing"), "{out}");

    let (ok, out, err) = shareline(
        &db,
        &[
            "findings",
            "list",
            "--tenant",
            "initech",
            "--status",
            "fail",
            "--severity",
            "critical,high",
            "--format",
            "json",
        ],
    );
    assert!(ok, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let list = list.as_array().unwrap();
    assert!(!list.is_empty());
    assert!(
        list.iter()
            .all(|f| f["status"] == "FAIL"
                && (f["severity"] == "critical" || f["severity"] == "high"))
    );
    let id = list[0]["id"].as_str().unwrap().to_owned();
    let check = list[0]["check_id"].as_str().unwrap().to_owned();

    let (ok, out, _) = shareline(&db, &["findings", "show", "--tenant", "initech", &id]);
    assert!(ok);
    assert!(
        out.contains("remediation") && out.contains("history"),
        "{out}"
    );
    // Another tenant cannot see it.
    let (ok, _, err) = shareline(&db, &["findings", "show", "--tenant", "acme", &id]);
    assert!(!ok && err.contains("not found"), "{err}");

    let (ok, out, _) = shareline(
        &db,
        &["findings", "list", "--tenant", "initech", "--format", "csv"],
    );
    assert!(ok);
    assert!(out.starts_with("finding_id,status,severity,check_id"));
    let (ok, out, _) = shareline(
        &db,
        &[
            "findings", "list", "--tenant", "initech", "--check", &check, "--format", "ocsf",
        ],
    );
    assert!(ok);
    let events: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(events[0]["class_uid"], 2004);

    let (ok, out, _) = shareline(
        &db,
        &[
            "compliance",
            "--tenant",
            "initech",
            "--framework",
            "cis-aws-5.0",
        ],
    );
    assert!(ok);
    assert!(out.contains("score") && out.contains("MANUAL"), "{out}");

    let (ok, out, err) = shareline(
        &db,
        &[
            "mute",
            "add",
            "--tenant",
            "initech",
            "--check",
            &check,
            "--reason",
            "accepted until the migration",
            "--expires",
            "2099-01-01",
        ],
    );
    assert!(!ok, "beyond the maximum: {out}");
    assert!(err.contains("maximum"), "{err}");
    let soon = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let (ok, out, err) = shareline(
        &db,
        &[
            "mute",
            "add",
            "--tenant",
            "initech",
            "--check",
            &check,
            "--reason",
            "accepted until the migration",
            "--expires",
            &soon,
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("muted finding"), "{out}");
    let (ok, out, _) = shareline(
        &db,
        &[
            "findings", "list", "--tenant", "initech", "--check", &check, "--format", "json",
        ],
    );
    assert!(ok);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|f| f["status"] == "MUTED")
    );
}
