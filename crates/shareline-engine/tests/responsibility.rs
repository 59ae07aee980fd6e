//! Layer precedence, conflicts and the time questions of the responsibility
//! line, over the AWS model in the catalog.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_arguments,
    reason = "test code: a panic is a failed test; rows read best as one call"
)]

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::json;
use shareline_checks::Catalog;
use shareline_engine::responsibility::{
    Assignment, GapKind, InUse, Layer, Party, Resolver, Scope, Subject, Target, classify, gaps,
};
use shareline_model::Resource;

fn d(s: &str) -> DateTime<Utc> {
    format!("{s}T00:00:00Z").parse().unwrap()
}

fn row(
    id: &str,
    scope: Scope,
    area: &str,
    target: Target,
    party: Party,
    from: &str,
    until: Option<&str>,
    recorded: &str,
) -> Assignment {
    Assignment {
        id: id.into(),
        scope,
        area: area.into(),
        target,
        party,
        copied: Vec::new(),
        valid_from: d(from),
        valid_until: until.map(d),
        recorded_at: d(recorded),
        author: "test".into(),
        reason: "test".into(),
        source: "test".into(),
        accepted_at: None,
    }
}

fn tenant() -> Scope {
    Scope::Tenant("acme".into())
}

fn iaas() -> Target {
    Target::ServiceModel {
        model: "iaas".into(),
    }
}

fn instance(tags: &[(&str, &str)]) -> Resource {
    let mut r = Resource::new(
        "111111111111",
        "us-east-1",
        "AWS::EC2::Instance",
        "i-1",
        "arn:aws:ec2:us-east-1:111111111111:instance/i-1",
    );
    r.tags = tags
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    r
}

fn owner(
    resolver: &Resolver<'_>,
    r: &Resource,
    area: &str,
    as_of: &str,
    known_at: &str,
) -> (Party, Layer) {
    let model = Catalog::builtin().unwrap().provider_model("aws").unwrap();
    let class = classify(model, r);
    let s = Subject {
        class: &class,
        account: &r.account_id,
        resource_id: &r.resource_id,
        arn: &r.arn,
        tags: &r.tags,
    };
    let res = resolver.resolve(&s, area, d(as_of), d(known_at));
    (res.owner, res.layer)
}

#[test]
fn classification_follows_attribute_rules() {
    let model = Catalog::builtin().unwrap().provider_model("aws").unwrap();
    let mut f = Resource::new("1", "us-east-1", "AWS::Lambda::Function", "f", "arn:f");
    assert_eq!(classify(model, &f).model, "faas");
    assert_eq!(classify(model, &f).variant, None);
    f.configuration = json!({"vpcConfig": {"vpcId": "vpc-1"}});
    assert_eq!(classify(model, &f).variant.as_deref(), Some("vpc-attached"));
    let mut svc = Resource::new("1", "us-east-1", "AWS::ECS::Service", "s", "arn:s");
    assert_eq!(classify(model, &svc).model, "caas_nodes");
    svc.configuration = json!({"launchType": "FARGATE"});
    assert_eq!(classify(model, &svc).model, "caas_serverless");
    assert_eq!(classify(model, &instance(&[])).model, "iaas");
    let mut eks = Resource::new("1", "us-east-1", "AWS::EKS::Cluster", "k", "arn:k");
    assert_eq!(classify(model, &eks).model, "caas_nodes");
    eks.configuration = json!({"computeConfig": {"enabled": true}});
    assert_eq!(classify(model, &eks).model, "caas_serverless");
    let fargate = Resource::new("1", "us-east-1", "AWS::EKS::FargateProfile", "p", "arn:p");
    assert_eq!(classify(model, &fargate).model, "caas_serverless");
}

