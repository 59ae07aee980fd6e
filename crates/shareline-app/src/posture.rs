//! The posture summary an evaluation leaves behind for the overview and the
//! cross-customer queue: counts by status, severity and owner, a score, and
//! one row per check.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use shareline_catalog::Severity;
use shareline_engine::compliance::{Tally, standing};
use shareline_engine::responsibility::Party;
use shareline_engine::{Finding, Status};
use shareline_store::{CheckPosture, PostureSnapshot};

/// How much a finding of each severity weighs in the score.
fn weight(s: Severity) -> i64 {
    match s {
        Severity::Critical => 10,
        Severity::High => 5,
        Severity::Medium => 3,
        Severity::Low => 1,
        Severity::Informational => 0,
    }
}

/// Summarises a tenant's live findings, with its standing per framework of
/// the catalog. The score is the severity-weighted
/// share of passing findings among passing and failing ones, in per mille
/// (muted, unknown and errored findings count for neither; a tenant with
/// nothing weighed scores 1000).
pub fn summarize<'a>(
    catalog: &shareline_checks::Catalog,
    tenant: &str,
    findings: impl IntoIterator<Item = &'a Finding>,
    resources: i64,
    at: DateTime<Utc>,
) -> (PostureSnapshot, Vec<CheckPosture>) {
    let live = findings.into_iter().filter(|f| f.removed_at.is_none());
    let mut s = PostureSnapshot {
        tenant_id: tenant.to_owned(),
        at,
        resources,
        ..PostureSnapshot::default()
    };
    // One map lookup per finding: its check's tally (and severity).
    let mut by_check: foldhash::HashMap<&str, (Tally, Severity)> = foldhash::HashMap::default();
    let (mut pass_w, mut fail_w) = (0_i64, 0_i64);
    for f in live {
        let r = &f.result;
        by_check
            .entry(&*r.check_id)
            .or_insert_with(|| (Tally::default(), r.severity))
            .0
            .add(r.status);
        match r.status {
            Status::Pass => {
                s.pass += 1;
                pass_w += weight(r.severity);
            }
            Status::Muted => s.muted += 1,
            Status::Unknown => s.unknown += 1,
            Status::Error => s.error += 1,
            Status::Fail => {
                s.fail += 1;
                fail_w += weight(r.severity);
                match r.severity {
                    Severity::Critical => s.fail_critical += 1,
                    Severity::High => s.fail_high += 1,
                    Severity::Medium => s.fail_medium += 1,
                    Severity::Low => s.fail_low += 1,
                    Severity::Informational => s.fail_info += 1,
                }
                match r.owner {
                    Some(Party::Provider) => s.own_provider += 1,
                    Some(Party::Msp) => s.own_msp += 1,
                    Some(Party::Customer | Party::ThirdParty) => s.own_customer += 1,
                    Some(Party::Nobody) | None => s.own_none += 1,
                }
                if r.check_id.starts_with("shareline_gap_") {
                    s.gaps += 1;
                }
            }
        }
    }
    let tallies: HashMap<&str, Tally> = by_check.iter().map(|(c, (t, _))| (*c, *t)).collect();
    let checks: BTreeMap<&str, CheckPosture> = by_check
        .into_iter()
        .map(|(check, (t, severity))| {
            let n = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
            let posture = CheckPosture {
                check_id: check.to_owned(),
                severity: severity.as_str().to_owned(),
                failing: n(t.fail),
                muted: n(t.muted),
                passing: n(t.pass),
            };
            (check, posture)
        })
        .collect();
    s.score = if pass_w + fail_w == 0 {
        1000
    } else {
        pass_w * 1000 / (pass_w + fail_w)
    };
    s.compliance = serde_json::Value::Array(
        catalog
            .frameworks
            .iter()
            .map(|fw| {
                let st = standing(fw, &tallies);
                serde_json::json!({
                    "id": fw.id,
                    "name": fw.name,
                    "score": st.score,
                    "failing": st.failing,
                    "passing": st.passing,
                })
            })
            .collect(),
    );
    (s, checks.into_values().collect())
}
