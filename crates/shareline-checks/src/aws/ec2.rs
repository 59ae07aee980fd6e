//! Predicates for `catalog/checks/aws/ec2/`.
//!
//! Security group and network ACL checks share one reading of the rules:
//! a rule exposes a port when its protocol covers the port's protocol, its
//! port range overlaps the port, and one of its sources is a `/0` range
//! (`0.0.0.0/0`, `::/0`). Port lists are text parameters (`"22"`,
//! `"udp:11211"`, `"2379-2380"`) so a tenant can override them.

use serde_json::Value;

use crate::aws::{days_since, parse_time};
#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};

const INSTANCE: &str = "AWS::EC2::Instance";
const SECURITY_GROUP: &str = "AWS::EC2::SecurityGroup";
const VOLUME: &str = "AWS::EC2::Volume";
const SNAPSHOT: &str = "AWS::EC2::Snapshot";
const VPC: &str = "AWS::EC2::VPC";
const SUBNET: &str = "AWS::EC2::Subnet";
const FLOW_LOG: &str = "AWS::EC2::FlowLog";
const KMS_KEY: &str = "AWS::KMS::Key";

const MAX_PORT: i64 = 65_535;

// ---------------------------------------------------------------------------
// Ports, protocols and sources
// ---------------------------------------------------------------------------

/// A transport protocol a port parameter names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    fn label(self) -> &'static str {
        match self {
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
        }
    }
}

/// One entry of a `ports` parameter: a protocol and an inclusive range.
#[derive(Debug, Clone, Copy)]
struct PortSpec {
    proto: Proto,
    lo: i64,
    hi: i64,
}

impl PortSpec {
    /// Parses `22`, `tcp:22`, `udp:137-138`, `2379-2380` (TCP by default).
    fn parse(text: &str) -> Result<Self, Stop> {
        let bad = || {
            Stop::error(format!(
                "port parameter `{text}` is not like `22`, `udp:53` or `20-21`"
            ))
        };
        let t = text.trim().to_ascii_lowercase();
        let (proto, range) = match t.split_once(':') {
            Some(("tcp", r)) => (Proto::Tcp, r),
            Some(("udp", r)) => (Proto::Udp, r),
            Some(_) => return Err(bad()),
            None => (Proto::Tcp, t.as_str()),
        };
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (a.trim().parse::<i64>(), b.trim().parse::<i64>()),
            None => (range.trim().parse::<i64>(), range.trim().parse::<i64>()),
        };
        match (lo, hi) {
            (Ok(lo), Ok(hi)) if (0..=MAX_PORT).contains(&lo) && (lo..=MAX_PORT).contains(&hi) => {
                Ok(Self { proto, lo, hi })
            }
            _ => Err(bad()),
        }
    }

    fn label(&self) -> String {
        if self.lo == self.hi {
            format!("{} {}", self.proto.label(), self.lo)
        } else {
            format!("{} {}-{}", self.proto.label(), self.lo, self.hi)
        }
    }

    fn covers(&self, proto: Proto, port: i64) -> bool {
        self.proto == proto && self.lo <= port && port <= self.hi
    }
}

/// The port list parameter `name`.
fn port_specs(ctx: &Ctx<'_>, name: &str) -> Result<Vec<PortSpec>, Stop> {
    ctx.list(name)?.into_iter().map(PortSpec::parse).collect()
}

fn labels(specs: &[PortSpec]) -> String {
    short_list(&specs.iter().map(PortSpec::label).collect::<Vec<_>>())
}

/// Joins up to six items, then says how many more there are.
fn short_list(items: &[String]) -> String {
    const SHOWN: usize = 6;
    if items.len() <= SHOWN {
        return items.join(", ");
    }
    let head = items.get(..SHOWN).unwrap_or(items).join(", ");
    format!("{head} and {} more", items.len() - SHOWN)
}

/// What a rule's protocol field covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleProto {
    All,
    One(Proto),
    Other,
}