#[test]
fn the_most_specific_layer_wins() {
    let model = Catalog::builtin().unwrap().provider_model("aws").unwrap();
    let offering = vec![row(
        "o1",
        Scope::Offering("managed".into()),
        "backup",
        Target::All,
        Party::Msp,
        "2026-01-01",
        None,
        "2026-01-01",
    )];
    let tenant_rows = vec![
        row(
            "t-model",
            tenant(),
            "backup",
            iaas(),
            Party::Customer,
            "2026-01-01",
            None,
            "2026-01-02",
        ),
        row(
            "t-service",
            tenant(),
            "backup",
            Target::Service {
                service: "aws:ec2".into(),
            },
            Party::Msp,
            "2026-01-01",
            None,
            "2026-01-03",
        ),
        row(
            "t-tag",
            tenant(),
            "backup",
            Target::Selector {
                account: None,
                tag: Some("backup=self".into()),
                resource: None,
            },
            Party::Customer,
            "2026-01-01",
            None,
            "2026-01-04",
        ),
    ];
    let r = Resolver::new(model, &tenant_rows, &offering);
    assert_eq!(
        owner(
            &r,
            &instance(&[("backup", "self")]),
            "backup",
            "2026-06-01",
            "2026-06-01"
        ),
        (Party::Customer, Layer::TenantSelector)
    );
    assert_eq!(
        owner(&r, &instance(&[]), "backup", "2026-06-01", "2026-06-01"),
        (Party::Msp, Layer::TenantService)
    );
    let only_model = &tenant_rows[..1];
    let r = Resolver::new(model, only_model, &offering);
    assert_eq!(
        owner(&r, &instance(&[]), "backup", "2026-06-01", "2026-06-01"),
        (Party::Customer, Layer::TenantServiceModel)
    );
    let r = Resolver::new(model, &[], &offering);
    assert_eq!(
        owner(&r, &instance(&[]), "backup", "2026-06-01", "2026-06-01"),
        (Party::Msp, Layer::Offering)
    );
    let r = Resolver::new(model, &[], &[]);
    assert_eq!(
        owner(&r, &instance(&[]), "backup", "2026-06-01", "2026-06-01"),
        (Party::Customer, Layer::ProviderServiceModel)
    );
    assert_eq!(
        owner(&r, &instance(&[]), "physical", "2026-06-01", "2026-06-01"),
        (Party::Provider, Layer::ProviderServiceModel)
    );
    // Provider × service beats provider × model: RDS backups are shared.
    let db = Resource::new("1", "us-east-1", "AWS::RDS::DBInstance", "db", "arn:db");
    let class = classify(model, &db);
    let empty = BTreeMap::new();
    let s = Subject {
        class: &class,
        account: "1",
        resource_id: "db",
        arn: "arn:db",
        tags: &empty,
    };
    let res = r.resolve(&s, "backup", d("2026-06-01"), d("2026-06-01"));
    assert_eq!(
        (res.owner, res.layer, res.copied),
        (
            Party::Customer,
            Layer::ProviderService,
            vec![Party::Provider]
        )
    );
}

#[test]
fn taking_over_a_provider_area_is_a_conflict_not_an_override() {
    let model = Catalog::builtin().unwrap().provider_model("aws").unwrap();
    let rows = vec![
        row(
            "grab",
            tenant(),
            "physical",
            iaas(),
            Party::Msp,
            "2026-01-01",
            None,
            "2026-01-01",
        ),
        row(
            "to-provider",
            tenant(),
            "backup",
            iaas(),
            Party::Provider,
            "2026-01-01",
            None,
            "2026-01-01",
        ),
    ];
    let r = Resolver::new(model, &rows, &[]);
    let class = classify(model, &instance(&[]));
    let empty = BTreeMap::new();
    let s = Subject {
        class: &class,
        account: "1",
        resource_id: "i",
        arn: "a",
        tags: &empty,
    };
    let phys = r.resolve(&s, "physical", d("2026-06-01"), d("2026-06-01"));
    assert_eq!(phys.owner, Party::Provider);
    assert_eq!(phys.conflicts, vec!["grab".to_owned()]);
    let backup = r.resolve(&s, "backup", d("2026-06-01"), d("2026-06-01"));
    assert_eq!(
        backup.owner,
        Party::Customer,
        "assigning to the provider is refused"
    );
    assert_eq!(backup.conflicts, vec!["to-provider".to_owned()]);
}

#[test]
fn who_owned_it_on_a_date_as_known_at_a_date() {
    let model = Catalog::builtin().unwrap().provider_model("aws").unwrap();
    // Recorded in January: the MSP owns backups from 1 January.
    // Recorded on 15 March: the customer takes them back from 1 March.
    // Recorded on 10 July: correction, the hand-back really happened 1 June.
    let rows = vec![
        row(
            "jan",
            tenant(),
            "backup",
            iaas(),
            Party::Msp,
            "2026-01-01",
            None,
            "2026-01-01",
        ),
        row(
            "mar",
            tenant(),
            "backup",
            iaas(),
            Party::Customer,
            "2026-03-01",
            None,
            "2026-03-15",
        ),
        row(
            "jul",
            tenant(),
            "backup",
            iaas(),
            Party::Msp,
            "2026-03-01",
            Some("2026-06-01"),
            "2026-07-10",
        ),
    ];
    let r = Resolver::new(model, &rows, &[]);
    let i = instance(&[]);
    assert_eq!(
        owner(&r, &i, "backup", "2026-02-01", "2026-12-01").0,
        Party::Msp
    );
    // On 1 April, as we knew it on 1 April: the customer.
    assert_eq!(
        owner(&r, &i, "backup", "2026-04-01", "2026-04-01").0,
        Party::Customer
    );
    // On 1 April, as we know it now (after the July correction): the MSP.
    assert_eq!(
        owner(&r, &i, "backup", "2026-04-01", "2026-12-01").0,
        Party::Msp
    );
    // On 1 July: the customer in both views.
    assert_eq!(
        owner(&r, &i, "backup", "2026-07-01", "2026-07-01").0,
        Party::Customer
    );
    assert_eq!(
        owner(&r, &i, "backup", "2026-07-01", "2026-12-01").0,
        Party::Customer
    );
    // Before anything was recorded: the provider's default.
    assert_eq!(
        owner(&r, &i, "backup", "2026-02-01", "2025-12-01"),
        (Party::Customer, Layer::ProviderServiceModel)
    );
}

