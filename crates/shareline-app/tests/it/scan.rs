//! Scans of two tenants, each with two accounts reached by assume-role with
//! an external id, in two regions, against moto behind a fault proxy.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use shareline_app::accounts::{AccessInput, NewAccount, add_account};
use shareline_app::scan::{Cancel, ScanOptions, scan_tenant};
use shareline_app::secrets::MasterKey;
use shareline_collect_aws::{Limits, NoProgress, Tuning};
use shareline_model::{CollectionStatus, TenantId};
use shareline_store::{ResourceFilter, Store};
use shareline_test_support::fault_proxy::{Fault, FaultProxy};
use shareline_test_support::moto::Moto;

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
const ACME: [&str; 2] = ["111111111111", "111111111112"];
const GLOBEX: [&str; 2] = ["222222222221", "222222222222"];

async fn base_config(endpoint: &str, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .load()
        .await
}

/// Returns a config acting inside `account` through an assumed role, as moto
/// maps assumed-role keys to the role's account.
async fn in_account(endpoint: &str, account: &str, region: &str) -> SdkConfig {
    let base = base_config(endpoint, region).await;
    let sts = aws_sdk_sts::Client::new(&base);
    let out = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/ShareLineAudit"))
        .role_session_name("seed")
        .external_id(format!("ext-{account}"))
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            None,
            "seed",
        ))
        .load()
        .await
}

fn s3(conf: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(conf)
            .force_path_style(true)
            .build(),
    )
}

/// Creates a bucket, a user, a security group per region and a KMS key in `account`.
async fn seed(endpoint: &str, account: &str) {
    let conf = in_account(endpoint, account, "us-east-1").await;
    s3(&conf)
        .create_bucket()
        .bucket(format!("data-{account}"))
        .send()
        .await
        .unwrap();
    aws_sdk_iam::Client::new(&conf)
        .create_user()
        .user_name(format!("ops-{account}"))
        .send()
        .await
        .unwrap();
    for region in REGIONS {
        let conf = in_account(endpoint, account, region).await;
        aws_sdk_ec2::Client::new(&conf)
            .create_security_group()
            .group_name(format!("web-{region}"))
            .description("web")
            .send()
            .await
            .unwrap();
        aws_sdk_kms::Client::new(&conf)
            .create_key()
            .description("app key")
            .send()
            .await
            .unwrap();
    }
}

async fn register(
    store: &Store,
    key: &MasterKey,
    tenant: &str,
    accounts: &[&str],
    endpoint: &str,
) -> TenantId {
    let id = TenantId::parse(tenant).unwrap();
    store.create_tenant(&id, tenant).await.unwrap();
    for account in accounts {
        add_account(
            store,
            Some(key),
            &id,
            NewAccount {
                account_id: (*account).to_owned(),
                name: None,
                access: AccessInput::AssumeRole {
                    role_arn: format!("arn:aws:iam::{account}:role/ShareLineAudit"),
                    external_id: Some(format!("ext-{account}")),
                    profile: None,
                },
                regions: REGIONS.iter().map(|r| (*r).to_owned()).collect(),
                endpoint_url: Some(endpoint.to_owned()),
            },
        )
        .await
        .unwrap();
    }
    id
}

fn opts(max_attempts: u32) -> ScanOptions {
    ScanOptions {
        services: vec![],
        tuning: Tuning {
            max_attempts,
            initial_backoff: Duration::from_millis(20),
            attempt_timeout: Duration::from_secs(20),
        },
        limits: Limits::default(),
    }
}