/// Security groups say `-1`, `tcp`, `udp`; network ACLs say `-1`, `6`, `17`.
fn rule_proto(v: Option<&Value>) -> RuleProto {
    let text = match v {
        Some(Value::String(s)) => s.trim().to_ascii_lowercase(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return RuleProto::Other,
    };
    match text.as_str() {
        "-1" | "all" => RuleProto::All,
        "tcp" | "6" => RuleProto::One(Proto::Tcp),
        "udp" | "17" => RuleProto::One(Proto::Udp),
        _ => RuleProto::Other,
    }
}

fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

fn items<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

/// True for a CIDR with a `/0` prefix: every address of its family.
fn is_anywhere(cidr: &str) -> bool {
    cidr.trim()
        .rsplit_once('/')
        .is_some_and(|(_, len)| len.trim() == "0")
}

/// `name (id)`, or just the id when the resource has no other name.
fn label(res: &Res<'_>) -> String {
    if res.name() == res.id() || res.name().is_empty() {
        format!("`{}`", res.id())
    } else {
        format!("`{}` ({})", res.name(), res.id())
    }
}

// ---------------------------------------------------------------------------
// Security group rules
// ---------------------------------------------------------------------------

/// The `/0` sources of one security group permission.
fn public_sources(perm: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let v4 = items(perm, "ipv4Ranges")
        .iter()
        .filter_map(|r| text(r, "cidrIp"))
        .chain(items(perm, "ipRanges").iter().filter_map(Value::as_str));
    let v6 = items(perm, "ipv6Ranges")
        .iter()
        .filter_map(|r| text(r, "cidrIpv6"));
    for cidr in v4.chain(v6) {
        if is_anywhere(cidr) && !out.iter().any(|c| c == cidr) {
            out.push(cidr.to_owned());
        }
    }
    out
}

/// The port range of a permission; all ports when unset or `-1`.
fn perm_range(perm: &Value) -> (i64, i64) {
    let from = int(perm.get("fromPort")).filter(|p| *p >= 0);
    let to = int(perm.get("toPort")).filter(|p| *p >= 0);
    match (from, to) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, a),
        _ => (0, MAX_PORT),
    }
}

/// One ingress rule open to anywhere that reaches some of the ports asked.
#[derive(Debug)]
struct Exposure {
    index: usize,
    perm: Value,
    ports: Vec<String>,
    sources: Vec<String>,
}

impl Exposure {
    fn field(&self) -> String {
        format!("configuration.ipPermissions.{}", self.index)
    }
}

/// The ingress rules of `sg` that let anyone reach one of `specs`.
fn exposures(sg: &Res<'_>, specs: &[PortSpec]) -> Result<Vec<Exposure>, Stop> {
    let mut out = Vec::new();
    for (index, perm) in sg.cfg("ipPermissions").list()?.iter().enumerate() {
        let sources = public_sources(perm);
        if sources.is_empty() {
            continue;
        }
        let proto = rule_proto(perm.get("ipProtocol"));
        let (lo, hi) = perm_range(perm);
        let ports: Vec<String> = specs
            .iter()
            .filter(|s| match proto {
                RuleProto::All => true,
                RuleProto::One(p) => p == s.proto && lo <= s.hi && s.lo <= hi,
                RuleProto::Other => false,
            })
            .map(PortSpec::label)
            .collect();
        if !ports.is_empty() {
            out.push(Exposure {
                index,
                perm: perm.clone(),
                ports,
                sources,
            });
        }
    }
    Ok(out)
}

/// The shared body of the "port family not open to the internet" checks.
fn sg_ports_closed(res: &Res<'_>, ctx: &Ctx<'_>, what: &str) -> Verdict {
    let specs = port_specs(ctx, "ports")?;
    let found = exposures(res, &specs)?;
    let Some(first) = found.first() else {
        return Ok(Outcome::pass(format!(
            "Security group {} opens no {what} port ({}) to 0.0.0.0/0 or ::/0.",
            label(res),
            labels(&specs)
        )));
    };
    let more = if found.len() > 1 {
        format!(" ({} rules in all)", found.len())
    } else {
        String::new()
    };
    Ok(Outcome::fail(format!(
        "Security group {} exposes {} ({what}) to {} through ingress rule {}{more}.",
        label(res),
        short_list(&first.ports),
        first.sources.join(" and "),
        first.index + 1
    ))
    .at(&first.field(), first.perm.clone()))
}

pub(crate) fn security_group_ingress_ssh_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "SSH")
}

pub(crate) fn security_group_ingress_rdp_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "Remote Desktop")
}

pub(crate) fn security_group_ingress_mysql_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "MySQL/MariaDB")
}

pub(crate) fn security_group_ingress_postgresql_restricted(
    res: &Res<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    sg_ports_closed(res, ctx, "PostgreSQL")
}

pub(crate) fn security_group_ingress_mssql_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "SQL Server")
}

pub(crate) fn security_group_ingress_oracle_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "Oracle Database")
}

pub(crate) fn security_group_ingress_mongodb_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "MongoDB")
}

pub(crate) fn security_group_ingress_redis_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "Redis")
}

pub(crate) fn security_group_ingress_elasticsearch_restricted(
    res: &Res<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    sg_ports_closed(res, ctx, "Elasticsearch/OpenSearch")
}

pub(crate) fn security_group_ingress_kibana_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "Kibana/OpenSearch Dashboards")
}

pub(crate) fn security_group_ingress_cassandra_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "Cassandra")
}

pub(crate) fn security_group_ingress_memcached_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "Memcached")
}

pub(crate) fn security_group_ingress_kafka_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "Kafka/ZooKeeper")
}

pub(crate) fn security_group_ingress_cifs_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "SMB/NetBIOS")
}

