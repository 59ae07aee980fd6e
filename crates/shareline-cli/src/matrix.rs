//! Commands over the shared responsibility line: `matrix`, `offering`, `gaps`,
//! and the tenant's offering and contacts.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::{Subcommand, ValueEnum};
use shareline_app::responsibility::{self as resp, NewAssignment};
use shareline_engine::responsibility::{Party, Scope, Target};
use shareline_store::{Contact, Store};

use crate::args::{author, parse_time, tenant_id};
use crate::output::{json, table, when};
use crate::posture::ReportFormat;

/// Export formats of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// A tenant's OSCAL 1.2 system security plan.
    Oscal,
    /// An offering's OSCAL customer responsibility matrix (a leveraged SSP
    /// with `export.provided` / `export.responsibilities`).
    OscalCrm,
    /// Shareline's own JSON.
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct TargetArgs {
    /// A service model (`iaas`, `paas`, `faas`, `saas`, `caas_nodes`, `caas_serverless`, `on_prem`).
    #[arg(long)]
    service_model: Option<String>,
    /// A service (`aws:rds`).
    #[arg(long, conflicts_with = "service_model")]
    service: Option<String>,
    /// Resources of this account.
    #[arg(long, conflicts_with_all = ["service_model", "service"])]
    account: Option<String>,
    /// Resources with this `key=value` tag.
    #[arg(long, conflicts_with_all = ["service_model", "service"])]
    tag: Option<String>,
    /// Resources whose id or ARN matches this glob.
    #[arg(long, conflicts_with_all = ["service_model", "service"])]
    resource: Option<String>,
}