#[test]
fn gaps_are_found() {
    let model = Catalog::builtin().unwrap().provider_model("aws").unwrap();
    let mut accepted = row(
        "ok",
        tenant(),
        "host_os",
        iaas(),
        Party::Msp,
        "2026-01-01",
        None,
        "2026-01-01",
    );
    accepted.accepted_at = Some(d("2026-01-02"));
    let rows = vec![
        row(
            "none",
            tenant(),
            "backup",
            iaas(),
            Party::Nobody,
            "2026-01-01",
            None,
            "2026-01-01",
        ),
        row(
            "pending",
            tenant(),
            "network",
            iaas(),
            Party::Msp,
            "2026-01-01",
            None,
            "2026-01-01",
        ),
        row(
            "ended",
            tenant(),
            "logging",
            iaas(),
            Party::Msp,
            "2026-01-01",
            Some("2026-05-01"),
            "2026-01-01",
        ),
        row(
            "grab",
            tenant(),
            "physical",
            iaas(),
            Party::Msp,
            "2026-01-01",
            None,
            "2026-01-01",
        ),
        accepted,
    ];
    let r = Resolver::new(model, &rows, &[]);
    let i = instance(&[]);
    let in_use = [InUse {
        resource: &i,
        class: classify(model, &i),
        count: 1,
    }];
    let found = gaps(
        &r,
        &in_use,
        shareline_catalog::AREAS,
        &[Party::Msp],
        &[("configuration".into(), "aws:ec2".into(), "iaas".into())],
        d("2026-06-01"),
    );
    let kinds: Vec<(GapKind, String)> = found.iter().map(|g| (g.kind, g.area.clone())).collect();
    for expected in [
        (GapKind::Unowned, "backup"),
        (GapKind::DelegationNotAccepted, "network"),
        (GapKind::DelegationExpired, "logging"),
        (GapKind::Conflict, "physical"),
        (GapKind::NoContact, "*"),
        (GapKind::ProviderOwnedFailure, "configuration"),
    ] {
        assert!(
            kinds.contains(&(expected.0, expected.1.to_owned())),
            "{expected:?} in {kinds:?}"
        );
    }
    assert!(
        !kinds
            .iter()
            .any(|(k, a)| *k == GapKind::DelegationNotAccepted && a == "host_os"),
        "accepted delegations are fine"
    );
}

#[test]
fn a_sub_area_refines_its_parent() {
    let model = Catalog::builtin().unwrap().provider_model("aws").unwrap();
    assert_eq!(
        model.lineage("logging.threat_detection"),
        ["logging.threat_detection", "logging"]
    );
    let rows = vec![
        row(
            "parent",
            tenant(),
            "logging",
            iaas(),
            Party::Msp,
            "2026-01-01",
            None,
            "2026-01-01",
        ),
        row(
            "child",
            tenant(),
            "logging.threat_detection",
            iaas(),
            Party::ThirdParty,
            "2026-01-01",
            None,
            "2026-01-01",
        ),
    ];
    let r = Resolver::new(model, &rows, &[]);
    let i = instance(&[]);
    assert_eq!(
        owner(
            &r,
            &i,
            "logging.threat_detection",
            "2026-06-01",
            "2026-06-01"
        )
        .0,
        Party::ThirdParty
    );
    assert_eq!(
        owner(&r, &i, "logging.audit_trail", "2026-06-01", "2026-06-01").0,
        Party::Msp,
        "inherits the parent's"
    );
    assert_eq!(
        owner(&r, &i, "logging", "2026-06-01", "2026-06-01").0,
        Party::Msp
    );
    // A more specific layer on the parent beats an offering on the sub-area.
    let offering = vec![row(
        "o",
        Scope::Offering("soc".into()),
        "logging.threat_detection",
        Target::All,
        Party::Msp,
        "2026-01-01",
        None,
        "2026-01-01",
    )];
    let tenant_parent = vec![row(
        "t",
        tenant(),
        "logging",
        iaas(),
        Party::Customer,
        "2026-01-01",
        None,
        "2026-01-01",
    )];
    let r = Resolver::new(model, &tenant_parent, &offering);
    assert_eq!(
        owner(
            &r,
            &i,
            "logging.threat_detection",
            "2026-06-01",
            "2026-06-01"
        ),
        (Party::Customer, Layer::TenantServiceModel)
    );
    let r = Resolver::new(model, &[], &offering);
    assert_eq!(
        owner(
            &r,
            &i,
            "logging.threat_detection",
            "2026-06-01",
            "2026-06-01"
        ),
        (Party::Msp, Layer::Offering)
    );
    // Provider cells of a sub-area come from its parent.
    assert_eq!(
        owner(
            &Resolver::new(model, &[], &[]),
            &i,
            "network.edge",
            "2026-06-01",
            "2026-06-01"
        )
        .0,
        Party::Customer
    );
}