pub(crate) fn security_group_ingress_telnet_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "Telnet")
}

pub(crate) fn security_group_ingress_ftp_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "FTP")
}

pub(crate) fn security_group_ingress_winrm_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "WinRM")
}

pub(crate) fn security_group_ingress_vnc_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "VNC")
}

pub(crate) fn security_group_ingress_docker_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "Docker daemon")
}

pub(crate) fn security_group_ingress_kubernetes_restricted(
    res: &Res<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    sg_ports_closed(res, ctx, "Kubernetes control-plane")
}

pub(crate) fn security_group_ingress_nfs_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "NFS")
}

pub(crate) fn security_group_ingress_ldap_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    sg_ports_closed(res, ctx, "LDAP")
}

pub(crate) fn security_group_ingress_high_risk_ports_restricted(
    res: &Res<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    sg_ports_closed(res, ctx, "high-risk")
}

/// FAIL when a rule from anywhere allows every protocol, or every TCP or UDP port.
pub(crate) fn security_group_ingress_all_traffic_restricted(
    res: &Res<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    for (i, perm) in res.cfg("ipPermissions").list()?.iter().enumerate() {
        let sources = public_sources(perm);
        if sources.is_empty() {
            continue;
        }
        let what = match rule_proto(perm.get("ipProtocol")) {
            RuleProto::All => "all traffic".to_owned(),
            RuleProto::One(p) if perm_range(perm) == (0, MAX_PORT) => {
                format!("every {} port", p.label())
            }
            _ => continue,
        };
        return Ok(Outcome::fail(format!(
            "Security group {} allows {what} from {} (ingress rule {}).",
            label(res),
            sources.join(" and "),
            i + 1
        ))
        .at(&format!("configuration.ipPermissions.{i}"), perm.clone()));
    }
    Ok(Outcome::pass(format!(
        "Security group {} has no rule opening every port to 0.0.0.0/0 or ::/0.",
        label(res)
    )))
}

/// FAIL when a rule from anywhere reaches a port outside `authorized_ports`.
pub(crate) fn security_group_ingress_only_authorized_ports_public(
    res: &Res<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    let allowed = port_specs(ctx, "authorized_ports")?;
    for (i, perm) in res.cfg("ipPermissions").list()?.iter().enumerate() {
        let sources = public_sources(perm);
        if sources.is_empty() {
            continue;
        }
        let bad = match rule_proto(perm.get("ipProtocol")) {
            RuleProto::All => Some("all traffic".to_owned()),
            RuleProto::One(p) => {
                let (lo, hi) = perm_range(perm);
                (lo..=hi)
                    .find(|port| !allowed.iter().any(|a| a.covers(p, *port)))
                    .map(|port| format!("{} {port}", p.label()))
            }
            RuleProto::Other => None,
        };
        if let Some(bad) = bad {
            return Ok(Outcome::fail(format!(
                "Security group {} opens {bad} to {} (ingress rule {}), which is not among the authorized ports ({}).",
                label(res),
                sources.join(" and "),
                i + 1,
                labels(&allowed)
            ))
            .at(&format!("configuration.ipPermissions.{i}"), perm.clone()));
        }
    }
    Ok(Outcome::pass(format!(
        "Security group {} opens only authorized ports ({}) to 0.0.0.0/0 or ::/0.",
        label(res),
        labels(&allowed)
    )))
}

/// FAIL when a TCP/UDP rule from anywhere spans more than `max_ports` ports.
pub(crate) fn security_group_ingress_public_port_ranges_narrow(
    res: &Res<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    let max = ctx.int("max_ports")?;
    for (i, perm) in res.cfg("ipPermissions").list()?.iter().enumerate() {
        let sources = public_sources(perm);
        if sources.is_empty() {
            continue;
        }
        let count = match rule_proto(perm.get("ipProtocol")) {
            RuleProto::All => MAX_PORT + 1,
            RuleProto::One(_) => {
                let (lo, hi) = perm_range(perm);
                hi - lo + 1
            }
            RuleProto::Other => continue,
        };
        if count > max {
            return Ok(Outcome::fail(format!(
                "Security group {} opens a range of {count} ports to {} (ingress rule {}); the limit is {max}.",
                label(res),
                sources.join(" and "),
                i + 1
            ))
            .at(&format!("configuration.ipPermissions.{i}"), perm.clone()));
        }
    }
    Ok(Outcome::pass(format!(
        "Every rule of security group {} that is open to anyone spans at most {max} port(s).",
        label(res)
    )))
}

/// The number of rule entries AWS counts in one permission (one per source).
fn rule_entries(perm: &Value) -> usize {
    let v4 = items(perm, "ipv4Ranges")
        .len()
        .max(items(perm, "ipRanges").len());
    let n = v4
        + items(perm, "ipv6Ranges").len()
        + items(perm, "userIdGroupPairs").len()
        + items(perm, "prefixListIds").len();
    n.max(1)
}

