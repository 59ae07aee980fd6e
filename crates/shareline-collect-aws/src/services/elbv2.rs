//! Elastic Load Balancing v2 (application, network and gateway load
//! balancers): load balancers with their attributes, and their listeners with
//! protocol, TLS policy, certificates and default actions. Tags come from
//! `DescribeTags`, twenty ARNs per call.
//!
//! Supplementary keys of a load balancer: `Attributes` (the attribute
//! key → value map) and `Listeners` (the ARNs of its listeners, or the
//! unavailable marker when `DescribeListeners` failed, so that a check on
//! listeners can tell "none" from "could not read").

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::error::SdkError;
use aws_sdk_elasticloadbalancingv2::operation::describe_listeners::DescribeListenersError;
use aws_sdk_elasticloadbalancingv2::types::{Action, Listener, LoadBalancer};
use futures::StreamExt;
use serde_json::{Value, json};
use shareline_model::Relationship;
use shareline_model::Resource;

use super::{BoxFuture, Collected, ServiceDef, tag_map, ts_opt};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The ELBv2 collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "elbv2",
    global: false,
    resource_types: &[LB_TYPE, LISTENER_TYPE],
    permissions: &[
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeTags",
    ],
    collect: run,
};

const LB_TYPE: &str = "AWS::ElasticLoadBalancingV2::LoadBalancer";
const LISTENER_TYPE: &str = "AWS::ElasticLoadBalancingV2::Listener";

/// How many load balancers are read at once.
const LB_CONCURRENCY: usize = 8;

/// The most ARNs `DescribeTags` accepts in one call.
const TAG_BATCH: usize = 20;

type Client = aws_sdk_elasticloadbalancingv2::Client;

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let client = Client::new(&ctx.sdk);
    let mut lbs = Vec::new();
    let mut pages = client.describe_load_balancers().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            CollectError::from_sdk("elasticloadbalancing:DescribeLoadBalancers", &e)
        })?;
        lbs.extend(page.load_balancers().iter().cloned());
    }
    let results: Vec<Collected> = futures::stream::iter(lbs)
        .map(|lb| load_balancer(ctx, &client, lb))
        .buffer_unordered(LB_CONCURRENCY)
        .collect()
        .await;
    let mut out = Collected::default();
    for r in results {
        out.resources.extend(r.resources);
        out.gaps.extend(r.gaps);
    }
    add_tags(&client, &mut out).await;
    Ok(out)
}

/// Reads one load balancer's attributes and listeners.
async fn load_balancer(ctx: &Ctx, client: &Client, lb: LoadBalancer) -> Collected {
    let mut out = Collected::default();
    let Some(arn) = lb.load_balancer_arn() else {
        return out;
    };
    let lb_name = lb.load_balancer_name().unwrap_or(arn);
    let mut r = Resource::new(&ctx.account_id, &ctx.region, LB_TYPE, arn, arn);
    r.name = lb_name.to_owned();
    r.configuration = json!({
        "loadBalancerArn": arn,
        "loadBalancerName": lb.load_balancer_name(),
        "dnsName": lb.dns_name(),
        "canonicalHostedZoneId": lb.canonical_hosted_zone_id(),
        "createdTime": ts_opt(lb.created_time()),
        "scheme": lb.scheme().map(|s| s.as_str().to_owned()),
        "type": lb.r#type().map(|t| t.as_str().to_owned()),
        "vpcId": lb.vpc_id(),
        "state": lb.state().map(|s| json!({
            "code": s.code().map(|c| c.as_str().to_owned()),
            "reason": s.reason(),
        })),
        "availabilityZones": lb.availability_zones().iter().map(|z| json!({
            "zoneName": z.zone_name(),
            "subnetId": z.subnet_id(),
            "outpostId": z.outpost_id(),
        })).collect::<Vec<_>>(),
        "securityGroups": lb.security_groups(),
        "ipAddressType": lb.ip_address_type().map(|t| t.as_str().to_owned()),
    });
    if let Some(vpc) = lb.vpc_id() {
        r.relationships
            .push(rel("Is contained in Vpc", "AWS::EC2::VPC", vpc));
    }
    for z in lb.availability_zones() {
        if let Some(subnet) = z.subnet_id() {
            r.relationships
                .push(rel("Is contained in Subnet", "AWS::EC2::Subnet", subnet));
        }
    }
    for sg in lb.security_groups() {
        r.relationships.push(rel(
            "Is associated with SecurityGroup",
            "AWS::EC2::SecurityGroup",
            sg,
        ));
    }

    let attrs = client
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await;
    let attrs = out.sub(
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        attrs,
        &[],
        |o| {
            let map: BTreeMap<&str, &str> = o
                .attributes()
                .iter()
                .filter_map(|a| Some((a.key()?, a.value().unwrap_or_default())))
                .collect();
            json!(map)
        },
    );

    let mut listener_resources = Vec::new();
    let found = listeners(client, arn).await;
    let listener_arns = out.sub("elasticloadbalancing:DescribeListeners", found, &[], |ls| {
        let arns: Vec<Value> = ls
            .iter()
            .filter_map(|l| l.listener_arn())
            .map(|a| Value::String(a.to_owned()))
            .collect();
        listener_resources.extend(ls.iter().filter_map(|l| listener(ctx, lb_name, l)));
        Value::Array(arns)
    });
    r.supplementary = json!({ "Attributes": attrs, "Listeners": listener_arns });
    out.resources.push(r);
    out.resources.extend(listener_resources);
    out
}

