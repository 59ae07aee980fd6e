//! Collection throughput against moto: `cargo test -p shareline-collect-aws
//! --test it -- --ignored --nocapture bench_collection_throughput` (through
//! scripts/test's environment; see docs/benchmarks.md). Not a timed test: it
//! prints what it measured and asserts only that everything was read.

use std::time::Instant;

use shareline_collect_aws::{
    Access, AccountTarget, Limits, NoProgress, Secret, Tuning, collect_account, service,
};
use shareline_test_support::moto::Moto;

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly"]
async fn bench_collection_throughput() {
    let per_region_sg: usize = std::env::var("BENCH_SG_PER_REGION")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    let per_region_logs: usize = std::env::var("BENCH_LOGS_PER_REGION")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(700);
    let per_region_topics: usize = std::env::var("BENCH_TOPICS_PER_REGION")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let moto = Moto::start();
    let seed_start = Instant::now();
    for region in REGIONS {
        let conf = crate::sdk_config(&moto.endpoint(), region).await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
        let sns = aws_sdk_sns::Client::new(&conf);
        let mut futs = Vec::new();
        for i in 0..per_region_sg {
            let ec2 = ec2.clone();
            drain_if_full(&mut futs).await;
            futs.push(tokio::spawn(async move {
                ec2.create_security_group()
                    .group_name(format!("sg-{i}"))
                    .description("bench")
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }));
        }
        for i in 0..per_region_logs {
            let logs = logs.clone();
            drain_if_full(&mut futs).await;
            futs.push(tokio::spawn(async move {
                logs.create_log_group()
                    .log_group_name(format!("/bench/{i}"))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }));
        }
        for i in 0..per_region_topics {
            let sns = sns.clone();
            drain_if_full(&mut futs).await;
            futs.push(tokio::spawn(async move {
                sns.create_topic()
                    .name(format!("topic-{i}"))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }));
        }
        drain(&mut futs).await;
    }
    eprintln!("seeded in {:.1}s", seed_start.elapsed().as_secs_f64());
    let target = AccountTarget {
        account_id: crate::ACCOUNT.to_owned(),
        access: Access::Static {
            access_key_id: Secret::new("testing"),
            secret_access_key: Secret::new("testing"),
            session_token: None,
        },
        regions: REGIONS.iter().map(|r| (*r).to_owned()).collect(),
        endpoint_url: Some(moto.endpoint()),
    };
    let services = vec![
        service("ec2").unwrap(),
        service("logs").unwrap(),
        service("sns").unwrap(),
    ];
    let t = Instant::now();
    let got = collect_account(
        &target,
        &services,
        Tuning::default(),
        &Limits::default(),
        &NoProgress,
    )
    .await
    .unwrap();
    let secs = t.elapsed().as_secs_f64();
    let n = got.resources.len();
    assert!(got.scopes.iter().all(|s| s.error.is_none()));
    assert!(n >= 2 * (per_region_sg + per_region_logs + per_region_topics));
    println!(
        "collected {n} resources ({} scopes) from moto in {secs:.1}s: {:.0} resources/s",
        got.scopes.len(),
        n as f64 / secs
    );
}

type Seeding = Vec<tokio::task::JoinHandle<Result<(), String>>>;

/// Keeps at most 16 seeding calls in flight (moto's server refuses more).
async fn drain_if_full(futs: &mut Seeding) {
    if futs.len() >= 16 {
        drain(futs).await;
    }
}

async fn drain(futs: &mut Seeding) {
    for f in futs.drain(..) {
        f.await.unwrap().unwrap();
    }
}