/// FAIL when the group has more than `max_rules` inbound plus outbound entries.
pub(crate) fn security_group_rule_count_within_limit(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_rules")?;
    let ingress: usize = res
        .cfg("ipPermissions")
        .list()?
        .iter()
        .map(rule_entries)
        .sum();
    let egress: usize = res
        .cfg("ipPermissionsEgress")
        .list()?
        .iter()
        .map(rule_entries)
        .sum();
    let total = i64::try_from(ingress + egress).unwrap_or(i64::MAX);
    Ok(if total > max {
        Outcome::fail(format!(
            "Security group {} has {total} rules ({ingress} inbound, {egress} outbound); the limit is {max}.",
            label(res)
        ))
        .at("configuration.ipPermissions", total)
    } else {
        Outcome::pass(format!(
            "Security group {} has {total} rules (limit {max}).",
            label(res)
        ))
    })
}

// ---------------------------------------------------------------------------
// Network ACLs
// ---------------------------------------------------------------------------

/// The ingress entries of a network ACL whose source is every address of
/// one family, in evaluation order.
fn nacl_public_ingress(entries: &[Value], v6: bool) -> Vec<&Value> {
    let key = if v6 { "ipv6CidrBlock" } else { "cidrBlock" };
    let mut out: Vec<&Value> = entries
        .iter()
        .filter(|e| e.get("egress").and_then(Value::as_bool) != Some(true))
        .filter(|e| text(e, key).is_some_and(is_anywhere))
        .collect();
    out.sort_by_key(|e| int(e.get("ruleNumber")).unwrap_or(i64::MAX));
    out
}

fn nacl_allows(e: &Value) -> bool {
    text(e, "ruleAction").is_some_and(|a| a.eq_ignore_ascii_case("allow"))
}

/// True when entry `e` applies to `port` over `proto`.
fn nacl_matches(e: &Value, proto: Proto, port: i64) -> bool {
    match rule_proto(e.get("protocol")) {
        RuleProto::All => true,
        RuleProto::One(p) if p == proto => {
            let range = e.get("portRange");
            let from = int(range.and_then(|r| r.get("from"))).unwrap_or(0);
            let to = int(range.and_then(|r| r.get("to"))).unwrap_or(MAX_PORT);
            from <= port && port <= to
        }
        _ => false,
    }
}

/// FAIL when traffic from anywhere to an admin port meets an allow entry first.
pub(crate) fn network_acl_ingress_admin_ports_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let specs = port_specs(ctx, "ports")?;
    let entries = res.cfg("entries").list()?;
    for v6 in [false, true] {
        let public = nacl_public_ingress(entries, v6);
        for spec in &specs {
            for port in spec.lo..=spec.hi {
                let first = public.iter().find(|e| nacl_matches(e, spec.proto, port));
                if let Some(e) = first.filter(|e| nacl_allows(e)) {
                    let number = int(e.get("ruleNumber")).unwrap_or_default();
                    return Ok(Outcome::fail(format!(
                        "Network ACL {} allows {} {port} from {} (rule {number}).",
                        label(res),
                        spec.proto.label(),
                        if v6 { "::/0" } else { "0.0.0.0/0" }
                    ))
                    .at("configuration.entries", (*e).clone()));
                }
            }
        }
    }
    Ok(Outcome::pass(format!(
        "Network ACL {} does not admit {} from 0.0.0.0/0 or ::/0.",
        label(res),
        labels(&specs)
    )))
}

/// FAIL when an allow-everything entry from anywhere comes before any deny
/// entry from anywhere.
pub(crate) fn network_acl_ingress_all_traffic_restricted(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let entries = res.cfg("entries").list()?;
    for v6 in [false, true] {
        for e in nacl_public_ingress(entries, v6) {
            if !nacl_allows(e) {
                break;
            }
            if rule_proto(e.get("protocol")) == RuleProto::All {
                let number = int(e.get("ruleNumber")).unwrap_or_default();
                return Ok(Outcome::fail(format!(
                    "Network ACL {} allows all inbound traffic from {} (rule {number}).",
                    label(res),
                    if v6 { "::/0" } else { "0.0.0.0/0" }
                ))
                .at("configuration.entries", e.clone()));
            }
        }
    }
    Ok(Outcome::pass(format!(
        "Network ACL {} does not allow every protocol and port from anywhere.",
        label(res)
    )))
}

// ---------------------------------------------------------------------------
// VPCs, subnets, gateways
// ---------------------------------------------------------------------------

