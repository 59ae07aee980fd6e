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

    // Every tenant at once (a pipeline), in full.
    let (ok, out, err) = shareline(&db, &["evaluate", "--full", "--format", "json"]);
    assert!(ok, "{err}");
    let runs: serde_json::Value = serde_json::from_str(&out).unwrap();
    let tenants: Vec<&str> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tenant"].as_str().unwrap())
        .collect();
    assert_eq!(tenants, ["acme", "globex", "initech"]);
    assert!(
        runs.as_array()
            .unwrap()
            .iter()
            .all(|r| r["evaluation"]["record"]["mode"] == "full")
    );

    // A pass that never failed (stored packed) shows like any finding.
    let (ok, out, err) = shareline(
        &db,
        &[
            "findings", "list", "--tenant", "acme", "--status", "pass", "--format", "json",
        ],
    );
    assert!(ok, "{err}");
    let passes: serde_json::Value = serde_json::from_str(&out).unwrap();
    let pass = passes
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["first_seen"] == f["status_since"])
        .expect("a pass that never failed");
    let (ok, out, err) = shareline(
        &db,
        &[
            "findings",
            "show",
            "--tenant",
            "acme",
            pass["id"].as_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains(pass["check_id"].as_str().unwrap()), "{out}");

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

#[test]
fn the_responsibility_line_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let (ok, _, err) = shareline(&db, &["demo", "load"]);
    assert!(ok, "{err}");

    let (ok, out, _) = shareline(
        &db,
        &[
            "matrix",
            "show",
            "--tenant",
            "acme",
            "--as-of",
            "2026-02-01",
            "--format",
            "json",
        ],
    );
    assert!(ok);
    let m: serde_json::Value = serde_json::from_str(&out).unwrap();
    let owner = |m: &serde_json::Value, model: &str, area: &str| {
        m["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["model"] == model && c["area"] == area)
            .unwrap()["resolution"]["owner"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(owner(&m, "iaas", "backup"), "msp");

    // A new offering, a tenant moving to it, an assignment, a contact.
    let (ok, _, err) = shareline(
        &db,
        &[
            "offering",
            "add",
            "soc-only",
            "--name",
            "SOC only",
            "--assign",
            "logging.threat_detection:*=msp",
            "--from",
            "2026-01-01",
        ],
    );
    assert!(ok, "{err}");
    let (ok, _, err) = shareline(
        &db,
        &[
            "tenant",
            "set",
            "globex",
            "--offering",
            "soc-only",
            "--from",
            "2026-01-01",
        ],
    );
    assert!(ok, "{err}");
    let (ok, out, err) = shareline(
        &db,
        &[
            "matrix",
            "set",
            "--tenant",
            "globex",
            "--area",
            "backup",
            "--service",
            "aws:rds",
            "--party",
            "msp",
            "--from",
            "2026-01-01",
            "--reason",
            "SOW-31 database backups",
        ],
    );
    assert!(ok, "{err}");
    let id = out
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches(':')
        .to_owned();
    let (ok, _, err) = shareline(
        &db,
        &[
            "matrix",
            "set",
            "--tenant",
            "globex",
            "--area",
            "physical",
            "--service-model",
            "iaas",
            "--party",
            "msp",
            "--reason",
            "not possible",
        ],
    );
    assert!(ok && err.contains("conflict"), "{err}");
    let (ok, out, _) = shareline(&db, &["gaps", "--tenant", "globex", "--format", "json"]);
    assert!(ok);
    let gaps: serde_json::Value = serde_json::from_str(&out).unwrap();
    let kinds: Vec<&str> = gaps
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["check_id"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"shareline_gap_conflict"), "{kinds:?}");
    assert!(
        kinds.contains(&"shareline_gap_delegation_not_accepted"),
        "{kinds:?}"
    );
    let (ok, _, err) = shareline(&db, &["matrix", "accept", "--tenant", "globex", &id]);
    assert!(ok, "{err}");
    let (ok, _, err) = shareline(
        &db,
        &[
            "tenant",
            "contact",
            "--tenant",
            "globex",
            "--party",
            "msp",
            "--name",
            "Desk",
            "--email",
            "desk@msp.example",
        ],
    );
    assert!(ok, "{err}");
    let (ok, out, _) = shareline(&db, &["gaps", "--tenant", "globex", "--format", "json"]);
    assert!(ok);
    let after: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rds_pending = after.as_array().unwrap().iter().any(|g| {
        g["check_id"] == "shareline_gap_delegation_not_accepted"
            && g["name"].as_str().unwrap_or("").contains("backup")
    });
    assert!(!rds_pending, "accepted delegations are no gap");
    assert!(
        !after
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["check_id"] == "shareline_gap_no_contact")
    );

    let (ok, out, _) = shareline(
        &db,
        &[
            "matrix", "history", "--tenant", "globex", "--format", "json",
        ],
    );
    assert!(ok);
    let history: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(history.as_array().unwrap().len() >= 5);
    let (ok, out, _) = shareline(
        &db,
        &[
            "findings", "list", "--tenant", "globex", "--owner", "msp", "--format", "json",
        ],
    );
    assert!(ok);
    let owned: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        owned
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["owner"] == "msp")
    );

    // OSCAL out and back in.
    let (ok, out, err) = shareline(
        &db,
        &[
            "matrix", "export", "--tenant", "globex", "--format", "oscal",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("system-security-plan"));
    let (ok, out, err) = shareline(
        &db,
        &[
            "matrix",
            "export",
            "--offering",
            "soc-only",
            "--format",
            "oscal-crm",
        ],
    );
    assert!(ok, "{err}");
    let crm = dir.path().join("crm.json");
    std::fs::write(&crm, out).unwrap();
    let (ok, _, err) = shareline(&db, &["offering", "add", "copy", "--name", "Copy"]);
    assert!(ok, "{err}");
    let (ok, out, err) = shareline(
        &db,
        &[
            "matrix",
            "import",
            "--offering",
            "copy",
            crm.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("imported 1 assignment"), "{out}");
    let (ok, out, _) = shareline(&db, &["offering", "list", "--format", "json"]);
    assert!(ok && out.contains("\"copy\""));
}

#[test]
fn serve_users_and_the_audit_log_from_the_command_line() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("serve.db");

    // No users yet: the server refuses to start and says how to make one.
    let (ok, _, err) = shareline(&db, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!ok);
    assert!(err.contains("shareline user add"), "{err}");

    // The first admin, password on standard input; a weak one is refused.
    let add = |password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_shareline"))
            .arg("--db")
            .arg(&db)
            .args([
                "user",
                "add",
                "--email",
                "root@msp.test",
                "--role",
                "msp_admin",
            ])
            .env_remove("SHARELINE_PASSWORD")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, err) = add("short");
    assert!(!ok && err.contains("12"), "{err}");
    let (ok, err) = add("a long and private passphrase");
    assert!(ok, "{err}");
    let (ok, out, _) = shareline(&db, &["user", "list", "--format", "json"]);
    assert!(ok);
    assert!(
        out.contains("root@msp.test") && !out.contains("passphrase") && !out.contains("argon2")
    );

    // `serve --demo` loads the demo, prints the URL and one login per role,
    // and answers HTTP.
    let mut server = Command::new(env!("CARGO_BIN_EXE_shareline"))
        .arg("--db")
        .arg(&db)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.starts_with("Press Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    let url = printed
        .iter()
        .find_map(|l| l.strip_prefix("Shareline is running at "))
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    for role in [
        "msp_admin",
        "msp_engineer",
        "auditor",
        "customer_admin",
        "customer_viewer",
    ] {
        assert!(
            printed.iter().any(|l| l.trim_start().starts_with(role)),
            "{printed:?}"
        );
    }
    let addr = url.trim_start_matches("http://");
    // One plain HTTP/1.1 GET, with extra header lines.
    let get = |path: &str, headers: &str| {
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        write!(
            conn,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        answer
    };
    let answer = get("/login", "");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:.200}");
    assert!(answer.contains("Log in to Shareline"));
    // A token from the command line works against the API.
    let (ok, token, err) = shareline(&db, &["user", "token", "root@msp.test", "--days", "1"]);
    assert!(ok, "{err}");
    let token = token.trim();
    assert!(token.starts_with("shl_"), "{token}");
    let answer = get("/api/v1/me", &format!("Authorization: Bearer {token}\r\n"));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:.300}");
    assert!(answer.contains("root@msp.test") && answer.contains("msp_admin"));
    server.kill().unwrap();
    server.wait().unwrap();

    // Every user creation is in the audit log, and the chain verifies.
    let (ok, out, err) = shareline(&db, &["audit", "verify"]);
    assert!(ok, "{err}");
    assert!(out.contains("audit log intact"), "{out}");
    let (ok, out, _) = shareline(&db, &["audit", "list", "--format", "json"]);
    assert!(ok);
    let entries: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        entries
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "user.create" && e["target"] == "root@msp.test"),
        "{out}"
    );
}
