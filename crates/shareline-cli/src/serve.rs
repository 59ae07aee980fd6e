//! `shareline serve`, `shareline user …` and `shareline audit …`.

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use shareline_access::{Principal, Role, TenantScope, password};
use shareline_app::scan::ScanOptions;
use shareline_app::secrets::MasterKey;
use shareline_server::{AppState, ServerConfig};
use shareline_store::{NewUser, Store};

use crate::args::tenant_id;
use crate::output::{Format, json, table, when};

/// `shareline serve`
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8080", env = "SHARELINE_LISTEN")]
    listen: String,
    /// Load the bundled demo MSP and its demo users (new passwords are
    /// printed at every start).
    #[arg(long)]
    demo: bool,
    /// Mark cookies Secure: set this when users reach the server over HTTPS
    /// (a TLS-terminating proxy in front of it).
    #[arg(long, env = "SHARELINE_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Hours a login lasts.
    #[arg(long, default_value_t = 12)]
    session_hours: i64,
}

/// `shareline user …`
#[derive(Debug, Subcommand)]
pub(crate) enum UserCmd {
    /// Add a user. The password is read from `SHARELINE_PASSWORD` or, when
    /// unset, from the first line of standard input.
    Add {
        /// Login e-mail.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
        /// msp_admin, msp_engineer, auditor, customer_admin, customer_viewer.
        #[arg(long)]
        role: String,
        /// A tenant the user may see (repeat; exactly one for customer roles).
        #[arg(long = "tenant")]
        tenants: Vec<String>,
    },
    /// List users.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Disable a user: ends its sessions and revokes its tokens.
    Disable {
        /// Login e-mail.
        email: String,
    },
    /// Set a user's password (read like `add`); ends its sessions.
    Passwd {
        /// Login e-mail.
        email: String,
    },
    /// Create an API token for a user (with its role, over all its tenants)
    /// and print it once: for automation and load tests.
    Token {
        /// Login e-mail.
        email: String,
        /// A label.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until it expires (1–365).
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
}

/// `shareline audit …`
#[derive(Debug, Subcommand)]
pub(crate) enum AuditCmd {
    /// Verify the hash chain from the first entry: exit 1 when an entry was
    /// altered, removed or reordered.
    Verify {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// The newest entries.
    List {
        /// Only this tenant's.
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("SHARELINE_PASSWORD") {
        return Ok(p);
    }
    eprintln!("password (one line on standard input):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Creates a user after checking its role, tenants and password.
async fn add_user(
    store: &Store,
    email: &str,
    name: &str,
    role: &str,
    tenants: &[String],
    plain: &str,
) -> Result<()> {
    let role: Role = role
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown role `{role}` (msp_admin, msp_engineer, auditor, customer_admin, customer_viewer)"))?;
    let ids = tenants
        .iter()
        .map(|t| tenant_id(t))
        .collect::<Result<Vec<_>>>()?;
    let scope = if role == Role::MspAdmin {
        TenantScope::All
    } else {
        TenantScope::Only(ids.iter().cloned().collect())
    };
    Principal::new("new", role, scope)?;
    password::check_password_policy(plain)?;
    let hash = password::hash_password(plain)?;
    store
        .create_user(&NewUser {
            email: email.to_owned(),
            name: if name.is_empty() {
                email.to_owned()
            } else {
                name.to_owned()
            },
            role: role.as_str().to_owned(),
            tenants: ids,
            password_hash: hash,
        })
        .await?;
    shareline_app::audit::record(
        store,
        "cli",
        None,
        "user.create",
        email,
        None,
        Some(serde_json::json!({ "role": role.as_str(), "tenants": tenants })),
    )
    .await?;
    Ok(())
}

/// Runs `shareline user …`.
pub(crate) async fn user(store: &Store, cmd: UserCmd) -> Result<()> {
    match cmd {
        UserCmd::Add {
            email,
            name,
            role,
            tenants,
        } => {
            let plain = read_password()?;
            add_user(store, &email, &name, &role, &tenants, &plain).await?;
            println!("added user `{email}` ({role})");
        }
        UserCmd::List { format } => {
            let users = store.list_users(None).await?;
            match format {
                Format::Json => json(&users)?,
                Format::Table => table(
                    &["EMAIL", "ROLE", "TENANTS", "CREATED", "DISABLED"],
                    &users
                        .iter()
                        .map(|u| {
                            vec![
                                u.email.clone(),
                                u.role.clone(),
                                u.tenants
                                    .iter()
                                    .map(ToString::to_string)
                                    .collect::<Vec<_>>()
                                    .join(","),
                                when(&u.created_at),
                                u.disabled_at.as_ref().map(when).unwrap_or_default(),
                            ]
                        })
                        .collect::<Vec<_>>(),
                ),
            }
        }
        UserCmd::Disable { email } => {
            let (u, _) = store
                .user_for_login(&email)
                .await?
                .with_context(|| format!("user `{email}` not found"))?;
            store.disable_user(&u.id).await?;
            shareline_app::audit::record(store, "cli", None, "user.disable", &email, None, None)
                .await?;
            println!("disabled `{email}`");
        }
        UserCmd::Passwd { email } => {
            let (u, _) = store
                .user_for_login(&email)
                .await?
                .with_context(|| format!("user `{email}` not found"))?;
            let plain = read_password()?;
            password::check_password_policy(&plain)?;
            store
                .set_password(&u.id, &password::hash_password(&plain)?)
                .await?;
            shareline_app::audit::record(store, "cli", None, "user.password", &email, None, None)
                .await?;
            println!("password of `{email}` changed; its sessions ended");
        }
        UserCmd::Token { email, name, days } => {
            if !(1..=365).contains(&days) {
                bail!("--days must be between 1 and 365");
            }
            let (u, _) = store
                .user_for_login(&email)
                .await?
                .with_context(|| format!("user `{email}` not found"))?;
            let secret = shareline_access::token::generate_api_token();
            let record = store
                .create_token(
                    &u.id,
                    &name,
                    &secret.hash(),
                    &u.role,
                    None,
                    chrono::Utc::now() + chrono::Duration::days(days),
                )
                .await?;
            shareline_app::audit::record(
                store,
                "cli",
                None,
                "token.create",
                &record.id,
                None,
                None,
            )
            .await?;
            println!("{}", secret.expose());
        }
    }
    Ok(())
}

/// Runs `shareline audit …`; `Ok(false)` when the chain is broken.
pub(crate) async fn audit(store: &Store, cmd: AuditCmd) -> Result<bool> {
    match cmd {
        AuditCmd::Verify { format } => {
            let v = shareline_app::audit::verify(store).await?;
            match format {
                Format::Json => json(&v)?,
                Format::Table => match &v.broken {
                    None => println!(
                        "audit log intact: {} entries verified; head {}",
                        v.entries,
                        v.head.as_deref().unwrap_or("(empty)")
                    ),
                    Some(b) => eprintln!("AUDIT LOG BROKEN after {} good entries: {b}", v.entries),
                },
            }
            Ok(v.broken.is_none())
        }
        AuditCmd::List {
            tenant,
            limit,
            format,
        } => {
            let rows = match tenant {
                Some(t) => {
                    store
                        .list_audit(&[tenant_id(&t)?], false, None, limit)
                        .await?
                }
                None => {
                    let all: Vec<_> = store
                        .list_tenants()
                        .await?
                        .into_iter()
                        .map(|t| t.id)
                        .collect();
                    store.list_audit(&all, true, None, limit).await?
                }
            };
            match format {
                Format::Json => json(&rows)?,
                Format::Table => table(
                    &["SEQ", "AT", "ACTOR", "TENANT", "ACTION", "TARGET"],
                    &rows
                        .iter()
                        .map(|e| {
                            vec![
                                e.seq.to_string(),
                                when(&e.at),
                                e.actor.clone(),
                                e.tenant.clone().unwrap_or_default(),
                                e.action.clone(),
                                e.target.clone(),
                            ]
                        })
                        .collect::<Vec<_>>(),
                ),
            }
            Ok(true)
        }
    }
}

/// The demo's users: one per role, with fresh random passwords each start.
const DEMO_USERS: &[(&str, &str, &[&str])] = &[
    ("admin@northpeak.example", "msp_admin", &[]),
    (
        "engineer@northpeak.example",
        "msp_engineer",
        &["acme", "globex"],
    ),
    (
        "auditor@northpeak.example",
        "auditor",
        &["acme", "globex", "initech"],
    ),
    ("admin@acme.example", "customer_admin", &["acme"]),
    ("viewer@globex.example", "customer_viewer", &["globex"]),
];

fn random_password() -> String {
    shareline_access::token::generate_secret("demo-")
        .expose()
        .chars()
        .take(22)
        .collect()
}

async fn demo_users(store: &Store) -> Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    for (email, role, tenants) in DEMO_USERS {
        let plain = random_password();
        match store.user_for_login(email).await? {
            Some((u, _)) => {
                store
                    .set_password(&u.id, &password::hash_password(&plain)?)
                    .await?;
            }
            None => {
                let tenants: Vec<String> = tenants.iter().map(|t| (*t).to_owned()).collect();
                add_user(store, email, "", role, &tenants, &plain).await?;
            }
        }
        out.push(((*email).to_owned(), (*role).to_owned(), plain));
    }
    Ok(out)
}

/// Runs the server until Ctrl-C.
pub(crate) async fn serve(store: Store, args: ServeArgs) -> Result<()> {
    if args.demo {
        let report = shareline_app::demo::load(&store, &shareline_app::demo::demo_dir())
            .await
            .context("loading the demo MSP")?;
        eprintln!("demo MSP loaded: tenants {:?}", report.tenants);
    }
    let logins = if args.demo {
        demo_users(&store).await?
    } else {
        Vec::new()
    };
    if store.count_users().await? == 0 {
        match (
            std::env::var("SHARELINE_ADMIN_EMAIL"),
            std::env::var("SHARELINE_ADMIN_PASSWORD"),
        ) {
            (Ok(email), Ok(plain)) => {
                add_user(&store, &email, "", "msp_admin", &[], &plain).await?;
                eprintln!("created the first MSP admin `{email}` from SHARELINE_ADMIN_EMAIL");
            }
            _ => bail!(
                "no users yet: create the first MSP admin with \
                 `shareline user add --email you@example.com --role msp_admin` \
                 (password on standard input), or set SHARELINE_ADMIN_EMAIL and \
                 SHARELINE_ADMIN_PASSWORD for this start"
            ),
        }
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let state = AppState::new(
        store,
        ServerConfig {
            secure_cookies: args.secure_cookies,
            master_key: MasterKey::from_env()?,
            scan: ScanOptions::default(),
            session_hours: args.session_hours,
        },
    );
    println!("Shareline is running at http://{addr}/");
    if !logins.is_empty() {
        println!("Demo logins (new passwords at every start):");
        for (email, role, plain) in &logins {
            println!("  {role:<16} {email:<28} {plain}");
        }
    }
    println!("Press Ctrl-C to stop.");
    shareline_server::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving")?;
    Ok(())
}