/// PASS when an active flow log targets the VPC.
pub(crate) fn vpc_flow_logs_enabled(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let id = res.id();
    let mut inactive = Vec::new();
    for log in view.of_type(FLOW_LOG) {
        if log.region() != res.region() || log.cfg("resourceId").str()? != Some(id) {
            continue;
        }
        let status = log.cfg("flowLogStatus").str()?;
        if status.is_none_or(|s| s.eq_ignore_ascii_case("ACTIVE")) {
            let traffic = log.cfg("trafficType").str()?.unwrap_or("unknown");
            return Ok(Outcome::pass(format!(
                "VPC {} has flow log {} recording {traffic} traffic.",
                label(res),
                log.id()
            )));
        }
        inactive.push(log.id().to_owned());
    }
    Ok(if inactive.is_empty() {
        Outcome::fail(format!("VPC {} has no flow log.", label(res)))
    } else {
        Outcome::fail(format!(
            "VPC {} has only inactive flow logs ({}).",
            label(res),
            inactive.join(", ")
        ))
    })
}

/// Resource types that run workloads, and where they name their VPC.
const VPC_WORKLOADS: [(&str, &str); 4] = [
    (INSTANCE, "vpcId"),
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", "vpcId"),
    ("AWS::RDS::DBInstance", "dbSubnetGroup.vpcId"),
    ("AWS::Lambda::Function", "vpcConfig.vpcId"),
];

/// FAIL when instances, load balancers, databases or functions run in the
/// default VPC.
pub(crate) fn vpc_default_not_in_use(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let vpc_of = |r: &Res<'_>| {
        let path = VPC_WORKLOADS
            .iter()
            .find(|(ty, _)| *ty == r.resource.resource_type)
            .map_or("vpcId", |(_, path)| path);
        r.cfg(path).key()
    };
    let types = VPC_WORKLOADS.map(|(ty, _)| ty);
    let mut found: Vec<String> = view
        .filed("vpc of workloads", &types, vpc_of, res.id(), |r| {
            r.region() == res.region()
        })?
        .iter()
        .map(|r| r.name().to_owned())
        .collect();
    Ok(if found.is_empty() {
        Outcome::pass(format!(
            "Default VPC {} hosts no instances, load balancers, databases or functions.",
            label(res)
        ))
    } else {
        let n = found.len();
        found.truncate(5);
        Outcome::fail(format!(
            "Default VPC {} hosts {n} workload(s): {}.",
            label(res),
            found.join(", ")
        ))
        .at("configuration.isDefault", true)
    })
}

/// FAIL when the VPC's subnets sit in fewer than `min_azs` availability zones.
pub(crate) fn vpc_subnets_in_multiple_azs(
    res: &Res<'_>,
    view: &AccountView<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    let min = ctx.int("min_azs")?;
    let mut zones: Vec<String> = Vec::new();
    let mut subnets = 0;
    for sn in view.of_type(SUBNET) {
        if sn.region() != res.region() || sn.cfg("vpcId").str()? != Some(res.id()) {
            continue;
        }
        subnets += 1;
        if let Some(az) = sn.cfg("availabilityZone").str()?
            && !zones.iter().any(|z| z == az)
        {
            zones.push(az.to_owned());
        }
    }
    if subnets == 0 {
        return Ok(Outcome::Skip);
    }
    zones.sort();
    let n = i64::try_from(zones.len()).unwrap_or(i64::MAX);
    Ok(if n >= min {
        Outcome::pass(format!(
            "VPC {} has subnets in {n} availability zones ({}).",
            label(res),
            zones.join(", ")
        ))
    } else {
        Outcome::fail(format!(
            "VPC {} has subnets in {n} availability zone(s) ({}); at least {min} are expected.",
            label(res),
            zones.join(", ")
        ))
    })
}

/// FAIL when the gateway is attached to a VPC outside `authorized_vpc_ids`;
/// not applicable while that list is empty.
pub(crate) fn internet_gateway_authorized_vpc_only(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let allowed = ctx.list("authorized_vpc_ids")?;
    if allowed.is_empty() {
        return Ok(Outcome::Skip);
    }
    let attachments = res.cfg("attachments").list()?;
    for a in attachments {
        if let Some(vpc) = text(a, "vpcId")
            && !allowed.contains(&vpc)
        {
            return Ok(Outcome::fail(format!(
                "Internet gateway {} is attached to VPC {vpc}, which is not authorized to have internet access.",
                label(res)
            ))
            .at("configuration.attachments", a.clone()));
        }
    }
    Ok(Outcome::pass(format!(
        "Internet gateway {} is attached only to authorized VPCs.",
        label(res)
    )))
}

// ---------------------------------------------------------------------------
// EBS
// ---------------------------------------------------------------------------

