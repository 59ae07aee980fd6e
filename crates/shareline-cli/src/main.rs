//! `shareline`: the command line of the Shareline posture platform.

mod args;
mod bench;
mod matrix;
mod output;
mod posture;
mod progress;
mod serve;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use shareline_app::accounts::{AccessInput, NewAccount, add_account};
use shareline_app::import::{ImportProgress, import_aws_config};
use shareline_app::scan::{Cancel, ScanOptions, scan_tenant};
use shareline_app::secrets::MasterKey;
use shareline_collect_aws::onboarding::{TemplateFormat, template};
use shareline_collect_aws::{ServiceDef, Tuning, service};
use shareline_model::TenantId;
use shareline_store::{ResourceFilter, Store};

use crate::args::tenant_id;

// mimalloc instead of the system allocator, tuned in `main` (see
// `shareline_alloc`).
#[global_allocator]
static GLOBAL: shareline_alloc::MiMalloc = shareline_alloc::MiMalloc;
use crate::output::{Format, json, table, when};

/// Shareline: cloud security posture for MSPs.
#[derive(Debug, Parser)]
#[command(name = "shareline", version, about)]
struct Cli {
    /// The database: a SQLite file path, `sqlite://PATH` or `postgres://...`.
    #[arg(
        long,
        global = true,
        env = "SHARELINE_DB",
        default_value = "./shareline.db"
    )]
    db: String,
    /// Log level filter (also `RUST_LOG`).
    #[arg(long, global = true, default_value = "warn")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Manage tenants (the MSP's customers).
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// Manage a tenant's cloud accounts.
    #[command(subcommand)]
    Account(AccountCmd),
    /// Collect every account of one tenant (or of every tenant), then evaluate.
    Scan(ScanArgs),
    /// Re-evaluate the stored inventory against the check catalog.
    Evaluate(posture::EvaluateArgs),
    /// Inspect findings.
    #[command(subcommand)]
    Findings(posture::FindingsCmd),
    /// The check catalog, its frameworks and per-tenant parameters.
    #[command(subcommand)]
    Checks(posture::ChecksCmd),
    /// A tenant's standing against a compliance framework.
    Compliance {
        #[arg(long)]
        tenant: String,
        /// The framework (`shareline checks frameworks` lists them).
        #[arg(long)]
        framework: String,
        /// Split the findings by owner party (MSP, customer, provider).
        #[arg(long)]
        by_party: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: posture::ReportFormat,
    },
    /// Mutes: accepted risks with a scope, a reason and an expiry.
    #[command(subcommand)]
    Mute(posture::MuteCmd),
    /// The shared responsibility matrix of a tenant: who owns each area.
    #[command(subcommand)]
    Matrix(matrix::MatrixCmd),
    /// MSP offerings: responsibility templates several tenants use.
    #[command(subcommand)]
    Offering(matrix::OfferingCmd),
    /// Areas nobody (reachable) owns, and other responsibility gaps.
    Gaps {
        #[arg(long)]
        tenant: String,
        #[arg(long, value_enum, default_value = "table")]
        format: posture::ReportFormat,
    },
    /// Inspect collections.
    #[command(subcommand)]
    Collection(CollectionCmd),
    /// Inspect the inventory.
    #[command(subcommand)]
    Resource(ResourceCmd),
    /// Import exports.
    #[command(subcommand)]
    Import(ImportCmd),
    /// The bundled demo MSP.
    #[command(subcommand)]
    Demo(DemoCmd),
    /// Master key helpers.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Print the read-only IAM policy the collectors need.
    Permissions,
    /// Benchmarks (see docs/benchmarks.md).
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    /// Run the web UI and the JSON API.
    Serve(serve::ServeArgs),
    /// Users of the web UI and the API.
    #[command(subcommand)]
    User(serve::UserCmd),
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(serve::AuditCmd),
}

