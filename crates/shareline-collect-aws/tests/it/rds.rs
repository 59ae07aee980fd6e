//! RDS collector against moto.

use aws_sdk_rds::types::Tag;
use serde_json::json;

use crate::{collect, of_type, setup};

#[tokio::test]
async fn instances_clusters_and_shared_snapshots_are_read() {
    let (_moto, conf) = setup("eu-central-1").await;
    let rds = aws_sdk_rds::Client::new(&conf);

    rds.create_db_instance()
        .db_instance_identifier("open-db")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("not-a-real-password")
        .publicly_accessible(true)
        .storage_encrypted(false)
        .backup_retention_period(0)
        .tags(Tag::builder().key("env").value("dev").build())
        .send()
        .await
        .unwrap();
    rds.create_db_snapshot()
        .db_instance_identifier("open-db")
        .db_snapshot_identifier("open-db-snap")
        .send()
        .await
        .unwrap();
    rds.modify_db_snapshot_attribute()
        .db_snapshot_identifier("open-db-snap")
        .attribute_name("restore")
        .values_to_add("all")
        .send()
        .await
        .unwrap();

    rds.create_db_cluster()
        .db_cluster_identifier("aurora-one")
        .engine("aurora-postgresql")
        .master_username("admin")
        .master_user_password("not-a-real-password")
        .storage_encrypted(true)
        .deletion_protection(true)
        .send()
        .await
        .unwrap();
    rds.create_db_cluster_snapshot()
        .db_cluster_identifier("aurora-one")
        .db_cluster_snapshot_identifier("aurora-one-snap")
        .send()
        .await
        .unwrap();

    let got = collect(&conf, "rds", "eu-central-1").await;
    assert!(got.gaps.is_empty(), "unexpected gaps: {:?}", got.gaps);

    let instances = of_type(&got, "AWS::RDS::DBInstance");
    assert_eq!(instances.len(), 1);
    let db = instances[0];
    assert_eq!(db.resource_id, "open-db");
    assert_eq!(db.arn, "arn:aws:rds:eu-central-1:123456789012:db:open-db");
    assert_eq!(db.tags.get("env").map(String::as_str), Some("dev"));
    let c = &db.configuration;
    assert_eq!(c["dbInstanceIdentifier"], "open-db");
    assert_eq!(c["engine"], "postgres");
    assert_eq!(c["dbInstanceClass"], "db.t3.micro");
    assert_eq!(c["publiclyAccessible"], true);
    assert_eq!(c["storageEncrypted"], false);
    assert_eq!(c["backupRetentionPeriod"], 0);
    assert!(c["vpcSecurityGroups"].is_array());
    // The master password is never part of what is read.
    assert!(
        !serde_json::to_string(&got.resources)
            .unwrap()
            .contains("not-a-real-password")
    );

    let clusters = of_type(&got, "AWS::RDS::DBCluster");
    assert_eq!(clusters.len(), 1);
    let cl = clusters[0];
    assert_eq!(cl.resource_id, "aurora-one");
    assert_eq!(
        cl.arn,
        "arn:aws:rds:eu-central-1:123456789012:cluster:aurora-one"
    );
    assert_eq!(cl.configuration["engine"], "aurora-postgresql");
    assert_eq!(cl.configuration["storageEncrypted"], true);
    assert_eq!(cl.configuration["deletionProtection"], true);

    let snaps = of_type(&got, "AWS::RDS::DBSnapshot");
    let snap = snaps
        .iter()
        .find(|s| s.resource_id == "open-db-snap")
        .unwrap();
    assert_eq!(
        snap.arn,
        "arn:aws:rds:eu-central-1:123456789012:snapshot:open-db-snap"
    );
    assert_eq!(snap.configuration["snapshotType"], "manual");
    assert_eq!(snap.configuration["encrypted"], false);
    assert_eq!(snap.configuration["engine"], "postgres");
    let attrs = snap.supplementary["SnapshotAttributes"].as_array().unwrap();
    assert!(attrs.contains(&json!({ "attributeName": "restore", "attributeValues": ["all"] })));

    let csnaps = of_type(&got, "AWS::RDS::DBClusterSnapshot");
    let cs = csnaps
        .iter()
        .find(|s| s.resource_id == "aurora-one-snap")
        .unwrap();
    assert_eq!(cs.configuration["storageEncrypted"], true);
    assert_eq!(cs.configuration["snapshotType"], "manual");
    let attrs = cs.supplementary["SnapshotAttributes"].as_array().unwrap();
    assert!(attrs.iter().all(|a| a["attributeValues"] != json!(["all"])));
}