/// FAIL when default encryption uses the AWS managed `aws/ebs` key.
pub(crate) fn ebs_default_kms_key_customer_managed(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let field = "configuration.kmsKeyId";
    let Some(key) = res.cfg("kmsKeyId").str()? else {
        return Ok(Outcome::fail(format!(
            "EBS default encryption in {} uses the AWS managed key.",
            res.region()
        ))
        .at(field, Value::Null));
    };
    let alias = key
        .rsplit_once(":alias/")
        .map_or_else(|| key.strip_prefix("alias/"), |(_, name)| Some(name));
    let aws_managed = match alias {
        Some(name) => name.starts_with("aws/"),
        None => {
            let found = view
                .by_arn(key)
                .or_else(|| view.get(KMS_KEY, key))
                .filter(|k| k.resource.resource_type == KMS_KEY);
            match found {
                Some(k) => k.cfg("keyManager").str()? == Some("AWS"),
                None => false,
            }
        }
    };
    Ok(if aws_managed {
        Outcome::fail(format!(
            "EBS default encryption in {} uses the AWS managed key `{key}`.",
            res.region()
        ))
        .at(field, key)
    } else {
        Outcome::pass(format!(
            "EBS default encryption in {} uses customer managed key `{key}`.",
            res.region()
        ))
    })
}

/// FAIL when the volume has no completed snapshot newer than
/// `max_snapshot_age_days`.
pub(crate) fn volume_recent_snapshot_exists(
    res: &Res<'_>,
    view: &AccountView<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    let max = ctx.int("max_snapshot_age_days")?;
    let now = ctx.now()?;
    let mut newest: Option<(i64, String)> = None;
    let volume_of = |s: &Res<'_>| s.cfg("volumeId").key();
    let snapshots = view.filed(
        "ec2 snapshot volume",
        &[SNAPSHOT],
        volume_of,
        res.id(),
        |s| s.region() == res.region(),
    )?;
    for snap in snapshots {
        if snap
            .cfg("state")
            .str()?
            .is_some_and(|s| !s.eq_ignore_ascii_case("completed"))
        {
            continue;
        }
        let Some(age) = days_since(snap.cfg("startTime").opt()?, now) else {
            continue;
        };
        if newest.as_ref().is_none_or(|(a, _)| age < *a) {
            newest = Some((age, snap.id().to_owned()));
        }
    }
    Ok(match newest {
        None => Outcome::fail(format!("Volume {} has no completed snapshot.", label(res))),
        Some((age, id)) if age > max => Outcome::fail(format!(
            "The newest snapshot of volume {} ({id}) is {age} day(s) old (limit {max}).",
            label(res)
        )),
        Some((age, id)) => Outcome::pass(format!(
            "Volume {} has snapshot {id} from {age} day(s) ago.",
            label(res)
        )),
    })
}

/// Account ids a shared snapshot or AMI may go to without a finding.
fn untrusted_shares(perms: &[Value], trusted: &[&str], own: &str) -> Vec<String> {
    perms
        .iter()
        .filter_map(|p| text(p, "userId"))
        .filter(|id| *id != own && !trusted.contains(id))
        .map(str::to_owned)
        .collect()
}

/// FAIL when the snapshot may be restored by accounts outside the trusted list.
pub(crate) fn snapshot_not_shared_with_untrusted_accounts(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let trusted = ctx.list("trusted_account_ids")?;
    let field = "supplementary.CreateVolumePermissions";
    let perms = res.sup("CreateVolumePermissions").list()?;
    let others = untrusted_shares(perms, &trusted, res.account_id());
    Ok(if others.is_empty() {
        Outcome::pass(format!(
            "Snapshot {} is not shared with untrusted accounts.",
            label(res)
        ))
    } else {
        Outcome::fail(format!(
            "Snapshot {} can be restored by account(s) {}, which are not trusted.",
            label(res),
            others.join(", ")
        ))
        .at(field, Value::Array(perms.to_vec()))
    })
}

/// FAIL when the snapshot is older than `max_age_days`.
pub(crate) fn snapshot_age_within_limit(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_age_days")?;
    let now = ctx.now()?;
    let field = "configuration.startTime";
    let start = res.cfg("startTime").opt()?;
    let Some(age) = days_since(start, now) else {
        return Err(Stop::error(format!(
            "snapshot {} has no readable startTime",
            res.id()
        )));
    };
    Ok(if age > max {
        Outcome::fail(format!(
            "Snapshot {} is {age} day(s) old (limit {max}).",
            label(res)
        ))
        .at(field, start.cloned().unwrap_or_default())
    } else {
        Outcome::pass(format!(
            "Snapshot {} is {age} day(s) old (limit {max}).",
            label(res)
        ))
    })
}

// ---------------------------------------------------------------------------
// AMIs
// ---------------------------------------------------------------------------

