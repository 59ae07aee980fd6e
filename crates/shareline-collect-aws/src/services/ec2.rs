//! EC2 and VPC: instances, security groups, network ACLs, EBS volumes,
//! snapshots and AMIs owned by the account (with who may use them), the
//! region's EBS default encryption, VPCs, subnets, flow logs, Elastic IPs and
//! internet gateways.
//!
//! Configurations follow AWS Config's lowerCamelCase shapes; supplementary
//! keys follow AWS Config's names (`CreateVolumePermissions`,
//! `LaunchPermissions`).
//!
//! Failure policy: one run covers every type listed in [`DEF`], and a
//! successful run lets the store mark resources of those types that were not
//! seen as deleted. So any failing main `Describe*` list call fails the whole
//! run (the region keeps its last good inventory) rather than returning a
//! partial list. Per-item extra calls (snapshot and image permissions, the
//! EBS defaults) become unavailable markers through [`Collected::sub`].

use std::collections::BTreeMap;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    BlockDeviceMapping, ImageAttributeName, IpPermission, SnapshotAttributeName, Tag,
};
use futures::StreamExt;
use serde_json::{Value, json};
use shareline_model::{Relationship, Resource};

use super::{BoxFuture, Collected, ServiceDef, tag_map, ts_opt};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The EC2 collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "ec2",
    global: false,
    resource_types: &[
        INSTANCE,
        SECURITY_GROUP,
        NETWORK_ACL,
        VOLUME,
        SNAPSHOT,
        IMAGE,
        EBS_DEFAULTS,
        VPC,
        SUBNET,
        FLOW_LOG,
        EIP,
        INTERNET_GATEWAY,
    ],
    permissions: &[
        "ec2:DescribeInstances",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeVolumes",
        "ec2:DescribeSnapshots",
        "ec2:DescribeSnapshotAttribute",
        "ec2:DescribeImages",
        "ec2:DescribeImageAttribute",
        "ec2:GetEbsEncryptionByDefault",
        "ec2:GetEbsDefaultKmsKeyId",
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeFlowLogs",
        "ec2:DescribeAddresses",
        "ec2:DescribeInternetGateways",
    ],
    collect: run,
};

const INSTANCE: &str = "AWS::EC2::Instance";
const SECURITY_GROUP: &str = "AWS::EC2::SecurityGroup";
const NETWORK_ACL: &str = "AWS::EC2::NetworkAcl";
const VOLUME: &str = "AWS::EC2::Volume";
const SNAPSHOT: &str = "AWS::EC2::Snapshot";
const IMAGE: &str = "AWS::EC2::Image";
const EBS_DEFAULTS: &str = "AWS::EC2::EbsEncryptionByDefault";
const VPC: &str = "AWS::EC2::VPC";
const SUBNET: &str = "AWS::EC2::Subnet";
const FLOW_LOG: &str = "AWS::EC2::FlowLog";
const EIP: &str = "AWS::EC2::EIP";
const INTERNET_GATEWAY: &str = "AWS::EC2::InternetGateway";

/// How many snapshot or image attribute calls run at once.
const ATTRIBUTE_CONCURRENCY: usize = 8;

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let c = Client::new(&ctx.sdk);
    let (inst, sgs, acls, vols, snaps, imgs, vpcs, subnets, flows, eips, igws) = futures::try_join!(
        instances(ctx, &c),
        security_groups(ctx, &c),
        network_acls(ctx, &c),
        volumes(ctx, &c),
        snapshots(ctx, &c),
        images(ctx, &c),
        vpcs(ctx, &c),
        subnets(ctx, &c),
        flow_logs(ctx, &c),
        addresses(ctx, &c),
        internet_gateways(ctx, &c),
    )?;
    let mut out = Collected::default();
    for list in [inst, sgs, acls, vols, vpcs, subnets, flows, eips, igws] {
        out.resources.extend(list);
    }
    for part in [snaps, imgs] {
        out.resources.extend(part.resources);
        out.gaps.extend(part.gaps);
    }
    let ebs = ebs_defaults(ctx, &c, &mut out).await;
    out.resources.push(ebs);
    Ok(out)
}

