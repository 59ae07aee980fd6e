//! EC2 and VPC collector against moto.

use aws_sdk_ec2::types::{
    DomainType, FlowLogsResourceType, HttpTokensState, InstanceMetadataOptionsRequest,
    InstanceType, IpPermission, IpRange, LaunchPermission, LaunchPermissionModifications,
    LogDestinationType, OperationType, ResourceType, SnapshotAttributeName, Tag, TagSpecification,
    TrafficType,
};
use serde_json::Value;
use shareline_collect_aws::ctx::Ctx;
use shareline_collect_aws::error::ErrorKind;
use shareline_collect_aws::services::service;
use shareline_model::{Attr, Resource};
use shareline_test_support::fault_proxy::{Fault, FaultProxy};

use crate::{ACCOUNT, collect, of_type, sdk_config, setup};

const REGION: &str = "eu-west-1";

fn name_tag(ty: ResourceType, name: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(ty)
        .tags(Tag::builder().key("Name").value(name).build())
        .build()
}

fn one<'a>(list: &[&'a Resource], id: &str) -> &'a Resource {
    let found = list.iter().copied().find(|r| r.resource_id == id);
    assert!(found.is_some(), "{id} not collected");
    found.expect("checked above")
}

#[tokio::test]
async fn instances_network_and_storage_are_read() {
    let (_moto, conf) = setup(REGION).await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let az = format!("{REGION}a");

    let vpc = ec2
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .tag_specifications(name_tag(ResourceType::Vpc, "main-vpc"))
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_owned();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.20.1.0/24")
        .availability_zone(&az)
        .send()
        .await
        .unwrap();
    let subnet_id = subnet.subnet().unwrap().subnet_id().unwrap().to_owned();

    let sg = ec2
        .create_security_group()
        .group_name("ssh-open")
        .description("ssh from anywhere")
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap();
    let sg_id = sg.group_id().unwrap().to_owned();
    ec2.authorize_security_group_ingress()
        .group_id(&sg_id)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();

    // moto does not validate AMI ids unless asked to; any well-formed id runs.
    let run = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .subnet_id(&subnet_id)
        .security_group_ids(&sg_id)
        .metadata_options(
            InstanceMetadataOptionsRequest::builder()
                .http_tokens(HttpTokensState::Required)
                .build(),
        )
        .tag_specifications(name_tag(ResourceType::Instance, "web-1"))
        .send()
        .await
        .unwrap();
    let instance_id = run.instances()[0].instance_id().unwrap().to_owned();

    let image = ec2
        .create_image()
        .instance_id(&instance_id)
        .name("web-ami")
        .send()
        .await
        .unwrap();
    let image_id = image.image_id().unwrap().to_owned();
    ec2.modify_image_attribute()
        .image_id(&image_id)
        .launch_permission(
            LaunchPermissionModifications::builder()
                .add(LaunchPermission::builder().user_id("210987654321").build())
                .build(),
        )
        .send()
        .await
        .unwrap();

    let encrypted = ec2
        .create_volume()
        .availability_zone(&az)
        .size(8)
        .encrypted(true)
        .send()
        .await
        .unwrap();
    let encrypted_id = encrypted.volume_id().unwrap().to_owned();
    let plain = ec2
        .create_volume()
        .availability_zone(&az)
        .size(4)
        .encrypted(false)
        .tag_specifications(name_tag(ResourceType::Volume, "scratch"))
        .send()
        .await
        .unwrap();
    let plain_id = plain.volume_id().unwrap().to_owned();

    let snap = ec2
        .create_snapshot()
        .volume_id(&plain_id)
        .description("shared snapshot")
        .send()
        .await
        .unwrap();
    let snap_id = snap.snapshot_id().unwrap().to_owned();
    // moto reads the OperationType + GroupNames form (also valid on AWS).
    ec2.modify_snapshot_attribute()
        .snapshot_id(&snap_id)
        .attribute(SnapshotAttributeName::CreateVolumePermission)
        .operation_type(OperationType::Add)
        .group_names("all")
        .send()
        .await
        .unwrap();

    let eip = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .unwrap();
    let alloc_id = eip.allocation_id().unwrap().to_owned();
    ec2.associate_address()
        .allocation_id(&alloc_id)
        .instance_id(&instance_id)
        .send()
        .await
        .unwrap();

    let igw = ec2.create_internet_gateway().send().await.unwrap();
    let igw_id = igw
        .internet_gateway()
        .unwrap()
        .internet_gateway_id()
        .unwrap()
        .to_owned();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw_id)
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap();

    let flow = ec2
        .create_flow_logs()
        .resource_type(FlowLogsResourceType::Vpc)
        .resource_ids(&vpc_id)
        .traffic_type(TrafficType::All)
        .log_destination_type(LogDestinationType::CloudWatchLogs)
        .log_group_name("vpc-flows")
        .deliver_logs_permission_arn(format!("arn:aws:iam::{ACCOUNT}:role/flow-logs"))
        .send()
        .await
        .unwrap();
    let flow_id = flow.flow_log_ids()[0].clone();

    // Last, so that the volumes above keep the encryption they asked for.
    ec2.enable_ebs_encryption_by_default().send().await.unwrap();

    let got = collect(&conf, "ec2", REGION).await;

    // Security group: the open SSH rule.
    let sgs = of_type(&got, "AWS::EC2::SecurityGroup");
    // Ours plus the default group of the default VPC and of the new VPC.
    assert_eq!(sgs.len(), 3);
    let open = one(&sgs, &sg_id);
    assert_eq!(
        open.arn,
        format!("arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{sg_id}")
    );
    assert_eq!(
        open.name, "ssh-open",
        "untagged groups are named by group name"
    );
    assert_eq!(open.configuration["groupName"], "ssh-open");
    assert_eq!(open.configuration["vpcId"], vpc_id.as_str());
    let rules = open.configuration["ipPermissions"].as_array().unwrap();
    let ssh = rules
        .iter()
        .find(|r| r["fromPort"] == 22)
        .expect("the ssh rule");
    assert_eq!(ssh["ipProtocol"], "tcp");
    assert_eq!(ssh["toPort"], 22);
    assert_eq!(ssh["ipv4Ranges"][0]["cidrIp"], "0.0.0.0/0");
    assert!(
        !open.configuration["ipPermissionsEgress"]
            .as_array()
            .unwrap()
            .is_empty(),
        "a new group allows all egress"
    );

    // Instance: IMDSv2 required, and its network links.
    let instances = of_type(&got, "AWS::EC2::Instance");
    assert_eq!(instances.len(), 1);
    let inst = one(&instances, &instance_id);
    assert_eq!(inst.name, "web-1");
    assert_eq!(
        inst.arn,
        format!("arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance_id}")
    );
    let cfg = &inst.configuration;
    assert_eq!(cfg["imageId"], "ami-12c6146b");
    assert_eq!(cfg["instanceType"], "t3.micro");
    assert_eq!(cfg["state"]["name"], "running");
    assert_eq!(cfg["subnetId"], subnet_id.as_str());
    assert_eq!(cfg["vpcId"], vpc_id.as_str());
    assert_eq!(cfg["metadataOptions"]["httpTokens"], "required");
    assert_eq!(cfg["securityGroups"][0]["groupId"], sg_id.as_str());
    assert_eq!(cfg["securityGroups"][0]["groupName"], "ssh-open");
    assert!(cfg["launchTime"].is_string());
    let rel = |kind: &str, id: &str| {
        inst.relationships
            .iter()
            .any(|r| r.kind == kind && r.resource_id == id)
    };
    assert!(rel("Is associated with SecurityGroup", &sg_id));
    assert!(rel("Is contained in Subnet", &subnet_id));
    assert!(rel("Is contained in Vpc", &vpc_id));
    let root = cfg["blockDeviceMappings"][0]["ebs"]["volumeId"]
        .as_str()
        .expect("moto attaches a root volume");
    assert!(rel("Is attached to Volume", root));

    // Volumes: the two created plus the instance's root volume.
    let volumes = of_type(&got, "AWS::EC2::Volume");
    assert_eq!(volumes.len(), 3);
    let enc = one(&volumes, &encrypted_id);
    assert_eq!(enc.configuration["encrypted"], true);
    assert_eq!(enc.configuration["size"], 8);
    assert_eq!(enc.configuration["availabilityZone"], az.as_str());
    let pl = one(&volumes, &plain_id);
    assert_eq!(pl.configuration["encrypted"], false);
    assert_eq!(pl.name, "scratch");
    assert_eq!(
        pl.arn,
        format!("arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{plain_id}")
    );
    let root_vol = one(&volumes, root);
    assert_eq!(
        root_vol.configuration["attachments"][0]["instanceId"],
        instance_id.as_str()
    );

    // Snapshot shared with everyone.
    let snaps = of_type(&got, "AWS::EC2::Snapshot");
    // Ours plus the one CreateImage made of the root volume.
    assert_eq!(snaps.len(), 2);
    let shared = one(&snaps, &snap_id);
    assert_eq!(shared.configuration["volumeId"], plain_id.as_str());
    assert_eq!(shared.configuration["encrypted"], false);
    assert_eq!(
        shared.arn,
        format!("arn:aws:ec2:{REGION}:{ACCOUNT}:snapshot/{snap_id}")
    );
    let perms = shared.supplementary["CreateVolumePermissions"]
        .as_array()
        .unwrap();
    assert!(perms.iter().any(|p| p["group"] == "all"), "{perms:?}");

    // The AMI made from the instance, shared with one account.
    let images = of_type(&got, "AWS::EC2::Image");
    assert_eq!(images.len(), 1);
    let ami = one(&images, &image_id);
    assert_eq!(ami.name, "web-ami");
    assert_eq!(ami.configuration["name"], "web-ami");
    assert_eq!(ami.configuration["public"], false);
    let launch = ami.supplementary["LaunchPermissions"].as_array().unwrap();
    assert!(
        launch.iter().any(|p| p["userId"] == "210987654321"),
        "{launch:?}"
    );

    // EBS encryption by default.
    let ebs = of_type(&got, "AWS::EC2::EbsEncryptionByDefault");
    assert_eq!(ebs.len(), 1);
    assert_eq!(ebs[0].resource_id, format!("{ACCOUNT}/{REGION}"));
    assert_eq!(ebs[0].configuration["ebsEncryptionByDefault"], true);

    // VPC, subnet, internet gateway, flow log, Elastic IP.
    let vpcs = of_type(&got, "AWS::EC2::VPC");
    assert_eq!(vpcs.len(), 2);
    let main = one(&vpcs, &vpc_id);
    assert_eq!(main.name, "main-vpc");
    assert_eq!(main.configuration["cidrBlock"], "10.20.0.0/16");
    assert_eq!(main.configuration["isDefault"], false);
    assert!(
        vpcs.iter().any(|v| v.configuration["isDefault"] == true),
        "moto has a default VPC per region"
    );
    let subnets = of_type(&got, "AWS::EC2::Subnet");
    // Ours plus the default VPC's three default subnets.
    assert_eq!(subnets.len(), 4);
    let sub = one(&subnets, &subnet_id);
    assert_eq!(sub.configuration["vpcId"], vpc_id.as_str());
    assert_eq!(sub.configuration["cidrBlock"], "10.20.1.0/24");
    assert_eq!(sub.configuration["defaultForAz"], false);

    let igws = of_type(&got, "AWS::EC2::InternetGateway");
    let gw = one(&igws, &igw_id);
    assert_eq!(gw.configuration["attachments"][0]["vpcId"], vpc_id.as_str());
    assert_eq!(gw.configuration["attachments"][0]["state"], "available");

    let flows = of_type(&got, "AWS::EC2::FlowLog");
    assert_eq!(flows.len(), 1);
    let fl = one(&flows, &flow_id);
    assert_eq!(fl.configuration["resourceId"], vpc_id.as_str());
    assert_eq!(fl.configuration["trafficType"], "ALL");
    assert_eq!(fl.configuration["logDestinationType"], "cloud-watch-logs");
    assert_eq!(
        fl.arn,
        format!("arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-flow-log/{flow_id}")
    );

    let eips = of_type(&got, "AWS::EC2::EIP");
    assert_eq!(eips.len(), 1);
    let ip = one(&eips, &alloc_id);
    assert_eq!(ip.configuration["instanceId"], instance_id.as_str());
    assert_eq!(ip.configuration["domain"], "vpc");
    assert!(ip.configuration["publicIp"].is_string());
    assert!(ip.configuration["associationId"].is_string());

    let acls = of_type(&got, "AWS::EC2::NetworkAcl");
    assert_eq!(acls.len(), 2);
    let acl = acls
        .iter()
        .find(|a| a.configuration["vpcId"] == vpc_id.as_str())
        .expect("the new VPC's default network ACL");
    assert_eq!(acl.configuration["isDefault"], true);
    assert!(!acl.configuration["entries"].as_array().unwrap().is_empty());

    // moto has no GetEbsDefaultKmsKeyId: on moto the key is an unavailable
    // marker and the only gap; on AWS it is the default key's ARN or alias.
    let kms = Attr::of(ebs[0].configuration.get("kmsKeyId"));
    assert!(matches!(kms, Attr::Value(Value::String(_))) || kms.is_unavailable());
    let unexpected: Vec<_> = got
        .gaps
        .iter()
        .filter(|g| g.operation != "ec2:GetEbsDefaultKmsKeyId")
        .collect();
    assert!(unexpected.is_empty(), "unexpected gaps: {unexpected:?}");
}

/// A denied main list call fails the whole run, so the region keeps its last
/// good inventory instead of losing every EC2 type.
#[tokio::test]
async fn a_denied_describe_fails_the_run() {
    let (moto, _conf) = setup(REGION).await;
    let proxy = FaultProxy::start(moto.port());
    proxy.set_faults(vec![Fault::ec2_unauthorized()]);
    let conf = sdk_config(&proxy.endpoint(), REGION).await;
    let ctx = Ctx::new(&conf, ACCOUNT, REGION);
    let err = (service("ec2").unwrap().collect)(&ctx).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::AccessDenied);
    assert_eq!(err.code.as_deref(), Some("UnauthorizedOperation"));
    assert!(
        err.operation.starts_with("ec2:Describe"),
        "{}",
        err.operation
    );
}