/// FAIL when the AMI is public by its flag or by a launch permission for `all`.
pub(crate) fn image_not_public(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    if res.cfg("public").bool()? == Some(true) {
        return Ok(Outcome::fail(format!(
            "AMI {} is public: any AWS account can launch it.",
            label(res)
        ))
        .at("configuration.public", true));
    }
    let field = "supplementary.LaunchPermissions";
    let perms = res.sup("LaunchPermissions").list()?;
    if let Some(p) = perms
        .iter()
        .find(|p| text(p, "group").is_some_and(|g| g.eq_ignore_ascii_case("all")))
    {
        return Ok(Outcome::fail(format!(
            "AMI {} grants launch permission to everyone.",
            label(res)
        ))
        .at(field, p.clone()));
    }
    Ok(Outcome::pass(format!("AMI {} is private.", label(res))))
}

/// FAIL when accounts outside the trusted list (or, unless allowed,
/// organisations) may launch the AMI.
pub(crate) fn image_not_shared_with_untrusted_accounts(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let trusted = ctx.list("trusted_account_ids")?;
    let allow_org = ctx.flag("allow_organization_sharing")?;
    let field = "supplementary.LaunchPermissions";
    let perms = res.sup("LaunchPermissions").list()?;
    let mut others = untrusted_shares(perms, &trusted, res.account_id());
    if !allow_org {
        others.extend(
            perms
                .iter()
                .flat_map(|p| [text(p, "organizationArn"), text(p, "organizationalUnitArn")])
                .flatten()
                .map(str::to_owned),
        );
    }
    Ok(if others.is_empty() {
        Outcome::pass(format!(
            "AMI {} is not shared with untrusted accounts.",
            label(res)
        ))
    } else {
        Outcome::fail(format!(
            "AMI {} can be launched by {}, which are not trusted.",
            label(res),
            others.join(", ")
        ))
        .at(field, Value::Array(perms.to_vec()))
    })
}

/// FAIL when an EBS snapshot behind the AMI is not encrypted.
pub(crate) fn image_snapshots_encrypted(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let mappings = res.cfg("blockDeviceMappings").list()?;
    let mut ebs = 0;
    for (i, m) in mappings.iter().enumerate() {
        let Some(e) = m.get("ebs").filter(|e| e.is_object()) else {
            continue;
        };
        ebs += 1;
        if e.get("encrypted").and_then(Value::as_bool) != Some(true) {
            let device = text(m, "deviceName").unwrap_or("?");
            return Ok(Outcome::fail(format!(
                "AMI {} has an unencrypted EBS snapshot for device {device}.",
                label(res)
            ))
            .at(&format!("configuration.blockDeviceMappings.{i}"), m.clone()));
        }
    }
    Ok(if ebs == 0 {
        Outcome::Skip
    } else {
        Outcome::pass(format!(
            "Every EBS snapshot of AMI {} is encrypted.",
            label(res)
        ))
    })
}

/// FAIL when the AMI was created more than `max_age_days` ago.
pub(crate) fn image_age_within_limit(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_age_days")?;
    let now = ctx.now()?;
    let created = res.cfg("creationDate").opt()?;
    let Some(age) = days_since(created, now) else {
        return Err(Stop::error(format!(
            "AMI {} has no readable creationDate",
            res.id()
        )));
    };
    Ok(if age > max {
        Outcome::fail(format!(
            "AMI {} was built {age} day(s) ago (limit {max}).",
            label(res)
        ))
        .at(
            "configuration.creationDate",
            created.cloned().unwrap_or_default(),
        )
    } else {
        Outcome::pass(format!(
            "AMI {} was built {age} day(s) ago (limit {max}).",
            label(res)
        ))
    })
}

// ---------------------------------------------------------------------------
// Instances
// ---------------------------------------------------------------------------

/// FAIL when the metadata response hop limit exceeds `max_hop_limit`.
pub(crate) fn instance_imds_hop_limit_restricted(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_hop_limit")?;
    if res
        .cfg("metadataOptions.httpEndpoint")
        .str()?
        .is_some_and(|s| s.eq_ignore_ascii_case("disabled"))
    {
        return Ok(Outcome::pass(format!(
            "Instance {} has the metadata service turned off.",
            label(res)
        )));
    }
    let field = "configuration.metadataOptions.httpPutResponseHopLimit";
    let Some(hops) = int(res.cfg("metadataOptions.httpPutResponseHopLimit").opt()?) else {
        return Err(Stop::Unknown(format!(
            "instance {} has no recorded metadata hop limit",
            res.id()
        )));
    };
    Ok(if hops > max {
        Outcome::fail(format!(
            "Instance {} answers metadata requests up to {hops} network hops away (limit {max}).",
            label(res)
        ))
        .at(field, hops)
    } else {
        Outcome::pass(format!(
            "Instance {} has a metadata hop limit of {hops} (limit {max}).",
            label(res)
        ))
    })
}