/// Builds an EC2 ARN (`arn:aws:ec2:eu-west-1:123456789012:volume/vol-1`).
fn arn(ctx: &Ctx, kind: &str, id: &str) -> String {
    format!(
        "arn:{}:ec2:{}:{}:{kind}/{id}",
        ctx.partition(),
        ctx.region,
        ctx.account_id
    )
}

/// Starts a resource of `ty` named by its `Name` tag (else its id).
fn resource(ctx: &Ctx, ty: &str, id: &str, arn_kind: &str, tags: &[Tag]) -> Resource {
    let mut r = Resource::new(
        &ctx.account_id,
        &ctx.region,
        ty,
        id,
        &arn(ctx, arn_kind, id),
    );
    r.tags = tags_of(tags);
    if let Some(name) = r.tags.get("Name").filter(|n| !n.is_empty()) {
        r.name.clone_from(name);
    }
    r
}

fn tags_of(tags: &[Tag]) -> BTreeMap<String, String> {
    tag_map(
        tags.iter()
            .filter_map(|t| t.key().map(|k| (k, t.value().unwrap_or_default()))),
    )
}

fn rel(kind: &str, ty: &str, id: &str) -> Relationship {
    Relationship {
        kind: kind.to_owned(),
        resource_type: ty.to_owned(),
        resource_id: id.to_owned(),
    }
}

/// The string of an SDK enum value.
fn s<T: AsRef<str>>(v: Option<&T>) -> Option<&str> {
    v.map(AsRef::as_ref)
}

async fn instances(ctx: &Ctx, c: &Client) -> Result<Vec<Resource>, CollectError> {
    let mut out = Vec::new();
    let mut pages = c.describe_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CollectError::from_sdk("ec2:DescribeInstances", &e))?;
        for i in page.reservations().iter().flat_map(|r| r.instances()) {
            let Some(id) = i.instance_id() else { continue };
            let state = i.state().and_then(|st| s(st.name()));
            // Terminated instances linger in the API for a while; they are gone.
            if state == Some("terminated") {
                continue;
            }
            let mut r = resource(ctx, INSTANCE, id, "instance", i.tags());
            let meta = i.metadata_options();
            let sgs: Vec<Value> = i
                .security_groups()
                .iter()
                .map(|g| json!({ "groupId": g.group_id(), "groupName": g.group_name() }))
                .collect();
            let bdms: Vec<Value> = i
                .block_device_mappings()
                .iter()
                .map(|b| {
                    json!({
                        "deviceName": b.device_name(),
                        "ebs": b.ebs().map(|e| json!({
                            "volumeId": e.volume_id(),
                            "deleteOnTermination": e.delete_on_termination(),
                            "status": s(e.status()),
                            "attachTime": ts_opt(e.attach_time()),
                        })),
                    })
                })
                .collect();
            r.configuration = json!({
                "instanceId": id,
                "imageId": i.image_id(),
                "instanceType": s(i.instance_type()),
                "state": { "code": i.state().and_then(|st| st.code()), "name": state },
                "launchTime": ts_opt(i.launch_time()),
                "privateIpAddress": i.private_ip_address(),
                "privateDnsName": i.private_dns_name(),
                "publicIpAddress": i.public_ip_address(),
                "publicDnsName": i.public_dns_name(),
                "subnetId": i.subnet_id(),
                "vpcId": i.vpc_id(),
                "placement": { "availabilityZone": i.placement().and_then(|p| p.availability_zone()) },
                "architecture": s(i.architecture()),
                "platform": s(i.platform()),
                "iamInstanceProfile": i.iam_instance_profile().map(|p| json!({ "arn": p.arn(), "id": p.id() })),
                "securityGroups": sgs,
                "metadataOptions": meta.map(|m| json!({
                    "state": s(m.state()),
                    "httpTokens": s(m.http_tokens()),
                    "httpEndpoint": s(m.http_endpoint()),
                    "httpPutResponseHopLimit": m.http_put_response_hop_limit(),
                    "instanceMetadataTags": s(m.instance_metadata_tags()),
                })),
                "monitoring": { "state": i.monitoring().and_then(|m| s(m.state())) },
                "blockDeviceMappings": bdms,
                "keyName": i.key_name(),
                "ebsOptimized": i.ebs_optimized(),
            });
            for g in i.security_groups() {
                if let Some(gid) = g.group_id() {
                    r.relationships.push(rel(
                        "Is associated with SecurityGroup",
                        SECURITY_GROUP,
                        gid,
                    ));
                }
            }
            if let Some(sub) = i.subnet_id() {
                r.relationships
                    .push(rel("Is contained in Subnet", SUBNET, sub));
            }
            if let Some(vpc) = i.vpc_id() {
                r.relationships.push(rel("Is contained in Vpc", VPC, vpc));
            }
            for vol in i
                .block_device_mappings()
                .iter()
                .filter_map(|b| b.ebs()?.volume_id())
            {
                r.relationships
                    .push(rel("Is attached to Volume", VOLUME, vol));
            }
            out.push(r);
        }
    }
    Ok(out)
}

