//! RDS: DB instances, DB clusters, and their snapshots with the snapshot
//! sharing attributes.
//!
//! Configuration follows the shapes AWS Config records for
//! `AWS::RDS::DBInstance`, `AWS::RDS::DBCluster`, `AWS::RDS::DBSnapshot` and
//! `AWS::RDS::DBClusterSnapshot`, in lowerCamelCase. Snapshots carry the
//! supplementary key `SnapshotAttributes` (`[{attributeName, attributeValues}]`;
//! `restore` containing `all` means the snapshot is public). Only manual
//! snapshots can be shared, so automated ones get null there.
//!
//! DescribeDBInstances and DescribeDBClusters also return Neptune and
//! DocumentDB resources, which share the RDS API; `engine` tells them apart.

use futures::StreamExt;
use serde_json::{Value, json};
use shareline_model::Resource;
use shareline_model::resource::Relationship;

use super::{BoxFuture, Collected, ServiceDef, tag_map, ts_opt};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The RDS collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "rds",
    global: false,
    resource_types: &[
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::RDS::DBSnapshot",
        "AWS::RDS::DBClusterSnapshot",
    ],
    permissions: &[
        "rds:DescribeDBInstances",
        "rds:DescribeDBClusters",
        "rds:DescribeDBSnapshots",
        "rds:DescribeDBClusterSnapshots",
        "rds:DescribeDBSnapshotAttributes",
        "rds:DescribeDBClusterSnapshotAttributes",
    ],
    collect: run,
};

/// How many snapshots have their attributes read at once.
const SNAPSHOT_CONCURRENCY: usize = 8;

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let client = aws_sdk_rds::Client::new(&ctx.sdk);
    let mut out = Collected::default();

    let mut items = client
        .describe_db_instances()
        .into_paginator()
        .items()
        .send();
    while let Some(i) = items.next().await {
        let i = i.map_err(|e| CollectError::from_sdk("rds:DescribeDBInstances", &e))?;
        out.resources.push(instance(ctx, &i));
    }

    let mut items = client
        .describe_db_clusters()
        .into_paginator()
        .items()
        .send();
    while let Some(c) = items.next().await {
        let c = c.map_err(|e| CollectError::from_sdk("rds:DescribeDBClusters", &e))?;
        out.resources.push(cluster(ctx, &c));
    }

    let mut snapshots = Vec::new();
    let mut items = client
        .describe_db_snapshots()
        .into_paginator()
        .items()
        .send();
    while let Some(s) = items.next().await {
        snapshots.push(s.map_err(|e| CollectError::from_sdk("rds:DescribeDBSnapshots", &e))?);
    }
    let results: Vec<Collected> = futures::stream::iter(snapshots)
        .map(|s| db_snapshot(ctx, &client, s))
        .buffer_unordered(SNAPSHOT_CONCURRENCY)
        .collect()
        .await;
    merge(&mut out, results);

    let mut snapshots = Vec::new();
    let mut items = client
        .describe_db_cluster_snapshots()
        .into_paginator()
        .items()
        .send();
    while let Some(s) = items.next().await {
        snapshots
            .push(s.map_err(|e| CollectError::from_sdk("rds:DescribeDBClusterSnapshots", &e))?);
    }
    let results: Vec<Collected> = futures::stream::iter(snapshots)
        .map(|s| cluster_snapshot(ctx, &client, s))
        .buffer_unordered(SNAPSHOT_CONCURRENCY)
        .collect()
        .await;
    merge(&mut out, results);
    Ok(out)
}

fn merge(out: &mut Collected, results: Vec<Collected>) {
    for r in results {
        out.resources.extend(r.resources);
        out.gaps.extend(r.gaps);
    }
}

fn rds_tags(tags: &[aws_sdk_rds::types::Tag]) -> std::collections::BTreeMap<String, String> {
    tag_map(
        tags.iter()
            .filter_map(|t| t.key().map(|k| (k, t.value().unwrap_or_default()))),
    )
}

fn arn_of(ctx: &Ctx, kind: &str, id: &str) -> String {
    format!(
        "arn:{}:rds:{}:{}:{kind}:{id}",
        ctx.partition(),
        ctx.region,
        ctx.account_id
    )
}

fn security_groups(
    groups: &[aws_sdk_rds::types::VpcSecurityGroupMembership],
) -> (Vec<Value>, Vec<Relationship>) {
    let json = groups
        .iter()
        .map(|g| json!({ "vpcSecurityGroupId": g.vpc_security_group_id(), "status": g.status() }))
        .collect();
    let rels = groups
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .map(|id| Relationship {
            kind: "Is associated with".to_owned(),
            resource_type: "AWS::EC2::SecurityGroup".to_owned(),
            resource_id: id.to_owned(),
        })
        .collect();
    (json, rels)
}