/// FAIL when an instance type that can be EBS-optimized only on request is not.
pub(crate) fn instance_ebs_optimized(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let optional = ctx.list("optional_types")?;
    let Some(ty) = res.cfg("instanceType").str()? else {
        return Ok(Outcome::Skip);
    };
    if !optional.iter().any(|t| t.eq_ignore_ascii_case(ty)) {
        return Ok(Outcome::Skip);
    }
    Ok(if res.cfg("ebsOptimized").bool()? == Some(true) {
        Outcome::pass(format!(
            "Instance {}, a {ty}, is EBS-optimized.",
            label(res)
        ))
    } else {
        Outcome::fail(format!(
            "Instance {}, a {ty}, is not EBS-optimized although its type supports it.",
            label(res)
        ))
        .at("configuration.ebsOptimized", false)
    })
}

/// FAIL when the instance sits in its region's default VPC.
pub(crate) fn instance_not_in_default_vpc(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let Some(vpc_id) = res.cfg("vpcId").str()? else {
        return Ok(Outcome::Skip);
    };
    let Some(vpc) = view.get(VPC, vpc_id) else {
        return Err(Stop::Unknown(format!(
            "VPC {vpc_id} of instance {} is not in the inventory",
            res.id()
        )));
    };
    Ok(if vpc.cfg("isDefault").bool()? == Some(true) {
        Outcome::fail(format!(
            "Instance {} runs in default VPC {vpc_id}.",
            label(res)
        ))
        .at("configuration.vpcId", vpc_id)
    } else {
        Outcome::pass(format!(
            "Instance {} runs in VPC {vpc_id}, which is not the default VPC.",
            label(res)
        ))
    })
}

/// FAIL when an instance with a public IPv4 address has a security group
/// that lets anyone reach an administration port.
pub(crate) fn instance_admin_ports_not_internet_exposed(
    res: &Res<'_>,
    view: &AccountView<'_>,
    ctx: &Ctx<'_>,
) -> Verdict {
    let specs = port_specs(ctx, "ports")?;
    let Some(ip) = res.cfg("publicIpAddress").str()? else {
        return Ok(Outcome::pass(format!(
            "Instance {} has no public IPv4 address.",
            label(res)
        )));
    };
    for g in res.cfg("securityGroups").list()? {
        let Some(gid) = text(g, "groupId") else {
            continue;
        };
        let Some(sg) = view.get(SECURITY_GROUP, gid) else {
            return Err(Stop::Unknown(format!(
                "security group {gid} of instance {} is not in the inventory",
                res.id()
            )));
        };
        if let Some(e) = exposures(&sg, &specs)?.first() {
            return Ok(Outcome::fail(format!(
                "Instance {} at {ip} accepts {} from {} through security group {}.",
                label(res),
                short_list(&e.ports),
                e.sources.join(" and "),
                label(&sg)
            ))
            .at("configuration.securityGroups", g.clone()));
        }
    }
    Ok(Outcome::pass(format!(
        "Instance {} has public address {ip}, but none of its security groups opens {} to anyone.",
        label(res),
        labels(&specs)
    )))
}

/// FAIL when an EBS volume attached to the instance is not encrypted.
pub(crate) fn instance_volumes_encrypted(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let mut seen = 0;
    for m in res.cfg("blockDeviceMappings").list()? {
        let Some(vol_id) = m.get("ebs").and_then(|e| text(e, "volumeId")) else {
            continue;
        };
        seen += 1;
        let Some(vol) = view.get(VOLUME, vol_id) else {
            return Err(Stop::Unknown(format!(
                "volume {vol_id} of instance {} is not in the inventory",
                res.id()
            )));
        };
        if vol.cfg("encrypted").bool()? != Some(true) {
            let device = text(m, "deviceName").unwrap_or("?");
            return Ok(Outcome::fail(format!(
                "Instance {} has unencrypted volume {vol_id} at {device}.",
                label(res)
            ))
            .at("configuration.blockDeviceMappings", m.clone()));
        }
    }
    Ok(if seen == 0 {
        Outcome::Skip
    } else {
        Outcome::pass(format!(
            "Every EBS volume of instance {} is encrypted.",
            label(res)
        ))
    })
}

/// FAIL when a running instance was launched more than `max_age_days` ago.
pub(crate) fn instance_age_within_limit(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_age_days")?;
    let now = ctx.now()?;
    let launched = res.cfg("launchTime").opt()?;
    let Some(at) = parse_time(launched) else {
        return Err(Stop::error(format!(
            "instance {} has no readable launchTime",
            res.id()
        )));
    };
    let age = (now - at).num_days();
    Ok(if age > max {
        Outcome::fail(format!(
            "Instance {} has been running since {} ({age} days, limit {max}).",
            label(res),
            at.format("%Y-%m-%d")
        ))
        .at(
            "configuration.launchTime",
            launched.cloned().unwrap_or_default(),
        )
    } else {
        Outcome::pass(format!(
            "Instance {} was launched {age} day(s) ago (limit {max}).",
            label(res)
        ))
    })
}