/// One security group rule in AWS Config's shape.
fn ip_permission(p: &IpPermission) -> Value {
    let v4: Vec<Value> = p
        .ip_ranges()
        .iter()
        .map(|x| json!({ "cidrIp": x.cidr_ip(), "description": x.description() }))
        .collect();
    let v6: Vec<Value> = p
        .ipv6_ranges()
        .iter()
        .map(|x| json!({ "cidrIpv6": x.cidr_ipv6(), "description": x.description() }))
        .collect();
    let pairs: Vec<Value> = p
        .user_id_group_pairs()
        .iter()
        .map(|x| {
            json!({
                "groupId": x.group_id(),
                "groupName": x.group_name(),
                "userId": x.user_id(),
                "vpcId": x.vpc_id(),
                "vpcPeeringConnectionId": x.vpc_peering_connection_id(),
                "peeringStatus": x.peering_status(),
                "description": x.description(),
            })
        })
        .collect();
    let prefixes: Vec<Value> = p
        .prefix_list_ids()
        .iter()
        .map(|x| json!({ "prefixListId": x.prefix_list_id(), "description": x.description() }))
        .collect();
    let ip_ranges: Vec<&str> = p.ip_ranges().iter().filter_map(|x| x.cidr_ip()).collect();
    json!({
        "ipProtocol": p.ip_protocol(),
        "fromPort": p.from_port(),
        "toPort": p.to_port(),
        "ipv4Ranges": v4,
        "ipv6Ranges": v6,
        "ipRanges": ip_ranges,
        "userIdGroupPairs": pairs,
        "prefixListIds": prefixes,
    })
}

async fn security_groups(ctx: &Ctx, c: &Client) -> Result<Vec<Resource>, CollectError> {
    let mut out = Vec::new();
    let mut items = c.describe_security_groups().into_paginator().items().send();
    while let Some(g) = items.next().await {
        let g = g.map_err(|e| CollectError::from_sdk("ec2:DescribeSecurityGroups", &e))?;
        let Some(id) = g.group_id() else { continue };
        let mut r = resource(ctx, SECURITY_GROUP, id, "security-group", g.tags());
        // As AWS Config names security groups: the group name, unless tagged.
        if !r.tags.contains_key("Name")
            && let Some(name) = g.group_name()
        {
            name.clone_into(&mut r.name);
        }
        let ingress: Vec<Value> = g.ip_permissions().iter().map(ip_permission).collect();
        let egress: Vec<Value> = g
            .ip_permissions_egress()
            .iter()
            .map(ip_permission)
            .collect();
        r.configuration = json!({
            "groupId": id,
            "groupName": g.group_name(),
            "description": g.description(),
            "vpcId": g.vpc_id(),
            "ownerId": g.owner_id(),
            "ipPermissions": ingress,
            "ipPermissionsEgress": egress,
        });
        if let Some(vpc) = g.vpc_id() {
            r.relationships.push(rel("Is contained in Vpc", VPC, vpc));
        }
        out.push(r);
    }
    Ok(out)
}