#[tokio::test]
async fn two_tenants_assume_role_partial_failure_and_versions() {
    require_test_env();
    let moto = Moto::start();
    let proxy = FaultProxy::start(moto.port());
    for account in ACME.iter().chain(GLOBEX.iter()) {
        seed(&moto.endpoint(), account).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    let key = MasterKey::parse(&MasterKey::generate_hex()).unwrap();
    let acme = register(&store, &key, "acme", &ACME, &proxy.endpoint()).await;
    let globex = register(&store, &key, "globex", &GLOBEX, &proxy.endpoint()).await;

    // First scan of acme: every service in every region answers.
    let reports = scan_tenant(
        &store,
        Some(&key),
        &acme,
        &opts(3),
        &NoProgress,
        &Cancel::default(),
    )
    .await
    .unwrap();
    assert_eq!(reports.len(), 2);
    for r in &reports {
        assert_eq!(r.status, CollectionStatus::Succeeded, "{r:?}");
        let (_, scopes) = store.get_collection(&acme, &r.collection_id).await.unwrap();
        let services: std::collections::BTreeSet<&str> =
            scopes.iter().map(|s| s.service.as_str()).collect();
        assert_eq!(
            services.len(),
            shareline_collect_aws::SERVICES.len(),
            "{services:?}"
        );
        assert!(scopes.iter().any(|s| s.region == "eu-west-1"));
    }
    // Each account's own resources, in its own account, and none of globex's.
    let all = store
        .list_resources(&acme, &ResourceFilter::default())
        .await
        .unwrap();
    for account in ACME {
        let bucket = all
            .iter()
            .find(|r| r.resource_id == format!("data-{account}"))
            .unwrap();
        assert_eq!(bucket.account_id, account);
        let sgs = all
            .iter()
            .filter(|r| {
                r.account_id == account
                    && r.resource_type == "AWS::EC2::SecurityGroup"
                    && r.name.starts_with("web-")
            })
            .count();
        assert_eq!(sgs, 2, "one web SG per region in {account}");
        assert!(all.iter().any(|r| r.account_id == account
            && r.resource_type == "AWS::KMS::Key"
            && r.region == "eu-west-1"));
        assert!(all.iter().any(|r| r.account_id == account
            && r.resource_id.contains(&format!("ops-{account}"))
            || r.name == format!("ops-{account}")));
    }
    assert!(!all.iter().any(|r| GLOBEX.contains(&r.account_id.as_str())));
    assert!(
        store
            .list_resources(&globex, &ResourceFilter::default())
            .await
            .unwrap()
            .is_empty()
    );

    // Re-scan without changes: no new versions.
    let again = scan_tenant(
        &store,
        Some(&key),
        &acme,
        &opts(3),
        &NoProgress,
        &Cancel::default(),
    )
    .await
    .unwrap();
    for r in &again {
        assert_eq!(
            r.stats.new_versions, 0,
            "unchanged estate, yet new versions: {r:?}"
        );
    }

    // Change one bucket (its tags): exactly one new version.
    let conf = in_account(&moto.endpoint(), ACME[0], "us-east-1").await;
    s3(&conf)
        .put_bucket_tagging()
        .bucket(format!("data-{}", ACME[0]))
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key("Owner")
                        .value("ops")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let changed = scan_tenant(
        &store,
        Some(&key),
        &acme,
        &opts(3),
        &NoProgress,
        &Cancel::default(),
    )
    .await
    .unwrap();
    let first = changed.iter().find(|r| r.account_id == ACME[0]).unwrap();
    assert_eq!(first.stats.new_versions, 1, "{first:?}");
    let bucket = store
        .find_resource(&acme, &format!("arn:aws:s3:::data-{}", ACME[0]))
        .await
        .unwrap();
    assert_eq!(bucket.version, 2);

    // KMS throttles past the retry budget: the collection is partial, the
    // keys keep their last good data, the rest is applied.
    let keys_before: Vec<_> = store
        .list_resources(
            &acme,
            &ResourceFilter {
                resource_type: Some("AWS::KMS::Key".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(keys_before.len(), 4);
    proxy.set_faults(vec![Fault::json_throttling("kms")]);
    let partial = scan_tenant(
        &store,
        Some(&key),
        &acme,
        &opts(2),
        &NoProgress,
        &Cancel::default(),
    )
    .await
    .unwrap();
    for r in &partial {
        assert_eq!(r.status, CollectionStatus::Partial, "{r:?}");
        assert_eq!(
            r.failed_scopes.len(),
            2,
            "kms in both regions: {:?}",
            r.failed_scopes
        );
        let (record, scopes) = store.get_collection(&acme, &r.collection_id).await.unwrap();
        assert_eq!(record.status, CollectionStatus::Partial);
        let kms: Vec<_> = scopes.iter().filter(|s| s.service == "kms").collect();
        assert!(
            kms.iter()
                .all(|s| !s.ok && s.error_kind.as_deref() == Some("throttled")),
            "{kms:?}"
        );
    }
    // Evaluation learns which scopes the inventory may be missing: KMS in
    // both regions of both accounts, nothing else.
    let mut failed = store.failed_scopes(&acme).await.unwrap();
    failed.sort();
    assert_eq!(failed.len(), 4, "{failed:?}");
    assert!(
        failed.iter().all(|(_, service, _)| service == "kms"),
        "{failed:?}"
    );
    // Retried: two attempts per failing call.
    assert!(proxy.faulted() >= 2 * 2 * 2, "faulted {}", proxy.faulted());
    let keys_after = store
        .list_resources(
            &acme,
            &ResourceFilter {
                resource_type: Some("AWS::KMS::Key".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        keys_after.len(),
        4,
        "keys must survive a throttled collection"
    );
    for (a, b) in keys_before.iter().zip(&keys_after) {
        assert_eq!(
            (a.rid, a.version, &a.content_hash),
            (b.rid, b.version, &b.content_hash)
        );
    }

    // globex, scanned now, sees its own accounts only.
    proxy.set_faults(vec![]);
    let g = scan_tenant(
        &store,
        Some(&key),
        &globex,
        &opts(3),
        &NoProgress,
        &Cancel::default(),
    )
    .await
    .unwrap();
    assert!(
        g.iter().all(|r| r.status == CollectionStatus::Succeeded),
        "{g:?}"
    );
    let gres = store
        .list_resources(&globex, &ResourceFilter::default())
        .await
        .unwrap();
    assert!(gres.iter().all(|r| GLOBEX.contains(&r.account_id.as_str())));
    assert!(
        gres.iter()
            .any(|r| r.resource_id == format!("data-{}", GLOBEX[1]))
    );

    // A cancelled scan records itself and changes nothing.
    let before = store.count_resources(&acme).await.unwrap();
    let cancel = Cancel::default();
    cancel.cancel();
    let c = scan_tenant(&store, Some(&key), &acme, &opts(3), &NoProgress, &cancel)
        .await
        .unwrap();
    assert!(c.is_empty() || c.iter().all(|r| r.status == CollectionStatus::Cancelled));
    assert_eq!(store.count_resources(&acme).await.unwrap(), before);

    // Cancelled while a collection is in flight: KMS answers nothing until
    // released; once a KMS call is held, cancel. The collection records
    // itself as cancelled and the inventory keeps its last good data.
    proxy.set_faults(vec![Fault::hold("kms")]);
    let cancel = Cancel::default();
    let cancel_when_held = async {
        while proxy.held() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        cancel.cancel();
    };
    let options = opts(3);
    // A scan that ignored the cancel would wait on the held call for ever.
    let (c, ()) = tokio::time::timeout(Duration::from_secs(300), async {
        tokio::join!(
            scan_tenant(&store, Some(&key), &acme, &options, &NoProgress, &cancel),
            cancel_when_held
        )
    })
    .await
    .expect("the cancelled scan returns");
    let c = c.unwrap();
    assert!(
        c.iter().any(|r| r.status == CollectionStatus::Cancelled),
        "{c:?}"
    );
    assert!(
        c.iter().all(|r| r.status != CollectionStatus::Succeeded),
        "{c:?}"
    );
    assert_eq!(store.count_resources(&acme).await.unwrap(), before);
    let recorded = store.list_collections(&acme, 5).await.unwrap();
    assert_eq!(recorded[0].status, CollectionStatus::Cancelled);
    proxy.release();
    proxy.set_faults(vec![]);

    // The external id is stored encrypted: the database file never holds it.
    store.close().await;
    let mut raw = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        raw.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let needle = format!("ext-{}", ACME[0]);
    assert!(
        !raw.windows(needle.len()).any(|w| w == needle.as_bytes()),
        "external id stored in clear"
    );
}

#[tokio::test]
async fn a_wrong_master_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    let key = MasterKey::parse(&MasterKey::generate_hex()).unwrap();
    let id = register(&store, &key, "acme", &ACME[..1], "http://127.0.0.1:9").await;
    let other = MasterKey::parse(&MasterKey::generate_hex()).unwrap();
    let reports = scan_tenant(
        &store,
        Some(&other),
        &id,
        &opts(1),
        &NoProgress,
        &Cancel::default(),
    )
    .await
    .unwrap();
    let err = reports[0].error.clone().unwrap();
    assert!(err.contains("wrong master key"), "{err}");
    assert!(!err.contains("ext-"), "{err}");
    let none = scan_tenant(&store, None, &id, &opts(1), &NoProgress, &Cancel::default())
        .await
        .unwrap();
    assert!(
        none[0]
            .error
            .clone()
            .unwrap()
            .contains("SHARELINE_MASTER_KEY")
    );
    // Without a key, a secret cannot be stored at all.
    let refused = add_account(
        &store,
        None,
        &id,
        NewAccount {
            account_id: "111111111119".into(),
            name: None,
            access: AccessInput::AssumeRole {
                role_arn: "arn:aws:iam::111111111119:role/R".into(),
                external_id: Some("x".into()),
                profile: None,
            },
            regions: vec![],
            endpoint_url: None,
        },
    )
    .await;
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("SHARELINE_MASTER_KEY")
    );
}

fn require_test_env() {
    // Base credentials for assume-role come from the default chain; the test
    // command (scripts/test) exports moto's test keys and disables IMDS.
    assert!(
        std::env::var("AWS_ACCESS_KEY_ID").is_ok()
            && std::env::var("AWS_EC2_METADATA_DISABLED").is_ok(),
        "run the tests through scripts/test, which sets AWS_ACCESS_KEY_ID and AWS_EC2_METADATA_DISABLED"
    );
}

#[tokio::test]
async fn every_enabled_region_is_discovered_when_none_are_listed() {
    require_test_env();
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    let key = MasterKey::parse(&MasterKey::generate_hex()).unwrap();
    let account = ACME[0];
    let tenant = TenantId::parse("acme").unwrap();
    store.create_tenant(&tenant, "acme").await.unwrap();
    add_account(
        &store,
        Some(&key),
        &tenant,
        NewAccount {
            account_id: account.to_owned(),
            name: None,
            access: AccessInput::AssumeRole {
                role_arn: format!("arn:aws:iam::{account}:role/ShareLineAudit"),
                external_id: Some("ext".to_owned()),
                profile: None,
            },
            // No regions: every region the account has enabled.
            regions: vec![],
            endpoint_url: Some(moto.endpoint()),
        },
    )
    .await
    .unwrap();
    let mut options = opts(3);
    options.services = vec![shareline_collect_aws::service("sns").unwrap()];
    let reports = scan_tenant(
        &store,
        Some(&key),
        &tenant,
        &options,
        &NoProgress,
        &Cancel::default(),
    )
    .await
    .unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0].status,
        CollectionStatus::Succeeded,
        "{reports:?}"
    );

    // What the emulator says is enabled for the account, read independently.
    let conf = in_account(&moto.endpoint(), account, "us-east-1").await;
    let described = aws_sdk_ec2::Client::new(&conf)
        .describe_regions()
        .send()
        .await
        .unwrap();
    let mut enabled: Vec<String> = described
        .regions()
        .iter()
        .filter(|r| r.opt_in_status().is_none_or(|s| s != "not-opted-in"))
        .filter_map(|r| r.region_name().map(str::to_owned))
        .collect();
    enabled.sort();
    assert!(enabled.len() > 2, "{enabled:?}");
    let (_, scopes) = store
        .get_collection(&tenant, &reports[0].collection_id)
        .await
        .unwrap();
    let mut scanned: Vec<String> = scopes
        .iter()
        .filter(|s| s.service == "sns")
        .map(|s| s.region.clone())
        .collect();
    scanned.sort();
    assert_eq!(scanned, enabled);
}
