#!/usr/bin/env python3
"""Generate Shareline's bundled demo estate.

Writes demo/manifest.json and one AWS Config snapshot file per account under
demo/<tenant>/<account-id>.json. The output is deterministic: every identifier
is derived from a SHA-256 hash of a stable label, and every timestamp is
relative to a fixed capture time, so re-running the script reproduces the same
bytes. Python 3.11 standard library only.

Usage: python3 tools/gen_demo.py [--out DIR] [--check]
  --check  regenerate in memory and fail if the files on disk differ.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

CAPTURE = datetime(2026, 11, 20, 8, 0, 0, tzinfo=timezone.utc)
CAPTURE_S = "2026-11-20T08:00:00.000Z"
PARTITION = "aws"


# --------------------------------------------------------------------------
# deterministic helpers


def _digest(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def hexid(label: str, n: int = 17) -> str:
    """Lower-case hex id of n chars derived from label."""
    return hashlib.sha256(label.encode()).hexdigest()[:n]


def upid(label: str, n: int) -> str:
    """Upper-case alphanumeric (base32) id of n chars, like IAM unique ids."""
    return base64.b32encode(_digest(label)).decode().rstrip("=")[:n]


def uuid_like(label: str) -> str:
    h = hexid(label, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ago(days: float, hours: float = 0) -> str:
    return ts(CAPTURE - timedelta(days=days, hours=hours))


def ahead(days: float) -> str:
    return ts(CAPTURE + timedelta(days=days))


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def stmt(effect="Allow", action="*", resource="*", principal=None, sid=None, condition=None) -> dict:
    s: dict = {}
    if sid:
        s["Sid"] = sid
    s["Effect"] = effect
    if principal is not None:
        s["Principal"] = principal
    s["Action"] = action
    s["Resource"] = resource
    if condition:
        s["Condition"] = condition
    return s


def rel(rtype: str, rid: str, relname: str, name: str | None = None) -> dict:
    return {
        "resourceType": rtype,
        "resourceId": rid,
        "resourceName": name,
        "relationshipName": relname,
    }


def aws_managed(name: str, path: str = "") -> dict:
    return {"policyName": name, "policyArn": f"arn:aws:iam::aws:policy/{path}{name}"}


ADMIN = aws_managed("AdministratorAccess")
READONLY = aws_managed("ReadOnlyAccess")
POWERUSER = aws_managed("PowerUserAccess")
SECAUDIT = aws_managed("SecurityAudit")
BILLING = aws_managed("Billing", "job-function/")
S3RO = aws_managed("AmazonS3ReadOnlyAccess")
S3FULL = aws_managed("AmazonS3FullAccess")
SSMCORE = aws_managed("AmazonSSMManagedInstanceCore")
LAMBDA_BASIC = aws_managed("AWSLambdaBasicExecutionRole", "service-role/")
LAMBDA_VPC = aws_managed("AWSLambdaVPCAccessExecutionRole", "service-role/")
CONFIG_ROLE = aws_managed("AWS_ConfigRole", "service-role/")
RDS_MON = aws_managed("AmazonRDSEnhancedMonitoringRole", "service-role/")
CW_AGENT = aws_managed("CloudWatchAgentServerPolicy")
EC2FULL = aws_managed("AmazonEC2FullAccess")

AMIS = {
    "al2023": "ami-0a3c3a20c09d6f377",
    "al2": "ami-0c02fb55956c7d316",
    "ubuntu22": "ami-053b0d53c279acc90",
    "ubuntu18": "ami-0279c3b3186e54acd",
    "win2019": "ami-0f9c44e98edf38a2b",
    "win2022": "ami-0be0e902919675894",
}

ACCOUNT_NAMES = {}  # account id -> friendly name (for README and owner fields)


# --------------------------------------------------------------------------
# one account's configuration items


class Account:
    def __init__(self, tenant: str, account_id: str, name: str, regions: list[str], env: str, org: str):
        self.tenant = tenant
        self.id = account_id
        self.name = name
        self.regions = regions
        self.env = env
        self.org = org
        self.items: list[dict] = []
        self.index: dict[tuple[str, str], dict] = {}
        self.state_id = 1000 + int(hexid(account_id, 4), 16)
        self.canonical_owner = hexid("canonical-" + account_id, 64)
        # lookups filled as resources are added
        self.groups: dict[str, str] = {}  # name -> id
        self.policies: dict[str, tuple[str, str]] = {}  # name -> (id, arn)
        self.roles: dict[str, tuple[str, str]] = {}  # name -> (id, arn)
        self.users: list[dict] = []
        self.keys: dict[str, str] = {}  # alias -> key arn
        self.key_ids: dict[str, str] = {}  # alias -> key id
        ACCOUNT_NAMES[account_id] = name

    # ---- generic ---------------------------------------------------------

    def lbl(self, *parts) -> str:
        return "/".join([self.id, *map(str, parts)])

    def tags(self, **extra) -> dict:
        t = {"Environment": self.env}
        t.update({k: v for k, v in extra.items() if v is not None})
        return t

    def add(self, rtype, rid, name, arn, region, config, supp=None, tags=None, rels=None,
            created=None, az=None, status="OK"):
        key = (rtype, rid)
        if key in self.index:
            raise ValueError(f"duplicate {rtype} {rid} in {self.id}")
        self.state_id += 1 + int(hexid(f"{rtype}{rid}", 2), 16) % 7
        if status == "OK" and created is not None and created > ago(3):
            status = "ResourceDiscovered"  # first recorded in the last few days
        if az is None:
            az = "Not Applicable" if region == "global" else "Regional"
        item = {
            "configurationItemVersion": "1.3",
            "configurationItemCaptureTime": CAPTURE_S,
            "configurationStateId": self.state_id,
            "awsAccountId": self.id,
            "configurationItemStatus": status,
            "resourceType": rtype,
            "resourceId": rid,
            "resourceName": name,
            "ARN": arn,
            "awsRegion": region,
            "availabilityZone": az,
            "resourceCreationTime": created,
            "tags": tags or {},
            "relatedEvents": [],
            "relationships": rels or [],
            "configuration": config,
            "supplementaryConfiguration": supp or {},
        }
        self.items.append(item)
        self.index[key] = item
        return item

    # ---- S3 ----------------------------------------------------------------

    def account_pab(self, full: bool | None):
        pab = None if full is None else {
            "blockPublicAcls": full, "ignorePublicAcls": full,
            "blockPublicPolicy": full, "restrictPublicBuckets": full,
        }
        self.add("AWS::S3::AccountPublicAccessBlock", self.id, self.id,
                 f"arn:aws:s3::{self.id}:account", "us-east-1", {},
                 {"PublicAccessBlockConfiguration": pab})

    def bucket(self, name, region, age, *, public_read=False, policy=None, pab="full",
               enc="AES256", kms=None, bucket_key=False, versioning="Enabled", mfa_delete=False,
               log_to=None, lifecycle=None, object_lock=None, tags=None, status="OK"):
        grants = [{
            "grantee": {"type": "CanonicalUser", "id": self.canonical_owner, "uri": None, "emailAddress": None},
            "permission": "FULL_CONTROL",
        }]
        if public_read:
            grants.append({
                "grantee": {"type": "Group", "id": None,
                            "uri": "http://acs.amazonaws.com/groups/global/AllUsers", "emailAddress": None},
                "permission": "READ",
            })
        if log_to == "self-target":  # a log bucket: the log delivery group may write
            grants.append({
                "grantee": {"type": "Group", "id": None,
                            "uri": "http://acs.amazonaws.com/groups/s3/LogDelivery", "emailAddress": None},
                "permission": "WRITE",
            })
            log_to = None
        if pab == "full":
            pab_v = {"blockPublicAcls": True, "ignorePublicAcls": True,
                     "blockPublicPolicy": True, "restrictPublicBuckets": True}
        elif pab is None:
            pab_v = None
        else:
            pab_v = pab
        if enc is None:
            enc_v = None
        else:
            enc_v = {"rules": [{
                "applyServerSideEncryptionByDefault": {
                    "sseAlgorithm": enc,
                    "kmsMasterKeyID": self.keys.get(kms) if kms else None,
                },
                "bucketKeyEnabled": bucket_key,
            }]}
        supp = {
            "AccessControlList": {"owner": {"id": self.canonical_owner}, "grantList": grants},
            "BucketPolicy": {"policyText": json.dumps(policy, separators=(",", ":"))} if policy else None,
            "PublicAccessBlockConfiguration": pab_v,
            "ServerSideEncryptionConfiguration": enc_v,
            "BucketVersioningConfiguration": {"status": versioning,
                                              "isMfaDeleteEnabled": mfa_delete if versioning != "Off" else None},
            "BucketLoggingConfiguration": {"destinationBucketName": log_to,
                                           "logFilePrefix": f"s3/{name}/" if log_to else None},
            "BucketLifecycleConfiguration": {"rules": lifecycle} if lifecycle else None,
            "ObjectLockConfiguration": (
                {"objectLockEnabled": "Enabled",
                 "rule": {"mode": object_lock[0], "days": object_lock[1], "years": None}}
                if object_lock else None),
        }
        rels = []
        if kms and self.key_ids.get(kms):
            rels.append(rel("AWS::KMS::Key", self.key_ids[kms], "Is associated with KMSKey"))
        created = ago(age)
        self.add("AWS::S3::Bucket", name, name, f"arn:aws:s3:::{name}", region,
                 {"name": name, "owner": {"displayName": None, "id": self.canonical_owner},
                  "creationDate": created},
                 supp, tags=tags if tags is not None else self.tags(), rels=rels, created=created,
                 status=status)

    # ---- IAM ---------------------------------------------------------------

    def policy(self, name, document, age, attachments=1, path="/", description=None):
        pid = "ANPA" + upid(self.lbl("policy", name), 17)
        arn = f"arn:aws:iam::{self.id}:policy{path}{name}"
        self.policies[name] = (pid, arn)
        created = ago(age)
        self.add("AWS::IAM::Policy", pid, name, arn, "global", {
            "policyName": name, "policyId": pid, "arn": arn, "path": path,
            "defaultVersionId": "v" + str(1 + int(hexid(name, 2), 16) % 4),
            "attachmentCount": attachments, "permissionsBoundaryUsageCount": 0,
            "isAttachable": True, "description": description,
            "createDate": created, "updateDate": ago(max(1, age // 3)),
            "document": document,
        }, created=created)

    def _customer_rels(self, managed_names):
        out, attached = [], []
        for m in managed_names:
            if isinstance(m, dict):
                attached.append(m)
            else:
                pid, arn = self.policies[m]
                attached.append({"policyName": m, "policyArn": arn})
                out.append(rel("AWS::IAM::Policy", pid, "Is attached to CustomerManagedPolicy", m))
        return attached, out

    def group(self, name, age, managed=(), inline=()):
        gid = "AGPA" + upid(self.lbl("group", name), 17)
        self.groups[name] = gid
        attached, rels = self._customer_rels(managed)
        created = ago(age)
        self.add("AWS::IAM::Group", gid, name, f"arn:aws:iam::{self.id}:group/{name}", "global", {
            "groupName": name, "groupId": gid, "arn": f"arn:aws:iam::{self.id}:group/{name}",
            "path": "/", "createDate": created,
            "attachedManagedPolicies": attached,
            "groupPolicyList": [{"policyName": n, "policyDocument": d} for n, d in inline],
        }, rels=rels, created=created)

    def user(self, name, age, *, console=True, mfa=False, pw_used=None, reset=False, keys=(),
             groups=(), managed=(), inline=(), path="/", boundary=None, tags=None):
        """keys: (age_days, status, last_used_days|None, service, region)."""
        uid = "AIDA" + upid(self.lbl("user", name), 17)
        arn = f"arn:aws:iam::{self.id}:user{path}{name}"
        attached, rels = self._customer_rels(managed)
        for g in groups:
            rels.append(rel("AWS::IAM::Group", self.groups[g], "Is contained in Group", g))
        created = ago(age)
        access_keys = []
        for i, (kage, kstatus, used, svc, kreg) in enumerate(keys):
            access_keys.append({
                "accessKeyId": "AKIA" + upid(self.lbl("key", name, i), 16),
                "status": kstatus,
                "createDate": ago(kage),
                "lastUsed": ({"lastUsedDate": ago(used, 3), "serviceName": svc, "region": kreg}
                             if used is not None else
                             {"lastUsedDate": None, "serviceName": "N/A", "region": "N/A"}),
            })
        mfa_devices = []
        if mfa:
            kind = mfa if isinstance(mfa, str) else "mfa"
            mfa_devices.append({"serialNumber": f"arn:aws:iam::{self.id}:{kind}/{name}",
                                "enableDate": ago(max(1, age - 2))})
        supp = {
            "LoginProfile": {"createDate": created, "passwordResetRequired": reset} if console else None,
            "MfaDevices": mfa_devices,
            "AccessKeys": access_keys,
        }
        self.users.append({"name": name, "mfa": bool(mfa_devices)})
        self.add("AWS::IAM::User", uid, name, arn, "global", {
            "userName": name, "userId": uid, "arn": arn, "path": path, "createDate": created,
            "passwordLastUsed": ago(pw_used, 5) if (console and pw_used is not None) else None,
            "groupList": list(groups),
            "attachedManagedPolicies": attached,
            "userPolicyList": [{"policyName": n, "policyDocument": d} for n, d in inline],
            "permissionsBoundary": ({"permissionsBoundaryType": "Policy",
                                     "permissionsBoundaryArn": self.policies[boundary][1]}
                                    if boundary else None),
        }, supp, tags=tags or {}, rels=rels, created=created)

    def role(self, name, age, trust, *, managed=(), inline=(), path="/", max_session=3600,
             description=None, last_used=None, tags=None, boundary=None):
        rid = "AROA" + upid(self.lbl("role", name), 17)
        arn = f"arn:aws:iam::{self.id}:role{path}{name}"
        self.roles[name] = (rid, arn)
        attached, rels = self._customer_rels(managed)
        created = ago(age)
        self.add("AWS::IAM::Role", rid, name, arn, "global", {
            "roleName": name, "roleId": rid, "arn": arn, "path": path, "createDate": created,
            "description": description,
            "assumeRolePolicyDocument": trust,
            "maxSessionDuration": max_session,
            "attachedManagedPolicies": attached,
            "rolePolicyList": [{"policyName": n, "policyDocument": d} for n, d in inline],
            "permissionsBoundary": ({"permissionsBoundaryType": "Policy",
                                     "permissionsBoundaryArn": self.policies[boundary][1]}
                                    if boundary else None),
            "roleLastUsed": ({"lastUsedDate": ago(last_used, 2), "region": self.regions[0]}
                             if last_used is not None else {}),
            "instanceProfileList": ([{"instanceProfileName": name,
                                      "arn": f"arn:aws:iam::{self.id}:instance-profile/{name}"}]
                                    if "ec2.amazonaws.com" in json.dumps(trust) else []),
        }, tags=tags or {}, rels=rels, created=created)

    def service_role(self, name, service, age, **kw):
        trust = doc(stmt(principal={"Service": service}, action="sts:AssumeRole", resource=None))
        del trust["Statement"][0]["Resource"]
        self.role(name, age, trust, **kw)

    def password_policy(self, **cfg):
        self.add("AWS::IAM::AccountPasswordPolicy", self.id, "AccountPasswordPolicy",
                 f"arn:aws:iam::{self.id}:account-password-policy", "global", {
                     "minimumPasswordLength": cfg.get("min_len", 8),
                     "requireSymbols": cfg.get("symbols", False),
                     "requireNumbers": cfg.get("numbers", False),
                     "requireUppercaseCharacters": cfg.get("upper", False),
                     "requireLowercaseCharacters": cfg.get("lower", False),
                     "allowUsersToChangePassword": cfg.get("change", True),
                     "expirePasswords": cfg.get("max_age") is not None,
                     "maxPasswordAge": cfg.get("max_age"),
                     "passwordReusePrevention": cfg.get("reuse"),
                     "hardExpiry": cfg.get("hard", False),
                 })

    def account_summary(self, root_mfa: bool, root_keys: bool):
        n = Counter(i["resourceType"] for i in self.items)
        mfa_in_use = sum(1 for u in self.users if u["mfa"]) + (1 if root_mfa else 0)
        self.add("AWS::IAM::AccountSummary", self.id, "AccountSummary",
                 f"arn:aws:iam::{self.id}:root", "global", {
                     "AccountMFAEnabled": 1 if root_mfa else 0,
                     "AccountAccessKeysPresent": 1 if root_keys else 0,
                     "AccountSigningCertificatesPresent": 0,
                     "Users": n["AWS::IAM::User"], "UsersQuota": 5000,
                     "Groups": n["AWS::IAM::Group"], "GroupsQuota": 300,
                     "Roles": n["AWS::IAM::Role"], "RolesQuota": 1000,
                     "Policies": n["AWS::IAM::Policy"], "PoliciesQuota": 1500,
                     "MFADevices": mfa_in_use, "MFADevicesInUse": mfa_in_use,
                     "InstanceProfiles": sum(1 for i in self.items if i["resourceType"] == "AWS::IAM::Role"
                                             and i["configuration"]["instanceProfileList"]),
                     "ServerCertificates": 0, "Providers": 0,
                     "AttachedPoliciesPerUserQuota": 10, "AttachedPoliciesPerRoleQuota": 10,
                     "AttachedPoliciesPerGroupQuota": 10, "PolicySizeQuota": 6144,
                     "GlobalEndpointTokenVersion": 1,
                 })

    # ---- KMS ---------------------------------------------------------------

    def kms_key(self, alias, region, age, *, manager="CUSTOMER", rotation=True, usage="ENCRYPT_DECRYPT",
                spec="SYMMETRIC_DEFAULT", state="Enabled", policy=None, description=None, tags=None):
        kid = uuid_like(self.lbl("kms", region, alias))
        arn = f"arn:aws:kms:{region}:{self.id}:key/{kid}"
        self.keys[alias] = arn
        self.key_ids[alias] = kid
        if policy is None:
            policy = doc(stmt(sid="Enable IAM User Permissions", principal={"AWS": f"arn:aws:iam::{self.id}:root"},
                              action="kms:*"))
        created = ago(age)
        self.add("AWS::KMS::Key", kid, alias, arn, region, {
            "awsAccountId": self.id, "keyId": kid, "arn": arn, "creationDate": created,
            "enabled": state == "Enabled", "description": description or "",
            "keyUsage": usage, "keyState": state, "origin": "AWS_KMS", "keyManager": manager,
            "customerMasterKeySpec": spec, "keySpec": spec, "multiRegion": False,
            "deletionDate": ahead(6) if state == "PendingDeletion" else None,
            "encryptionAlgorithms": (["SYMMETRIC_DEFAULT"] if spec == "SYMMETRIC_DEFAULT"
                                     else ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] if usage == "ENCRYPT_DECRYPT"
                                     else None),
            "signingAlgorithms": (["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256"]
                                  if usage == "SIGN_VERIFY" else None),
            "aliases": [f"alias/{alias}"],
        }, {"KeyRotationStatus": rotation, "KeyPolicy": policy},
            tags=(tags if tags is not None else (self.tags() if manager == "CUSTOMER" else {})), created=created)

    # ---- EC2 network -------------------------------------------------------

    def vpc(self, key, region, name, cidr, *, default=False, age=600):
        vid = "vpc-" + hexid(self.lbl("vpc", key))
        created = None
        self.add("AWS::EC2::VPC", vid, name, f"arn:aws:ec2:{region}:{self.id}:vpc/{vid}", region, {
            "vpcId": vid, "cidrBlock": cidr, "state": "available", "isDefault": default,
            "instanceTenancy": "default", "ownerId": self.id,
            "dhcpOptionsId": "dopt-" + hexid(self.lbl("dopt", region)),
            "cidrBlockAssociationSet": [{"associationId": "vpc-cidr-assoc-" + hexid(self.lbl("cidr", key)),
                                         "cidrBlock": cidr, "cidrBlockState": {"state": "associated"}}],
        }, tags=({} if default else self.tags(Name=name)), created=created)
        return vid

    def subnet(self, key, vpc, region, az_letter, cidr, *, public=False, name=None):
        sid = "subnet-" + hexid(self.lbl("subnet", key))
        az = region + az_letter
        self.add("AWS::EC2::Subnet", sid, name or sid, f"arn:aws:ec2:{region}:{self.id}:subnet/{sid}", region, {
            "subnetId": sid, "vpcId": vpc, "cidrBlock": cidr, "availabilityZone": az,
            "availableIpAddressCount": 251 - int(hexid(sid, 2), 16) % 40, "state": "available",
            "mapPublicIpOnLaunch": public, "defaultForAz": name is None, "ownerId": self.id,
            "subnetArn": f"arn:aws:ec2:{region}:{self.id}:subnet/{sid}",
        }, tags=(self.tags(Name=name, Tier="public" if public else "private") if name else {}),
            rels=[rel("AWS::EC2::VPC", vpc, "Is contained in Vpc")], az=az)
        return sid

    def igw(self, key, vpc, region, name=None):
        gid = "igw-" + hexid(self.lbl("igw", key))
        self.add("AWS::EC2::InternetGateway", gid, name or gid,
                 f"arn:aws:ec2:{region}:{self.id}:internet-gateway/{gid}", region, {
                     "internetGatewayId": gid, "ownerId": self.id,
                     "attachments": [{"state": "available", "vpcId": vpc}],
                 }, tags=self.tags(Name=name) if name else {},
                 rels=[rel("AWS::EC2::VPC", vpc, "Is attached to Vpc")])

    def nacl(self, key, vpc, region, subnets, *, default=True, open_admin=True, name=None):
        aid = "acl-" + hexid(self.lbl("acl", key))
        entries = []
        if default or open_admin:
            for egress in (False, True):
                entries.append({"ruleNumber": 100, "protocol": "-1", "ruleAction": "allow", "egress": egress,
                                "cidrBlock": "0.0.0.0/0"})
        else:
            # restrictive: web in, no admin ports from anywhere
            entries += [
                {"ruleNumber": 100, "protocol": "6", "ruleAction": "allow", "egress": False,
                 "cidrBlock": "0.0.0.0/0", "portRange": {"from": 443, "to": 443}},
                {"ruleNumber": 110, "protocol": "6", "ruleAction": "allow", "egress": False,
                 "cidrBlock": "0.0.0.0/0", "portRange": {"from": 1024, "to": 65535}},
                {"ruleNumber": 120, "protocol": "-1", "ruleAction": "allow", "egress": False,
                 "cidrBlock": "10.0.0.0/8"},
                {"ruleNumber": 100, "protocol": "-1", "ruleAction": "allow", "egress": True,
                 "cidrBlock": "0.0.0.0/0"},
            ]
        for egress in (False, True):
            entries.append({"ruleNumber": 32767, "protocol": "-1", "ruleAction": "deny", "egress": egress,
                            "cidrBlock": "0.0.0.0/0"})
        self.add("AWS::EC2::NetworkAcl", aid, name or aid, f"arn:aws:ec2:{region}:{self.id}:network-acl/{aid}",
                 region, {
                     "networkAclId": aid, "vpcId": vpc, "isDefault": default, "ownerId": self.id,
                     "entries": entries,
                     "associations": [{"networkAclAssociationId": "aclassoc-" + hexid(aid + s), "networkAclId": aid,
                                       "subnetId": s} for s in subnets],
                 }, tags=self.tags(Name=name) if name else {},
                 rels=[rel("AWS::EC2::VPC", vpc, "Is contained in Vpc")] +
                      [rel("AWS::EC2::Subnet", s, "Is attached to Subnet") for s in subnets])

    def flow_log(self, key, vpc, region, dest="s3", target=None, traffic="ALL"):
        fid = "fl-" + hexid(self.lbl("fl", key))
        self.add("AWS::EC2::FlowLog", fid, fid, f"arn:aws:ec2:{region}:{self.id}:vpc-flow-log/{fid}", region, {
            "flowLogId": fid, "resourceId": vpc, "trafficType": traffic, "flowLogStatus": "ACTIVE",
            "deliverLogsStatus": "SUCCESS", "logDestinationType": "s3" if dest == "s3" else "cloud-watch-logs",
            "logDestination": (f"arn:aws:s3:::{target}/vpc/" if dest == "s3"
                               else f"arn:aws:logs:{region}:{self.id}:log-group:{target}"),
            "logGroupName": target if dest != "s3" else None,
            "deliverLogsPermissionArn": (self.roles.get("vpc-flow-logs", (None, None))[1] if dest != "s3" else None),
            "maxAggregationInterval": 600, "creationTime": ago(300),
            "logFormat": "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
                         "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}",
        }, tags=self.tags(), rels=[rel("AWS::EC2::VPC", vpc, "Is associated with Vpc")])

    def sg(self, key, vpc, region, name, description, ingress=(), *, egress_all=True, default=False):
        """ingress items: (proto, from, to, source) where source is a CIDR string,
        an IPv6 CIDR containing ':', or ('sg', key-of-other-sg)."""
        gid = self.sg_id(key)
        perms = []
        for proto, lo, hi, src in ingress:
            p = {"ipProtocol": proto, "fromPort": lo, "toPort": hi,
                 "ipv4Ranges": [], "ipv6Ranges": [], "userIdGroupPairs": [], "prefixListIds": []}
            if proto == "-1":
                p.pop("fromPort")
                p.pop("toPort")
            srcs = src if isinstance(src, list) else [src]
            for s in srcs:
                if isinstance(s, tuple):
                    p["userIdGroupPairs"].append({"groupId": self.sg_id(s[1]), "userId": self.id})
                elif ":" in s:
                    p["ipv6Ranges"].append({"cidrIpv6": s})
                else:
                    p["ipv4Ranges"].append({"cidrIp": s})
            perms.append(p)
        egress = []
        if egress_all:
            egress.append({"ipProtocol": "-1", "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}], "ipv6Ranges": [],
                           "userIdGroupPairs": [], "prefixListIds": []})
        self.add("AWS::EC2::SecurityGroup", gid, name, f"arn:aws:ec2:{region}:{self.id}:security-group/{gid}",
                 region, {
                     "groupId": gid, "groupName": name, "description": description, "vpcId": vpc,
                     "ownerId": self.id, "ipPermissions": perms, "ipPermissionsEgress": egress,
                 }, tags=({} if default else self.tags(Name=name)),
                 rels=[rel("AWS::EC2::VPC", vpc, "Is contained in Vpc")])
        return gid

    def default_sg(self, key, vpc, region, restricted: bool):
        if restricted:
            return self.sg(key, vpc, region, "default", "default VPC security group", (), egress_all=False,
                           default=True)
        return self.sg(key, vpc, region, "default", "default VPC security group",
                       [("-1", None, None, ("sg", key))], default=True)

    def sg_id(self, key):
        return "sg-" + hexid(self.lbl("sg", key))

    # ---- EC2 compute & storage --------------------------------------------

    def volume(self, key, region, az, size, *, vtype="gp3", encrypted=True, kms=None, instance=None,
               device="/dev/xvda", age=200, tags=None, snapshot=None):
        vid = "vol-" + hexid(self.lbl("vol", key))
        kms_arn = self.keys.get(kms) if (encrypted and kms) else (
            f"arn:aws:kms:{region}:{self.id}:key/{uuid_like(self.lbl('kms', region, 'aws/ebs'))}" if encrypted else None)
        rels = []
        if instance:
            rels.append(rel("AWS::EC2::Instance", instance, "Is attached to Instance"))
        created = ago(age)
        self.add("AWS::EC2::Volume", vid, vid, f"arn:aws:ec2:{region}:{self.id}:volume/{vid}", region, {
            "volumeId": vid, "size": size, "volumeType": vtype, "encrypted": encrypted, "kmsKeyId": kms_arn,
            "iops": 3000 if vtype == "gp3" else (3 * size if vtype == "gp2" else None),
            "throughput": 125 if vtype == "gp3" else None,
            "state": "in-use" if instance else "available", "availabilityZone": az,
            "createTime": created, "snapshotId": snapshot or "", "multiAttachEnabled": False,
            "attachments": ([{"attachTime": created, "device": device, "instanceId": instance,
                              "state": "attached", "volumeId": vid, "deleteOnTermination": True}]
                            if instance else []),
        }, tags=tags if tags is not None else self.tags(), rels=rels, created=created, az=az)
        return vid

    def instance(self, key, region, name, subnet, vpc, sgs, *, itype="t3.medium", ami="al2023",
                 public_ip=False, imds="required", profile=None, monitoring=False, state="running",
                 age=120, disk=30, encrypted=True, kms=None, extra_disk=None, platform=None, tags=None):
        iid = "i-" + hexid(self.lbl("i", key))
        sub = self.index[("AWS::EC2::Subnet", subnet)]["configuration"]
        az = sub["availabilityZone"]
        base = sub["cidrBlock"].split("/")[0].rsplit(".", 1)[0]
        priv = f"{base}.{10 + int(hexid(iid, 2), 16) % 200}"
        pub = None
        if public_ip:
            h = _digest(iid)
            pub = f"{[3, 18, 34, 44, 52, 54][h[0] % 6]}.{h[1]}.{h[2]}.{h[3] % 250 + 2}"
        vols = [self.volume(key + "-root", region, az, disk, encrypted=encrypted, kms=kms, instance=iid,
                            age=age, device="/dev/sda1" if platform == "windows" else "/dev/xvda",
                            snapshot="snap-" + hexid(ami))]
        if extra_disk:
            vols.append(self.volume(key + "-data", region, az, extra_disk[0], encrypted=extra_disk[1], kms=kms,
                                    instance=iid, age=age, device="/dev/sdf"))
        launch = ago(age if state == "running" else age + 30)
        bdm = [{"deviceName": ("/dev/sda1" if (i == 0 and platform == "windows") else "/dev/xvda" if i == 0
                               else "/dev/sdf"),
                "ebs": {"volumeId": v, "status": "attached", "attachTime": launch, "deleteOnTermination": i == 0}}
               for i, v in enumerate(vols)]
        rels = [rel("AWS::EC2::Subnet", subnet, "Is contained in Subnet"),
                rel("AWS::EC2::VPC", vpc, "Is contained in Vpc")]
        rels += [rel("AWS::EC2::SecurityGroup", g, "Is associated with SecurityGroup") for g in sgs]
        rels += [rel("AWS::EC2::Volume", v, "Is attached to Volume") for v in vols]
        sg_names = [self.index[("AWS::EC2::SecurityGroup", g)]["configuration"]["groupName"] for g in sgs]
        self.add("AWS::EC2::Instance", iid, name, f"arn:aws:ec2:{region}:{self.id}:instance/{iid}", region, {
            "instanceId": iid, "imageId": AMIS[ami], "instanceType": itype,
            "state": {"code": 16 if state == "running" else 80, "name": state},
            "launchTime": launch, "privateIpAddress": priv, "publicIpAddress": pub,
            "privateDnsName": f"ip-{priv.replace('.', '-')}.{region}.compute.internal",
            "publicDnsName": (f"ec2-{pub.replace('.', '-')}.{region}.compute.amazonaws.com" if pub else ""),
            "subnetId": subnet, "vpcId": vpc, "architecture": "x86_64", "platform": platform,
            "iamInstanceProfile": ({"arn": f"arn:aws:iam::{self.id}:instance-profile/{profile}",
                                    "id": "AIPA" + upid(self.lbl("ip", profile), 17)} if profile else None),
            "securityGroups": [{"groupId": g, "groupName": n} for g, n in zip(sgs, sg_names)],
            "metadataOptions": {"state": "applied", "httpTokens": imds, "httpPutResponseHopLimit":
                                2 if imds == "required" else 1, "httpEndpoint": "enabled",
                                "httpProtocolIpv6": "disabled", "instanceMetadataTags": "disabled"},
            "monitoring": {"state": "enabled" if monitoring else "disabled"},
            "rootDeviceType": "ebs", "rootDeviceName": bdm[0]["deviceName"], "blockDeviceMappings": bdm,
            "ebsOptimized": True, "enaSupport": True, "hypervisor": "xen", "virtualizationType": "hvm",
            "placement": {"availabilityZone": az, "tenancy": "default"},
            "keyName": None if imds == "required" and not public_ip else f"{self.name}-key",
        }, tags=tags if tags is not None else self.tags(Name=name), rels=rels, created=launch, az=az)
        return iid

    def snapshot(self, key, region, volume, size, *, encrypted=True, public=False, age=30, description="",
                 tags=None, shared_with=()):
        sid = "snap-" + hexid(self.lbl("snap", key))
        rels = []
        if ("AWS::EC2::Volume", volume) in self.index:
            rels.append(rel("AWS::EC2::Volume", volume, "Is associated with Volume"))
        perms = [{"group": "all"}] if public else [{"userId": u} for u in shared_with]
        created = ago(age)
        self.add("AWS::EC2::Snapshot", sid, sid, f"arn:aws:ec2:{region}::snapshot/{sid}", region, {
            "snapshotId": sid, "volumeId": volume, "volumeSize": size, "encrypted": encrypted,
            "kmsKeyId": (f"arn:aws:kms:{region}:{self.id}:key/{uuid_like(self.lbl('kms', region, 'aws/ebs'))}"
                         if encrypted else None),
            "startTime": created, "state": "completed", "progress": "100%", "ownerId": self.id,
            "description": description, "storageTier": "standard",
        }, {"CreateVolumePermissions": perms}, tags=tags if tags is not None else self.tags(), rels=rels,
            created=created)

    def eip(self, key, region, instance=None, name=None):
        alloc = "eipalloc-" + hexid(self.lbl("eip", key))
        h = _digest(alloc)
        ip = f"{[3, 18, 34, 44, 52, 54][h[0] % 6]}.{h[1]}.{h[2]}.{h[3] % 250 + 2}"
        rels = [rel("AWS::EC2::Instance", instance, "Is attached to Instance")] if instance else []
        self.add("AWS::EC2::EIP", alloc, name or ip, f"arn:aws:ec2:{region}:{self.id}:elastic-ip/{alloc}", region, {
            "allocationId": alloc, "publicIp": ip, "domain": "vpc", "instanceId": instance,
            "associationId": ("eipassoc-" + hexid(alloc)) if instance else None,
            "networkBorderGroup": region, "publicIpv4Pool": "amazon",
        }, tags=self.tags(Name=name) if name else {}, rels=rels)

    def ebs_default(self, region, enabled, kms=None):
        self.add("AWS::EC2::EbsEncryptionByDefault", f"{self.id}/{region}", f"{self.id}/{region}",
                 f"arn:aws:ec2:{region}:{self.id}:ebs-encryption-by-default", region, {
                     "ebsEncryptionByDefault": enabled,
                     "kmsKeyId": self.keys[kms] if kms else "alias/aws/ebs",
                 })

    # ---- managed services --------------------------------------------------

    def trail(self, name, region, bucket, *, multi=True, global_events=True, validation=True, kms=None,
              log_group=None, logging=True, data_events=False, insights=False):
        arn = f"arn:aws:cloudtrail:{region}:{self.id}:trail/{name}"
        rels = [rel("AWS::S3::Bucket", bucket, "Is associated with Bucket")] \
            if ("AWS::S3::Bucket", bucket) in self.index else []
        if kms:
            rels.append(rel("AWS::KMS::Key", self.key_ids[kms], "Is associated with KMSKey"))
        selectors = [{"readWriteType": "All", "includeManagementEvents": True,
                      "dataResources": ([{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}]
                                        if data_events else []),
                      "excludeManagementEventSources": []}]
        self.add("AWS::CloudTrail::Trail", name, name, arn, region, {
            "name": name, "trailARN": arn, "homeRegion": region, "s3BucketName": bucket,
            "s3KeyPrefix": None, "isMultiRegionTrail": multi, "includeGlobalServiceEvents": global_events,
            "logFileValidationEnabled": validation, "kmsKeyId": self.keys[kms] if kms else None,
            "cloudWatchLogsLogGroupArn": (f"arn:aws:logs:{region}:{self.id}:log-group:{log_group}:*"
                                          if log_group else None),
            "cloudWatchLogsRoleArn": (self.roles["cloudtrail-to-cloudwatch"][1] if log_group else None),
            "isOrganizationTrail": False, "hasCustomEventSelectors": data_events, "hasInsightSelectors": insights,
        }, {"TrailStatus": {"isLogging": logging,
                            "latestDeliveryTime": ago(0, 0.2) if logging else ago(41),
                            "startLoggingTime": ago(400) if logging else None,
                            "stopLoggingTime": None if logging else ago(41)},
            "EventSelectors": {"eventSelectors": selectors, "advancedEventSelectors": []}},
            tags=self.tags(), rels=rels)

    def rds(self, ident, region, *, engine="postgres", version="15.5", cls="db.t3.medium", public=False,
            encrypted=True, kms=None, multi_az=False, backup=7, deletion=False, minor=True, sgs=(),
            storage=100, age=300, iam_auth=False, perf=False, tags=None, ca="rds-ca-rsa2048-g1"):
        dbi = "db-" + upid(self.lbl("rds", ident), 26)
        arn = f"arn:aws:rds:{region}:{self.id}:db:{ident}"
        rels = [rel("AWS::EC2::SecurityGroup", g, "Is associated with SecurityGroup") for g in sgs]
        kms_arn = None
        if encrypted:
            kms_arn = self.keys[kms] if kms else \
                f"arn:aws:kms:{region}:{self.id}:key/{uuid_like(self.lbl('kms', region, 'aws/rds'))}"
            if kms:
                rels.append(rel("AWS::KMS::Key", self.key_ids[kms], "Is associated with KMSKey"))
        created = ago(age)
        port = {"postgres": 5432, "mysql": 3306, "aurora-postgresql": 5432, "sqlserver-se": 1433}.get(engine, 3306)
        self.add("AWS::RDS::DBInstance", dbi, ident, arn, region, {
            "dbInstanceIdentifier": ident, "dbInstanceArn": arn, "dbiResourceId": dbi,
            "engine": engine, "engineVersion": version, "dbInstanceClass": cls,
            "dbInstanceStatus": "available", "allocatedStorage": storage, "storageType": "gp3",
            "publiclyAccessible": public, "storageEncrypted": encrypted, "kmsKeyId": kms_arn,
            "multiAZ": multi_az, "backupRetentionPeriod": backup, "deletionProtection": deletion,
            "autoMinorVersionUpgrade": minor, "iamDatabaseAuthenticationEnabled": iam_auth,
            "performanceInsightsEnabled": perf, "copyTagsToSnapshot": deletion,
            "caCertificateIdentifier": ca, "instanceCreateTime": created,
            "endpoint": {"address": f"{ident}.{hexid(self.id, 12)}.{region}.rds.amazonaws.com", "port": port},
            "masterUsername": "dbadmin" if engine != "mysql" else "admin",
            "vpcSecurityGroups": [{"vpcSecurityGroupId": g, "status": "active"} for g in sgs],
            "enabledCloudwatchLogsExports": (["postgresql"] if engine == "postgres" and deletion else []),
            "monitoringInterval": 60 if perf else 0,
        }, tags=tags if tags is not None else self.tags(), rels=rels, created=created)
        return dbi

    def rds_snapshot(self, name, region, db_ident, dbi, *, public=False, encrypted=True, age=20, manual=True,
                     engine="postgres", size=100):
        arn = f"arn:aws:rds:{region}:{self.id}:snapshot:{name}"
        rels = [rel("AWS::RDS::DBInstance", dbi, "Is associated with DBInstance")] \
            if ("AWS::RDS::DBInstance", dbi) in self.index else []
        created = ago(age)
        self.add("AWS::RDS::DBSnapshot", name, name, arn, region, {
            "dbSnapshotIdentifier": name, "dbSnapshotArn": arn, "dbInstanceIdentifier": db_ident,
            "snapshotCreateTime": created, "engine": engine, "allocatedStorage": size, "status": "available",
            "encrypted": encrypted, "snapshotType": "manual" if manual else "automated",
            "kmsKeyId": (f"arn:aws:kms:{region}:{self.id}:key/{uuid_like(self.lbl('kms', region, 'aws/rds'))}"
                         if encrypted else None),
        }, {"SnapshotAttributes": [{"attributeName": "restore", "attributeValues": ["all"] if public else []}]},
            tags=self.tags(), rels=rels, created=created)

    def function(self, name, region, runtime, role, *, timeout=30, memory=256, env=(), vpc=None,
                 policy=None, url=None, age=200, handler=None, tags=None, layers=(), tracing="PassThrough",
                 kms=None):
        arn = f"arn:aws:lambda:{region}:{self.id}:function:{name}"
        rid, role_arn = self.roles[role]
        rels = [rel("AWS::IAM::Role", rid, "Is associated with Role", role)]
        vpc_cfg = None
        if vpc:
            subnets, sgs = vpc
            vpc_cfg = {"subnetIds": list(subnets), "securityGroupIds": list(sgs)}
            rels += [rel("AWS::EC2::Subnet", s, "Is contained in Subnet") for s in subnets]
            rels += [rel("AWS::EC2::SecurityGroup", g, "Is associated with SecurityGroup") for g in sgs]
        if handler is None:
            handler = "app.handler" if runtime.startswith("python") else "index.handler"
        urls = []
        if url:
            urls.append({"authType": url,
                         "functionUrl": f"https://{upid(arn, 32).lower()}.lambda-url.{region}.on.aws/",
                         "cors": {"allowOrigins": ["*"]} if url == "NONE" else None,
                         "creationTime": ago(age // 2)})
        created = ago(age)
        self.add("AWS::Lambda::Function", name, name, arn, region, {
            "functionName": name, "functionArn": arn, "runtime": runtime, "role": role_arn,
            "handler": handler, "codeSize": 1000 + int(hexid(name, 5), 16) % 9_000_000,
            "description": "", "timeout": timeout, "memorySize": memory, "lastModified": ago(age // 3),
            "version": "$LATEST", "packageType": "Zip", "architectures": ["x86_64"],
            "environmentVariableNames": list(env), "kmsKeyArn": self.keys[kms] if kms else None,
            "tracingConfig": {"mode": tracing}, "vpcConfig": vpc_cfg,
            "layers": list(layers), "ephemeralStorage": {"size": 512},
            "deadLetterConfig": None,
        }, {"Policy": policy, "FunctionUrlConfigs": urls}, tags=tags if tags is not None else self.tags(),
            rels=rels, created=created)

    def topic(self, name, region, *, kms=None, policy=None, subs=1, display=""):
        arn = f"arn:aws:sns:{region}:{self.id}:{name}"
        if policy is None:
            policy = doc(stmt(sid="__default_statement_ID", principal={"AWS": "*"},
                              action=["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                                      "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                                      "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
                              resource=arn, condition={"StringEquals": {"AWS:SourceOwner": self.id}}))
            policy["Id"] = "__default_policy_ID"
        rels = [rel("AWS::KMS::Key", self.key_ids[kms], "Is associated with KMSKey")] \
            if kms and kms in self.key_ids else []
        self.add("AWS::SNS::Topic", arn, name, arn, region, {
            "TopicArn": arn, "Owner": self.id, "DisplayName": display,
            "KmsMasterKeyId": (self.keys.get(kms) if kms and kms in self.keys else
                               "alias/aws/sns" if kms == "aws/sns" else None),
            "Policy": policy, "SubscriptionsConfirmed": str(subs), "SubscriptionsPending": "0",
            "SubscriptionsDeleted": "0",
            "EffectiveDeliveryPolicy": {"http": {"defaultHealthyRetryPolicy": {"numRetries": 3}}},
        }, tags=self.tags(), rels=rels)
        return arn

    def queue(self, name, region, *, kms=None, sse=True, policy=None, dlq=None, retention=345600):
        arn = f"arn:aws:sqs:{region}:{self.id}:{name}"
        url = f"https://sqs.{region}.amazonaws.com/{self.id}/{name}"
        cfg = {
            "QueueArn": arn, "QueueUrl": url,
            "KmsMasterKeyId": self.keys[kms] if kms else None,
            "KmsDataKeyReusePeriodSeconds": "300" if kms else None,
            "SqsManagedSseEnabled": "true" if (sse and not kms) else "false",
            "Policy": policy,
            "VisibilityTimeout": "30", "MessageRetentionPeriod": str(retention),
            "MaximumMessageSize": "262144", "DelaySeconds": "0", "ReceiveMessageWaitTimeSeconds": "20",
            "CreatedTimestamp": str(int((CAPTURE - timedelta(days=180)).timestamp())),
            "RedrivePolicy": ({"deadLetterTargetArn": f"arn:aws:sqs:{region}:{self.id}:{dlq}",
                               "maxReceiveCount": 5} if dlq else None),
        }
        rels = [rel("AWS::KMS::Key", self.key_ids[kms], "Is associated with KMSKey")] if kms else []
        self.add("AWS::SQS::Queue", url, name, arn, region, cfg, tags=self.tags(), rels=rels)

    def log_group(self, name, region, *, retention=None, kms=None, filters=(), age=300):
        arn = f"arn:aws:logs:{region}:{self.id}:log-group:{name}"
        mf = [{"filterName": fn, "filterPattern": pat, "logGroupName": name,
               "metricTransformations": [{"metricName": fn, "metricNamespace": "CISBenchmark",
                                          "metricValue": "1"}],
               "creationTime": ago(age - 1)} for fn, pat in filters]
        rels = [rel("AWS::KMS::Key", self.key_ids[kms], "Is associated with KMSKey")] if kms else []
        created = ago(age)
        self.add("AWS::Logs::LogGroup", name, name, arn + ":*", region, {
            "logGroupName": name, "arn": arn + ":*", "creationTime": created,
            "retentionInDays": retention, "kmsKeyId": self.keys[kms] if kms else None,
            "storedBytes": 1024 * (1 + int(hexid(name, 6), 16) % 9_000_000), "logGroupClass": "STANDARD",
        }, {"MetricFilters": mf}, tags=self.tags(), rels=rels, created=created)

    def secret(self, name, region, *, rotation=True, rotated=20, kms=None, age=400, description=""):
        arn = f"arn:aws:secretsmanager:{region}:{self.id}:secret:{name}-{upid(name, 6)}"
        rels = [rel("AWS::KMS::Key", self.key_ids[kms], "Is associated with KMSKey")] if kms else []
        self.add("AWS::SecretsManager::Secret", arn, name, arn, region, {
            "name": name, "arn": arn, "description": description,
            "rotationEnabled": rotation,
            "rotationLambdaARN": (f"arn:aws:lambda:{region}:{self.id}:function:secrets-rotation" if rotation
                                  else None),
            "rotationRules": {"automaticallyAfterDays": 30} if rotation else None,
            "lastRotatedDate": ago(rotated) if rotated is not None else None,
            "lastChangedDate": ago(rotated if rotated is not None else age),
            "lastAccessedDate": ago(1), "createdDate": ago(age),
            "kmsKeyId": self.keys[kms] if kms else None,
        }, tags=self.tags(), rels=rels, created=ago(age))

    def guardduty(self, region, enabled=True, age=500):
        did = hexid(self.lbl("gd", region), 32)
        self.add("AWS::GuardDuty::Detector", did, did,
                 f"arn:aws:guardduty:{region}:{self.id}:detector/{did}", region, {
                     "detectorId": did, "status": "ENABLED" if enabled else "DISABLED",
                     "findingPublishingFrequency": "FIFTEEN_MINUTES" if enabled else "SIX_HOURS",
                     "serviceRole": f"arn:aws:iam::{self.id}:role/aws-service-role/guardduty.amazonaws.com/"
                                    "AWSServiceRoleForAmazonGuardDuty",
                     "createdAt": ago(age), "updatedAt": ago(min(age, 60)),
                     "features": [{"name": n, "status": "ENABLED" if enabled else "DISABLED"}
                                  for n in ("CLOUD_TRAIL", "DNS_LOGS", "FLOW_LOGS", "S3_DATA_EVENTS")],
                 }, tags=self.tags(), created=ago(age))

    def recorder(self, region, *, all_supported=True, global_types=True, recording=True, role="aws-config-role"):
        rid = f"{region}/default"
        role_arn = self.roles[role][1] if role in self.roles else \
            f"arn:aws:iam::{self.id}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
        rels = [rel("AWS::IAM::Role", self.roles[role][0], "Is associated with Role", role)] \
            if role in self.roles else []
        self.add("AWS::Config::ConfigurationRecorder", rid, "default",
                 f"arn:aws:config:{region}:{self.id}:configuration-recorder/default/{hexid(rid, 16)}", region, {
                     "name": "default", "roleARN": role_arn,
                     "recordingGroup": {"allSupported": all_supported,
                                        "includeGlobalResourceTypes": global_types,
                                        "resourceTypes": [] if all_supported else
                                        ["AWS::EC2::Instance", "AWS::S3::Bucket"]},
                     "status": {"recording": recording, "lastStatus": "SUCCESS" if recording else "PENDING",
                                "lastStartTime": ago(400), "lastStopTime": None if recording else ago(95)},
                 }, rels=rels)

    def alb(self, name, region, vpc, subnets, sgs, *, scheme="internet-facing", deletion=False, logs=None,
            drop_invalid=False, lbtype="application", age=300):
        lb_id = hexid(self.lbl("alb", name), 16)
        kind = "app" if lbtype == "application" else "net"
        arn = f"arn:aws:elasticloadbalancing:{region}:{self.id}:loadbalancer/{kind}/{name}/{lb_id}"
        dns = f"{name}-{int(hexid(lb_id, 8), 16) % 10**10}.{region}.elb.amazonaws.com"
        if scheme == "internal":
            dns = "internal-" + dns
        rels = [rel("AWS::EC2::VPC", vpc, "Is contained in Vpc")]
        rels += [rel("AWS::EC2::Subnet", s, "Is attached to Subnet") for s in subnets]
        rels += [rel("AWS::EC2::SecurityGroup", g, "Is associated with SecurityGroup") for g in sgs]
        subs = [self.index[("AWS::EC2::Subnet", s)]["configuration"] for s in subnets]
        created = ago(age)
        self.add("AWS::ElasticLoadBalancingV2::LoadBalancer", arn, name, arn, region, {
            "loadBalancerArn": arn, "loadBalancerName": name, "dnsName": dns, "scheme": scheme,
            "type": lbtype, "vpcId": vpc, "state": {"code": "active"}, "ipAddressType": "ipv4",
            "createdTime": created, "canonicalHostedZoneId": "Z35SXDOTRQ7X7K",
            "availabilityZones": [{"zoneName": s["availabilityZone"], "subnetId": s["subnetId"]} for s in subs],
            "securityGroups": list(sgs),
        }, {"Attributes": {
            "deletion_protection.enabled": str(deletion).lower(),
            "access_logs.s3.enabled": str(bool(logs)).lower(),
            "access_logs.s3.bucket": logs or "",
            "access_logs.s3.prefix": f"alb/{name}" if logs else "",
            "idle_timeout.timeout_seconds": "60",
            "routing.http.drop_invalid_header_fields.enabled": str(drop_invalid).lower(),
            "routing.http2.enabled": "true",
            "routing.http.desync_mitigation_mode": "defensive",
            "waf.fail_open.enabled": "false",
        }}, tags=self.tags(), rels=rels, created=created)
        return arn

    def listener(self, lb_arn, region, port, protocol, *, cert=None, policy=None, redirect=False, tg="web"):
        lid = hexid(lb_arn + str(port), 16)
        arn = lb_arn.replace(":loadbalancer/", ":listener/") + "/" + lid
        lb_name = self.index[("AWS::ElasticLoadBalancingV2::LoadBalancer", lb_arn)]["resourceName"]
        if redirect:
            action = {"type": "redirect", "order": 1, "redirectConfig": {
                "protocol": "HTTPS", "port": "443", "host": "#{host}", "path": "/#{path}",
                "query": "#{query}", "statusCode": "HTTP_301"}}
        else:
            tg_arn = (lb_arn.replace(":loadbalancer/app/", ":targetgroup/").rsplit("/", 2)[0]
                      + f"/{lb_name}-{tg}/{hexid(lb_arn + tg, 16)}")
            action = {"type": "forward", "order": 1, "targetGroupArn": tg_arn}
        rels = [rel("AWS::ElasticLoadBalancingV2::LoadBalancer", lb_arn, "Is associated with LoadBalancer",
                    lb_name)]
        certs = []
        if cert:
            certs = [{"certificateArn": cert, "isDefault": True}]
            if ("AWS::ACM::Certificate", cert) in self.index:
                self.index[("AWS::ACM::Certificate", cert)]["configuration"]["inUseBy"].append(lb_arn)
                rels.append(rel("AWS::ACM::Certificate", cert, "Is associated with Certificate"))
        self.add("AWS::ElasticLoadBalancingV2::Listener", arn, f"{lb_name}:{port}", arn, region, {
            "listenerArn": arn, "loadBalancerArn": lb_arn, "port": port, "protocol": protocol,
            "sslPolicy": policy if protocol in ("HTTPS", "TLS") else None, "certificates": certs,
            "defaultActions": [action], "alpnPolicy": [],
        }, rels=rels)

    def cert(self, domain, region, *, issued=300, expires_in=95, status="ISSUED", ctype="AMAZON_ISSUED",
             algo="RSA_2048", sans=(), renewal=True):
        cid = uuid_like(self.lbl("acm", domain))
        arn = f"arn:aws:acm:{region}:{self.id}:certificate/{cid}"
        if expires_in < 0:
            status = "EXPIRED"
        self.add("AWS::ACM::Certificate", arn, domain, arn, region, {
            "certificateArn": arn, "domainName": domain,
            "subjectAlternativeNames": [domain, *sans], "status": status, "type": ctype,
            "keyAlgorithm": algo, "signatureAlgorithm": "SHA256WITHRSA",
            "notBefore": ago(issued), "notAfter": ahead(expires_in),
            "createdAt": ago(issued), "issuedAt": ago(issued) if ctype == "AMAZON_ISSUED" else None,
            "importedAt": ago(issued) if ctype == "IMPORTED" else None,
            "issuer": "Amazon" if ctype == "AMAZON_ISSUED" else "Sectigo RSA Domain Validation Secure Server CA",
            "renewalEligibility": "ELIGIBLE" if (ctype == "AMAZON_ISSUED" and renewal) else "INELIGIBLE",
            "inUseBy": [],  # filled by listener()
            "options": {"certificateTransparencyLoggingPreference": "ENABLED"},
        }, tags=self.tags())
        return arn

    # ---- output ------------------------------------------------------------

    def snapshot_doc(self) -> dict:
        return {
            "fileVersion": "1.0",
            "configSnapshotId": uuid_like("snapshot/" + self.id + "/" + CAPTURE_S),
            "configurationItems": self.items,
        }


# --------------------------------------------------------------------------
# shared building blocks


def trust_service(service):
    s = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return doc(s)


def trust_account(account, external_id=None, mfa=False):
    s = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}
    if external_id:
        s["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    elif mfa:
        s["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    return doc(s)


def trust_sso(account, permission_set):
    return doc({"Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{account}:saml-provider/AWSSSO_{hexid(account, 16)}_DO_NOT_DELETE"},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}})


MSP_ACCOUNT = "999900001111"  # the MSP's own tooling account (the Shareline scanner role trusts it)

CIS_FILTERS = [
    ("UnauthorizedAPICalls", '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'),
    ("ConsoleSigninWithoutMFA", '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'),
    ("RootAccountUsage", '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
                         '$.eventType != "AwsServiceEvent" }'),
    ("IAMPolicyChanges", '{ ($.eventName=DeleteGroupPolicy) || ($.eventName=PutUserPolicy) || '
                         '($.eventName=AttachRolePolicy) || ($.eventName=DetachUserPolicy) }'),
    ("CloudTrailChanges", '{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || '
                          '($.eventName = DeleteTrail) || ($.eventName = StopLogging) }'),
    ("SecurityGroupChanges", '{ ($.eventName = AuthorizeSecurityGroupIngress) || '
                             '($.eventName = RevokeSecurityGroupIngress) || ($.eventName = CreateSecurityGroup) }'),
]

LIFECYCLE_LOGS = [{"id": "expire-logs", "status": "Enabled", "expirationInDays": 400,
                   "noncurrentVersionExpirationInDays": 30, "abortIncompleteMultipartUpload": 7}]
LIFECYCLE_TIERING = [{"id": "abort-mpu", "status": "Enabled", "expirationInDays": None,
                      "noncurrentVersionExpirationInDays": 90, "abortIncompleteMultipartUpload": 7}]


def deny_insecure_transport(bucket):
    return stmt(sid="DenyInsecureTransport", effect="Deny", principal="*", action="s3:*",
                resource=[f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                condition={"Bool": {"aws:SecureTransport": "false"}})


def trail_bucket_policy(bucket, account):
    return doc(
        stmt(sid="AWSCloudTrailAclCheck", principal={"Service": "cloudtrail.amazonaws.com"},
             action="s3:GetBucketAcl", resource=f"arn:aws:s3:::{bucket}"),
        stmt(sid="AWSCloudTrailWrite", principal={"Service": "cloudtrail.amazonaws.com"}, action="s3:PutObject",
             resource=f"arn:aws:s3:::{bucket}/AWSLogs/{account}/*",
             condition={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}),
        deny_insecure_transport(bucket),
    )


def shareline_scanner_role(a: Account, age):
    a.role("ShareLineReadOnly", age, trust_account(MSP_ACCOUNT, external_id="sl-" + hexid(a.id, 20)),
           managed=[SECAUDIT, aws_managed("ViewOnlyAccess", "job-function/")],
           description="Read-only access for the MSP's Shareline posture scanner", last_used=0,
           tags={"ManagedBy": "NorthPeak MSP", "Purpose": "posture-scanning"})


def baseline_service_roles(a: Account, age, flow_logs_role=True, config_role=True):
    if config_role:
        a.service_role("aws-config-role", "config.amazonaws.com", age, managed=[CONFIG_ROLE], last_used=0)
    if flow_logs_role:
        a.service_role("vpc-flow-logs", "vpc-flow-logs.amazonaws.com", age, last_used=0, inline=[
            ("flowlogs-write", doc(stmt(action=["logs:CreateLogStream", "logs:PutLogEvents",
                                                "logs:DescribeLogGroups", "logs:DescribeLogStreams"])))])


# --------------------------------------------------------------------------
# Acme Corp — retail, mature, a few gaps


def build_acme_prod() -> Account:
    a = Account("acme", "111111111111", "acme-prod", ["us-east-1", "eu-west-1"], "production", "Acme Corp")
    ue, ew = "us-east-1", "eu-west-1"
    # KMS first (buckets, RDS etc. refer to keys)
    a.kms_key("acme-prod-data", ue, 900, description="Acme prod data at rest",
              tags=a.tags(Owner="platform-team", CostCenter="CC-1001"))
    a.kms_key("acme-prod-logs", ue, 900, description="CloudTrail and log encryption",
              tags=a.tags(Owner="security-team", CostCenter="CC-1002"))
    a.kms_key("acme-eu-data", ew, 700, description="Acme EU data (GDPR)", tags=a.tags(Owner="platform-team",
                                                                                    DataClassification="confidential"))
    a.kms_key("acme-payments-signing", ue, 400, usage="SIGN_VERIFY", spec="RSA_2048", rotation=None,
              description="Payment webhook signing key", tags=a.tags(Owner="payments-team"))
    a.kms_key("acme-legacy-batch", ue, 1500, rotation=False, description="Legacy batch exports (pre-2023)",
              tags=a.tags(Owner="data-team", CostCenter="CC-1004"))
    a.kms_key("aws/s3", ue, 1500, manager="AWS", rotation=True, description="Default key for S3",
              policy=doc(stmt(sid="Allow access through S3", principal={"AWS": "*"},
                              action=["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
                              condition={"StringEquals": {"kms:CallerAccount": a.id,
                                                          "kms:ViaService": "s3.us-east-1.amazonaws.com"}})))

    # IAM
    a.password_policy(min_len=14, symbols=True, numbers=True, upper=True, lower=True, max_age=90, reuse=24)
    a.policy("AcmeDeployPipeline", doc(
        stmt(action=["ecs:UpdateService", "ecs:RegisterTaskDefinition", "ecr:GetAuthorizationToken",
                     "ecr:BatchGetImage", "ecr:PutImage"], resource="*"),
        stmt(action="iam:PassRole", resource=f"arn:aws:iam::{a.id}:role/acme-app-*")), 600, attachments=2,
        description="CI/CD deployment permissions")
    a.policy("AcmeBreakGlassBoundary", doc(stmt(action="*", resource="*"),
                                           stmt(effect="Deny", action=["organizations:*", "account:*"])), 600,
             attachments=1, description="Permissions boundary for break-glass users")
    a.policy("AcmeS3ReportsRead", doc(stmt(action=["s3:GetObject", "s3:ListBucket"],
                                           resource=["arn:aws:s3:::acme-prod-reports",
                                                     "arn:aws:s3:::acme-prod-reports/*"])), 300, attachments=1)
    a.policy("AcmeUnusedLegacyEC2", doc(stmt(action="ec2:*", resource="*")), 1300, attachments=0,
             description="Left over from the 2023 migration")
    a.group("platform-admins", 900, managed=[ADMIN])
    a.group("auditors", 600, managed=[SECAUDIT, READONLY])
    a.group("developers", 900, managed=[READONLY, "AcmeS3ReportsRead"])
    a.user("breakglass-admin", 900, console=True, mfa="mfa", pw_used=210, groups=["platform-admins"],
           boundary="AcmeBreakGlassBoundary", tags={"Owner": "security-team"})
    a.user("j.rivera", 500, console=True, mfa="mfa", pw_used=1, groups=["developers"],
           tags={"Owner": "j.rivera@acme.example", "Team": "ecommerce"})
    a.user("m.chen", 420, console=True, mfa="mfa", pw_used=3, groups=["developers", "auditors"],
           tags={"Owner": "m.chen@acme.example", "Team": "data"})
    a.user("s.okafor", 250, console=True, mfa=False, pw_used=8, groups=["developers"],
           tags={"Owner": "s.okafor@acme.example", "Team": "ecommerce"})  # gap: console without MFA
    a.user("svc-ci-deploy", 600, console=False, keys=[(120, "Active", 0, "ecs", ue)],  # gap: key > 90 days
           managed=["AcmeDeployPipeline"], path="/service/", tags={"Owner": "platform-team"})
    a.user("svc-datadog", 380, console=False, keys=[(60, "Active", 0, "cloudwatch", ue)],
           managed=[aws_managed("ViewOnlyAccess", "job-function/")], path="/service/",
           tags={"Owner": "sre-team", "Vendor": "Datadog"})
    shareline_scanner_role(a, 200)
    baseline_service_roles(a, 900)
    a.service_role("cloudtrail-to-cloudwatch", "cloudtrail.amazonaws.com", 900, last_used=0, inline=[
        ("cwlogs", doc(stmt(action=["logs:CreateLogStream", "logs:PutLogEvents"],
                            resource=f"arn:aws:logs:{ue}:{a.id}:log-group:aws-cloudtrail-logs-acme:*")))])
    a.role("AWSReservedSSO_AdministratorAccess_" + hexid(a.id + "adm", 16), 700, trust_sso(a.id, "Admin"),
           managed=[ADMIN], path="/aws-reserved/sso.amazonaws.com/", max_session=14400, last_used=1)
    a.role("AWSReservedSSO_ReadOnly_" + hexid(a.id + "ro", 16), 700, trust_sso(a.id, "ReadOnly"),
           managed=[READONLY], path="/aws-reserved/sso.amazonaws.com/", max_session=14400, last_used=0)
    a.service_role("acme-app-web", "ec2.amazonaws.com", 500, managed=[SSMCORE, CW_AGENT, "AcmeS3ReportsRead"],
                   last_used=0)
    a.service_role("acme-app-orders-lambda", "lambda.amazonaws.com", 450, managed=[LAMBDA_VPC], last_used=0,
                   inline=[("orders-queue", doc(stmt(action=["sqs:SendMessage", "sqs:ReceiveMessage",
                                                             "sqs:DeleteMessage"],
                                                     resource=f"arn:aws:sqs:{ue}:{a.id}:acme-prod-orders")))])
    a.service_role("acme-app-image-resizer", "lambda.amazonaws.com", 800, managed=[LAMBDA_BASIC, S3FULL],
                   last_used=2)  # broad S3 access
    a.service_role("rds-monitoring-role", "monitoring.rds.amazonaws.com", 600, managed=[RDS_MON], last_used=0)
    a.role("acme-github-actions", 300, doc({
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{a.id}:oidc-provider/token.actions.githubusercontent.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                      "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme-corp/storefront:*"}}}),
        managed=["AcmeDeployPipeline"], last_used=0)

    # S3
    a.account_pab(True)
    a.bucket("acme-prod-cloudtrail-111111111111", ue, 900, policy=trail_bucket_policy(
        "acme-prod-cloudtrail-111111111111", a.id), enc="aws:kms", kms="acme-prod-logs", bucket_key=True,
        log_to="acme-prod-s3-access-logs", lifecycle=LIFECYCLE_LOGS, object_lock=("GOVERNANCE", 365),
        mfa_delete=True, tags=a.tags(Owner="security-team", DataClassification="internal", CostCenter="CC-1002"))
    a.bucket("acme-prod-s3-access-logs", ue, 900, log_to="self-target", lifecycle=LIFECYCLE_LOGS,
             tags=a.tags(Owner="security-team", DataClassification="internal"))
    a.bucket("acme-prod-orders-archive", ue, 700, enc="aws:kms", kms="acme-prod-data", bucket_key=True,
             log_to="acme-prod-s3-access-logs", lifecycle=LIFECYCLE_TIERING,
             policy=doc(deny_insecure_transport("acme-prod-orders-archive")),
             tags=a.tags(Owner="ecommerce-team", DataClassification="confidential", CostCenter="CC-1101",
                         Compliance="PCI"))
    a.bucket("acme-prod-reports", ue, 300, enc="aws:kms", kms="acme-prod-data", log_to="acme-prod-s3-access-logs",
             tags=a.tags(Owner="data-team", DataClassification="internal", CostCenter="CC-1004"))
    a.bucket("acme-prod-static-assets", ue, 800, pab={"blockPublicAcls": True, "ignorePublicAcls": True,
                                                      "blockPublicPolicy": True, "restrictPublicBuckets": True},
             policy=doc(stmt(sid="AllowCloudFrontOAC", principal={"Service": "cloudfront.amazonaws.com"},
                             action="s3:GetObject", resource="arn:aws:s3:::acme-prod-static-assets/*",
                             condition={"StringEquals": {"AWS:SourceArn":
                                                         f"arn:aws:cloudfront::{a.id}:distribution/E2QWRTY3ACME"}})),
             versioning="Off", tags=a.tags(Owner="ecommerce-team", DataClassification="public"))
    a.bucket("acme-prod-batch-exports-legacy", ue, 1500, enc="aws:kms", kms="acme-legacy-batch",
             versioning="Suspended", tags=a.tags(Owner="data-team", DataClassification="confidential"))
    a.bucket("acme-eu-customer-data", ew, 700, enc="aws:kms", kms="acme-eu-data", bucket_key=True,
             log_to="acme-prod-s3-access-logs", policy=doc(deny_insecure_transport("acme-eu-customer-data")),
             lifecycle=LIFECYCLE_TIERING,
             tags=a.tags(Owner="platform-team", DataClassification="restricted", Compliance="GDPR"))

    # CloudTrail + logs
    a.log_group("aws-cloudtrail-logs-acme", ue, retention=365, kms="acme-prod-logs", filters=CIS_FILTERS, age=900)
    a.trail("acme-org-trail", ue, "acme-prod-cloudtrail-111111111111", kms="acme-prod-logs",
            log_group="aws-cloudtrail-logs-acme", data_events=True, insights=True)
    a.log_group("/aws/lambda/acme-orders-processor", ue, retention=90, age=450)
    a.log_group("/aws/lambda/acme-image-resizer", ue, retention=None, age=800)  # gap: never expires
    a.log_group("/acme/prod/web/nginx", ue, retention=180, age=500)
    a.log_group("/aws/rds/instance/acme-prod-orders-db/postgresql", ue, retention=30, age=500)
    a.log_group("/acme/eu/web/nginx", ew, retention=180, age=600)
    a.log_group("/aws/vpc/acme-eu-flow-logs", ew, retention=90, kms="acme-eu-data", age=600)

    for region, prefix, cidr, key_alias in ((ue, "acme-prod", "10.10", "acme-prod-data"),
                                            (ew, "acme-eu", "10.20", "acme-eu-data")):
        r = region
        a.guardduty(r, True)
        a.recorder(r, global_types=(r == ue))
        a.ebs_default(r, True, key_alias)
        vpc = a.vpc(prefix, r, f"{prefix}-vpc", f"{cidr}.0.0/16")
        pub = [a.subnet(f"{prefix}-pub-{z}", vpc, r, z, f"{cidr}.{i}.0/24", public=True,
                        name=f"{prefix}-public-{z}") for i, z in enumerate("ab")]
        priv = [a.subnet(f"{prefix}-priv-{z}", vpc, r, z, f"{cidr}.{10 + i}.0/24", name=f"{prefix}-private-{z}")
                for i, z in enumerate("ab")]
        a.igw(prefix, vpc, r, name=f"{prefix}-igw")
        a.nacl(prefix + "-default", vpc, r, [], default=True)
        a.nacl(prefix + "-app", vpc, r, pub + priv, default=False, open_admin=False, name=f"{prefix}-app-nacl")
        if r == ue:
            a.flow_log(prefix, vpc, r, "s3", "acme-prod-s3-access-logs")
        else:
            a.flow_log(prefix, vpc, r, "cwl", "/aws/vpc/acme-eu-flow-logs")
        a.default_sg(prefix + "-default", vpc, r, restricted=True)
        alb_sg = a.sg(prefix + "-alb", vpc, r, f"{prefix}-alb-sg", "Public HTTPS to ALB",
                      [("tcp", 443, 443, ["0.0.0.0/0", "::/0"]), ("tcp", 80, 80, "0.0.0.0/0")])
        web_sg = a.sg(prefix + "-web", vpc, r, f"{prefix}-web-sg", "Web tier from ALB only",
                      [("tcp", 8080, 8080, ("sg", prefix + "-alb"))])
        db_sg = a.sg(prefix + "-db", vpc, r, f"{prefix}-db-sg", "Postgres from web tier",
                     [("tcp", 5432, 5432, [("sg", prefix + "-web"), ("sg", prefix + "-lambda")])])
        lam_sg = a.sg(prefix + "-lambda", vpc, r, f"{prefix}-lambda-sg", "Lambda functions in VPC", [])
        webs = []
        for n in range(1, 4 if r == ue else 3):
            webs.append(a.instance(f"{prefix}-web-{n:02d}", r, f"{prefix}-web-{n:02d}", priv[n % 2], vpc, [web_sg],
                                   itype="m6i.large", profile="acme-app-web", monitoring=True, age=40 + 7 * n,
                                   kms=key_alias,
                                   tags=a.tags(Name=f"{prefix}-web-{n:02d}", Owner="ecommerce-team",
                                               CostCenter="CC-1101", Role="web", PatchGroup="prod-linux")))
        if r == ue:
            # gap: a legacy batch host still on IMDSv1
            a.instance("acme-prod-batch-01", r, "acme-prod-batch-01", priv[0], vpc, [web_sg], itype="c5.xlarge",
                       ami="al2", imds="optional", profile="acme-app-web", age=980, kms=key_alias,
                       extra_disk=(500, True),
                       tags=a.tags(Name="acme-prod-batch-01", Owner="data-team", CostCenter="CC-1004",
                                   Role="batch", PatchGroup="prod-linux"))
            a.eip("acme-prod-nat", r, name="acme-prod-nat-eip")  # reserved for NAT gateway (not an instance)
        lb = a.alb(f"{prefix}-alb", r, vpc, pub, [alb_sg], deletion=True,
                   logs="acme-prod-s3-access-logs", drop_invalid=True)
        domain = "shop.acme.example" if r == ue else "eu.shop.acme.example"
        if r == ue:
            # gap: production certificate imported by hand, expires in 12 days, cannot auto-renew
            c = a.cert(domain, r, issued=353, expires_in=12, ctype="IMPORTED", sans=("www.acme.example",))
        else:
            c = a.cert(domain, r, issued=200, expires_in=195)
        a.listener(lb, r, 443, "HTTPS", cert=c, policy="ELBSecurityPolicy-TLS13-1-2-2021-06")
        a.listener(lb, r, 80, "HTTP", redirect=True)
        if r == ue:
            db = a.rds("acme-prod-orders-db", r, version="15.5", cls="db.r6g.large", kms="acme-prod-data",
                       multi_az=True, backup=14, deletion=True, sgs=[db_sg], storage=500, iam_auth=True, perf=True,
                       tags=a.tags(Owner="ecommerce-team", DataClassification="confidential", Compliance="PCI"))
            a.rds_snapshot("acme-prod-orders-db-pre-upgrade-2026-10", r, "acme-prod-orders-db", db, age=35,
                           size=500)
            a.function("acme-orders-processor", r, "python3.12", "acme-app-orders-lambda", timeout=60, memory=512,
                       env=("ORDERS_QUEUE_URL", "DB_SECRET_ARN", "POWERTOOLS_SERVICE_NAME"),
                       vpc=(priv, [lam_sg]), tracing="Active", kms="acme-prod-data", age=450)
            # gap: deprecated runtime, broad S3 role
            a.function("acme-image-resizer", r, "python3.8", "acme-app-image-resizer", timeout=120, memory=1024,
                       env=("TARGET_BUCKET",), age=800)
            a.function("acme-inventory-sync", r, "nodejs20.x", "acme-app-orders-lambda", timeout=300,
                       env=("ERP_ENDPOINT", "DB_SECRET_ARN"), vpc=(priv, [lam_sg]), age=200,
                       url="AWS_IAM")
            a.topic("acme-prod-alerts", r, kms="acme-prod-data", subs=3, display="Acme prod alerts")
            a.topic("acme-prod-order-events", r, kms="acme-prod-data", subs=2)
            a.queue("acme-prod-orders-dlq", r, kms="acme-prod-data", retention=1209600)
            a.queue("acme-prod-orders", r, kms="acme-prod-data", dlq="acme-prod-orders-dlq")
            a.queue("acme-prod-email-outbox", r, sse=True)
            a.secret("acme/prod/orders-db/master", r, rotation=True, rotated=12, kms="acme-prod-data",
                     description="RDS master credentials")
            a.secret("acme/prod/stripe-api", r, rotation=False, rotated=None, kms="acme-prod-data", age=500,
                     description="Payment provider API key")  # gap: third-party key never rotated
            a.secret("acme/prod/erp-service-account", r, rotation=True, rotated=25, age=300)
        else:
            db = a.rds("acme-eu-customers-db", r, version="15.5", cls="db.r6g.large", kms="acme-eu-data",
                       multi_az=True, backup=14, deletion=True, sgs=[db_sg], storage=200, perf=True,
                       tags=a.tags(Owner="platform-team", DataClassification="restricted", Compliance="GDPR"))
            a.function("acme-eu-gdpr-export", r, "python3.12", "acme-app-orders-lambda", timeout=900,
                       memory=1024, env=("EXPORT_BUCKET",), vpc=(priv, [lam_sg]), age=300)
            a.topic("acme-eu-alerts", r, kms="acme-eu-data", subs=2)
            a.queue("acme-eu-gdpr-requests", r, kms="acme-eu-data")
            a.secret("acme/eu/customers-db/master", r, rotation=True, rotated=8, kms="acme-eu-data")
    a.account_summary(root_mfa=True, root_keys=False)
    return a


def build_acme_dev() -> Account:
    a = Account("acme", "111122223333", "acme-dev", ["us-east-1"], "development", "Acme Corp")
    r = "us-east-1"
    a.kms_key("acme-dev-data", r, 600, rotation=False, tags=a.tags(Owner="platform-team"))  # gap: no rotation
    a.password_policy(min_len=14, symbols=True, numbers=True, upper=True, lower=True, max_age=90, reuse=24)
    a.group("developers", 600, managed=[POWERUSER])
    a.user("j.rivera", 500, console=True, mfa="mfa", pw_used=2, groups=["developers"])
    a.user("intern-2026", 140, console=True, mfa=False, pw_used=40, reset=False, groups=["developers"],
           tags={"Owner": "j.rivera@acme.example"})  # gap
    a.user("svc-terraform-dev", 500, console=False, keys=[(95, "Active", 1, "ec2", r), (400, "Inactive", 300,
                                                                                         "s3", r)],
           managed=[ADMIN], path="/service/", tags={"Owner": "platform-team"})  # gap: admin key > 90 days
    shareline_scanner_role(a, 200)
    baseline_service_roles(a, 600)
    a.service_role("acme-dev-ec2", "ec2.amazonaws.com", 500, managed=[SSMCORE], last_used=0)
    a.service_role("acme-dev-lambda", "lambda.amazonaws.com", 400, managed=[LAMBDA_BASIC], last_used=3)
    a.role("AWSReservedSSO_PowerUser_" + hexid(a.id + "pu", 16), 600, trust_sso(a.id, "PowerUser"),
           managed=[POWERUSER], path="/aws-reserved/sso.amazonaws.com/", max_session=28800, last_used=0)
    a.account_pab(True)
    a.bucket("acme-dev-cloudtrail-111122223333", r, 600, policy=trail_bucket_policy(
        "acme-dev-cloudtrail-111122223333", a.id), lifecycle=LIFECYCLE_LOGS,
        tags=a.tags(Owner="security-team", DataClassification="internal"))
    a.bucket("acme-dev-artifacts", r, 500, versioning="Enabled", tags=a.tags(Owner="platform-team"))
    a.bucket("acme-dev-test-fixtures", r, 200, versioning="Off",
             pab={"blockPublicAcls": True, "ignorePublicAcls": True, "blockPublicPolicy": False,
                  "restrictPublicBuckets": False},
             tags=a.tags(Owner="qa-team", DataClassification="internal"))  # gap: partial PAB, no versioning
    a.trail("acme-dev-trail", r, "acme-dev-cloudtrail-111122223333", kms=None, validation=True)  # gap: SSE-S3 only
    a.guardduty(r, True)
    a.recorder(r)
    a.ebs_default(r, False)  # gap: dev account never turned on default EBS encryption
    vpc = a.vpc("dev", r, "acme-dev-vpc", "10.30.0.0/16")
    pub = a.subnet("dev-pub-a", vpc, r, "a", "10.30.0.0/24", public=True, name="acme-dev-public-a")
    priv = a.subnet("dev-priv-a", vpc, r, "a", "10.30.10.0/24", name="acme-dev-private-a")
    a.igw("dev", vpc, r, name="acme-dev-igw")
    a.nacl("dev-default", vpc, r, [pub, priv], default=True)
    # gap: no flow log on the dev VPC
    a.default_sg("dev-default", vpc, r, restricted=True)
    bastion = a.sg("dev-bastion", vpc, r, "acme-dev-bastion-sg", "SSH bastion (temporary: open for contractor)",
                   [("tcp", 22, 22, "0.0.0.0/0")])  # gap: SSH open to the world
    app = a.sg("dev-app", vpc, r, "acme-dev-app-sg", "Dev app servers",
               [("tcp", 22, 22, ("sg", "dev-bastion")), ("tcp", 8080, 8080, "10.30.0.0/16")])
    b = a.instance("dev-bastion", r, "acme-dev-bastion", pub, vpc, [bastion], itype="t3.micro", public_ip=True,
                   imds="optional", age=150, encrypted=False, profile="acme-dev-ec2",
                   tags=a.tags(Name="acme-dev-bastion", Owner="platform-team", CostCenter="CC-2001"))
    a.eip("dev-bastion", r, instance=b, name="acme-dev-bastion-eip")
    for n in (1, 2):
        a.instance(f"dev-app-{n}", r, f"acme-dev-app-{n:02d}", priv, vpc, [app], itype="t3.large",
                   profile="acme-dev-ec2", age=60 + n, encrypted=(n == 1),
                   state="running" if n == 1 else "stopped",
                   tags=a.tags(Name=f"acme-dev-app-{n:02d}", Owner="ecommerce-team", CostCenter="CC-2001"))
    a.volume("dev-scratch", r, r + "a", 200, vtype="gp2", encrypted=False, age=300,
             tags=a.tags(Name="acme-dev-scratch-old", Owner="data-team"))  # gap: unattached, unencrypted
    a.snapshot("dev-app-1-nightly", r, "vol-" + hexid(a.lbl("vol", "dev-app-1-root")), 30, age=1,
               description="nightly dev-app-01")
    a.rds("acme-dev-orders-db", r, version="14.10", cls="db.t3.medium", encrypted=True, backup=1, deletion=False,
          sgs=[app], storage=50, tags=a.tags(Owner="ecommerce-team", DataClassification="test"))
    a.function("acme-dev-orders-processor", r, "python3.12", "acme-dev-lambda", age=100)
    a.function("acme-dev-reporting-poc", r, "nodejs16.x", "acme-dev-lambda", age=700, url="AWS_IAM")  # gap: EOL
    a.log_group("/aws/lambda/acme-dev-orders-processor", r, retention=14, age=100)
    a.log_group("/aws/lambda/acme-dev-reporting-poc", r, retention=None, age=700)
    a.queue("acme-dev-orders", r, sse=True)
    a.topic("acme-dev-builds", r, kms=None)  # gap: unencrypted topic
    a.secret("acme/dev/orders-db/master", r, rotation=False, rotated=None, age=300)
    a.cert("dev.shop.acme.example", r, issued=100, expires_in=295)
    a.account_summary(root_mfa=True, root_keys=False)
    return a


# --------------------------------------------------------------------------
# Globex Health — healthcare, HIPAA, mixed


def build_globex_prod() -> Account:
    a = Account("globex", "222222222222", "globex-prod", ["us-east-1", "us-west-2"], "production", "Globex Health")
    ue, uw = "us-east-1", "us-west-2"
    a.kms_key("globex-phi", ue, 1000, description="PHI data at rest (HIPAA)",
              tags=a.tags(Owner="security", DataClassification="phi"))
    a.kms_key("globex-phi-dr", uw, 800, description="PHI replica key (DR)",
              tags=a.tags(Owner="security", DataClassification="phi"))
    a.kms_key("globex-app", ue, 700, rotation=False, description="Application secrets",  # gap
              tags=a.tags(Owner="app-team"))
    # gap: key policy grants kms:* to a vendor account without conditions
    a.kms_key("globex-integrations", ue, 500, rotation=False, description="HL7 integration partner key",
              policy=doc(stmt(sid="Enable IAM User Permissions", principal={"AWS": f"arn:aws:iam::{a.id}:root"},
                              action="kms:*"),
                         stmt(sid="PartnerAccess", principal={"AWS": "arn:aws:iam::444455556666:root"},
                              action="kms:*")),
              tags=a.tags(Owner="integrations"))
    # weak password policy
    a.password_policy(min_len=8, symbols=False, numbers=True, upper=True, lower=True, max_age=None, reuse=None)
    a.policy("GlobexPHIReadWrite", doc(stmt(action=["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                                            resource=["arn:aws:s3:::globex-phi-records",
                                                      "arn:aws:s3:::globex-phi-records/*"]),
                                       stmt(action=["kms:Decrypt", "kms:GenerateDataKey"],
                                            resource=f"arn:aws:kms:{ue}:{a.id}:key/*")), 800, attachments=2)
    # gap: customer-managed policy allowing full admin
    a.policy("GlobexOpsFullAccess", doc(stmt(action="*", resource="*")), 900, attachments=1,
             description="Ops team (temporary 2024)")
    a.group("ops", 900, managed=["GlobexOpsFullAccess"])
    a.group("clinical-apps", 800, managed=["GlobexPHIReadWrite", READONLY])
    a.group("billing", 500, managed=[BILLING])
    a.user("d.morgan", 900, console=True, mfa="mfa", pw_used=1, groups=["ops"],
           tags={"Owner": "d.morgan@globexhealth.example"})
    a.user("r.patel", 760, console=True, mfa=False, pw_used=4, groups=["ops"],  # gap: admin without MFA
           keys=[(210, "Active", 6, "s3", ue)], tags={"Owner": "r.patel@globexhealth.example"})
    a.user("l.nguyen", 300, console=True, mfa="mfa", pw_used=2, groups=["clinical-apps"])
    a.user("k.baker", 500, console=True, mfa=False, pw_used=120, groups=["billing"])  # gap
    a.user("a.schmidt-former", 700, console=True, mfa=False, pw_used=200, groups=["clinical-apps"],
           keys=[(650, "Active", 190, "s3", ue)])  # gap: former employee, stale credentials
    a.user("svc-ehr-sync", 820, console=False, keys=[(820, "Active", 0, "s3", ue)], managed=["GlobexPHIReadWrite"],
           path="/service/")  # gap: very old key
    a.user("svc-backup", 400, console=False, keys=[(30, "Active", 0, "backup", ue)],
           managed=[aws_managed("AWSBackupOperatorAccess")], path="/service/")
    shareline_scanner_role(a, 150)
    baseline_service_roles(a, 900)
    a.service_role("globex-ehr-api", "ec2.amazonaws.com", 700, managed=[SSMCORE, "GlobexPHIReadWrite"], last_used=0)
    a.service_role("globex-jumpbox", "ec2.amazonaws.com", 700, managed=[EC2FULL], last_used=0)  # broad
    a.service_role("globex-lambda-hl7", "lambda.amazonaws.com", 600, managed=[LAMBDA_VPC], last_used=0, inline=[
        ("hl7-queue", doc(stmt(action="sqs:*", resource="*")))])  # wildcard action
    a.service_role("globex-lambda-notify", "lambda.amazonaws.com", 500, managed=[LAMBDA_BASIC], last_used=1)
    a.role("globex-vendor-integration", 500, trust_account("444455556666"),  # gap: no external id
           managed=[S3RO], description="HL7 vendor pulls exports", last_used=3)
    a.role("OrganizationAccountAccessRole", 1200, trust_account("222200000000"), managed=[ADMIN], last_used=90)
    a.account_pab(False)  # gap: account-level block turned off (all flags false)
    a.bucket("globex-phi-records", ue, 1000, enc="aws:kms", kms="globex-phi", bucket_key=True,
             log_to="globex-prod-access-logs", policy=doc(deny_insecure_transport("globex-phi-records")),
             lifecycle=LIFECYCLE_TIERING, object_lock=("COMPLIANCE", 2190),
             tags=a.tags(Owner="clinical-apps", DataClassification="phi", Compliance="HIPAA", CostCenter="HC-300"))
    a.bucket("globex-phi-records-dr", uw, 800, enc="aws:kms", kms="globex-phi-dr", log_to="globex-prod-access-logs",
             tags=a.tags(Owner="clinical-apps", DataClassification="phi", Compliance="HIPAA"))
    a.bucket("globex-prod-access-logs", ue, 1000, log_to="self-target", versioning="Off",
             tags=a.tags(Owner="security", DataClassification="internal"))
    a.bucket("globex-prod-cloudtrail", ue, 1000, policy=trail_bucket_policy("globex-prod-cloudtrail", a.id),
             versioning="Off", tags=a.tags(Owner="security"))  # gap: no versioning on trail bucket
    # intentionally public marketing site (should be flagged, then muted with a reason)
    a.bucket("globex-www-static", ue, 1100, pab={"blockPublicAcls": True, "ignorePublicAcls": True,
                                                 "blockPublicPolicy": False, "restrictPublicBuckets": False},
             policy=doc(stmt(sid="PublicReadForWebsite", principal="*", action="s3:GetObject",
                             resource="arn:aws:s3:::globex-www-static/*")),
             versioning="Off", tags=a.tags(Owner="marketing", DataClassification="public"))
    # gap: patient-intake uploads: no PAB, SSE-S3 only, cross-account write to vendor, no logging
    a.bucket("globex-patient-intake-uploads", ue, 450, pab=None, versioning="Enabled",
             policy=doc(stmt(sid="VendorUpload", principal={"AWS": "arn:aws:iam::444455556666:root"},
                             action=["s3:PutObject", "s3:GetObject", "s3:ListBucket"],
                             resource=["arn:aws:s3:::globex-patient-intake-uploads",
                                       "arn:aws:s3:::globex-patient-intake-uploads/*"])),
             tags=a.tags(Owner="integrations", DataClassification="phi", Compliance="HIPAA"))
    a.bucket("globex-ml-training-scratch", uw, 250, versioning="Off",
             tags=a.tags(Owner="data-science", DataClassification="deidentified"))
    # trail: multi-region but no validation, no KMS, no CloudWatch
    a.trail("globex-management-events", ue, "globex-prod-cloudtrail", validation=False)
    a.log_group("/globex/ehr-api/application", ue, retention=2192, kms="globex-phi", age=700)
    a.log_group("/aws/lambda/globex-hl7-ingest", ue, retention=None, age=600)  # gap
    a.log_group("/aws/lambda/globex-appointment-notify", ue, retention=7, age=500)
    a.log_group("/globex/jumpbox/security", ue, retention=None, age=700)
    a.log_group("/aws/rds/instance/globex-ehr-db/postgresql", ue, retention=365, age=800)

    for region, prefix, cidr in ((ue, "globex-prod", "172.16"), (uw, "globex-dr", "172.17")):
        r = region
        a.guardduty(r, enabled=(r == ue))  # gap: DR region detector suspended
        a.recorder(r, global_types=(r == ue))
        a.ebs_default(r, r == ue, "globex-phi" if r == ue else None)  # gap: not in us-west-2
        vpc = a.vpc(prefix, r, f"{prefix}-vpc", f"{cidr}.0.0/16")
        pub = [a.subnet(f"{prefix}-pub-{z}", vpc, r, z, f"{cidr}.{i}.0/24", public=True,
                        name=f"{prefix}-public-{z}") for i, z in enumerate("ab")]
        priv = [a.subnet(f"{prefix}-priv-{z}", vpc, r, z, f"{cidr}.{10 + i}.0/24", name=f"{prefix}-private-{z}")
                for i, z in enumerate("ab")]
        a.igw(prefix, vpc, r, name=f"{prefix}-igw")
        a.nacl(prefix + "-default", vpc, r, pub + priv, default=True)
        if r == ue:
            a.flow_log(prefix, vpc, r, "cwl", "/globex/jumpbox/security", traffic="REJECT")
        # gap: DR VPC has no flow logs
        a.default_sg(prefix + "-default", vpc, r, restricted=False)  # gap: default SG allows traffic
        alb_sg = a.sg(prefix + "-alb", vpc, r, f"{prefix}-alb-sg", "Patient portal ALB",
                      [("tcp", 443, 443, "0.0.0.0/0"), ("tcp", 80, 80, "0.0.0.0/0")])
        api_sg = a.sg(prefix + "-api", vpc, r, f"{prefix}-ehr-api-sg", "EHR API servers",
                      [("tcp", 8443, 8443, ("sg", prefix + "-alb")), ("tcp", 22, 22, ("sg", prefix + "-jump"))])
        db_sg = a.sg(prefix + "-db", vpc, r, f"{prefix}-db-sg", "EHR database",
                     [("tcp", 5432, 5432, [("sg", prefix + "-api"), "172.16.0.0/12"])])
        if r == ue:
            jump = a.sg(prefix + "-jump", vpc, r, f"{prefix}-jumpbox-sg", "Windows jump box for vendor support",
                        [("tcp", 3389, 3389, "0.0.0.0/0"), ("tcp", 22, 22, "203.0.113.0/24")])  # gap: RDP open
        else:
            jump = a.sg(prefix + "-jump", vpc, r, f"{prefix}-jumpbox-sg", "Jump box (DR, unused)", [])
        n_api = 3 if r == ue else 1
        for n in range(1, n_api + 1):
            a.instance(f"{prefix}-ehr-api-{n}", r, f"{prefix}-ehr-api-{n:02d}", priv[n % 2], vpc, [api_sg],
                       itype="m5.xlarge", ami="al2", imds="required" if n != 3 else "optional",
                       profile="globex-ehr-api", monitoring=(r == ue), age=200 + 10 * n,
                       kms="globex-phi" if r == ue else None, encrypted=(r == ue),
                       tags=a.tags(Name=f"{prefix}-ehr-api-{n:02d}", Owner="clinical-apps", CostCenter="HC-300",
                                   DataClassification="phi", Compliance="HIPAA"))
        if r == ue:
            j = a.instance("globex-jump-01", r, "globex-prod-jumpbox-01", pub[0], vpc, [jump], itype="t3.large",
                           ami="win2019", platform="windows", public_ip=True, imds="optional",
                           profile="globex-jumpbox", age=700, disk=60, kms="globex-app",
                           tags=a.tags(Name="globex-prod-jumpbox-01", Owner="it-ops", CostCenter="HC-100"))
            a.eip("globex-jump", r, instance=j, name="globex-jumpbox-eip")
            a.eip("globex-old-vpn", r, name="globex-old-vpn-eip")  # gap: unattached, billed
            dbi = a.rds("globex-ehr-db", r, version="13.13", cls="db.r5.2xlarge", kms="globex-phi", multi_az=True,
                        backup=35, deletion=True, sgs=[db_sg], storage=1000, perf=True, minor=False,
                        tags=a.tags(Owner="clinical-apps", DataClassification="phi", Compliance="HIPAA"))
            a.rds_snapshot("globex-ehr-db-monthly-2026-11", r, "globex-ehr-db", dbi, age=19, size=1000)
            # gap: copied to vendor test account and left shared-with-vendor? keep: shared unencrypted copy
            dbi2 = a.rds("globex-scheduling-db", r, engine="mysql", version="5.7.44", cls="db.t3.large",
                         encrypted=False, multi_az=False, backup=3, deletion=False, sgs=[db_sg], storage=100,
                         tags=a.tags(Owner="scheduling-team", DataClassification="phi", Compliance="HIPAA"))
            a.rds_snapshot("globex-scheduling-db-before-migration", r, "globex-scheduling-db", dbi2, encrypted=False,
                           age=240, engine="mysql")
            lb = a.alb("globex-patient-portal", r, vpc, pub, [alb_sg], deletion=True, logs=None, drop_invalid=False)
            c = a.cert("portal.globexhealth.example", r, issued=250, expires_in=145,
                       sans=("api.globexhealth.example",))
            a.listener(lb, r, 443, "HTTPS", cert=c, policy="ELBSecurityPolicy-2016-08")  # gap: allows TLS 1.0
            a.listener(lb, r, 80, "HTTP", redirect=True)
            a.function("globex-hl7-ingest", r, "java11", "globex-lambda-hl7", timeout=300, memory=2048,
                       env=("HL7_ENDPOINT", "QUEUE_URL", "PHI_BUCKET"), vpc=(priv, [api_sg]), age=600,
                       handler="com.globex.hl7.Handler::handleRequest")
            a.function("globex-appointment-notify", r, "nodejs14.x", "globex-lambda-notify", timeout=15,
                       env=("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"), age=900)  # gap: EOL, secret in env
            a.function("globex-fhir-export", r, "python3.11", "globex-lambda-hl7", timeout=900, memory=3008,
                       vpc=(priv, [api_sg]), url="AWS_IAM", age=200,
                       policy=doc(stmt(sid="vendor-invoke", principal={"AWS": "arn:aws:iam::444455556666:root"},
                                       action="lambda:InvokeFunctionUrl",
                                       resource=f"arn:aws:lambda:{r}:{a.id}:function:globex-fhir-export",
                                       condition={"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}})))
            a.topic("globex-appointment-reminders", r, kms=None, subs=1)  # gap: unencrypted, PHI-adjacent
            a.topic("globex-security-alerts", r, kms="globex-app", subs=4)
            a.queue("globex-hl7-inbound", r, kms="globex-phi", dlq="globex-hl7-dlq")
            a.queue("globex-hl7-dlq", r, kms="globex-phi", retention=1209600)
            a.queue("globex-fax-ingest", r, sse=False,  # gap: no SSE at all
                    policy=doc(stmt(sid="vendor-send", principal={"AWS": "arn:aws:iam::444455556666:root"},
                                    action="sqs:SendMessage", resource=f"arn:aws:sqs:{r}:{a.id}:globex-fax-ingest")))
            a.secret("globex/prod/ehr-db/master", r, rotation=True, rotated=28, kms="globex-phi")
            a.secret("globex/prod/hl7-partner-credentials", r, rotation=False, rotated=410, age=800,
                     kms="globex-app")  # gap
            a.secret("globex/prod/twilio", r, rotation=False, rotated=None, age=900)  # gap
            a.secret("globex/prod/fhir-export-client", r, rotation=True, rotated=1, kms="globex-app", age=1)
        else:
            a.instance("globex-dr-standby-db", r, "globex-dr-db-standby", priv[0], vpc, [db_sg], itype="r5.large",
                       ami="ubuntu18", imds="optional", age=1000, encrypted=False, extra_disk=(1000, False),
                       state="stopped", tags=a.tags(Name="globex-dr-db-standby", Owner="it-ops",
                                                    DataClassification="phi"))  # gap: unencrypted PHI, EOL OS
            a.snapshot("globex-dr-db-weekly", r, "vol-" + hexid(a.lbl("vol", "globex-dr-standby-db-data")), 1000,
                       encrypted=False, age=90, description="weekly DR copy",
                       shared_with=("444455556666",))  # gap: shared to vendor account, unencrypted
            a.cert("dr.portal.globexhealth.example", r, issued=500, expires_in=230)
    a.account_summary(root_mfa=True, root_keys=False)
    return a


def build_globex_analytics() -> Account:
    a = Account("globex", "222233334444", "globex-analytics", ["us-east-1"], "analytics", "Globex Health")
    r = "us-east-1"
    a.kms_key("globex-analytics", r, 500, rotation=True, tags=a.tags(Owner="data-science"))
    a.password_policy(min_len=8, symbols=False, numbers=True, upper=True, lower=True, max_age=None, reuse=None)
    a.group("analysts", 500, managed=[READONLY, S3RO])
    a.user("p.alvarez", 480, console=True, mfa="mfa", pw_used=1, groups=["analysts"])
    a.user("t.okonkwo", 300, console=True, mfa=False, pw_used=2, groups=["analysts"])  # gap
    a.user("svc-tableau", 480, console=False, keys=[(480, "Active", 0, "athena", r)], managed=[S3RO, READONLY],
           path="/service/")  # gap: old key
    a.user("etl-legacy", 900, console=False, keys=[(400, "Active", None, "N/A", "N/A")],
           managed=[S3FULL])  # gap: 400-day-old active key, never used
    shareline_scanner_role(a, 150)
    a.service_role("globex-analytics-glue", "glue.amazonaws.com", 400,
                   managed=[aws_managed("AWSGlueServiceRole", "service-role/"), S3FULL], last_used=0)
    a.service_role("globex-analytics-lambda", "lambda.amazonaws.com", 300, managed=[LAMBDA_BASIC], last_used=5)
    a.role("OrganizationAccountAccessRole", 600, trust_account("222200000000"), managed=[ADMIN], last_used=200)
    a.account_pab(None)  # gap: never configured
    a.bucket("globex-analytics-lake-raw", r, 500, enc="aws:kms", kms="globex-analytics",
             tags=a.tags(Owner="data-science", DataClassification="phi", Compliance="HIPAA"))
    a.bucket("globex-analytics-lake-curated", r, 500, enc="aws:kms", kms="globex-analytics",
             tags=a.tags(Owner="data-science", DataClassification="deidentified"))
    a.bucket("globex-analytics-exports", r, 350, pab=None, versioning="Off",  # gap: exports to partners
             policy=doc(stmt(sid="PartnerRead", principal={"AWS": ["arn:aws:iam::444455556666:root",
                                                                   "arn:aws:iam::777788889999:root"]},
                             action=["s3:GetObject", "s3:ListBucket"],
                             resource=["arn:aws:s3:::globex-analytics-exports",
                                       "arn:aws:s3:::globex-analytics-exports/*"])),
             tags=a.tags(Owner="data-science", DataClassification="deidentified"))
    a.bucket("globex-analytics-athena-results", r, 480, versioning="Off",
             lifecycle=[{"id": "expire-results", "status": "Enabled", "expirationInDays": 30,
                         "noncurrentVersionExpirationInDays": None, "abortIncompleteMultipartUpload": 1}],
             tags=a.tags(Owner="data-science"))
    a.bucket("globex-analytics-trail", r, 500, policy=trail_bucket_policy("globex-analytics-trail", a.id),
             versioning="Off", tags=a.tags(Owner="security"))
    # gap: single-region trail that was stopped 41 days ago
    a.trail("globex-analytics-trail", r, "globex-analytics-trail", multi=False, global_events=False,
            validation=False, logging=False)
    a.guardduty(r, False)  # gap: detector suspended
    a.recorder(r, all_supported=False, global_types=False, role="none")  # gap: partial recording
    a.ebs_default(r, False)
    vpc = a.vpc("analytics", r, "globex-analytics-vpc", "172.20.0.0/16")
    subs = [a.subnet(f"an-{z}", vpc, r, z, f"172.20.{i}.0/24", public=(z == "a"), name=f"globex-analytics-{z}")
            for i, z in enumerate("ab")]
    a.igw("analytics", vpc, r, name="globex-analytics-igw")
    a.nacl("analytics-default", vpc, r, subs, default=True)
    a.default_sg("analytics-default", vpc, r, restricted=False)
    nb = a.sg("analytics-notebook", vpc, r, "globex-jupyter-sg", "Jupyter notebook",
              [("tcp", 8888, 8888, "0.0.0.0/0"), ("tcp", 22, 22, "0.0.0.0/0")])  # gap
    rs = a.sg("analytics-db", vpc, r, "globex-reporting-db-sg", "Reporting DB",
              [("tcp", 5432, 5432, "0.0.0.0/0")])  # gap: DB port open to internet
    nbi = a.instance("analytics-jupyter", r, "globex-analytics-jupyter", subs[0], vpc, [nb], itype="g4dn.xlarge",
                     ami="ubuntu22", public_ip=True, imds="optional", age=260, disk=200, encrypted=True,
                     tags=a.tags(Name="globex-analytics-jupyter", Owner="data-science", CostCenter="HC-500",
                                 DataClassification="phi"))
    a.eip("analytics-jupyter", r, instance=nbi, name="globex-jupyter-eip")
    a.eip("analytics-spare", r)  # gap: unattached
    a.instance("analytics-airflow", r, "globex-analytics-airflow", subs[1], vpc, [a.sg_id("analytics-default")],
               itype="m5.large", ami="al2", imds="optional", age=400, encrypted=False,
               tags=a.tags(Name="globex-analytics-airflow", Owner="data-science"))
    dbi = a.rds("globex-reporting-db", r, version="12.17", cls="db.m5.large", public=True, encrypted=False,
                backup=1, deletion=False, minor=False, sgs=[rs], storage=200,
                tags=a.tags(Owner="data-science", DataClassification="deidentified"))  # gap
    a.rds_snapshot("globex-reporting-db-2026-06-30", r, "globex-reporting-db", dbi, encrypted=False, age=143)
    a.function("globex-analytics-refresh", r, "python3.9", "globex-analytics-lambda", timeout=900, memory=512,
               age=500)
    a.log_group("/aws/lambda/globex-analytics-refresh", r, retention=None, age=500)
    a.log_group("/globex/analytics/airflow", r, retention=30, age=400)
    a.queue("globex-analytics-jobs", r, sse=True)
    a.account_summary(root_mfa=True, root_keys=True)  # gap: root access key present
    return a


# --------------------------------------------------------------------------
# Initech Labs — startup, one account, many misconfigurations


def build_initech() -> Account:
    a = Account("initech", "333333333333", "initech-main", ["us-east-1", "us-west-2"], "production", "Initech Labs")
    ue, uw = "us-east-1", "us-west-2"
    a.tags = lambda **extra: {k: v for k, v in extra.items() if v is not None}  # startup: barely any tags
    a.kms_key("initech-main", ue, 800, rotation=False, description="main key")
    a.kms_key("initech-old", ue, 900, rotation=False, state="PendingDeletion", description="old key - delete")
    a.kms_key("initech-shared", ue, 400, rotation=False, description="shared with contractors",
              policy=doc(stmt(sid="AllowAll", principal={"AWS": "*"}, action="kms:*")))  # gap: open key policy
    # no password policy at all
    a.group("Admins", 1200, managed=[ADMIN])
    a.group("Developers", 1100, managed=[POWERUSER, aws_managed("IAMFullAccess")])  # privilege escalation
    a.user("peter.gibbons", 1200, console=True, mfa=False, pw_used=0, groups=["Admins"],
           inline=[("god-mode", doc(stmt(action="*", resource="*")))],
           keys=[(1150, "Active", 0, "s3", ue)])  # admin with inline *:*, no MFA, ancient key in use
    a.user("milton.waddams", 1000, console=True, mfa=False, pw_used=700, groups=["Developers"],
           keys=[(400, "Active", None, "N/A", "N/A")])  # 400-day-old active key never used
    a.user("bill.lumbergh", 1100, console=True, mfa=False, pw_used=5, groups=["Admins"],
           keys=[(300, "Active", 45, "iam", ue), (290, "Active", 200, "ec2", ue)])  # two active keys
    a.user("samir.n", 900, console=True, mfa="mfa", pw_used=1, groups=["Developers"],
           keys=[(150, "Inactive", 140, "ec2", ue)])
    a.user("michael.bolton", 900, console=True, mfa=False, pw_used=30, groups=["Developers"],
           inline=[("s3-stuff", doc(stmt(action="s3:*", resource="*"), stmt(action="iam:PassRole")))])
    a.user("deploy-bot", 950, console=False, keys=[(700, "Active", 0, "lambda", ue)], managed=[ADMIN])
    a.user("contractor-tmp", 600, console=True, mfa=False, pw_used=None, reset=True,
           managed=[ADMIN])  # never logged in, admin
    a.user("tps-uploader", 500, console=False, keys=[(500, "Active", 1, "s3", ue)], inline=[
        ("tps", doc(stmt(action="s3:*", resource=["arn:aws:s3:::initech-tps-reports",
                                                  "arn:aws:s3:::initech-tps-reports/*"])))])
    a.policy("initech-lambda-everything", doc(stmt(action=["lambda:*", "s3:*", "dynamodb:*", "sqs:*", "iam:PassRole"])),
             800, attachments=2)
    a.role("initech-ec2-role", 1000, trust_service("ec2.amazonaws.com"), managed=[ADMIN], last_used=0)  # gap
    a.role("initech-lambda-role", 800, trust_service("lambda.amazonaws.com"),
           managed=["initech-lambda-everything", LAMBDA_BASIC], last_used=0)
    a.role("initech-contractor-access", 600, doc({"Effect": "Allow", "Principal": {"AWS": "*"},
                                                  "Action": "sts:AssumeRole"}),  # gap: anyone can assume
           managed=[READONLY], last_used=30)
    a.role("initech-ci", 500, trust_account("123456789012"), managed=[ADMIN], last_used=1)  # no external id
    a.role("initech-old-jenkins", 1100, trust_service("ec2.amazonaws.com"), managed=["initech-lambda-everything"],
           last_used=None)  # unused role
    shareline_scanner_role(a, 20)
    a.account_pab(None)
    a.bucket("initech-tps-reports", ue, 1100, public_read=True, pab=None, enc=None, versioning="Off",
             tags={"Project": "TPS"})  # public ACL, no encryption
    a.bucket("initech-backups", ue, 1000, pab=None, versioning="Suspended",
             policy=doc(stmt(sid="PublicRead", principal="*", action="s3:GetObject",
                             resource="arn:aws:s3:::initech-backups/*")), enc=None)  # public policy
    a.bucket("initech-website", ue, 900, public_read=True, pab=None, versioning="Off",
             policy=doc(stmt(principal={"AWS": "*"}, action=["s3:GetObject", "s3:PutObject"],
                             resource="arn:aws:s3:::initech-website/*")))  # public write!
    a.bucket("initech-user-uploads", ue, 700, pab={"blockPublicAcls": False, "ignorePublicAcls": False,
                                                   "blockPublicPolicy": True, "restrictPublicBuckets": True},
             versioning="Off")
    a.bucket("initech-logs", ue, 700, versioning="Off", log_to="self-target")
    a.bucket("initech-ml-datasets", uw, 300, versioning="Off", enc=None, pab=None)
    a.bucket("initech-terraform-state", ue, 800, versioning="Enabled", pab="full")  # the one good bucket
    a.bucket("initech-investor-deck-share", ue, 2, public_read=True, pab=None, versioning="Off",
             tags={"Owner": "bill"})  # created two days ago, already public
    # no CloudTrail at all
    a.log_group("/aws/lambda/initech-api", ue, retention=None, age=700)
    a.log_group("/aws/lambda/initech-tps-cover-sheet", ue, retention=None, age=1000)
    a.log_group("/aws/lambda/initech-stapler-tracker", uw, retention=None, age=600)
    a.log_group("/initech/app", ue, retention=None, age=900)
    a.guardduty(ue, False)
    # no detector at all in us-west-2
    a.recorder(ue, all_supported=False, global_types=False, recording=False, role="none")
    a.ebs_default(ue, False)
    a.ebs_default(uw, False)

    # us-east-1: everything in the default VPC, public subnets
    vpc = a.vpc("default-ue", ue, "default", "172.31.0.0/16", default=True, age=1200)
    subs = [a.subnet(f"default-ue-{z}", vpc, ue, z, f"172.31.{16 * i}.0/20", public=True) for i, z in
            enumerate("abc")]
    a.igw("default-ue", vpc, ue)
    a.nacl("default-ue", vpc, ue, subs, default=True)
    a.default_sg("default-ue", vpc, ue, restricted=False)
    lw1 = a.sg("launch-wizard-1", vpc, ue, "launch-wizard-1", "launch-wizard-1 created 2023-05-02T10:11:02Z",
               [("tcp", 22, 22, ["0.0.0.0/0", "::/0"])])
    lw2 = a.sg("launch-wizard-2", vpc, ue, "launch-wizard-2", "launch-wizard-2 created 2024-01-15T16:40:55Z",
               [("tcp", 22, 22, "0.0.0.0/0"), ("tcp", 3389, 3389, "0.0.0.0/0"), ("tcp", 80, 80, "0.0.0.0/0")])
    allopen = a.sg("initech-dev-all-open", vpc, ue, "initech-dev-all-open", "temp - open everything for debugging",
                   [("-1", None, None, ["0.0.0.0/0", "::/0"])])
    mysql = a.sg("initech-mysql", vpc, ue, "initech-mysql", "mysql",
                 [("tcp", 3306, 3306, "0.0.0.0/0"), ("tcp", 22, 22, "0.0.0.0/0")])
    web = a.sg("initech-web", vpc, ue, "initech-web", "web",
               [("tcp", 80, 80, "0.0.0.0/0"), ("tcp", 443, 443, "0.0.0.0/0"), ("tcp", 0, 65535, "0.0.0.0/0")])
    a.sg("initech-unused-sg", vpc, ue, "initech-unused-sg", "old", [("tcp", 27017, 27017, "0.0.0.0/0")])
    hosts = [
        ("initech-app-01", "t2.large", "ubuntu18", [lw1, web], 700),
        ("initech-app-02", "t2.large", "ubuntu18", [lw1, web], 690),
        ("initech-tps-server", "m4.large", "win2019", [lw2], 1000),
        ("initech-jenkins", "t3.xlarge", "al2", [allopen], 800),
        ("initech-mongo", "r5.large", "ubuntu18", [lw1], 600),
        ("peter-test", "t2.micro", "al2", [allopen], 400),
    ]
    ids = {}
    for n, (name, it, ami, sgs, age) in enumerate(hosts):
        ids[name] = a.instance(name, ue, name, subs[n % 3], vpc, sgs, itype=it, ami=ami, public_ip=True,
                               imds="optional", profile="initech-ec2-role", age=age, encrypted=False,
                               platform="windows" if ami.startswith("win") else None,
                               disk=100 if ami.startswith("win") else 30,
                               extra_disk=(500, False) if name == "initech-mongo" else None,
                               state="stopped" if name == "peter-test" else "running",
                               tags={"Name": name} if n % 2 == 0 else {"Name": name, "Owner": "peter"})
    a.eip("initech-app", ue, instance=ids["initech-app-01"])
    a.eip("initech-spare-1", ue)
    a.eip("initech-spare-2", ue)
    a.volume("initech-orphan-1", ue, ue + "a", 500, vtype="gp2", encrypted=False, age=500, tags={})
    a.volume("initech-orphan-2", ue, ue + "b", 100, vtype="gp2", encrypted=False, age=300,
             tags={"Name": "old-mongo-data"})
    a.snapshot("initech-mongo-backup", ue, "vol-" + hexid(a.lbl("vol", "initech-mongo-data")), 500,
               encrypted=False, public=True, age=200, description="mongo backup", tags={})  # public snapshot
    a.snapshot("initech-app-ami", ue, "vol-" + hexid(a.lbl("vol", "initech-app-01-root")), 30, encrypted=False,
               age=400, description="Created by CreateImage(i-0a1b) for ami-0c1d", tags={})
    a.snapshot("initech-deleted-vol", ue, "vol-ffffffff", 8, encrypted=False, age=900, tags={})
    dbi = a.rds("initech-prod", ue, engine="mysql", version="5.7.44", cls="db.t2.medium", public=True,
                encrypted=False, backup=0, deletion=False, minor=False, sgs=[mysql], storage=200, age=1000,
                ca="rds-ca-2019", tags={})
    a.rds_snapshot("initech-prod-final-2025", ue, "initech-prod", dbi, public=True, encrypted=False, age=330,
                   engine="mysql", size=200)  # public DB snapshot
    a.rds("initech-staging", ue, engine="postgres", version="11.22", cls="db.t3.micro", public=True,
          encrypted=False, backup=1, deletion=False, minor=False, sgs=[allopen], storage=20, age=700, tags={})
    a.function("initech-api", ue, "python3.7", "initech-lambda-role", timeout=900, memory=3008,
               env=("DB_HOST", "DB_USER", "DB_PASSWORD", "STRIPE_SECRET_KEY"), url="NONE", age=700,
               policy=doc(stmt(sid="FunctionURLAllowPublicAccess", principal="*", action="lambda:InvokeFunctionUrl",
                               resource=f"arn:aws:lambda:{ue}:{a.id}:function:initech-api",
                               condition={"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}})))
    a.function("initech-tps-cover-sheet", ue, "nodejs14.x", "initech-lambda-role", timeout=60, age=1000,
               env=("SMTP_PASSWORD",),
               policy=doc(stmt(sid="s3invoke", principal={"Service": "s3.amazonaws.com"},
                               action="lambda:InvokeFunction",
                               resource=f"arn:aws:lambda:{ue}:{a.id}:function:initech-tps-cover-sheet")))
    a.function("initech-webhook", ue, "nodejs16.x", "initech-lambda-role", timeout=30, age=500, url="NONE",
               policy=doc(stmt(sid="public", principal="*", action="lambda:InvokeFunction",
                               resource=f"arn:aws:lambda:{ue}:{a.id}:function:initech-webhook")))
    a.topic("initech-alerts", ue, kms=None, subs=1,
            policy=doc(stmt(sid="public-publish", principal="*", action=["SNS:Publish", "SNS:Subscribe"],
                            resource=f"arn:aws:sns:{ue}:{a.id}:initech-alerts")))
    a.topic("initech-signups", ue, kms=None, subs=0)
    a.queue("initech-jobs", ue, sse=False,
            policy=doc(stmt(principal="*", action="sqs:*", resource=f"arn:aws:sqs:{ue}:{a.id}:initech-jobs")))
    a.queue("initech-emails", ue, sse=False)
    a.secret("initech/prod/mysql", ue, rotation=False, rotated=None, age=1000)
    a.secret("initech/stripe", ue, rotation=False, rotated=None, age=700, kms="initech-shared")
    sg_alb = a.sg("initech-alb", vpc, ue, "initech-alb", "alb", [("tcp", 80, 80, "0.0.0.0/0"),
                                                                  ("tcp", 443, 443, "0.0.0.0/0")])
    lb = a.alb("initech-web-alb", ue, vpc, subs[:2], [sg_alb], deletion=False, logs=None)
    c_old = a.cert("app.initech.example", ue, issued=420, expires_in=-25, ctype="IMPORTED")
    a.cert("www.initech.example", ue, issued=380, expires_in=16, renewal=False)  # expiring soon
    a.listener(lb, ue, 80, "HTTP")  # plain HTTP forward, no redirect
    a.listener(lb, ue, 443, "HTTPS", cert=c_old, policy="ELBSecurityPolicy-TLS-1-0-2015-04")

    # us-west-2: an ML experiment someone left running
    vpc2 = a.vpc("default-uw", uw, "default", "172.31.0.0/16", default=True, age=1200)
    subs2 = [a.subnet(f"default-uw-{z}", vpc2, uw, z, f"172.31.{16 * i}.0/20", public=True) for i, z in
             enumerate("ab")]
    a.igw("default-uw", vpc2, uw)
    a.nacl("default-uw", vpc2, uw, subs2, default=True)
    a.default_sg("default-uw", vpc2, uw, restricted=False)
    ml = a.sg("ml-sg", vpc2, uw, "launch-wizard-3", "launch-wizard-3 created 2025-09-01T09:00:00Z",
              [("tcp", 22, 22, "0.0.0.0/0"), ("tcp", 8888, 8888, "0.0.0.0/0"), ("tcp", 6006, 6006, "0.0.0.0/0")])
    for n in (1, 2):
        i = a.instance(f"ml-gpu-{n}", uw, f"initech-ml-gpu-{n}", subs2[n - 1], vpc2, [ml], itype="p3.2xlarge",
                       ami="ubuntu22", public_ip=True, imds="optional", age=420 - n, encrypted=False, disk=500,
                       tags={"Name": f"initech-ml-gpu-{n}"})
        if n == 1:
            a.eip("ml-gpu-1", uw, instance=i)
    a.eip("ml-spare", uw)
    a.function("initech-stapler-tracker", uw, "python3.7", "initech-lambda-role", age=600)
    a.secret("initech/ml/hf-token", uw, rotation=False, rotated=None, age=400)
    a.account_summary(root_mfa=False, root_keys=True)
    return a


# --------------------------------------------------------------------------
# assembly, validation, output

TENANTS = [
    {"id": "acme", "name": "Acme Corp",
     "description": "Online retailer (PCI DSS scope for checkout). Two accounts, a prod estate in us-east-1 and "
                    "eu-west-1 and a dev account. Fairly mature: SSO, KMS everywhere, org trail with validation; "
                    "a handful of gaps (an expiring imported certificate, an SSH bastion open to the world in dev, "
                    "old access keys, a deprecated Lambda runtime).",
     "builders": [build_acme_prod, build_acme_dev]},
    {"id": "globex", "name": "Globex Health",
     "description": "Regional healthcare provider (HIPAA). Production EHR estate with a DR region plus an analytics "
                    "account. Mixed: PHI buckets and the EHR database are well protected, but the password policy "
                    "is weak, the analytics account has a public unencrypted database and a stopped trail, and "
                    "vendor access is loosely controlled.",
     "builders": [build_globex_prod, build_globex_analytics]},
    {"id": "initech", "name": "Initech Labs",
     "description": "Seed-stage startup with a single AWS account run by developers. Everything in default VPCs, "
                    "no CloudTrail, no password policy, root without MFA, public buckets, snapshots and databases, "
                    "admin users without MFA.",
     "builders": [build_initech]},
]


def validate(accounts: list[Account]) -> list[str]:
    errors = []
    seen_accounts = set()
    for a in accounts:
        if a.id in seen_accounts or len(a.id) != 12 or not a.id.isdigit():
            errors.append(f"bad or duplicate account id {a.id}")
        seen_accounts.add(a.id)
        keys = set()
        for it in a.items:
            k = (it["resourceType"], it["resourceId"])
            if k in keys:
                errors.append(f"{a.id}: duplicate {k}")
            keys.add(k)
            if it["awsAccountId"] != a.id:
                errors.append(f"{a.id}: item with account {it['awsAccountId']}")
            if not isinstance(it["configuration"], dict):
                errors.append(f"{a.id}: {k} configuration is not an object")
            if it["resourceType"].startswith("AWS::IAM::") and it["awsRegion"] != "global":
                errors.append(f"{a.id}: IAM resource {k} not global")
            if it["awsRegion"] not in ("global", *a.regions) and it["resourceType"] != "AWS::S3::AccountPublicAccessBlock":
                errors.append(f"{a.id}: {k} in undeclared region {it['awsRegion']}")
        for it in a.items:
            for r in it["relationships"]:
                if (r["resourceType"], r["resourceId"]) not in keys:
                    errors.append(f"{a.id}: {it['resourceType']} {it['resourceId']} -> missing "
                                  f"{r['resourceType']} {r['resourceId']}")
    return errors


def build(out: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    manifest = {"msp": {"name": "NorthPeak Managed Cloud",
                        "description": "Demo MSP bundled with Shareline: three customers, five AWS accounts, "
                                       "captured 2026-11-20 from AWS Config snapshots (synthetic data)."},
                "capturedAt": CAPTURE_S, "tenants": []}
    all_accounts = []
    for t in TENANTS:
        entry = {"id": t["id"], "name": t["name"], "description": t["description"], "accounts": []}
        for builder in t["builders"]:
            a = builder()
            all_accounts.append(a)
            rel_path = f"{t['id']}/{a.id}.json"
            files[rel_path] = (json.dumps(a.snapshot_doc(), indent=1, ensure_ascii=False) + "\n").encode()
            entry["accounts"].append({"account_id": a.id, "name": a.name, "regions": a.regions,
                                      "snapshots": [rel_path]})
        manifest["tenants"].append(entry)
    errors = validate(all_accounts)
    if errors:
        for e in errors:
            print("error:", e, file=sys.stderr)
        raise SystemExit(1)
    files["manifest.json"] = (json.dumps(manifest, indent=1) + "\n").encode()
    build.accounts = all_accounts  # for the summary
    return files


def summary(accounts: list[Account], total_bytes: int) -> None:
    by_tenant: dict[str, Counter] = {}
    for a in accounts:
        by_tenant.setdefault(a.tenant, Counter()).update(i["resourceType"] for i in a.items)
    types = sorted({t for c in by_tenant.values() for t in c})
    tenants = list(by_tenant)
    w = max(len(t) for t in types)
    print(f"{'resource type':<{w}} " + " ".join(f"{t:>8}" for t in tenants) + f" {'total':>8}")
    for ty in types:
        row = [by_tenant[t][ty] for t in tenants]
        print(f"{ty:<{w}} " + " ".join(f"{n:>8}" for n in row) + f" {sum(row):>8}")
    tot = [sum(by_tenant[t].values()) for t in tenants]
    print(f"{'TOTAL':<{w}} " + " ".join(f"{n:>8}" for n in tot) + f" {sum(tot):>8}")
    for a in accounts:
        print(f"  {a.tenant}/{a.id} ({a.name}): {len(a.items)} items")
    print(f"demo size: {total_bytes / 1024:.0f} KiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = Path(__file__).resolve().parent.parent
    ap.add_argument("--out", type=Path, default=root / "demo")
    ap.add_argument("--check", action="store_true", help="fail if files on disk differ from the generated ones")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    files = build(args.out)
    if args.check:
        stale = [p for p, b in files.items() if not (args.out / p).is_file() or (args.out / p).read_bytes() != b]
        if stale:
            print("out of date:", *stale, sep="\n  ", file=sys.stderr)
            raise SystemExit(1)
        print("demo/ is up to date")
        return
    for p, b in files.items():
        path = args.out / p
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b)
    if not args.quiet:
        summary(build.accounts, sum(len(b) for b in files.values()))


if __name__ == "__main__":
    main()