fn instance(ctx: &Ctx, i: &aws_sdk_rds::types::DbInstance) -> Resource {
    let id = i.db_instance_identifier().unwrap_or_default();
    let arn = i
        .db_instance_arn()
        .map_or_else(|| arn_of(ctx, "db", id), str::to_owned);
    let mut r = Resource::new(
        &ctx.account_id,
        &ctx.region,
        "AWS::RDS::DBInstance",
        id,
        &arn,
    );
    let (sgs, mut rels) = security_groups(i.vpc_security_groups());
    if let Some(cluster) = i.db_cluster_identifier() {
        rels.push(Relationship {
            kind: "Is contained in".to_owned(),
            resource_type: "AWS::RDS::DBCluster".to_owned(),
            resource_id: cluster.to_owned(),
        });
    }
    r.relationships = rels;
    r.tags = rds_tags(i.tag_list());
    r.configuration = json!({
        "dbInstanceIdentifier": id,
        "dbInstanceArn": arn,
        "dbiResourceId": i.dbi_resource_id(),
        "dbInstanceStatus": i.db_instance_status(),
        "engine": i.engine(),
        "engineVersion": i.engine_version(),
        "dbInstanceClass": i.db_instance_class(),
        "publiclyAccessible": i.publicly_accessible(),
        "storageEncrypted": i.storage_encrypted(),
        "kmsKeyId": i.kms_key_id(),
        "multiAZ": i.multi_az(),
        "backupRetentionPeriod": i.backup_retention_period(),
        "deletionProtection": i.deletion_protection(),
        "autoMinorVersionUpgrade": i.auto_minor_version_upgrade(),
        "iamDatabaseAuthenticationEnabled": i.iam_database_authentication_enabled(),
        "enabledCloudwatchLogsExports": i.enabled_cloudwatch_logs_exports(),
        "caCertificateIdentifier": i.ca_certificate_identifier(),
        "vpcSecurityGroups": sgs,
        "dbSubnetGroup": i.db_subnet_group().map(|g| json!({
            "dbSubnetGroupName": g.db_subnet_group_name(),
            "vpcId": g.vpc_id(),
        })),
        "dbClusterIdentifier": i.db_cluster_identifier(),
        "endpoint": i.endpoint().map(|e| json!({
            "address": e.address(),
            "port": e.port(),
        })),
        "copyTagsToSnapshot": i.copy_tags_to_snapshot(),
        "monitoringInterval": i.monitoring_interval(),
        "performanceInsightsEnabled": i.performance_insights_enabled(),
        "instanceCreateTime": ts_opt(i.instance_create_time()),
    });
    r
}

fn cluster(ctx: &Ctx, c: &aws_sdk_rds::types::DbCluster) -> Resource {
    let id = c.db_cluster_identifier().unwrap_or_default();
    let arn = c
        .db_cluster_arn()
        .map_or_else(|| arn_of(ctx, "cluster", id), str::to_owned);
    let mut r = Resource::new(
        &ctx.account_id,
        &ctx.region,
        "AWS::RDS::DBCluster",
        id,
        &arn,
    );
    let (sgs, rels) = security_groups(c.vpc_security_groups());
    r.relationships = rels;
    r.tags = rds_tags(c.tag_list());
    let members: Vec<Value> = c
        .db_cluster_members()
        .iter()
        .map(|m| {
            json!({
                "dbInstanceIdentifier": m.db_instance_identifier(),
                "isClusterWriter": m.is_cluster_writer(),
            })
        })
        .collect();
    r.configuration = json!({
        "dbClusterIdentifier": id,
        "dbClusterArn": arn,
        "dbClusterResourceId": c.db_cluster_resource_id(),
        "status": c.status(),
        "engine": c.engine(),
        "engineVersion": c.engine_version(),
        "engineMode": c.engine_mode(),
        "dbClusterInstanceClass": c.db_cluster_instance_class(),
        "publiclyAccessible": c.publicly_accessible(),
        "storageEncrypted": c.storage_encrypted(),
        "kmsKeyId": c.kms_key_id(),
        "multiAZ": c.multi_az(),
        "backupRetentionPeriod": c.backup_retention_period(),
        "deletionProtection": c.deletion_protection(),
        "autoMinorVersionUpgrade": c.auto_minor_version_upgrade(),
        "iamDatabaseAuthenticationEnabled": c.iam_database_authentication_enabled(),
        "enabledCloudwatchLogsExports": c.enabled_cloudwatch_logs_exports(),
        "vpcSecurityGroups": sgs,
        "dbSubnetGroup": c.db_subnet_group(),
        "dbClusterMembers": members,
        "endpoint": c.endpoint(),
        "readerEndpoint": c.reader_endpoint(),
        "port": c.port(),
        "httpEndpointEnabled": c.http_endpoint_enabled(),
        "copyTagsToSnapshot": c.copy_tags_to_snapshot(),
        "activityStreamStatus": c.activity_stream_status().map(|s| s.as_str()),
        "clusterCreateTime": ts_opt(c.cluster_create_time()),
    });
    r
}

/// Turns snapshot attributes into `[{attributeName, attributeValues}]`.
fn attributes<'a>(pairs: impl Iterator<Item = (Option<&'a str>, &'a [String])>) -> Value {
    Value::Array(
        pairs
            .map(|(name, values)| json!({ "attributeName": name, "attributeValues": values }))
            .collect(),
    )
}