impl TargetArgs {
    fn target(&self, allow_all: bool) -> Result<Target> {
        Ok(match (&self.service_model, &self.service) {
            (Some(m), _) => Target::ServiceModel { model: m.clone() },
            (None, Some(s)) => Target::Service { service: s.clone() },
            (None, None)
                if self.account.is_some() || self.tag.is_some() || self.resource.is_some() =>
            {
                Target::Selector {
                    account: self.account.clone(),
                    tag: self.tag.clone(),
                    resource: self.resource.clone(),
                }
            }
            (None, None) if allow_all => Target::All,
            (None, None) => bail!(
                "say what it applies to: --service-model, --service, or --account/--tag/--resource"
            ),
        })
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct SetArgs {
    /// The area (physical, network, host_os, identity_directory, identity_access,
    /// application, data, configuration, endpoint, logging, backup).
    #[arg(long)]
    area: String,
    #[command(flatten)]
    target: TargetArgs,
    /// The owner: msp, customer, third_party, or nobody (an explicit gap).
    #[arg(long)]
    party: String,
    /// Parties kept informed, comma-separated.
    #[arg(long, value_delimiter = ',')]
    copy: Vec<String>,
    /// From when it holds (YYYY-MM-DD or RFC 3339; default now).
    #[arg(long)]
    from: Option<String>,
    /// Until when (exclusive).
    #[arg(long)]
    until: Option<String>,
    /// Why: the contract line or SOW.
    #[arg(long)]
    reason: String,
    #[arg(long)]
    author: Option<String>,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per process")]
pub(crate) enum MatrixCmd {
    /// Show who owns each area per service model (and per service in use where it differs).
    Show {
        #[arg(long)]
        tenant: String,
        /// The business date to answer for (default now).
        #[arg(long)]
        as_of: Option<String>,
        /// Answer as the matrix was known at this date (default now).
        #[arg(long)]
        known_at: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// Record an assignment (append-only) for a tenant.
    Set {
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        args: SetArgs,
    },
    /// Record that a delegation was accepted.
    Accept {
        #[arg(long)]
        tenant: String,
        /// The assignment id.
        id: String,
        #[arg(long)]
        author: Option<String>,
    },
    /// Every assignment and offering choice, in the order they were recorded.
    History {
        #[arg(long)]
        tenant: String,
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// Export a tenant's matrix (OSCAL SSP) or an offering's (OSCAL CRM).
    Export {
        #[arg(long, required_unless_present = "offering")]
        tenant: Option<String>,
        #[arg(long, conflicts_with = "tenant")]
        offering: Option<String>,
        #[arg(long, value_enum, default_value = "oscal")]
        format: ExportFormat,
    },
    /// Import an OSCAL responsibility document (`export.provided` /
    /// `export.responsibilities`) into an offering.
    Import {
        #[arg(long)]
        offering: String,
        file: PathBuf,
        #[arg(long)]
        author: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per process")]
pub(crate) enum OfferingCmd {
    /// Create an offering, optionally with assignments `area:model=party`
    /// (`--assign backup:iaas=msp --assign host_os:iaas=msp`).
    Add {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        assign: Vec<String>,
        /// From when the assignments hold (default now).
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        author: Option<String>,
    },
    /// List offerings.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// Record an assignment for an offering.
    Set {
        id: String,
        #[command(flatten)]
        args: SetArgs,
    },
}

fn party(s: &str) -> Result<Party> {
    Party::parse(s)
        .map_err(|p| anyhow::anyhow!("unknown party `{p}` (msp, customer, third_party, nobody)"))
}

fn new_assignment(args: SetArgs, allow_all: bool, source: &str) -> Result<NewAssignment> {
    Ok(NewAssignment {
        area: args.area,
        target: args.target.target(allow_all)?,
        party: party(&args.party)?,
        copied: args.copy.iter().map(|p| party(p)).collect::<Result<_>>()?,
        valid_from: args
            .from
            .as_deref()
            .map(parse_time)
            .transpose()?
            .unwrap_or_else(Utc::now),
        valid_until: args.until.as_deref().map(parse_time).transpose()?,
        author: author(args.author),
        reason: args.reason,
        source: source.to_owned(),
    })
}

fn print_set(out: &resp::SetOutcome) {
    let a = &out.assignment;
    println!(
        "recorded {}: {} of {} -> {} from {}{}",
        a.id,
        a.area,
        describe(&a.target),
        a.party,
        a.valid_from.date_naive(),
        a.valid_until
            .map(|u| format!(" until {}", u.date_naive()))
            .unwrap_or_default()
    );
    if let Some(c) = &out.conflict {
        eprintln!("conflict: {c}. Recorded, not applied; `shareline gaps` lists it.");
    }
}

fn describe(t: &Target) -> String {
    match t {
        Target::ServiceModel { model } => format!("service model {model}"),
        Target::Service { service } => format!("service {service}"),
        Target::All => "every service model".to_owned(),
        Target::Selector {
            account,
            tag,
            resource,
        } => {
            let mut parts = Vec::new();
            if let Some(a) = account {
                parts.push(format!("account {a}"));
            }
            if let Some(t) = tag {
                parts.push(format!("tag {t}"));
            }
            if let Some(r) = resource {
                parts.push(format!("resource {r}"));
            }
            parts.join(", ")
        }
    }
}

pub(crate) async fn matrix(store: &Store, cmd: MatrixCmd) -> Result<()> {
    match cmd {
        MatrixCmd::Show {
            tenant: t,
            as_of,
            known_at,
            format,
        } => {
            let now = Utc::now();
            let as_of = as_of.as_deref().map(parse_time).transpose()?.unwrap_or(now);
            let known_at = known_at
                .as_deref()
                .map(parse_time)
                .transpose()?
                .unwrap_or(now);
            let m = resp::show(store, &tenant_id(&t)?, as_of, known_at).await?;
            if format != ReportFormat::Table {
                return json(&m);
            }
            println!(
                "tenant {t}, as of {}, as known at {}; offering: {}; in use: {}",
                when(&m.as_of),
                when(&m.known_at),
                m.offering.as_deref().unwrap_or("none"),
                m.models_in_use.join(", ")
            );
            let areas: Vec<&str> = shareline_catalog::AREAS.to_vec();
            let mut header = vec!["MODEL"];
            header.extend(areas.iter().copied());
            let cell = |r: &shareline_engine::responsibility::Resolution| {
                let mut s = r.owner.as_str().to_owned();
                if !r.copied.is_empty() {
                    s.push('+');
                    s.push_str(
                        &r.copied
                            .iter()
                            .map(|p| p.as_str())
                            .collect::<Vec<_>>()
                            .join("+"),
                    );
                }
                if r.assignment.is_some() {
                    s.push('*');
                }
                s
            };
            let rows: Vec<Vec<String>> = shareline_catalog::SERVICE_MODELS
                .iter()
                .map(|model| {
                    let mut row = vec![(*model).to_owned()];
                    for a in &areas {
                        row.push(
                            m.cells
                                .iter()
                                .find(|c| c.model == *model && c.area == *a)
                                .map_or_else(String::new, |c| cell(&c.resolution)),
                        );
                    }
                    row
                })
                .collect();
            table(&header, &rows);
            let split: Vec<_> = m
                .cells
                .iter()
                .filter(|c| {
                    c.area.split_once('.').is_some_and(|(parent, _)| {
                        m.cells
                            .iter()
                            .find(|p| p.model == c.model && p.area == parent)
                            .is_some_and(|p| p.resolution.owner != c.resolution.owner)
                    })
                })
                .collect();
            if !split.is_empty() {
                println!("\nsub-areas owned apart from their area:");
                for c in split {
                    println!("  {:<16} {:<28} {}", c.model, c.area, cell(&c.resolution));
                }
            }
            if !m.service_cells.is_empty() {
                println!("\nwhere a service in use differs from its model:");
                for c in &m.service_cells {
                    println!(
                        "  {:<28} {:<18} {}",
                        c.service.as_deref().unwrap_or(""),
                        c.area,
                        cell(&c.resolution)
                    );
                }
            }
            println!("\n* = set by the tenant or its offering; +x = x is kept informed");
        }
        MatrixCmd::Set { tenant: t, args } => {
            let t = tenant_id(&t)?;
            let out = resp::set(
                store,
                Scope::Tenant(t.to_string()),
                new_assignment(args, false, "cli")?,
            )
            .await?;
            print_set(&out);
        }
        MatrixCmd::Accept {
            tenant: t,
            id,
            author: who,
        } => {
            store
                .accept_assignment(&tenant_id(&t)?, &id, Utc::now(), &author(who))
                .await?;
            println!("accepted {id}");
        }
        MatrixCmd::History { tenant: t, format } => {
            let h = resp::history(store, &tenant_id(&t)?).await?;
            if format != ReportFormat::Table {
                return json(&h);
            }
            for e in &h {
                match e {
                    resp::HistoryEntry::Assignment(a) => println!(
                        "{}  {}  {:<18} {:<28} -> {:<11} {}..{}  {}{}  ({})",
                        when(&a.recorded_at),
                        a.id,
                        a.area,
                        describe(&a.target),
                        a.party.as_str(),
                        a.valid_from.date_naive(),
                        a.valid_until
                            .map(|u| u.date_naive().to_string())
                            .unwrap_or_default(),
                        a.reason,
                        if a.accepted_at.is_some() {
                            ", accepted"
                        } else {
                            ""
                        },
                        a.author
                    ),
                    resp::HistoryEntry::Offering(c) => println!(
                        "{}  offering {} from {}  ({})",
                        when(&c.recorded_at),
                        c.offering_id.as_deref().unwrap_or("none"),
                        c.valid_from.date_naive(),
                        c.author
                    ),
                }
            }
        }
        MatrixCmd::Export {
            tenant: t,
            offering,
            format,
        } => {
            let doc = match (t, offering, format) {
                (Some(t), None, ExportFormat::Oscal) => {
                    shareline_app::oscal::export_tenant_ssp(store, &tenant_id(&t)?, Utc::now())
                        .await?
                }
                (Some(t), None, ExportFormat::Json) => serde_json::to_value(
                    resp::show(store, &tenant_id(&t)?, Utc::now(), Utc::now()).await?,
                )?,
                (None, Some(o), ExportFormat::OscalCrm | ExportFormat::Oscal) => {
                    shareline_app::oscal::export_offering_crm(store, &o).await?
                }
                (None, Some(o), ExportFormat::Json) => {
                    serde_json::to_value(store.offering_assignments(&o).await?)?
                }
                (Some(_), None, ExportFormat::OscalCrm) => {
                    bail!("--format oscal-crm exports an offering: use --offering")
                }
                _ => bail!("give --tenant or --offering"),
            };
            json(&doc)?;
        }
        MatrixCmd::Import {
            offering,
            file,
            author: who,
        } => {
            let imported =
                shareline_app::oscal::import_crm(store, &offering, &file, &author(who)).await?;
            println!(
                "imported {} assignment(s) into offering `{offering}`",
                imported.len()
            );
        }
    }
    Ok(())
}

pub(crate) async fn offering(store: &Store, cmd: OfferingCmd) -> Result<()> {
    match cmd {
        OfferingCmd::Add {
            id,
            name,
            description,
            assign,
            from,
            author: who,
        } => {
            let o = store
                .create_offering(&id, name.as_deref().unwrap_or(&id), &description)
                .await?;
            println!("added offering `{}`", o.id);
            let from = from
                .as_deref()
                .map(parse_time)
                .transpose()?
                .unwrap_or_else(Utc::now);
            for spec in &assign {
                let (lhs, p) = spec
                    .split_once('=')
                    .with_context(|| format!("`{spec}`: write area:service-model=party"))?;
                let (area, model) = lhs.split_once(':').unwrap_or((lhs, ""));
                let target = if model.is_empty() || model == "*" {
                    Target::All
                } else if model.contains(':') || model.starts_with("aws") {
                    Target::Service {
                        service: model.to_owned(),
                    }
                } else {
                    Target::ServiceModel {
                        model: model.to_owned(),
                    }
                };
                let out = resp::set(
                    store,
                    Scope::Offering(id.clone()),
                    NewAssignment {
                        area: area.to_owned(),
                        target,
                        party: party(p)?,
                        copied: Vec::new(),
                        valid_from: from,
                        valid_until: None,
                        author: author(who.clone()),
                        reason: format!("offering {id}"),
                        source: "cli".to_owned(),
                    },
                )
                .await?;
                print_set(&out);
            }
        }
        OfferingCmd::List { format } => {
            let list = store.list_offerings().await?;
            if format != ReportFormat::Table {
                return json(&list);
            }
            let mut rows = Vec::new();
            for o in &list {
                let n = store.offering_assignments(&o.id).await?.len();
                rows.push(vec![
                    o.id.clone(),
                    o.name.clone(),
                    n.to_string(),
                    o.description.clone(),
                ]);
            }
            table(&["OFFERING", "NAME", "ASSIGNMENTS", "DESCRIPTION"], &rows);
        }
        OfferingCmd::Set { id, args } => {
            let out = resp::set(
                store,
                Scope::Offering(id),
                new_assignment(args, true, "cli")?,
            )
            .await?;
            print_set(&out);
        }
    }
    Ok(())
}

pub(crate) async fn gaps(store: &Store, t: &str, format: ReportFormat) -> Result<()> {
    let list = resp::gaps(store, &tenant_id(t)?).await?;
    if format != ReportFormat::Table {
        return json(&list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .filter(|v| v.finding.result.status == shareline_engine::Status::Fail)
        .map(|v| {
            let r = &v.finding.result;
            vec![
                r.check_id.trim_start_matches("shareline_gap_").to_owned(),
                r.severity.to_string(),
                r.name.to_string(),
                r.evidence.message.clone(),
            ]
        })
        .collect();
    if rows.is_empty() {
        println!("no gaps (as of the last evaluation)");
    } else {
        table(&["GAP", "SEVERITY", "AREA / SERVICE", "DETAIL"], &rows);
        println!(
            "\n{} gap(s), routed to the MSP (as of the last evaluation)",
            rows.len()
        );
    }
    Ok(())
}

pub(crate) async fn set_tenant_offering(
    store: &Store,
    t: &str,
    offering: &str,
    from: Option<&str>,
    who: Option<String>,
) -> Result<()> {
    let t = tenant_id(t)?;
    let from = from.map(parse_time).transpose()?.unwrap_or_else(Utc::now);
    let o = (offering != "none").then_some(offering);
    store.choose_offering(&t, o, from, &author(who)).await?;
    println!(
        "tenant `{t}` uses offering `{offering}` from {}",
        from.date_naive()
    );
    Ok(())
}

pub(crate) async fn add_contact(
    store: &Store,
    t: &str,
    p: &str,
    name: &str,
    email: &str,
) -> Result<()> {
    if !email.contains('@') || email.len() > 254 {
        bail!("`{email}` is not an email address");
    }
    let c = Contact {
        party: party(p)?,
        name: name.to_owned(),
        email: email.to_owned(),
    };
    store.add_contact(&tenant_id(t)?, &c).await?;
    println!("added {} contact {} <{}>", c.party, c.name, c.email);
    Ok(())
}