#[derive(Debug, Subcommand)]
enum TenantCmd {
    /// Add a tenant.
    Add {
        /// Its id: a short lower-case slug (`acme`).
        id: String,
        /// Its display name.
        #[arg(long)]
        name: String,
    },
    /// List tenants.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Remove a tenant and every row it owns. Irreversible.
    Remove {
        id: String,
        /// Confirm the removal.
        #[arg(long)]
        yes: bool,
    },
    /// Change a tenant's settings.
    Set {
        id: String,
        /// The MSP offering it uses (`none` for none).
        #[arg(long)]
        offering: Option<String>,
        /// From when the offering applies (default now).
        #[arg(long)]
        from: Option<String>,
        /// The longest a mute may last, in days.
        #[arg(long)]
        mute_max_days: Option<i64>,
        #[arg(long)]
        author: Option<String>,
    },
    /// Add a contact for a party of a tenant (customer, msp, third_party).
    Contact {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        party: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum AccountCmd {
    /// Register an AWS account for a tenant.
    Add(AccountAddArgs),
    /// Change an account's display name or regions.
    Set {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        account_id: String,
        #[arg(long)]
        name: Option<String>,
        /// Regions to read, comma-separated (`all` for every enabled region).
        #[arg(long, value_delimiter = ',')]
        regions: Option<Vec<String>>,
    },
    /// Remove an account and everything collected from it (resources,
    /// history, findings). Irreversible.
    Remove {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        account_id: String,
        /// Confirm the removal.
        #[arg(long)]
        yes: bool,
    },
    /// List a tenant's accounts (credentials are never shown).
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Print the read-only audit role a customer deploys in their account.
    OnboardingTemplate {
        #[arg(long)]
        tenant: String,
        /// The MSP's AWS account that will assume the role.
        #[arg(long, env = "SHARELINE_MSP_ACCOUNT_ID")]
        msp_account_id: String,
        /// The tenant's external id; a random one is generated when omitted.
        #[arg(long)]
        external_id: Option<String>,
        #[arg(long, value_enum, default_value = "cloudformation")]
        format: TemplateKind,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TemplateKind {
    Cloudformation,
    Terraform,
}

#[derive(Debug, clap::Args)]
struct AccountAddArgs {
    #[arg(long)]
    tenant: String,
    /// The cloud provider (only `aws` today).
    #[arg(long, default_value = "aws")]
    provider: String,
    /// The twelve-digit account id.
    #[arg(long)]
    account_id: String,
    /// A display name.
    #[arg(long)]
    name: Option<String>,
    /// Assume this role (the MSP standard).
    #[arg(long, conflicts_with_all = ["static_keys_from_env", "import_only"])]
    role_arn: Option<String>,
    /// The external id the role's trust policy demands (stored encrypted).
    #[arg(long, requires = "role_arn")]
    external_id: Option<String>,
    /// A named profile (base credentials for assume-role, or the credentials themselves).
    #[arg(long)]
    profile: Option<String>,
    /// Store static keys read from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
    /// AWS_SESSION_TOKEN (encrypted); keys are never taken as arguments.
    #[arg(long)]
    static_keys_from_env: bool,
    /// No live access: data comes only from imports.
    #[arg(long)]
    import_only: bool,
    /// Regions to read, comma-separated; every enabled region when omitted.
    #[arg(long, value_delimiter = ',')]
    regions: Vec<String>,
    /// An endpoint override (emulators, GovCloud).
    #[arg(long)]
    endpoint_url: Option<String>,
}

#[derive(Debug, clap::Args)]
struct ScanArgs {
    /// Only this tenant; every tenant when omitted.
    #[arg(long)]
    tenant: Option<String>,
    /// Only these services, comma-separated (`iam,s3,ec2`).
    #[arg(long, value_delimiter = ',')]
    services: Vec<String>,
    /// Attempts per API call (retries with backoff and jitter on throttling and 5xx).
    #[arg(long, default_value_t = 5)]
    max_attempts: u32,
    /// Service runs at once per account.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Collect only; do not evaluate afterwards.
    #[arg(long)]
    no_evaluate: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum CollectionCmd {
    /// List a tenant's collections, newest first.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Show one collection: per service and region, counts, errors and duration.
    Show {
        #[arg(long)]
        tenant: String,
        /// The collection id (or a unique prefix of 6+ characters).
        id: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
enum ResourceCmd {
    /// List resources.
    List {
        #[arg(long)]
        tenant: String,
        /// Only this type (`AWS::S3::Bucket`).
        #[arg(long = "type")]
        resource_type: Option<String>,
        /// Only this account.
        #[arg(long)]
        account: Option<String>,
        /// Include deleted resources.
        #[arg(long)]
        deleted: bool,
        #[arg(long, default_value_t = 1000)]
        limit: i64,
        #[arg(long, default_value_t = 0)]
        offset: i64,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Show a resource's current configuration.
    Show {
        #[arg(long)]
        tenant: String,
        /// The ARN (or a unique resource id).
        arn: String,
    },
    /// Show a resource's versions with JSON Patch (RFC 6902) diffs.
    History {
        #[arg(long)]
        tenant: String,
        /// The ARN (or a unique resource id).
        arn: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCmd {
    /// Import AWS Config snapshot or history files (JSON, plain or gzip).
    AwsConfig {
        #[arg(long)]
        tenant: String,
        /// The account the files belong to.
        #[arg(long)]
        account: String,
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
enum DemoCmd {
    /// Load the demo MSP (three tenants) into the database.
    Load {
        /// The demo directory (default: the bundled one).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCmd {
    /// Print a new random master key (for SHARELINE_MASTER_KEY).
    Generate,
}

fn main() -> std::process::ExitCode {
    // Before the runtime's threads start allocating.
    shareline_alloc::tune();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(cli_main()),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn cli_main() -> std::process::ExitCode {
    // `shareline findings list | head` closes stdout early: end quietly
    // instead of panicking in println!.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info
            .payload_as_str()
            .is_some_and(|m| m.contains("Broken pipe"))
        {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cli.log));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

pub(crate) async fn open(db: &str) -> Result<Store> {
    Store::open(db)
        .await
        .with_context(|| format!("cannot open the database `{}`", redact(db)))
}

/// Hides a password in a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

async fn run(cli: Cli) -> Result<std::process::ExitCode> {
    use std::process::ExitCode;
    match cli.command {
        Command::Serve(args) => serve::serve(open(&cli.db).await?, args).await?,
        Command::User(cmd) => serve::user(&open(&cli.db).await?, cmd).await?,
        Command::Audit(cmd) => {
            if !serve::audit(&open(&cli.db).await?, cmd).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Key(KeyCmd::Generate) => {
            println!("{}", MasterKey::generate_hex());
        }
        Command::Permissions => {
            json(&shareline_collect_aws::onboarding::audit_policy())?;
        }
        Command::Bench(cmd) => bench::run(cmd, &cli.db).await?,
        Command::Evaluate(args) => posture::evaluate(&open(&cli.db).await?, args).await?,
        Command::Findings(cmd) => posture::findings(&open(&cli.db).await?, cmd).await?,
        Command::Checks(cmd) => posture::checks(&cli.db, cmd).await?,
        Command::Compliance {
            tenant,
            framework,
            by_party,
            format,
        } => {
            posture::compliance_report(
                &open(&cli.db).await?,
                &tenant,
                &framework,
                format,
                by_party,
            )
            .await?;
        }
        Command::Mute(cmd) => posture::mute(&open(&cli.db).await?, cmd).await?,
        Command::Matrix(cmd) => {
            let store = open(&cli.db).await?;
            let tenant = match &cmd {
                matrix::MatrixCmd::Set { tenant, .. }
                | matrix::MatrixCmd::Accept { tenant, .. } => Some(tenant_id(tenant)?),
                _ => None,
            };
            matrix::matrix(&store, cmd).await?;
            if let Some(t) = tenant {
                reevaluate(&store, &t).await?;
            }
        }
        Command::Offering(cmd) => matrix::offering(&open(&cli.db).await?, cmd).await?,
        Command::Gaps { tenant, format } => {
            matrix::gaps(&open(&cli.db).await?, &tenant, format).await?;
        }
        Command::Tenant(TenantCmd::Set {
            id,
            offering,
            from,
            mute_max_days,
            author,
        }) => {
            let store = open(&cli.db).await?;
            let t = tenant_id(&id)?;
            if store.get_tenant(&t).await?.is_none() {
                bail!("tenant `{t}` not found");
            }
            if let Some(days) = mute_max_days {
                store.set_mute_max_days(&t, days).await?;
                println!("mutes for `{t}` may now last at most {days} days");
            }
            if let Some(o) = offering {
                matrix::set_tenant_offering(&store, &id, &o, from.as_deref(), author).await?;
                reevaluate(&store, &t).await?;
            }
        }
        Command::Tenant(TenantCmd::Remove { id, yes }) => {
            let t = tenant_id(&id)?;
            if !yes {
                bail!(
                    "removing tenant `{t}` deletes all of its data for good: add --yes to confirm"
                );
            }
            open(&cli.db).await?.remove_tenant(&t).await?;
            println!("removed tenant `{t}` and all of its data");
        }
        Command::Account(AccountCmd::Set {
            tenant,
            account_id,
            name,
            regions,
        }) => {
            let store = open(&cli.db).await?;
            let regions = regions.map(|r| {
                if r.iter().any(|x| x == "all") {
                    Vec::new()
                } else {
                    r
                }
            });
            store
                .update_account(
                    &tenant_id(&tenant)?,
                    &account_id,
                    name.as_deref(),
                    regions.as_deref(),
                )
                .await?;
            println!("updated account `{account_id}`");
        }
        Command::Account(AccountCmd::Remove {
            tenant,
            account_id,
            yes,
        }) => {
            if !yes {
                bail!(
                    "removing account `{account_id}` deletes everything collected from it: add --yes to confirm"
                );
            }
            let store = open(&cli.db).await?;
            let t = tenant_id(&tenant)?;
            let r = store.remove_account(&t, &account_id).await?;
            println!(
                "removed account `{account_id}`: {} resources, {} findings, {} collections",
                r.resources, r.findings, r.collections
            );
            reevaluate(&store, &t).await?;
        }
        Command::Tenant(TenantCmd::Contact {
            tenant,
            party,
            name,
            email,
        }) => {
            let store = open(&cli.db).await?;
            matrix::add_contact(&store, &tenant, &party, &name, &email).await?;
            reevaluate(&store, &tenant_id(&tenant)?).await?;
        }
        Command::Tenant(TenantCmd::Add { id, name }) => {
            let store = open(&cli.db).await?;
            let t = store.create_tenant(&tenant_id(&id)?, &name).await?;
            println!("added tenant `{}` ({})", t.id, t.name);
        }
        Command::Tenant(TenantCmd::List { format }) => {
            let store = open(&cli.db).await?;
            let tenants = store.list_tenants().await?;
            match format {
                Format::Json => json(&tenants)?,
                Format::Table => {
                    let mut rows = Vec::new();
                    for t in &tenants {
                        let accounts = store.list_accounts(&t.id).await?.len();
                        let resources = store.count_resources(&t.id).await?;
                        rows.push(vec![
                            t.id.to_string(),
                            t.name.clone(),
                            accounts.to_string(),
                            resources.to_string(),
                        ]);
                    }
                    table(&["TENANT", "NAME", "ACCOUNTS", "RESOURCES"], &rows);
                }
            }
        }
        Command::Account(AccountCmd::Add(a)) => {
            if a.provider != "aws" {
                bail!("provider `{}` is not supported yet: only `aws`", a.provider);
            }
            let store = open(&cli.db).await?;
            let key = MasterKey::from_env()?;
            let access = if a.import_only {
                AccessInput::ImportOnly
            } else if let Some(role_arn) = a.role_arn {
                AccessInput::AssumeRole {
                    role_arn,
                    external_id: a.external_id,
                    profile: a.profile,
                }
            } else if a.static_keys_from_env {
                let var = |n: &str| std::env::var(n).with_context(|| format!("{n} is not set"));
                AccessInput::Static {
                    access_key_id: var("AWS_ACCESS_KEY_ID")?,
                    secret_access_key: var("AWS_SECRET_ACCESS_KEY")?,
                    session_token: std::env::var("AWS_SESSION_TOKEN").ok(),
                }
            } else {
                AccessInput::DefaultChain { profile: a.profile }
            };
            let tenant = tenant_id(&a.tenant)?;
            let record = add_account(
                &store,
                key.as_ref(),
                &tenant,
                NewAccount {
                    account_id: a.account_id,
                    name: a.name,
                    access,
                    regions: a.regions,
                    endpoint_url: a.endpoint_url,
                },
            )
            .await?;
            println!(
                "added account `{}` to tenant `{tenant}` (access: {}{})",
                record.account_id,
                record.access_mode,
                if record.secret_ciphertext.is_some() {
                    ", credentials encrypted"
                } else {
                    ""
                }
            );
        }
        Command::Account(AccountCmd::List { tenant, format }) => {
            let store = open(&cli.db).await?;
            let accounts = store.list_accounts(&tenant_id(&tenant)?).await?;
            match format {
                Format::Json => json(&accounts)?,
                Format::Table => {
                    let rows: Vec<Vec<String>> = accounts
                        .iter()
                        .map(|a| {
                            vec![
                                a.account_id.clone(),
                                a.name.clone(),
                                a.access_mode.clone(),
                                a.role_arn.clone().unwrap_or_default(),
                                if a.regions.is_empty() {
                                    "all enabled".into()
                                } else {
                                    a.regions.join(",")
                                },
                            ]
                        })
                        .collect();
                    table(&["ACCOUNT", "NAME", "ACCESS", "ROLE", "REGIONS"], &rows);
                }
            }
        }
        Command::Account(AccountCmd::OnboardingTemplate {
            tenant,
            msp_account_id,
            external_id,
            format,
        }) => {
            tenant_id(&tenant)?;
            shareline_model::AwsAccountId::parse(&msp_account_id)?;
            let external_id = external_id.unwrap_or_else(|| {
                use rand::Rng;
                let n: u64 = rand::rng().random();
                format!("{tenant}-{n:016x}")
            });
            let kind = match format {
                TemplateKind::Cloudformation => TemplateFormat::CloudFormation,
                TemplateKind::Terraform => TemplateFormat::Terraform,
            };
            println!("{}", template(kind, &msp_account_id, &external_id));
            eprintln!(
                "external id for tenant `{tenant}`: {external_id}\n\
                 after the customer deploys it: shareline account add --tenant {tenant} --account-id <ID> \
                 --role-arn arn:aws:iam::<ID>:role/{} --external-id {external_id}",
                shareline_collect_aws::onboarding::ROLE_NAME
            );
        }
        Command::Scan(args) => return scan(&cli.db, args).await,
        Command::Collection(CollectionCmd::List {
            tenant,
            limit,
            format,
        }) => {
            let store = open(&cli.db).await?;
            let list = store
                .list_collections(&tenant_id(&tenant)?, limit.clamp(1, 10_000))
                .await?;
            match format {
                Format::Json => json(&list)?,
                Format::Table => {
                    let rows: Vec<Vec<String>> = list
                        .iter()
                        .map(|c| {
                            vec![
                                c.id.clone(),
                                c.account_id.clone(),
                                c.source.clone(),
                                c.status.to_string(),
                                when(&c.started_at),
                                c.duration_ms()
                                    .map(|d| format!("{:.1}s", d as f64 / 1000.0))
                                    .unwrap_or_default(),
                                c.resource_count.to_string(),
                                c.new_versions.to_string(),
                                c.deleted_count.to_string(),
                            ]
                        })
                        .collect();
                    table(
                        &[
                            "ID",
                            "ACCOUNT",
                            "SOURCE",
                            "STATUS",
                            "STARTED",
                            "TOOK",
                            "RESOURCES",
                            "NEW VERSIONS",
                            "DELETED",
                        ],
                        &rows,
                    );
                }
            }
        }
        Command::Collection(CollectionCmd::Show { tenant, id, format }) => {
            let store = open(&cli.db).await?;
            let (c, scopes) = store.get_collection(&tenant_id(&tenant)?, &id).await?;
            match format {
                Format::Json => json(&serde_json::json!({ "collection": c, "scopes": scopes }))?,
                Format::Table => {
                    println!(
                        "collection {}  account {}  source {}",
                        c.id, c.account_id, c.source
                    );
                    println!(
                        "status {}  started {}  resources {}  new versions {}  deleted {}",
                        c.status,
                        when(&c.started_at),
                        c.resource_count,
                        c.new_versions,
                        c.deleted_count
                    );
                    if let Some(e) = &c.error {
                        println!("error: {e}");
                    }
                    if !scopes.is_empty() {
                        println!();
                        let rows: Vec<Vec<String>> = scopes
                            .iter()
                            .map(|s| {
                                let gaps = s.gaps.as_array().map_or(0, Vec::len);
                                vec![
                                    s.service.clone(),
                                    s.region.clone(),
                                    if s.ok { "ok".into() } else { "FAILED".into() },
                                    s.resource_count.to_string(),
                                    format!("{}ms", s.duration_ms),
                                    gaps.to_string(),
                                    match (&s.error_kind, &s.error_message) {
                                        (Some(k), Some(m)) => format!("{k}: {m}"),
                                        _ => String::new(),
                                    },
                                ]
                            })
                            .collect();
                        table(
                            &[
                                "SERVICE",
                                "REGION",
                                "RESULT",
                                "RESOURCES",
                                "TOOK",
                                "GAPS",
                                "ERROR",
                            ],
                            &rows,
                        );
                    }
                }
            }
        }
        Command::Resource(ResourceCmd::List {
            tenant,
            resource_type,
            account,
            deleted,
            limit,
            offset,
            format,
        }) => {
            let store = open(&cli.db).await?;
            let filter = ResourceFilter {
                resource_type,
                account_id: account,
                include_deleted: deleted,
                limit: Some(limit),
                offset: Some(offset),
            };
            let rows = store.list_resources(&tenant_id(&tenant)?, &filter).await?;
            match format {
                Format::Json => json(&rows)?,
                Format::Table => {
                    let cells: Vec<Vec<String>> = rows
                        .iter()
                        .map(|r| {
                            vec![
                                r.resource_type.clone(),
                                r.account_id.clone(),
                                r.region.clone(),
                                r.name.clone(),
                                r.version.to_string(),
                                r.deleted_at
                                    .map(|d| format!("deleted {}", when(&d)))
                                    .unwrap_or_else(|| when(&r.last_seen)),
                                r.arn.clone(),
                            ]
                        })
                        .collect();
                    table(
                        &[
                            "TYPE",
                            "ACCOUNT",
                            "REGION",
                            "NAME",
                            "VERSION",
                            "LAST SEEN",
                            "ARN",
                        ],
                        &cells,
                    );
                }
            }
        }
        Command::Resource(ResourceCmd::Show { tenant, arn }) => {
            let store = open(&cli.db).await?;
            let tenant = tenant_id(&tenant)?;
            let row = store.find_resource(&tenant, &arn).await?;
            let doc = store.current_document(&tenant, row.rid).await?;
            json(&serde_json::json!({ "resource": row, "document": doc }))?;
        }
        Command::Resource(ResourceCmd::History {
            tenant,
            arn,
            format,
        }) => {
            let store = open(&cli.db).await?;
            let (row, entries) =
                shareline_app::history::history(&store, &tenant_id(&tenant)?, &arn).await?;
            match format {
                Format::Json => json(&serde_json::json!({ "resource": row, "versions": entries }))?,
                Format::Table => {
                    println!("{} ({})", row.arn, row.resource_type);
                    for e in &entries {
                        println!(
                            "\nversion {}  {}  {}  collection {}",
                            e.version,
                            when(&e.captured_at),
                            e.change,
                            e.collection_id
                        );
                        if let Some(ops) = e.patch.as_array() {
                            for op in ops {
                                println!("  {}", serde_json::to_string(op)?);
                            }
                        }
                    }
                }
            }
        }
        Command::Import(ImportCmd::AwsConfig {
            tenant,
            account,
            files,
            format,
        }) => {
            let store = open(&cli.db).await?;
            let tenant = tenant_id(&tenant)?;
            let mut reports = Vec::new();
            let mut failed = 0;
            for file in &files {
                let progress = Arc::new(ImportProgress::default());
                let bar = progress::import_bar(file, Arc::clone(&progress));
                let res = import_aws_config(&store, &tenant, &account, file, progress).await;
                bar.finish();
                match res {
                    Ok(r) => {
                        if format == Format::Table {
                            println!(
                                "imported `{}`: {} resources, {} new versions, {} deleted (collection {})",
                                file.display(),
                                r.stats.resources,
                                r.stats.new_versions,
                                r.stats.deleted,
                                r.collection_id
                            );
                        }
                        reports.push(r);
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("error: {e} (nothing was imported from this file)");
                    }
                }
            }
            if format == Format::Json {
                json(&reports)?;
            }
            if failed > 0 {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Demo(DemoCmd::Load { dir }) => {
            let store = open(&cli.db).await?;
            let dir = dir.unwrap_or_else(shareline_app::demo::demo_dir);
            let report = shareline_app::demo::load(&store, &dir).await?;
            println!(
                "demo loaded: tenants {:?} ({} resources, {} failing and {} passing findings){}",
                report.tenants,
                report.resources,
                report.failing,
                report.passing,
                if report.skipped.is_empty() {
                    String::new()
                } else {
                    format!("; already present: {:?}", report.skipped)
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Re-evaluates a tenant after its responsibility line changed, so owners and
/// gaps show at once.
async fn reevaluate(store: &Store, tenant: &TenantId) -> Result<()> {
    let s = shareline_app::evaluate::evaluate_tenant(store, tenant, Default::default())
        .await
        .with_context(|| format!("re-evaluating tenant `{tenant}`"))?;
    eprintln!(
        "re-evaluated `{tenant}` ({} mode, {} findings changed)",
        s.record.mode, s.record.changed
    );
    Ok(())
}

async fn scan(db: &str, args: ScanArgs) -> Result<std::process::ExitCode> {
    let store = open(db).await?;
    let key = MasterKey::from_env()?;
    let mut services: Vec<&'static ServiceDef> = Vec::new();
    for name in &args.services {
        services.push(service(name).with_context(|| {
            let all: Vec<&str> = shareline_collect_aws::SERVICES
                .iter()
                .map(|s| s.name)
                .collect();
            format!("unknown service `{name}`; known: {}", all.join(", "))
        })?);
    }
    let tenants = match &args.tenant {
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
    };
    let opts = ScanOptions {
        services,
        tuning: Tuning {
            max_attempts: args.max_attempts.max(1),
            ..Tuning::default()
        },
        limits: shareline_collect_aws::Limits {
            per_account: args.concurrency.max(1),
            ..Default::default()
        },
    };
    let cancel = Cancel::default();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("cancelling: the inventory keeps its last good data");
            on_signal.cancel();
        }
    });
    let bars = progress::ScanBars::new();
    let mut all = Vec::new();
    for tenant in &tenants {
        let reports = scan_tenant(&store, key.as_ref(), tenant, &opts, &bars, &cancel).await?;
        for r in reports {
            all.push((tenant.to_string(), r));
        }
    }
    bars.clear();
    let mut evaluations = Vec::new();
    if !args.no_evaluate && !cancel.is_cancelled() {
        for tenant in &tenants {
            let s = shareline_app::evaluate::evaluate_tenant(&store, tenant, Default::default())
                .await
                .with_context(|| format!("evaluating tenant `{tenant}`"))?;
            evaluations.push((tenant.to_string(), s));
        }
    }
    let bad = all
        .iter()
        .filter(|(_, r)| r.status != shareline_model::CollectionStatus::Succeeded)
        .count();
    match args.format {
        Format::Json => json(
            &all.iter()
                .map(|(t, r)| serde_json::json!({ "tenant": t, "scan": r }))
                .collect::<Vec<_>>(),
        )?,
        Format::Table => {
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|(t, r)| {
                    vec![
                        t.clone(),
                        r.account_id.clone(),
                        r.status.to_string(),
                        r.stats.resources.to_string(),
                        r.stats.new_versions.to_string(),
                        r.stats.deleted.to_string(),
                        r.error.clone().unwrap_or_else(|| {
                            if r.failed_scopes.is_empty() {
                                String::new()
                            } else {
                                format!("{} scopes failed", r.failed_scopes.len())
                            }
                        }),
                    ]
                })
                .collect();
            if rows.is_empty() {
                println!("no accounts with live access to scan");
            } else {
                table(
                    &[
                        "TENANT",
                        "ACCOUNT",
                        "STATUS",
                        "RESOURCES",
                        "NEW VERSIONS",
                        "DELETED",
                        "NOTE",
                    ],
                    &rows,
                );
            }
            for (_, r) in &all {
                for s in &r.failed_scopes {
                    eprintln!("  {}: {s}", r.account_id);
                }
            }
            if !evaluations.is_empty() {
                println!();
                posture::print_summaries(&evaluations, posture::ReportFormat::Table)?;
            }
        }
    }
    Ok(if bad > 0 {
        std::process::ExitCode::from(2)
    } else {
        std::process::ExitCode::SUCCESS
    })
}
