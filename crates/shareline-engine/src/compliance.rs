//! Compliance roll-up: per framework requirement, PASS / FAIL / MANUAL with
//! the failing resources, and an overall score.

use std::collections::HashMap;

use serde::Serialize;
use shareline_catalog::{Assessment, Framework};

use crate::finding::{CheckResult, Status};

/// A requirement's state for one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReqStatus {
    /// Every mapped check passes (or is muted) on every resource.
    Pass,
    /// Some mapped check fails on some resource.
    Fail,
    /// No automated check: needs attestation.
    Manual,
    /// Mapped checks found nothing to evaluate in this tenant.
    NoResources,
    /// Only UNKNOWN or ERROR results: the data could not be read.
    Unknown,
}

impl ReqStatus {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::Manual => "MANUAL",
            Self::NoResources => "NO_RESOURCES",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// One failing resource under a requirement.
#[derive(Debug, Clone, Serialize)]
pub struct Failing {
    /// The check that fails.
    pub check_id: String,
    /// The account.
    pub account_id: String,
    /// The region.
    pub region: String,
    /// The resource's ARN.
    pub arn: String,
    /// The finding's message.
    pub message: String,
}

/// One requirement's roll-up.
#[derive(Debug, Clone, Serialize)]
pub struct RequirementReport {
    /// The publisher's id.
    pub id: String,
    /// Label.
    pub title: String,
    /// Section.
    pub section: Option<String>,
    /// State.
    pub status: ReqStatus,
    /// Mapped checks.
    pub checks: Vec<String>,
    /// Counts of findings by status.
    pub pass: usize,
    /// Failing findings.
    pub fail: usize,
    /// Muted findings.
    pub muted: usize,
    /// Unknown or error findings.
    pub unknown: usize,
    /// The failing resources.
    pub failing: Vec<Failing>,
}

/// A framework's roll-up for one tenant.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Framework id.
    pub framework: String,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Requirements.
    pub requirements: Vec<RequirementReport>,
    /// Requirements by state.
    pub counts: HashMap<&'static str, usize>,
    /// Passing automated requirements over automated requirements with a
    /// PASS or FAIL, in percent; `None` when there are none.
    pub score: Option<f64>,
    /// The framework's findings split by owner party.
    pub by_party: Vec<PartyShare>,
}

/// One party's share of a framework's findings.
#[derive(Debug, Clone, Serialize)]
pub struct PartyShare {
    /// The party (`unrouted` when a finding has no owner).
    pub party: String,
    /// Passing findings (muted ones included).
    pub pass: usize,
    /// Failing findings.
    pub fail: usize,
    /// Requirements with at least one failing finding of this party.
    pub failing_requirements: usize,
    /// Passing over passing-plus-failing findings, in percent.
    pub score: Option<f64>,
}

