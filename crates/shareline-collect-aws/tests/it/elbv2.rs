//! ELBv2 collector against moto.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerTypeEnum,
    ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum, Tag,
};

use crate::{collect, of_type, setup};

#[tokio::test]
async fn internet_facing_alb_with_http_listener_is_read() {
    let (_moto, conf) = setup("us-east-1").await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_owned();
    let mut subnets = Vec::new();
    for (cidr, az) in [("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b")] {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(az)
            .send()
            .await
            .unwrap();
        subnets.push(s.subnet().unwrap().subnet_id().unwrap().to_owned());
    }
    let sg = ec2
        .create_security_group()
        .group_name("alb-sg")
        .description("alb")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_owned();

    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&conf);
    let lb = elb
        .create_load_balancer()
        .name("web-alb")
        .set_subnets(Some(subnets.clone()))
        .security_groups(&sg)
        .scheme(LoadBalancerSchemeEnum::InternetFacing)
        .r#type(LoadBalancerTypeEnum::Application)
        .tags(Tag::builder().key("env").value("prod").build())
        .send()
        .await
        .unwrap();
    let lb_arn = lb.load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_owned();
    elb.modify_load_balancer_attributes()
        .load_balancer_arn(&lb_arn)
        .attributes(
            LoadBalancerAttribute::builder()
                .key("deletion_protection.enabled")
                .value("true")
                .build(),
        )
        .attributes(
            LoadBalancerAttribute::builder()
                .key("routing.http.drop_invalid_header_fields.enabled")
                .value("true")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let listener = elb
        .create_listener()
        .load_balancer_arn(&lb_arn)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Redirect)
                .redirect_config(
                    RedirectActionConfig::builder()
                        .protocol("HTTPS")
                        .port("443")
                        .status_code(RedirectActionStatusCodeEnum::Http301)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let listener_arn = listener.listeners()[0].listener_arn().unwrap().to_owned();

    let got = collect(&conf, "elbv2", "us-east-1").await;
    assert!(got.gaps.is_empty(), "unexpected gaps: {:?}", got.gaps);

    let lbs = of_type(&got, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    assert_eq!(lbs.len(), 1);
    let l = lbs[0];
    assert_eq!(l.resource_id, lb_arn);
    assert_eq!(l.arn, lb_arn);
    assert_eq!(l.name, "web-alb");
    assert_eq!(l.configuration["loadBalancerName"], "web-alb");
    assert_eq!(l.configuration["scheme"], "internet-facing");
    assert_eq!(l.configuration["type"], "application");
    assert_eq!(l.configuration["vpcId"], vpc.as_str());
    assert!(
        l.configuration["dnsName"]
            .as_str()
            .unwrap()
            .contains("web-alb")
    );
    assert_eq!(l.configuration["securityGroups"][0], sg.as_str());
    assert_eq!(
        l.configuration["availabilityZones"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(l.configuration["state"]["code"].is_string());
    assert_eq!(
        l.supplementary["Attributes"]["deletion_protection.enabled"],
        "true"
    );
    assert_eq!(
        l.supplementary["Attributes"]["routing.http.drop_invalid_header_fields.enabled"],
        "true"
    );
    // moto leaves access_logs.s3.enabled out; real AWS returns it.
    assert_eq!(l.supplementary["Attributes"]["access_logs.s3.bucket"], "");
    assert_eq!(l.supplementary["Listeners"][0], listener_arn.as_str());
    assert_eq!(l.tags.get("env").map(String::as_str), Some("prod"));
    assert!(
        l.relationships
            .iter()
            .any(|r| r.resource_type == "AWS::EC2::VPC" && r.resource_id == vpc)
    );
    assert!(l.relationships.iter().any(|r| r.resource_id == sg));

    let listeners = of_type(&got, "AWS::ElasticLoadBalancingV2::Listener");
    assert_eq!(listeners.len(), 1);
    let li = listeners[0];
    assert_eq!(li.resource_id, listener_arn);
    assert_eq!(li.configuration["port"], 80);
    assert_eq!(li.configuration["protocol"], "HTTP");
    assert_eq!(li.configuration["loadBalancerArn"], lb_arn.as_str());
    // Real AWS has no TLS policy on an HTTP listener; moto reports its
    // default one, so sslPolicy is not asserted here.
    let action = &li.configuration["defaultActions"][0];
    assert_eq!(action["type"], "redirect");
    assert_eq!(action["redirectConfig"]["protocol"], "HTTPS");
    assert_eq!(action["redirectConfig"]["port"], "443");
    assert_eq!(action["redirectConfig"]["statusCode"], "HTTP_301");
    assert!(li.relationships.iter().any(|r| {
        r.resource_type == "AWS::ElasticLoadBalancingV2::LoadBalancer" && r.resource_id == lb_arn
    }));
}