async fn network_acls(ctx: &Ctx, c: &Client) -> Result<Vec<Resource>, CollectError> {
    let mut out = Vec::new();
    let mut items = c.describe_network_acls().into_paginator().items().send();
    while let Some(a) = items.next().await {
        let a = a.map_err(|e| CollectError::from_sdk("ec2:DescribeNetworkAcls", &e))?;
        let Some(id) = a.network_acl_id() else {
            continue;
        };
        let mut r = resource(ctx, NETWORK_ACL, id, "network-acl", a.tags());
        let entries: Vec<Value> = a
            .entries()
            .iter()
            .map(|e| {
                json!({
                    "ruleNumber": e.rule_number(),
                    "protocol": e.protocol(),
                    "ruleAction": s(e.rule_action()),
                    "egress": e.egress(),
                    "cidrBlock": e.cidr_block(),
                    "ipv6CidrBlock": e.ipv6_cidr_block(),
                    "portRange": e.port_range().map(|p| json!({ "from": p.from(), "to": p.to() })),
                    "icmpTypeCode": e.icmp_type_code().map(|t| json!({ "code": t.code(), "type": t.r#type() })),
                })
            })
            .collect();
        let assoc: Vec<Value> = a
            .associations()
            .iter()
            .map(|x| {
                json!({
                    "networkAclAssociationId": x.network_acl_association_id(),
                    "networkAclId": x.network_acl_id(),
                    "subnetId": x.subnet_id(),
                })
            })
            .collect();
        r.configuration = json!({
            "networkAclId": id,
            "vpcId": a.vpc_id(),
            "ownerId": a.owner_id(),
            "isDefault": a.is_default(),
            "entries": entries,
            "associations": assoc,
        });
        if let Some(vpc) = a.vpc_id() {
            r.relationships.push(rel("Is contained in Vpc", VPC, vpc));
        }
        for sub in a.associations().iter().filter_map(|x| x.subnet_id()) {
            r.relationships
                .push(rel("Is attached to Subnet", SUBNET, sub));
        }
        out.push(r);
    }
    Ok(out)
}

async fn volumes(ctx: &Ctx, c: &Client) -> Result<Vec<Resource>, CollectError> {
    let mut out = Vec::new();
    let mut items = c.describe_volumes().into_paginator().items().send();
    while let Some(v) = items.next().await {
        let v = v.map_err(|e| CollectError::from_sdk("ec2:DescribeVolumes", &e))?;
        let Some(id) = v.volume_id() else { continue };
        let mut r = resource(ctx, VOLUME, id, "volume", v.tags());
        let attachments: Vec<Value> = v
            .attachments()
            .iter()
            .map(|a| {
                json!({
                    "instanceId": a.instance_id(),
                    "device": a.device(),
                    "state": s(a.state()),
                    "attachTime": ts_opt(a.attach_time()),
                    "deleteOnTermination": a.delete_on_termination(),
                })
            })
            .collect();
        r.configuration = json!({
            "volumeId": id,
            "size": v.size(),
            "volumeType": s(v.volume_type()),
            "iops": v.iops(),
            "encrypted": v.encrypted(),
            "kmsKeyId": v.kms_key_id(),
            "snapshotId": v.snapshot_id(),
            "state": s(v.state()),
            "availabilityZone": v.availability_zone(),
            "createTime": ts_opt(v.create_time()),
            "multiAttachEnabled": v.multi_attach_enabled(),
            "attachments": attachments,
        });
        for inst in v.attachments().iter().filter_map(|a| a.instance_id()) {
            r.relationships
                .push(rel("Is attached to Instance", INSTANCE, inst));
        }
        out.push(r);
    }
    Ok(out)
}

/// Lists the account's own snapshots, then reads who may create volumes
/// from each.
async fn snapshots(ctx: &Ctx, c: &Client) -> Result<Collected, CollectError> {
    let mut found = Vec::new();
    let mut items = c
        .describe_snapshots()
        .owner_ids("self")
        .into_paginator()
        .items()
        .send();
    while let Some(sn) = items.next().await {
        let sn = sn.map_err(|e| CollectError::from_sdk("ec2:DescribeSnapshots", &e))?;
        let Some(id) = sn.snapshot_id() else { continue };
        let mut r = resource(ctx, SNAPSHOT, id, "snapshot", sn.tags());
        r.configuration = json!({
            "snapshotId": id,
            "volumeId": sn.volume_id(),
            "ownerId": sn.owner_id(),
            "description": sn.description(),
            "encrypted": sn.encrypted(),
            "kmsKeyId": sn.kms_key_id(),
            "startTime": ts_opt(sn.start_time()),
            "volumeSize": sn.volume_size(),
            "state": s(sn.state()),
            "progress": sn.progress(),
        });
        if let Some(vol) = sn.volume_id() {
            r.relationships
                .push(rel("Is associated with Volume", VOLUME, vol));
        }
        found.push(r);
    }
    let parts: Vec<Collected> = futures::stream::iter(found)
        .map(|r| snapshot_permissions(c, r))
        .buffer_unordered(ATTRIBUTE_CONCURRENCY)
        .collect()
        .await;
    Ok(merge(parts))
}

async fn snapshot_permissions(c: &Client, mut r: Resource) -> Collected {
    let mut out = Collected::default();
    let res = c
        .describe_snapshot_attribute()
        .snapshot_id(&r.resource_id)
        .attribute(SnapshotAttributeName::CreateVolumePermission)
        .send()
        .await;
    let perms = out.sub(
        "ec2:DescribeSnapshotAttribute",
        res,
        &["InvalidSnapshot.NotFound"],
        |o| {
            let list: Vec<Value> = o
                .create_volume_permissions()
                .iter()
                .map(|p| json!({ "group": s(p.group()), "userId": p.user_id() }))
                .collect();
            Value::Array(list)
        },
    );
    r.supplementary = json!({ "CreateVolumePermissions": perms });
    out.resources.push(r);
    out
}

/// One AMI block device mapping.
fn image_bdm(b: &BlockDeviceMapping) -> Value {
    json!({
        "deviceName": b.device_name(),
        "virtualName": b.virtual_name(),
        "noDevice": b.no_device(),
        "ebs": b.ebs().map(|e| json!({
            "snapshotId": e.snapshot_id(),
            "volumeSize": e.volume_size(),
            "volumeType": s(e.volume_type()),
            "encrypted": e.encrypted(),
            "kmsKeyId": e.kms_key_id(),
            "deleteOnTermination": e.delete_on_termination(),
        })),
    })
}

/// Lists the account's own AMIs, then reads who may launch each.
async fn images(ctx: &Ctx, c: &Client) -> Result<Collected, CollectError> {
    let mut found = Vec::new();
    let mut items = c
        .describe_images()
        .owners("self")
        .into_paginator()
        .items()
        .send();
    while let Some(im) = items.next().await {
        let im = im.map_err(|e| CollectError::from_sdk("ec2:DescribeImages", &e))?;
        let Some(id) = im.image_id() else { continue };
        let mut r = resource(ctx, IMAGE, id, "image", im.tags());
        // No Name tag: the AMI's own name reads better than its id.
        if r.name == id
            && let Some(n) = im.name().filter(|n| !n.is_empty())
        {
            n.clone_into(&mut r.name);
        }
        let bdms: Vec<Value> = im.block_device_mappings().iter().map(image_bdm).collect();
        r.configuration = json!({
            "imageId": id,
            "name": im.name(),
            "description": im.description(),
            "ownerId": im.owner_id(),
            "public": im.public(),
            "creationDate": im.creation_date(),
            "state": s(im.state()),
            "imageType": s(im.image_type()),
            "architecture": s(im.architecture()),
            "platform": s(im.platform()),
            "rootDeviceType": s(im.root_device_type()),
            "imdsSupport": s(im.imds_support()),
            "deprecationTime": im.deprecation_time(),
            "blockDeviceMappings": bdms,
        });
        found.push(r);
    }
    let parts: Vec<Collected> = futures::stream::iter(found)
        .map(|r| image_permissions(c, r))
        .buffer_unordered(ATTRIBUTE_CONCURRENCY)
        .collect()
        .await;
    Ok(merge(parts))
}

async fn image_permissions(c: &Client, mut r: Resource) -> Collected {
    let mut out = Collected::default();
    let res = c
        .describe_image_attribute()
        .image_id(&r.resource_id)
        .attribute(ImageAttributeName::LaunchPermission)
        .send()
        .await;
    let perms = out.sub(
        "ec2:DescribeImageAttribute",
        res,
        &["InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"],
        |o| {
            let list: Vec<Value> = o
                .launch_permissions()
                .iter()
                .map(|p| {
                    json!({
                        "group": s(p.group()),
                        "userId": p.user_id(),
                        "organizationArn": p.organization_arn(),
                        "organizationalUnitArn": p.organizational_unit_arn(),
                    })
                })
                .collect();
            Value::Array(list)
        },
    );
    r.supplementary = json!({ "LaunchPermissions": perms });
    out.resources.push(r);
    out
}

fn merge(parts: Vec<Collected>) -> Collected {
    let mut out = Collected::default();
    for p in parts {
        out.resources.extend(p.resources);
        out.gaps.extend(p.gaps);
    }
    out
}

/// The region's EBS encryption default. Both values may be unavailable
/// markers (read them with `Attr::of`).
async fn ebs_defaults(ctx: &Ctx, c: &Client, out: &mut Collected) -> Resource {
    let by_default = c.get_ebs_encryption_by_default().send().await;
    let by_default = out.sub("ec2:GetEbsEncryptionByDefault", by_default, &[], |o| {
        json!(o.ebs_encryption_by_default())
    });
    let key = c.get_ebs_default_kms_key_id().send().await;
    let key = out.sub("ec2:GetEbsDefaultKmsKeyId", key, &[], |o| {
        json!(o.kms_key_id())
    });
    let id = format!("{}/{}", ctx.account_id, ctx.region);
    let arn = format!(
        "arn:{}:ec2:{}:{}:ebs-encryption-by-default",
        ctx.partition(),
        ctx.region,
        ctx.account_id
    );
    let mut r = Resource::new(&ctx.account_id, &ctx.region, EBS_DEFAULTS, &id, &arn);
    r.name = format!("EBS encryption by default ({})", ctx.region);
    r.configuration = json!({ "ebsEncryptionByDefault": by_default, "kmsKeyId": key });
    r
}

async fn vpcs(ctx: &Ctx, c: &Client) -> Result<Vec<Resource>, CollectError> {
    let mut out = Vec::new();
    let mut items = c.describe_vpcs().into_paginator().items().send();
    while let Some(v) = items.next().await {
        let v = v.map_err(|e| CollectError::from_sdk("ec2:DescribeVpcs", &e))?;
        let Some(id) = v.vpc_id() else { continue };
        let mut r = resource(ctx, VPC, id, "vpc", v.tags());
        r.configuration = json!({
            "vpcId": id,
            "ownerId": v.owner_id(),
            "cidrBlock": v.cidr_block(),
            "isDefault": v.is_default(),
            "state": s(v.state()),
            "instanceTenancy": s(v.instance_tenancy()),
            "dhcpOptionsId": v.dhcp_options_id(),
        });
        out.push(r);
    }
    Ok(out)
}

async fn subnets(ctx: &Ctx, c: &Client) -> Result<Vec<Resource>, CollectError> {
    let mut out = Vec::new();
    let mut items = c.describe_subnets().into_paginator().items().send();
    while let Some(sn) = items.next().await {
        let sn = sn.map_err(|e| CollectError::from_sdk("ec2:DescribeSubnets", &e))?;
        let Some(id) = sn.subnet_id() else { continue };
        let mut r = resource(ctx, SUBNET, id, "subnet", sn.tags());
        r.configuration = json!({
            "subnetId": id,
            "vpcId": sn.vpc_id(),
            "cidrBlock": sn.cidr_block(),
            "availabilityZone": sn.availability_zone(),
            "mapPublicIpOnLaunch": sn.map_public_ip_on_launch(),
            "defaultForAz": sn.default_for_az(),
            "state": s(sn.state()),
            "availableIpAddressCount": sn.available_ip_address_count(),
        });
        if let Some(vpc) = sn.vpc_id() {
            r.relationships.push(rel("Is contained in Vpc", VPC, vpc));
        }
        out.push(r);
    }
    Ok(out)
}

async fn flow_logs(ctx: &Ctx, c: &Client) -> Result<Vec<Resource>, CollectError> {
    let mut out = Vec::new();
    let mut items = c.describe_flow_logs().into_paginator().items().send();
    while let Some(f) = items.next().await {
        let f = f.map_err(|e| CollectError::from_sdk("ec2:DescribeFlowLogs", &e))?;
        let Some(id) = f.flow_log_id() else { continue };
        let mut r = resource(ctx, FLOW_LOG, id, "vpc-flow-log", f.tags());
        r.configuration = json!({
            "flowLogId": id,
            "resourceId": f.resource_id(),
            "trafficType": s(f.traffic_type()),
            "logDestinationType": s(f.log_destination_type()),
            "logDestination": f.log_destination(),
            "logGroupName": f.log_group_name(),
            "flowLogStatus": f.flow_log_status(),
            "deliverLogsStatus": f.deliver_logs_status(),
            "deliverLogsErrorMessage": f.deliver_logs_error_message(),
            "logFormat": f.log_format(),
            "creationTime": ts_opt(f.creation_time()),
        });
        if let Some(target) = f.resource_id() {
            let ty = if target.starts_with("vpc-") {
                Some(VPC)
            } else if target.starts_with("subnet-") {
                Some(SUBNET)
            } else {
                None
            };
            if let Some(ty) = ty {
                let kind = if ty == VPC {
                    "Is associated with Vpc"
                } else {
                    "Is associated with Subnet"
                };
                r.relationships.push(rel(kind, ty, target));
            }
        }
        out.push(r);
    }
    Ok(out)
}

/// Elastic IPs (DescribeAddresses is not paginated).
async fn addresses(ctx: &Ctx, c: &Client) -> Result<Vec<Resource>, CollectError> {
    let page = c
        .describe_addresses()
        .send()
        .await
        .map_err(|e| CollectError::from_sdk("ec2:DescribeAddresses", &e))?;
    let mut out = Vec::new();
    for a in page.addresses() {
        let Some(id) = a.allocation_id().or_else(|| a.public_ip()) else {
            continue;
        };
        let mut r = resource(ctx, EIP, id, "elastic-ip", a.tags());
        r.configuration = json!({
            "allocationId": a.allocation_id(),
            "publicIp": a.public_ip(),
            "associationId": a.association_id(),
            "instanceId": a.instance_id(),
            "networkInterfaceId": a.network_interface_id(),
            "privateIpAddress": a.private_ip_address(),
            "domain": s(a.domain()),
        });
        if let Some(inst) = a.instance_id().filter(|i| !i.is_empty()) {
            r.relationships
                .push(rel("Is attached to Instance", INSTANCE, inst));
        }
        out.push(r);
    }
    Ok(out)
}

async fn internet_gateways(ctx: &Ctx, c: &Client) -> Result<Vec<Resource>, CollectError> {
    let mut out = Vec::new();
    let mut items = c
        .describe_internet_gateways()
        .into_paginator()
        .items()
        .send();
    while let Some(g) = items.next().await {
        let g = g.map_err(|e| CollectError::from_sdk("ec2:DescribeInternetGateways", &e))?;
        let Some(id) = g.internet_gateway_id() else {
            continue;
        };
        let mut r = resource(ctx, INTERNET_GATEWAY, id, "internet-gateway", g.tags());
        let attachments: Vec<Value> = g
            .attachments()
            .iter()
            .map(|a| json!({ "vpcId": a.vpc_id(), "state": s(a.state()) }))
            .collect();
        r.configuration = json!({
            "internetGatewayId": id,
            "ownerId": g.owner_id(),
            "attachments": attachments,
        });
        for vpc in g.attachments().iter().filter_map(|a| a.vpc_id()) {
            r.relationships.push(rel("Is attached to Vpc", VPC, vpc));
        }
        out.push(r);
    }
    Ok(out)
}
