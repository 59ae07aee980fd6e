//! Commands over the check catalog and its results: `evaluate`, `findings`,
//! `checks`, `compliance`, `mute`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use shareline_app::evaluate::{
    EvaluateOptions, EvaluationSummary, catalog, evaluate_tenant, evaluate_tenants,
};
use shareline_app::findings::{NewMute, add_mute, compliance, list, list_mutes, show};
use shareline_app::outputs;
use shareline_catalog::Severity;
use shareline_engine::Status;
use shareline_engine::responsibility::Party;
use shareline_model::TenantId;
use shareline_store::{FindingFilter, Store};

use crate::args::{author, parse_time, tenant_id};
use crate::output::{json, table, when};

/// Output formats of finding listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FindingFormat {
    Table,
    Json,
    Csv,
    /// OCSF 1.3.0 Detection Finding events, one JSON array.
    Ocsf,
}

/// Output formats of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, clap::Args)]
pub(crate) struct EvaluateArgs {
    /// Only this tenant; every tenant when omitted.
    #[arg(long)]
    tenant: Option<String>,
    /// Re-evaluate everything, not only what changed.
    #[arg(long)]
    full: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: ReportFormat,
}

#[derive(Debug, Subcommand)]
pub(crate) enum FindingsCmd {
    /// List findings, worst first.
    List {
        #[arg(long)]
        tenant: String,
        /// Statuses, comma-separated (pass, fail, muted, error, unknown).
        #[arg(long, value_delimiter = ',')]
        status: Vec<String>,
        /// Severities, comma-separated (critical, high, medium, low, informational).
        #[arg(long, value_delimiter = ',')]
        severity: Vec<String>,
        /// Services, comma-separated (s3, iam...).
        #[arg(long, value_delimiter = ',')]
        service: Vec<String>,
        /// Check ids, comma-separated.
        #[arg(long, value_delimiter = ',')]
        check: Vec<String>,
        /// Account ids, comma-separated.
        #[arg(long, value_delimiter = ',')]
        account: Vec<String>,
        /// Owner parties, comma-separated (msp, customer, provider, third_party, nobody).
        #[arg(long, value_delimiter = ',')]
        owner: Vec<String>,
        /// Include findings whose resource is gone.
        #[arg(long)]
        removed: bool,
        #[arg(long, default_value_t = 10_000)]
        limit: i64,
        #[arg(long, value_enum, default_value = "table")]
        format: FindingFormat,
    },
    /// Show one finding: evidence, risk, remediation, history.
    Show {
        #[arg(long)]
        tenant: String,
        /// The finding id.
        id: String,
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ChecksCmd {
    /// List the catalog.
    List {
        /// Only checks of these services.
        #[arg(long, value_delimiter = ',')]
        service: Vec<String>,
        /// Only checks a framework cites (`cis-aws-5.0`).
        #[arg(long)]
        framework: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// Show one check's metadata, parameters and framework mappings.
    Show {
        id: String,
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// List the frameworks and their coverage.
    Frameworks {
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// Override a check's parameter for a tenant (`max_key_age_days 60`).
    SetParam {
        #[arg(long)]
        tenant: String,
        /// The check id.
        check: String,
        /// The parameter.
        name: String,
        /// The value, as JSON (`60`, `"x"`, `["a","b"]`); bare text is a string.
        value: String,
    },
    /// Drop a tenant's overrides of a check.
    ResetParams {
        #[arg(long)]
        tenant: String,
        check: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum MuteCmd {
    /// Mute failing findings: scoped, with a reason and an expiry.
    Add {
        #[arg(long)]
        tenant: String,
        /// Check id or glob (`aws_s3_*`).
        #[arg(long)]
        check: String,
        #[arg(long, value_delimiter = ',')]
        account: Vec<String>,
        #[arg(long, value_delimiter = ',')]
        region: Vec<String>,
        /// Resource id, ARN or name glob.
        #[arg(long)]
        resource: Vec<String>,
        /// `key=value` (value may be a glob).
        #[arg(long)]
        tag: Vec<String>,
        /// Why the risk is accepted.
        #[arg(long)]
        reason: String,
        /// Expiry date (YYYY-MM-DD, or RFC 3339).
        #[arg(long)]
        expires: String,
        /// Who accepts it (default: $USER).
        #[arg(long)]
        author: Option<String>,
    },
    /// List mutes; expired ones are marked.
    List {
        #[arg(long)]
        tenant: String,
        /// Include removed mutes.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// Remove a mute (kept in the record as removed).
    Remove {
        #[arg(long)]
        tenant: String,
        id: String,
        #[arg(long)]
        author: Option<String>,
    },
    /// Import a Prowler mutelist YAML file.
    Import {
        #[arg(long)]
        tenant: String,
        file: PathBuf,
        /// Expiry for every imported mute (Prowler mutelists have none).
        #[arg(long)]
        expires: String,
        #[arg(long)]
        author: Option<String>,
    },
    /// Set the longest a mute may last for a tenant.
    SetMaxDays {
        #[arg(long)]
        tenant: String,
        days: i64,
    },
}

async fn tenants(store: &Store, only: Option<&str>) -> Result<Vec<TenantId>> {
    Ok(match only {
        Some(t) => {
            let id = tenant_id(t)?;
            if store.get_tenant(&id).await?.is_none() {
                bail!("tenant `{id}` not found");
            }
            vec![id]
        }
        None => store
            .list_tenants()
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect(),
    })
}

/// Evaluates tenants and prints a summary.
pub(crate) async fn evaluate(store: &Store, args: EvaluateArgs) -> Result<()> {
    let chosen = tenants(store, args.tenant.as_deref()).await?;
    let opts = EvaluateOptions {
        full: args.full,
        now: None,
    };
    let mut all = Vec::new();
    let mut failed = Vec::new();
    evaluate_tenants(store, &chosen, opts, |t, outcome| match outcome {
        Ok(summary) => all.push((t.to_string(), summary)),
        Err(e) => {
            eprintln!("error: evaluating tenant `{t}`: {e}");
            failed.push(t.to_string());
        }
    })
    .await;
    print_summaries(&all, args.format)?;
    anyhow::ensure!(
        failed.is_empty(),
        "{} tenant(s) could not be evaluated: {}",
        failed.len(),
        failed.join(", ")
    );
    Ok(())
}

pub(crate) fn print_summaries(
    all: &[(String, EvaluationSummary)],
    format: ReportFormat,
) -> Result<()> {
    let count = |s: &EvaluationSummary, st: Status| s.by_status.get(&st).copied().unwrap_or(0);
    match format {
        ReportFormat::Json => json(
            &all.iter()
                .map(|(t, s)| serde_json::json!({"tenant": t, "evaluation": s}))
                .collect::<Vec<_>>(),
        )?,
        ReportFormat::Table | ReportFormat::Csv => {
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|(t, s)| {
                    vec![
                        t.clone(),
                        s.record.mode.clone(),
                        s.record.resources.to_string(),
                        s.record.evaluations.to_string(),
                        count(s, Status::Fail).to_string(),
                        count(s, Status::Pass).to_string(),
                        count(s, Status::Muted).to_string(),
                        (count(s, Status::Unknown) + count(s, Status::Error)).to_string(),
                        s.record.changed.to_string(),
                    ]
                })
                .collect();
            table(
                &[
                    "TENANT",
                    "MODE",
                    "RESOURCES",
                    "EVALUATIONS",
                    "FAIL",
                    "PASS",
                    "MUTED",
                    "UNKNOWN/ERROR",
                    "CHANGED",
                ],
                &rows,
            );
        }
    }
    Ok(())
}

fn parse_list<T>(
    values: &[String],
    parse: impl Fn(&str) -> Result<T, String>,
    what: &str,
) -> Result<Vec<T>> {
    values
        .iter()
        .map(|v| parse(v).map_err(|bad| anyhow::anyhow!("unknown {what} `{bad}`")))
        .collect()
}

pub(crate) async fn findings(store: &Store, cmd: FindingsCmd) -> Result<()> {
    match cmd {
        FindingsCmd::List {
            tenant: t,
            status,
            severity,
            service,
            check,
            account,
            owner,
            removed,
            limit,
            format,
        } => {
            let t = tenant_id(&t)?;
            let filter = FindingFilter {
                statuses: parse_list(&status, Status::parse, "status")?,
                severities: parse_list(&severity, Severity::parse, "severity")?,
                services: service,
                checks: check,
                accounts: account,
                owners: parse_list(&owner, Party::parse, "party")?,
                include_removed: removed,
                limit: Some(limit),
            };
            let views = list(store, &t, &filter).await?;
            match format {
                FindingFormat::Json => json(&views)?,
                FindingFormat::Csv => print!("{}", outputs::csv(&views)?),
                FindingFormat::Ocsf => {
                    let catalog = catalog()?;
                    let events: Vec<_> = views
                        .iter()
                        .map(|v| outputs::ocsf(v, catalog, t.as_str()))
                        .collect();
                    json(&events)?;
                }
                FindingFormat::Table => {
                    let rows: Vec<Vec<String>> = views
                        .iter()
                        .map(|v| {
                            let r = &v.finding.result;
                            vec![
                                r.status.to_string(),
                                r.severity.to_string(),
                                r.owner.map_or("-", Party::as_str).to_owned(),
                                r.check_id.to_string(),
                                r.key.account_id.clone(),
                                r.key.region.clone(),
                                r.name.to_string(),
                                r.evidence.message.clone(),
                                r.id.clone(),
                            ]
                        })
                        .collect();
                    table(
                        &[
                            "STATUS", "SEVERITY", "OWNER", "CHECK", "ACCOUNT", "REGION",
                            "RESOURCE", "MESSAGE", "ID",
                        ],
                        &rows,
                    );
                    eprintln!("{} finding(s)", rows.len());
                }
            }
        }
        FindingsCmd::Show {
            tenant: t,
            id,
            format,
        } => {
            let detail = show(store, &tenant_id(&t)?, &id).await?;
            if format != ReportFormat::Table {
                return json(&detail);
            }
            let f = &detail.view.finding;
            let r = &f.result;
            println!("{}  {}  {}", r.status, r.severity, detail.view.title);
            println!("finding   {}", r.id);
            println!("check     {}", r.check_id);
            println!(
                "resource  {} ({}, {} {})",
                r.arn, r.key.resource_type, r.key.account_id, r.key.region
            );
            println!("message   {}", r.evidence.message);
            if let Some(field) = &r.evidence.field {
                println!("field     {field}");
            }
            if let Some(v) = &r.evidence.value {
                println!("value     {}", serde_json::to_string(v)?);
            }
            if let Some(m) = &r.muted_by {
                println!(
                    "muted by  {m}{}",
                    if detail.view.mute_expired {
                        " (expired)"
                    } else {
                        ""
                    }
                );
            }
            println!(
                "seen      first {}, last {}, status since {}{}",
                when(&f.first_seen),
                when(&f.last_seen),
                when(&f.status_since),
                f.resolved_at
                    .map(|d| format!(", resolved {}", when(&d)))
                    .unwrap_or_default()
            );
            if let Some(meta) = &detail.check {
                println!("\nrisk\n  {}", meta.risk.trim());
                println!("\nremediation\n  {}", meta.remediation.text.trim());
                if let Some(cli) = &meta.remediation.cli {
                    println!(
                        "\n  $ {}",
                        cli.trim()
                            .replace("{name}", &r.name)
                            .replace("{resource_id}", &r.key.resource_id)
                            .replace("{account_id}", &r.key.account_id)
                            .replace("{region}", &r.key.region)
                    );
                }
                if let Some(tf) = &meta.remediation.terraform {
                    let filled = tf
                        .trim_end()
                        .replace("{name}", &r.name)
                        .replace("{resource_id}", &r.key.resource_id)
                        .replace("{account_id}", &r.key.account_id)
                        .replace("{region}", &r.key.region);
                    println!("\nterraform\n{filled}");
                }
                for link in &meta.references {
                    println!("  see {link}");
                }
            }
            if !detail.frameworks.is_empty() {
                let cites: Vec<String> = detail
                    .frameworks
                    .iter()
                    .map(|(f, r)| format!("{f} {r}"))
                    .collect();
                println!("\nframeworks  {}", cites.join(", "));
            }
            println!("\nhistory");
            for e in &detail.history {
                println!(
                    "  {}  {:<9} {} -> {}  {}",
                    when(&e.at),
                    e.kind,
                    e.from.map_or("-", Status::as_str),
                    e.to.map_or("-", Status::as_str),
                    e.message
                );
            }
        }
    }
    Ok(())
}

pub(crate) async fn checks(db: &str, cmd: ChecksCmd) -> Result<()> {
    let catalog = catalog()?;
    match cmd {
        ChecksCmd::List {
            service,
            framework,
            format,
        } => {
            let cited: Option<Vec<&str>> = match &framework {
                Some(id) => {
                    let fw = catalog.framework(id).with_context(|| {
                        format!("unknown framework `{id}`; see `shareline checks frameworks`")
                    })?;
                    Some(
                        fw.requirements
                            .iter()
                            .flat_map(|r| r.checks.iter().map(String::as_str))
                            .collect(),
                    )
                }
                None => None,
            };
            let selected: Vec<_> = catalog
                .checks
                .iter()
                .filter(|c| service.is_empty() || service.iter().any(|s| s == c.service))
                .filter(|c| cited.as_ref().is_none_or(|ids| ids.contains(&c.id)))
                .collect();
            match format {
                ReportFormat::Json => json(
                    &selected
                        .iter()
                        .map(|c| serde_json::json!({"id": c.id, "service": c.service, "meta": c.meta}))
                        .collect::<Vec<_>>(),
                )?,
                ReportFormat::Csv | ReportFormat::Table => {
                    let rows: Vec<Vec<String>> = selected
                        .iter()
                        .map(|c| {
                            vec![
                                c.id.to_owned(),
                                c.meta.severity.to_string(),
                                c.meta.resource.clone(),
                                c.meta.title.clone(),
                            ]
                        })
                        .collect();
                    table(&["CHECK", "SEVERITY", "RESOURCE", "TITLE"], &rows);
                    let mut by_service: BTreeMap<&str, usize> = BTreeMap::new();
                    for c in &selected {
                        *by_service.entry(c.service).or_default() += 1;
                    }
                    let parts: Vec<String> = by_service.iter().map(|(s, n)| format!("{s} {n}")).collect();
                    println!(
                        "\n{} of {} checks ({}); {} frameworks",
                        selected.len(),
                        catalog.checks.len(),
                        parts.join(", "),
                        catalog.frameworks.len()
                    );
                }
            }
        }
        ChecksCmd::Show { id, format } => {
            let c = catalog
                .check(&id)
                .with_context(|| format!("unknown check `{id}`"))?;
            let cites = catalog.frameworks_citing(c.id);
            if format != ReportFormat::Table {
                return json(
                    &serde_json::json!({"id": c.id, "service": c.service, "meta": c.meta, "frameworks": cites}),
                );
            }
            let m = &c.meta;
            println!("{}  [{}]  {}", c.id, m.severity, m.title);
            println!("resource    {}", m.resource);
            println!("categories  {}", m.categories.join(", "));
            println!("areas       {}", m.areas.join(", "));
            println!(
                "\n{}\n\nrisk\n  {}\n\nremediation\n  {}",
                m.description.trim(),
                m.risk.trim(),
                m.remediation.text.trim()
            );
            if let Some(cli) = &m.remediation.cli {
                println!("\n  $ {}", cli.trim());
            }
            if let Some(tf) = &m.remediation.terraform {
                println!("\nterraform\n{}", tf.trim_end());
            }
            if !m.params.is_empty() {
                println!("\nparameters (tenant-overridable)");
                for (k, v) in &m.params {
                    println!("  {k} = {v}");
                }
            }
            for r in &m.references {
                println!("see {r}");
            }
            if !cites.is_empty() {
                let list: Vec<String> = cites.iter().map(|(f, r)| format!("{f} {r}")).collect();
                println!("\nframeworks  {}", list.join(", "));
            }
        }
        ChecksCmd::Frameworks { format } => {
            let rows: Vec<Vec<String>> = catalog
                .frameworks
                .iter()
                .map(|f| {
                    let automated = f
                        .requirements
                        .iter()
                        .filter(|r| !r.checks.is_empty())
                        .count();
                    vec![
                        f.id.clone(),
                        f.name.clone(),
                        f.requirements.len().to_string(),
                        automated.to_string(),
                        (f.requirements.len() - automated).to_string(),
                    ]
                })
                .collect();
            if format == ReportFormat::Json {
                return json(&catalog.frameworks);
            }
            table(
                &["FRAMEWORK", "NAME", "REQUIREMENTS", "AUTOMATED", "MANUAL"],
                &rows,
            );
        }
        ChecksCmd::SetParam {
            tenant: t,
            check,
            name,
            value,
        } => {
            let store = crate::open(db).await?;
            let t = tenant_id(&t)?;
            let c = catalog
                .check(&check)
                .with_context(|| format!("unknown check `{check}`"))?;
            let mut current = store
                .check_params(&t)
                .await?
                .remove(c.id)
                .unwrap_or_default();
            let parsed: serde_json::Value =
                serde_json::from_str(&value).unwrap_or(serde_json::Value::String(value.clone()));
            current.insert(name.clone(), parsed);
            catalog
                .params(c, Some(&current))
                .map_err(|e| anyhow::anyhow!(e))?;
            store.set_check_params(&t, c.id, Some(&current)).await?;
            println!("`{}` for tenant `{t}`: {name} = {}", c.id, current[&name]);
        }
        ChecksCmd::ResetParams { tenant: t, check } => {
            let store = crate::open(db).await?;
            let c = catalog
                .check(&check)
                .with_context(|| format!("unknown check `{check}`"))?;
            store.set_check_params(&tenant_id(&t)?, c.id, None).await?;
            println!("`{}` uses its default parameters again", c.id);
        }
    }
    Ok(())
}

pub(crate) async fn compliance_report(
    store: &Store,
    t: &str,
    framework: &str,
    format: ReportFormat,
    by_party: bool,
) -> Result<()> {
    let report = compliance(store, &tenant_id(t)?, framework).await?;
    match format {
        ReportFormat::Json => json(&report)?,
        ReportFormat::Csv => {
            let mut w = String::new();
            w.push_str("requirement,status,title,section,pass,fail,muted,unknown,checks\n");
            for r in &report.requirements {
                w.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{}\n",
                    quote(&r.id),
                    r.status.as_str(),
                    quote(&r.title),
                    quote(r.section.as_deref().unwrap_or("")),
                    r.pass,
                    r.fail,
                    r.muted,
                    r.unknown,
                    quote(&r.checks.join(" "))
                ));
            }
            print!("{w}");
        }
        ReportFormat::Table => {
            let rows: Vec<Vec<String>> = report
                .requirements
                .iter()
                .map(|r| {
                    vec![
                        r.id.clone(),
                        r.status.as_str().to_owned(),
                        format!("{}/{}", r.pass, r.pass + r.fail),
                        r.title.clone(),
                    ]
                })
                .collect();
            table(&["REQUIREMENT", "STATUS", "PASSING", "TITLE"], &rows);
            for r in report.requirements.iter().filter(|r| !r.failing.is_empty()) {
                println!("\n{} fails on:", r.id);
                for f in r.failing.iter().take(20) {
                    println!("  {}  {}  {}", f.check_id, f.arn, f.message);
                }
                if r.failing.len() > 20 {
                    println!("  ... and {} more", r.failing.len() - 20);
                }
            }
            if by_party {
                println!("\nby owner party (findings of this framework's checks):");
                for p in &report.by_party {
                    println!(
                        "  {:<12} {} passing, {} failing ({} requirements failing): {}",
                        p.party,
                        p.pass,
                        p.fail,
                        p.failing_requirements,
                        p.score
                            .map_or("n/a".to_owned(), |s| format!("{s}% passing"))
                    );
                }
            }
            let c = |k: &str| report.counts.get(k).copied().unwrap_or(0);
            println!(
                "\n{} {}: score {}  (PASS {}, FAIL {}, MANUAL {}, NO_RESOURCES {}, UNKNOWN {}; {} requirements)",
                report.name,
                report.version,
                report.score.map_or("n/a".to_owned(), |s| format!("{s}%")),
                c("PASS"),
                c("FAIL"),
                c("MANUAL"),
                c("NO_RESOURCES"),
                c("UNKNOWN"),
                report.requirements.len()
            );
        }
    }
    Ok(())
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

pub(crate) async fn mute(store: &Store, cmd: MuteCmd) -> Result<()> {
    match cmd {
        MuteCmd::Add {
            tenant: t,
            check,
            account,
            region,
            resource,
            tag,
            reason,
            expires,
            author: who,
        } => {
            let t = tenant_id(&t)?;
            let mute = add_mute(
                store,
                &t,
                NewMute {
                    check,
                    accounts: account,
                    regions: region,
                    resources: resource,
                    tags: tag,
                    reason,
                    author: author(who),
                    expires_at: Some(parse_time(&expires)?),
                },
            )
            .await?;
            println!(
                "added mute {} (expires {})",
                mute.id,
                mute.expires_at.date_naive()
            );
            let s = evaluate_tenant(store, &t, EvaluateOptions::default()).await?;
            println!(
                "re-evaluated `{t}`: {} muted finding(s)",
                s.by_status.get(&Status::Muted).copied().unwrap_or(0)
            );
        }
        MuteCmd::List {
            tenant: t,
            all,
            format,
        } => {
            let mutes = list_mutes(store, &tenant_id(&t)?, all).await?;
            if format != ReportFormat::Table {
                return json(&mutes);
            }
            let rows: Vec<Vec<String>> = mutes
                .iter()
                .map(|m| {
                    let s = &m.record.mute.scope;
                    let mut scope = vec![format!("checks={}", s.checks.join("|"))];
                    for (k, v) in [
                        ("accounts", &s.accounts),
                        ("regions", &s.regions),
                        ("resources", &s.resources),
                        ("tags", &s.tags),
                    ] {
                        if !v.is_empty() {
                            scope.push(format!("{k}={}", v.join("|")));
                        }
                    }
                    vec![
                        m.record.mute.id.clone(),
                        m.state.to_owned(),
                        m.record.mute.expires_at.date_naive().to_string(),
                        m.record.mute.author.clone(),
                        scope.join(" "),
                        m.record.mute.reason.clone(),
                    ]
                })
                .collect();
            table(
                &["MUTE", "STATE", "EXPIRES", "AUTHOR", "SCOPE", "REASON"],
                &rows,
            );
        }
        MuteCmd::Remove {
            tenant: t,
            id,
            author: who,
        } => {
            let t = tenant_id(&t)?;
            store.remove_mute(&t, &id, &author(who)).await?;
            println!("removed mute {id}");
            evaluate_tenant(store, &t, EvaluateOptions::default()).await?;
        }
        MuteCmd::Import {
            tenant: t,
            file,
            expires,
            author: who,
        } => {
            let t = tenant_id(&t)?;
            let imported = shareline_app::mutelist::import(
                store,
                &t,
                &file,
                Some(parse_time(&expires)?),
                &author(who),
            )
            .await?;
            println!(
                "imported {} mute(s) from {}",
                imported.mutes.len(),
                file.display()
            );
            for c in &imported.unmatched_checks {
                eprintln!("warning: check pattern `{c}` matches no Shareline check");
            }
            evaluate_tenant(store, &t, EvaluateOptions::default()).await?;
        }
        MuteCmd::SetMaxDays { tenant: t, days } => {
            store.set_mute_max_days(&tenant_id(&t)?, days).await?;
            println!("mutes for `{t}` may now last at most {days} days");
        }
    }
    Ok(())
}