/// Reads every listener of a load balancer.
async fn listeners(
    client: &Client,
    lb_arn: &str,
) -> Result<Vec<Listener>, SdkError<DescribeListenersError>> {
    let mut all = Vec::new();
    let mut pages = client
        .describe_listeners()
        .load_balancer_arn(lb_arn)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        all.extend(page?.listeners().iter().cloned());
    }
    Ok(all)
}

/// Builds one listener's resource.
fn listener(ctx: &Ctx, lb_name: &str, l: &Listener) -> Option<Resource> {
    let arn = l.listener_arn()?;
    let mut r = Resource::new(&ctx.account_id, &ctx.region, LISTENER_TYPE, arn, arn);
    let protocol = l.protocol().map(|p| p.as_str().to_owned());
    r.name = format!(
        "{lb_name} {}:{}",
        protocol.as_deref().unwrap_or("?"),
        l.port().map_or_else(|| "?".to_owned(), |p| p.to_string())
    );
    r.configuration = json!({
        "listenerArn": arn,
        "loadBalancerArn": l.load_balancer_arn(),
        "port": l.port(),
        "protocol": protocol,
        "sslPolicy": l.ssl_policy(),
        "certificates": l.certificates().iter().map(|c| json!({
            "certificateArn": c.certificate_arn(),
            "isDefault": c.is_default(),
        })).collect::<Vec<_>>(),
        "defaultActions": l.default_actions().iter().map(action).collect::<Vec<_>>(),
        "alpnPolicy": l.alpn_policy(),
        "mutualAuthentication": l.mutual_authentication().map(|m| json!({
            "mode": m.mode(),
            "trustStoreArn": m.trust_store_arn(),
        })),
    });
    if let Some(lb) = l.load_balancer_arn() {
        r.relationships
            .push(rel("Is attached to LoadBalancer", LB_TYPE, lb));
    }
    Some(r)
}

/// One listener action, in AWS Config's shape.
fn action(a: &Action) -> Value {
    json!({
        "type": a.r#type().map(|t| t.as_str().to_owned()),
        "order": a.order(),
        "targetGroupArn": a.target_group_arn(),
        "redirectConfig": a.redirect_config().map(|c| json!({
            "protocol": c.protocol(),
            "port": c.port(),
            "host": c.host(),
            "path": c.path(),
            "query": c.query(),
            "statusCode": c.status_code().map(|s| s.as_str().to_owned()),
        })),
        "fixedResponseConfig": a.fixed_response_config().map(|c| json!({
            "statusCode": c.status_code(),
            "contentType": c.content_type(),
        })),
        "authenticateOidc": a.authenticate_oidc_config().is_some(),
        "authenticateCognito": a.authenticate_cognito_config().is_some(),
    })
}

fn rel(kind: &str, resource_type: &str, id: &str) -> Relationship {
    Relationship {
        kind: kind.to_owned(),
        resource_type: resource_type.to_owned(),
        resource_id: id.to_owned(),
    }
}

/// Reads tags of every load balancer and listener, twenty ARNs per call. A
/// failing batch is recorded as a gap; its resources keep empty tags.
async fn add_tags(client: &Client, out: &mut Collected) {
    let arns: Vec<String> = out.resources.iter().map(|r| r.arn.clone()).collect();
    let mut tags: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for batch in arns.chunks(TAG_BATCH) {
        match client
            .describe_tags()
            .set_resource_arns(Some(batch.to_vec()))
            .send()
            .await
        {
            Ok(o) => {
                for d in o.tag_descriptions() {
                    if let Some(arn) = d.resource_arn() {
                        tags.insert(
                            arn.to_owned(),
                            tag_map(
                                d.tags().iter().filter_map(|t| {
                                    Some((t.key()?, t.value().unwrap_or_default()))
                                }),
                            ),
                        );
                    }
                }
            }
            Err(e) => out.gaps.push(CollectError::from_sdk(
                "elasticloadbalancing:DescribeTags",
                &e,
            )),
        }
    }
    for r in &mut out.resources {
        if let Some(t) = tags.remove(&r.arn) {
            r.tags = t;
        }
    }
}