/// Rolls the tenant's current findings up into `framework`.
pub fn rollup<'a>(
    framework: &Framework,
    findings: impl IntoIterator<Item = &'a CheckResult>,
) -> Report {
    let mut by_check: HashMap<&str, Vec<&CheckResult>> = HashMap::new();
    for f in findings {
        by_check.entry(&f.check_id).or_default().push(f);
    }
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    let mut parties: std::collections::BTreeMap<String, (usize, usize, usize)> =
        std::collections::BTreeMap::new();
    let requirements: Vec<RequirementReport> = framework
        .requirements
        .iter()
        .map(|req| {
            let mut r = RequirementReport {
                id: req.id.clone(),
                title: req.title.clone(),
                section: req.section.clone(),
                status: ReqStatus::Manual,
                checks: req.checks.clone(),
                pass: 0,
                fail: 0,
                muted: 0,
                unknown: 0,
                failing: Vec::new(),
            };
            if req.assessment == Assessment::Automated {
                let mut failing_parties = std::collections::BTreeSet::new();
                for f in req
                    .checks
                    .iter()
                    .flat_map(|c| by_check.get(c.as_str()))
                    .flatten()
                {
                    let party = f.owner.map_or("unrouted", |p| p.as_str()).to_owned();
                    let share = parties.entry(party.clone()).or_default();
                    match f.status {
                        Status::Pass | Status::Muted => share.0 += 1,
                        Status::Fail => {
                            share.1 += 1;
                            failing_parties.insert(party);
                        }
                        Status::Unknown | Status::Error => {}
                    }
                    match f.status {
                        Status::Pass => r.pass += 1,
                        Status::Muted => r.muted += 1,
                        Status::Unknown | Status::Error => r.unknown += 1,
                        Status::Fail => {
                            r.fail += 1;
                            r.failing.push(Failing {
                                check_id: f.check_id.to_string(),
                                account_id: f.key.account_id.clone(),
                                region: f.key.region.clone(),
                                arn: f.arn.to_string(),
                                message: f.evidence.message.clone(),
                            });
                        }
                    }
                }
                for p in failing_parties {
                    parties.entry(p).or_default().2 += 1;
                }
                r.status = status_of(&Tally {
                    pass: r.pass,
                    fail: r.fail,
                    muted: r.muted,
                    unknown: r.unknown,
                });
            }
            *counts.entry(r.status.as_str()).or_default() += 1;
            r
        })
        .collect();
    let score = score_of(
        counts.get("PASS").copied().unwrap_or(0),
        counts.get("FAIL").copied().unwrap_or(0),
    );
    #[allow(
        clippy::cast_precision_loss,
        reason = "finding counts fit an f64 exactly"
    )]
    let by_party = parties
        .into_iter()
        .map(|(party, (pass, fail, failing_requirements))| PartyShare {
            party,
            pass,
            fail,
            failing_requirements,
            score: (pass + fail > 0)
                .then(|| (pass as f64 * 1000.0 / (pass + fail) as f64).round() / 10.0),
        })
        .collect();
    Report {
        by_party,
        framework: framework.id.clone(),
        name: framework.name.clone(),
        version: framework.version.clone(),
        requirements,
        counts,
        score,
    }
}

/// Findings of one check (or one requirement) by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Passing.
    pub pass: usize,
    /// Failing.
    pub fail: usize,
    /// Muted.
    pub muted: usize,
    /// Unknown or errored.
    pub unknown: usize,
}

impl Tally {
    /// Counts one finding.
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Muted => self.muted += 1,
            Status::Unknown | Status::Error => self.unknown += 1,
        }
    }
}

/// An automated requirement's state from its findings' tally.
fn status_of(t: &Tally) -> ReqStatus {
    if t.fail > 0 {
        ReqStatus::Fail
    } else if t.pass + t.muted > 0 {
        ReqStatus::Pass
    } else if t.unknown > 0 {
        ReqStatus::Unknown
    } else {
        ReqStatus::NoResources
    }
}

/// Passing over passing-plus-failing requirements, in percent to one decimal.
fn score_of(pass: usize, fail: usize) -> Option<f64> {
    (pass + fail > 0).then(|| {
        #[allow(clippy::cast_precision_loss, reason = "requirement counts are small")]
        let s = pass as f64 * 100.0 / (pass + fail) as f64;
        (s * 10.0).round() / 10.0
    })
}

/// A framework's standing in brief: the score and the passing and failing
/// requirements, from per-check tallies. The same numbers as [`rollup`]
/// without listing failing resources, for summaries over many findings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standing {
    /// As [`Report::score`].
    pub score: Option<f64>,
    /// Passing requirements.
    pub passing: usize,
    /// Failing requirements.
    pub failing: usize,
}

/// The framework's [`Standing`] given each check's tally.
pub fn standing(framework: &Framework, by_check: &HashMap<&str, Tally>) -> Standing {
    let (mut passing, mut failing) = (0, 0);
    for req in &framework.requirements {
        if req.assessment != Assessment::Automated {
            continue;
        }
        let mut t = Tally::default();
        for c in req.checks.iter().filter_map(|c| by_check.get(c.as_str())) {
            t.pass += c.pass;
            t.fail += c.fail;
            t.muted += c.muted;
            t.unknown += c.unknown;
        }
        match status_of(&t) {
            ReqStatus::Pass => passing += 1,
            ReqStatus::Fail => failing += 1,
            ReqStatus::Manual | ReqStatus::NoResources | ReqStatus::Unknown => {}
        }
    }
    Standing {
        score: score_of(passing, failing),
        passing,
        failing,
    }
}
