//! `shareline bench import`: generates a synthetic AWS Config snapshot of N
//! resources and measures importing it (time, rate, peak memory).

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
