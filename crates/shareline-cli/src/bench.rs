//! Benchmarks (see docs/benchmarks.md):
//! - `shareline bench import`: generates a synthetic AWS Config snapshot of N
//!   resources and measures importing it (time, rate, peak memory);
//! - `shareline bench evaluate`: seeds a synthetic inventory spread over many
//!   tenants (copies of the demo estate's resources) and measures evaluating
//!   the whole catalog over it, findings stored.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Subcommand;
use shareline_app::accounts::{AccessInput, NewAccount, add_account};
use shareline_app::import::{ImportProgress, import_aws_config};
use shareline_model::TenantId;
use shareline_store::Store;

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCmd {
    /// Import a synthetic snapshot of N resources into `--db` (use an empty database).
    Import {
        /// Resources in the snapshot.
        #[arg(long, default_value_t = 1_000_000)]
        resources: u64,
        /// Where to write the snapshot (kept for reuse); a temp file when omitted.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// Evaluate the whole catalog over N resources in T tenants, storing the
    /// findings. Seeds `--db` first unless it holds the bench tenants
    /// already, in which case it forgets their findings: every run measures
    /// a first evaluation.
    Evaluate {
        /// Resources in all.
        #[arg(long, default_value_t = 1_000_000)]
        resources: u64,
        /// Tenants they are spread over.
        #[arg(long, default_value_t = 100)]
        tenants: u64,
    },
}

/// Seeds `tenants` tenants with `per_tenant` resources each, copied from
/// the demo estate's resources with fresh ids.
async fn seed(store: &Store, tenants: u64, per_tenant: u64) -> Result<()> {
    use shareline_model::CollectionStatus;
    use shareline_store::{CommitPlan, Staged, StagedResource};
    let tmp = tempfile::tempdir()?;
    let demo = Store::open(tmp.path().join("demo.db").to_str().context("temp path")?).await?;
    shareline_app::demo::load(&demo, &shareline_app::demo::demo_dir()).await?;
    let mut templates = Vec::new();
    for t in demo.list_tenants().await? {
        templates.extend(demo.current_items(&t.id).await?.into_iter().map(|(r, _)| r));
    }
    anyhow::ensure!(!templates.is_empty(), "the demo estate has no resources");
    let started = Instant::now();
    for n in 0..tenants {
        let tenant = TenantId::parse(&format!("bench-{n:03}"))?;
        let account = format!("{:012}", 100_000_000_000 + n);
        store
            .create_tenant(&tenant, &format!("Bench tenant {n}"))
            .await?;
        add_account(
            store,
            None,
            &tenant,
            NewAccount {
                account_id: account.clone(),
                name: None,
                access: AccessInput::ImportOnly,
                regions: vec![],
                endpoint_url: None,
            },
        )
        .await?;
        let collection_id = store.begin_collection(&tenant, &account, "bench").await?;
        let plan = CommitPlan {
            collection_id,
            account_id: account.clone(),
            covered: Vec::new(),
            scopes: Vec::new(),
            status: CollectionStatus::Succeeded,
        };
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let templates = templates.clone();
        let producer = tokio::task::spawn_blocking(move || {
            let mut batch = Vec::with_capacity(1000);
            for i in 0..per_tenant {
                let Some(t) = templates.get((i as usize) % templates.len()) else {
                    break;
                };
                let mut r = t.clone();
                let copy = i / templates.len() as u64;
                if copy > 0 {
                    r.resource_id = format!("{}-{copy}", r.resource_id);
                    r.arn = format!("{}-{copy}", r.arn);
                    r.name = format!("{}-{copy}", r.name);
                }
                r.account_id.clone_from(&account);
                let staged = StagedResource::new(&r).map_err(|e| e.to_string());
                match staged {
                    Ok(s) => batch.push(Staged::Upsert(s)),
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
                if batch.len() == 1000 && tx.blocking_send(Ok(std::mem::take(&mut batch))).is_err()
                {
                    return;
                }
            }
            if !batch.is_empty() {
                let _ = tx.blocking_send(Ok(batch));
            }
        });
        store.commit_collection(&tenant, &plan, rx).await?;
        producer.await?;
        eprintln!(
            "seeded {}/{tenants} tenants ({} resources) in {:.0}s",
            n + 1,
            (n + 1) * per_tenant,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

async fn bench_evaluate(store: &Store, resources: u64, tenants: u64) -> Result<()> {
    use shareline_app::evaluate::{EvaluateOptions, evaluate_tenants};
    anyhow::ensure!(
        tenants > 0 && resources >= tenants,
        "need at least one resource per tenant"
    );
    let per_tenant = resources / tenants;
    let existing = store.list_tenants().await?;
    let bench: Vec<TenantId> = existing
        .iter()
        .filter(|t| t.id.as_str().starts_with("bench-"))
        .map(|t| t.id.clone())
        .collect();
    let bench = if bench.is_empty() {
        seed(store, tenants, per_tenant).await?;
        store
            .list_tenants()
            .await?
            .into_iter()
            .filter(|t| t.id.as_str().starts_with("bench-"))
            .map(|t| t.id)
            .collect()
    } else {
        eprintln!(
            "using the {} bench tenants already in the database; forgetting their findings",
            bench.len()
        );
        for t in &bench {
            store.reset_findings(t).await?;
        }
        bench
    };
    let (mut engine_ms, mut evaluations, mut findings, mut total_resources) =
        (0u128, 0i64, 0i64, 0i64);
    let started = Instant::now();
    let opts = EvaluateOptions {
        full: true,
        now: None,
    };
    let mut failure = None;
    let mut i = 0;
    evaluate_tenants(store, &bench, opts, |tenant, outcome| {
        i += 1;
        match outcome {
            Ok(s) => {
                engine_ms += s.engine_ms;
                evaluations += s.record.evaluations;
                findings += s.record.results;
                total_resources += s.record.resources;
            }
            Err(e) => {
                failure.get_or_insert_with(|| format!("evaluating tenant `{tenant}`: {e}"));
            }
        }
        eprintln!(
            "evaluated {i}/{} tenants in {:.1}s",
            bench.len(),
            started.elapsed().as_secs_f64()
        );
    })
    .await;
    if let Some(f) = failure {
        anyhow::bail!(f);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "evaluated {} checks over {total_resources} resources in {} tenants ({:?}): {secs:.1}s end to end, \
         {evaluations} evaluations ({:.0}/s in the engine alone, {:.1}s), {findings} findings stored, peak RSS {:.0} MiB",
        shareline_app::evaluate::catalog()?.checks.len(),
        bench.len(),
        store.backend(),
        evaluations as f64 / (engine_ms as f64 / 1000.0).max(1e-9),
        engine_ms as f64 / 1000.0,
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    Ok(())
}

/// Writes a snapshot of `n` S3 buckets, instances and security groups.
fn write_snapshot(path: &std::path::Path, n: u64) -> Result<()> {
    let f = std::fs::File::create(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    write!(
        w,
        r#"{{"fileVersion":"1.0","configSnapshotId":"bench","configurationItems":["#
    )?;
    for i in 0..n {
        if i > 0 {
            w.write_all(b",")?;
        }
        let region = ["us-east-1", "eu-west-1", "ap-southeast-2"][(i % 3) as usize];
        match i % 3 {
            0 => write!(
                w,
                r#"{{"configurationItemCaptureTime":"2026-11-20T08:00:00.000Z","configurationItemStatus":"OK","awsAccountId":"999999999999","resourceType":"AWS::S3::Bucket","resourceId":"bench-bucket-{i}","resourceName":"bench-bucket-{i}","ARN":"arn:aws:s3:::bench-bucket-{i}","awsRegion":"{region}","tags":{{"Environment":"prod","Owner":"team-{t}"}},"relationships":[],"configuration":{{"name":"bench-bucket-{i}","owner":"999999999999","creationDate":"2024-01-01T00:00:00Z"}},"supplementaryConfiguration":{{"BucketVersioningConfiguration":{{"status":"{v}","isMfaDeleteEnabled":false}},"PublicAccessBlockConfiguration":{{"blockPublicAcls":true,"ignorePublicAcls":true,"blockPublicPolicy":true,"restrictPublicBuckets":true}},"ServerSideEncryptionConfiguration":{{"rules":[{{"applyServerSideEncryptionByDefault":{{"sseAlgorithm":"AES256"}}}}]}}}}}}"#,
                t = i % 50,
                v = if i % 7 == 0 { "Off" } else { "Enabled" }
            )?,
            1 => write!(
                w,
                r#"{{"configurationItemCaptureTime":"2026-11-20T08:00:00.000Z","configurationItemStatus":"OK","awsAccountId":"999999999999","resourceType":"AWS::EC2::Instance","resourceId":"i-{i:017x}","resourceName":"web-{i}","ARN":"arn:aws:ec2:{region}:999999999999:instance/i-{i:017x}","awsRegion":"{region}","tags":{{"Name":"web-{i}"}},"relationships":[{{"resourceType":"AWS::EC2::SecurityGroup","resourceId":"sg-{i:017x}","relationshipName":"Is associated with SecurityGroup"}}],"configuration":{{"instanceId":"i-{i:017x}","instanceType":"t3.micro","state":{{"name":"running"}},"metadataOptions":{{"httpTokens":"{tok}","httpEndpoint":"enabled"}},"publicIpAddress":null,"securityGroups":[{{"groupId":"sg-{i:017x}"}}]}},"supplementaryConfiguration":{{}}}}"#,
                tok = if i % 5 == 0 { "optional" } else { "required" }
            )?,
            _ => write!(
                w,
                r#"{{"configurationItemCaptureTime":"2026-11-20T08:00:00.000Z","configurationItemStatus":"OK","awsAccountId":"999999999999","resourceType":"AWS::EC2::SecurityGroup","resourceId":"sg-{i:017x}","resourceName":"sg-{i}","ARN":"arn:aws:ec2:{region}:999999999999:security-group/sg-{i:017x}","awsRegion":"{region}","tags":{{}},"relationships":[],"configuration":{{"groupId":"sg-{i:017x}","groupName":"sg-{i}","ipPermissions":[{{"ipProtocol":"tcp","fromPort":443,"toPort":443,"ipv4Ranges":[{{"cidrIp":"0.0.0.0/0"}}]}}]}},"supplementaryConfiguration":{{}}}}"#
            )?,
        }
    }
    w.write_all(b"]}")?;
    w.flush()?;
    Ok(())
}

/// Returns the peak resident set size of this process, from /proc.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub(crate) async fn run(cmd: BenchCmd, db: &str) -> Result<()> {
    match cmd {
        BenchCmd::Evaluate { resources, tenants } => {
            let store = Store::open(db)
                .await
                .with_context(|| format!("cannot open `{db}`"))?;
            bench_evaluate(&store, resources, tenants).await?;
        }
        BenchCmd::Import { resources, file } => {
            let tmp = tempfile::tempdir()?;
            let path = file.unwrap_or_else(|| tmp.path().join("bench-snapshot.json"));
            if !std::fs::metadata(&path).is_ok_and(|m| m.len() > 0) {
                let t = Instant::now();
                write_snapshot(&path, resources)?;
                eprintln!(
                    "wrote {} ({} resources) in {:.1}s",
                    path.display(),
                    resources,
                    t.elapsed().as_secs_f64()
                );
            }
            let size = std::fs::metadata(&path)?.len();
            let store = Store::open(db)
                .await
                .with_context(|| format!("cannot open `{db}`"))?;
            let tenant = TenantId::parse("bench")?;
            if store.get_tenant(&tenant).await?.is_none() {
                store.create_tenant(&tenant, "Benchmark").await?;
                add_account(
                    &store,
                    None,
                    &tenant,
                    NewAccount {
                        account_id: "999999999999".into(),
                        name: None,
                        access: AccessInput::ImportOnly,
                        regions: vec![],
                        endpoint_url: None,
                    },
                )
                .await?;
            }
            let progress = Arc::new(ImportProgress::default());
            let bar = crate::progress::import_bar(&path, Arc::clone(&progress));
            let t = Instant::now();
            let report =
                import_aws_config(&store, &tenant, "999999999999", &path, progress).await?;
            let secs = t.elapsed().as_secs_f64();
            bar.finish_and_clear();
            println!(
                "imported {} resources ({:.0} MB file) into {:?} in {secs:.1}s: {:.0} resources/s, {} new versions, peak RSS {:.0} MiB",
                report.stats.resources,
                size as f64 / 1e6,
                store.backend(),
                report.stats.resources as f64 / secs,
                report.stats.new_versions,
                peak_rss_mib().unwrap_or(f64::NAN)
            );
        }
    }
    Ok(())
}