fn is_manual(snapshot_type: Option<&str>) -> bool {
    // Automated snapshots cannot be shared; manual and shared copies can.
    !matches!(snapshot_type, Some("automated" | "awsbackup"))
}

async fn db_snapshot(
    ctx: &Ctx,
    client: &aws_sdk_rds::Client,
    s: aws_sdk_rds::types::DbSnapshot,
) -> Collected {
    let mut out = Collected::default();
    let id = s.db_snapshot_identifier().unwrap_or_default();
    let arn = s
        .db_snapshot_arn()
        .map_or_else(|| arn_of(ctx, "snapshot", id), str::to_owned);
    let mut r = Resource::new(
        &ctx.account_id,
        &ctx.region,
        "AWS::RDS::DBSnapshot",
        id,
        &arn,
    );
    r.tags = rds_tags(s.tag_list());
    if let Some(db) = s.db_instance_identifier() {
        r.relationships.push(Relationship {
            kind: "Is associated with".to_owned(),
            resource_type: "AWS::RDS::DBInstance".to_owned(),
            resource_id: db.to_owned(),
        });
    }
    r.configuration = json!({
        "dbSnapshotIdentifier": id,
        "dbSnapshotArn": arn,
        "dbInstanceIdentifier": s.db_instance_identifier(),
        "encrypted": s.encrypted(),
        "kmsKeyId": s.kms_key_id(),
        "engine": s.engine(),
        "engineVersion": s.engine_version(),
        "snapshotType": s.snapshot_type(),
        "status": s.status(),
        "snapshotCreateTime": ts_opt(s.snapshot_create_time()),
        "vpcId": s.vpc_id(),
        "iamDatabaseAuthenticationEnabled": s.iam_database_authentication_enabled(),
    });
    let attrs = if is_manual(s.snapshot_type()) {
        let res = client
            .describe_db_snapshot_attributes()
            .db_snapshot_identifier(id)
            .send()
            .await;
        out.sub(
            "rds:DescribeDBSnapshotAttributes",
            res,
            &["DBSnapshotNotFound"],
            |o| {
                attributes(
                    o.db_snapshot_attributes_result()
                        .map(|a| a.db_snapshot_attributes())
                        .unwrap_or_default()
                        .iter()
                        .map(|a| (a.attribute_name(), a.attribute_values())),
                )
            },
        )
    } else {
        Value::Null
    };
    r.supplementary = json!({ "SnapshotAttributes": attrs });
    out.resources.push(r);
    out
}

async fn cluster_snapshot(
    ctx: &Ctx,
    client: &aws_sdk_rds::Client,
    s: aws_sdk_rds::types::DbClusterSnapshot,
) -> Collected {
    let mut out = Collected::default();
    let id = s.db_cluster_snapshot_identifier().unwrap_or_default();
    let arn = s
        .db_cluster_snapshot_arn()
        .map_or_else(|| arn_of(ctx, "cluster-snapshot", id), str::to_owned);
    let mut r = Resource::new(
        &ctx.account_id,
        &ctx.region,
        "AWS::RDS::DBClusterSnapshot",
        id,
        &arn,
    );
    r.tags = rds_tags(s.tag_list());
    if let Some(c) = s.db_cluster_identifier() {
        r.relationships.push(Relationship {
            kind: "Is associated with".to_owned(),
            resource_type: "AWS::RDS::DBCluster".to_owned(),
            resource_id: c.to_owned(),
        });
    }
    r.configuration = json!({
        "dbClusterSnapshotIdentifier": id,
        "dbClusterSnapshotArn": arn,
        "dbClusterIdentifier": s.db_cluster_identifier(),
        "storageEncrypted": s.storage_encrypted(),
        "kmsKeyId": s.kms_key_id(),
        "engine": s.engine(),
        "engineVersion": s.engine_version(),
        "snapshotType": s.snapshot_type(),
        "status": s.status(),
        "snapshotCreateTime": ts_opt(s.snapshot_create_time()),
        "vpcId": s.vpc_id(),
        "iamDatabaseAuthenticationEnabled": s.iam_database_authentication_enabled(),
    });
    let attrs = if is_manual(s.snapshot_type()) {
        let res = client
            .describe_db_cluster_snapshot_attributes()
            .db_cluster_snapshot_identifier(id)
            .send()
            .await;
        out.sub(
            "rds:DescribeDBClusterSnapshotAttributes",
            res,
            &["DBClusterSnapshotNotFoundFault"],
            |o| {
                attributes(
                    o.db_cluster_snapshot_attributes_result()
                        .map(|a| a.db_cluster_snapshot_attributes())
                        .unwrap_or_default()
                        .iter()
                        .map(|a| (a.attribute_name(), a.attribute_values())),
                )
            },
        )
    } else {
        Value::Null
    };
    r.supplementary = json!({ "SnapshotAttributes": attrs });
    out.resources.push(r);
    out
}
