//! The shared responsibility line for a tenant: its matrix over time, MSP
//! offerings, delegations and their acceptance, contacts, routing of findings
//! to their owner party, and gaps.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use shareline_catalog::{OwnerClass, ProviderModel, SERVICE_MODELS};
use shareline_engine::responsibility::{
    Assignment, Classification, Gap, InUse, Party, Resolution, Resolver, Scope, Subject, Target,
    classify, provider_cell,
};
use shareline_engine::{CheckResult, Status};
use shareline_model::{Resource, TenantId};
use shareline_store::{Contact, OfferingChoice, Store};

use crate::AppError;
use crate::evaluate::catalog;

/// The AWS responsibility model from the catalog.
///
/// # Errors
/// When the catalog has none (the build prevents it).
pub fn aws_model() -> Result<&'static ProviderModel, AppError> {
    catalog()?
        .provider_model("aws")
        .ok_or_else(|| AppError::Invalid("catalog/responsibility/aws.toml is missing".into()))
}

/// Everything that decides a tenant's line, loaded once.
#[derive(Debug, Clone)]
pub struct Arrangement {
    /// The tenant's own assignments.
    pub tenant: Vec<Assignment>,
    /// Its offering choices over time.
    pub choices: Vec<OfferingChoice>,
    /// Assignments of every offering it ever chose, by offering.
    pub offerings: HashMap<String, Vec<Assignment>>,
    /// Its contacts.
    pub contacts: Vec<Contact>,
}

impl Arrangement {
    /// Loads a tenant's arrangement.
    ///
    /// # Errors
    /// On a store error.
    pub async fn load(store: &Store, tenant: &TenantId) -> Result<Self, AppError> {
        let choices = store.offering_choices(tenant).await?;
        let mut offerings = HashMap::new();
        for c in &choices {
            if let Some(o) = &c.offering_id
                && !offerings.contains_key(o)
            {
                offerings.insert(o.clone(), store.offering_assignments(o).await?);
            }
        }
        Ok(Self {
            tenant: store.tenant_assignments(tenant).await?,
            choices,
            offerings,
            contacts: store.contacts(tenant).await?,
        })
    }

    /// The offering in force on `as_of`, as known at `known_at`.
    pub fn offering_at(&self, as_of: DateTime<Utc>, known_at: DateTime<Utc>) -> Option<&str> {
        self.choices
            .iter()
            .filter(|c| c.recorded_at <= known_at && c.valid_from <= as_of)
            .max_by_key(|c| (c.valid_from, c.recorded_at))
            .and_then(|c| c.offering_id.as_deref())
    }

    /// A resolver for `as_of`, as known at `known_at`.
    pub fn resolver<'a>(
        &'a self,
        model: &'a ProviderModel,
        as_of: DateTime<Utc>,
        known_at: DateTime<Utc>,
    ) -> Resolver<'a> {
        let offering = self
            .offering_at(as_of, known_at)
            .and_then(|o| self.offerings.get(o))
            .map_or(&[][..], Vec::as_slice);
        Resolver::new(model, &self.tenant, offering)
    }

    /// Parties with at least one contact.
    pub fn contact_parties(&self) -> Vec<Party> {
        let set: BTreeSet<Party> = self.contacts.iter().map(|c| c.party).collect();
        set.into_iter().collect()
    }

    /// A fingerprint of everything here, for the evaluation fingerprint.
    pub fn fingerprint(&self) -> String {
        let mut parts = Vec::new();
        for a in &self.tenant {
            parts.push(serde_json::to_string(a).unwrap_or_default());
        }
        for c in &self.choices {
            parts.push(format!(
                "{:?}{}{}",
                c.offering_id, c.valid_from, c.recorded_at
            ));
        }
        let mut keys: Vec<_> = self.offerings.keys().collect();
        keys.sort();
        for k in keys {
            for a in &self.offerings[k] {
                parts.push(serde_json::to_string(a).unwrap_or_default());
            }
        }
        for c in &self.contacts {
            parts.push(format!("{}{}", c.party, c.email));
        }
        parts.join("\n")
    }
}

fn subject<'a>(r: &'a Resource, class: &'a Classification) -> Subject<'a> {
    Subject {
        class,
        account: &r.account_id,
        resource_id: &r.resource_id,
        arn: &r.arn,
        tags: &r.tags,
    }
}

/// The pseudo resource type of gap findings.
pub const GAP_TYPE: &str = "Shareline::Responsibility::Area";

/// Sets each result's owner (as of its first sighting: `prev` holds the
/// stored findings by id) and returns the gaps as findings of their own,
/// routed to the MSP. Returned apart: pushed onto `results`, a handful of
/// gaps made a hundred thousand results move into a larger vector.
pub fn route(
    results: &mut [CheckResult],
    earlier_failures: &[CheckResult],
    prev: &HashMap<String, shareline_engine::Finding>,
    resources: &HashMap<&shareline_model::ResourceKey, &Resource>,
    arrangement: &Arrangement,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<Vec<CheckResult>, AppError> {
    let model = aws_model()?;
    let catalog = catalog()?;
    let mut provider_failures = BTreeSet::new();
    // Failing findings this run did not re-evaluate still count.
    for r in earlier_failures {
        if let (Some(check), Some(res)) = (catalog.check(&r.check_id), resources.get(&*r.key)) {
            let class = classify(model, res);
            if let Some(area) = check.meta.areas.first() {
                provider_failures.insert((
                    area.clone(),
                    class.service.clone(),
                    class.model.clone(),
                ));
            }
        }
    }
    // Without resource selectors, ownership depends only on how a resource
    // is consumed: resolve once per classification, area and date.
    let selectors = arrangement
        .tenant
        .iter()
        .any(|a| matches!(a.target, Target::Selector { .. }));
    let classes: HashMap<&shareline_model::ResourceKey, Classification> = resources
        .iter()
        .map(|(k, r)| (*k, classify(model, r)))
        .collect();
    // Per (classification, area, first sighting): the owner and the copied
    // parties. Millions of results share a few hundred answers.
    type CacheKey<'c> = (&'c str, Option<&'c str>, &'c str, &'c str, i64);
    let mut cache: foldhash::HashMap<CacheKey<'_>, (Party, Vec<Party>)> =
        foldhash::HashMap::default();
    let mut resolvers: Vec<(Option<&str>, Resolver<'_>)> = Vec::new();
    // A resource's results come one after another: look it up once.
    let mut last: Option<(&shareline_model::ResourceKey, &Resource, &Classification)> = None;
    for r in results.iter_mut() {
        let Some(check) = catalog.check(&r.check_id) else {
            continue;
        };
        let Some(area) = check.meta.areas.first() else {
            continue;
        };
        let as_of = prev.get(&r.id).map_or(now, |f| f.first_seen);
        let offering = arrangement.offering_at(as_of, now);
        let i = match resolvers.iter().position(|(o, _)| *o == offering) {
            Some(i) => i,
            None => {
                resolvers.push((offering, arrangement.resolver(model, as_of, now)));
                resolvers.len() - 1
            }
        };
        let Some((_, resolver)) = resolvers.get(i) else {
            continue;
        };
        let found = match last {
            Some((k, res, c)) if *k == *r.key => Some((res, c)),
            _ => resources.get_key_value(&*r.key).and_then(|(k, res)| {
                let c = classes.get(k)?;
                last = Some((k, *res, c));
                Some((*res, c))
            }),
        };
        let pseudo;
        let resource = match found {
            Some((res, _)) => res,
            None => {
                pseudo = Resource::new(
                    &r.key.account_id,
                    &r.key.region,
                    &r.key.resource_type,
                    &r.key.resource_id,
                    &r.arn,
                );
                &pseudo
            }
        };
        let known = found.map(|(_, c)| c);
        let owned;
        let class = match known {
            Some(c) => c,
            None => {
                owned = classify(model, resource);
                &owned
            }
        };
        // Cached per classification unless selectors make resources differ.
        let cached = known.filter(|_| !selectors);
        let mut owner_of = |area: &'static str| {
            let resolve = || {
                let res = resolver.resolve(&subject(resource, class), area, as_of, now);
                (res.owner, res.copied)
            };
            match cached {
                Some(c) => cache
                    .entry((
                        c.service.as_str(),
                        c.variant.as_deref(),
                        c.model.as_str(),
                        area,
                        as_of.timestamp_millis(),
                    ))
                    .or_insert_with(resolve)
                    .clone(),
                None => resolve(),
            }
        };
        let (owner, mut copied) = owner_of(area);
        for extra in check.meta.areas.iter().skip(1) {
            let (other, _) = owner_of(extra);
            if other != owner && !copied.contains(&other) {
                copied.push(other);
            }
        }
        r.owner = Some(owner);
        r.copied = copied;
        if owner == Party::Provider && r.status == Status::Fail {
            provider_failures.insert((area.clone(), class.service.clone(), class.model.clone()));
        }
    }
    // Gaps: one representative per way of consuming a service, unless
    // selectors make single resources differ.
    let mut in_use: Vec<InUse<'_>> = Vec::new();
    let mut seen: HashMap<(String, Option<String>, String), usize> = HashMap::new();
    for (k, r) in resources {
        let class = classes
            .get(k)
            .cloned()
            .unwrap_or_else(|| classify(model, r));
        let key = (
            class.service.clone(),
            class.variant.clone(),
            class.model.clone(),
        );
        if !selectors && let Some(&i) = seen.get(&key) {
            if let Some(u) = in_use.get_mut(i) {
                u.count += 1;
            }
            continue;
        }
        seen.insert(key, in_use.len());
        in_use.push(InUse {
            resource: r,
            class,
            count: 1,
        });
    }
    let resolver = arrangement.resolver(model, now, now);
    let failures: Vec<_> = provider_failures.into_iter().collect();
    let gaps = shareline_engine::responsibility::gaps(
        &resolver,
        &in_use,
        &model.area_ids(),
        &arrangement.contact_parties(),
        &failures,
        now,
    );
    Ok(gaps.iter().map(|g| gap_result(tenant, g)).collect())
}

/// A gap as a finding.
fn gap_result(tenant: &str, g: &Gap) -> CheckResult {
    let key = shareline_model::ResourceKey {
        account_id: "*".to_owned(),
        region: "global".to_owned(),
        resource_type: GAP_TYPE.to_owned(),
        resource_id: format!("{}:{}:{}", g.kind.as_str(), g.area, g.service),
    };
    let check_id = format!("shareline_gap_{}", g.kind.as_str());
    let severity = match g.kind {
        shareline_engine::responsibility::GapKind::Unowned
        | shareline_engine::responsibility::GapKind::ProviderOwnedFailure => {
            shareline_catalog::Severity::High
        }
        _ => shareline_catalog::Severity::Medium,
    };
    CheckResult {
        id: shareline_engine::finding_id(tenant, &check_id, &key),
        check_id: check_id.into(),
        arn: format!("shareline:responsibility:{}", key.resource_id).into(),
        name: format!("{} / {}", g.area, g.service).into(),
        key: key.into(),
        resource_hash: "".into(),
        service: "responsibility".into(),
        severity,
        status: Status::Fail,
        muted_by: None,
        evidence: shareline_checks::Evidence {
            message: g.detail.clone(),
            field: Some(format!("area.{}", g.area)),
            value: Some(serde_json::json!({
                "model": g.model, "owner": g.owner, "assignment": g.assignment, "resources": g.resources
            })),
        },
        owner: Some(Party::Msp),
        copied: Vec::new(),
    }
}

/// A new assignment as the user asks for it.
#[derive(Debug, Clone)]
pub struct NewAssignment {
    /// The area.
    pub area: String,
    /// What it applies to.
    pub target: Target,
    /// The owner.
    pub party: Party,
    /// Parties copied.
    pub copied: Vec<Party>,
    /// From when.
    pub valid_from: DateTime<Utc>,
    /// Until when.
    pub valid_until: Option<DateTime<Utc>>,
    /// Who.
    pub author: String,
    /// Why.
    pub reason: String,
    /// Where from.
    pub source: String,
}

/// What setting an assignment did.
#[derive(Debug, Clone, Serialize)]
pub struct SetOutcome {
    /// The stored row.
    pub assignment: Assignment,
    /// Set when it tries to take over what the provider owns: recorded, not applied.
    pub conflict: Option<String>,
}

fn validate(new: &NewAssignment, model: &ProviderModel, offering: bool) -> Result<(), AppError> {
    if !model.area_ids().contains(&new.area.as_str()) {
        return Err(AppError::Invalid(format!(
            "unknown area `{}` (known: {})",
            new.area,
            model.area_ids().join(", ")
        )));
    }
    if new.reason.trim().len() < 3 {
        return Err(AppError::Invalid(
            "an assignment needs a reason (--reason)".into(),
        ));
    }
    if let Some(u) = new.valid_until
        && u <= new.valid_from
    {
        return Err(AppError::Invalid("--until must be after --from".into()));
    }
    match &new.target {
        Target::ServiceModel { model: m } if !SERVICE_MODELS.contains(&m.as_str()) => {
            return Err(AppError::Invalid(format!(
                "unknown service model `{m}` (known: {})",
                SERVICE_MODELS.join(", ")
            )));
        }
        Target::Service { service } if !model.services.iter().any(|s| &s.id == service) => {
            return Err(AppError::Invalid(format!("unknown service `{service}`")));
        }
        Target::Selector {
            account: None,
            tag: None,
            resource: None,
        } => {
            return Err(AppError::Invalid(
                "a selector needs --account, --tag or --resource".into(),
            ));
        }
        Target::Selector { .. } if offering => {
            return Err(AppError::Invalid(
                "offerings assign by service or service model, not by resource".into(),
            ));
        }
        _ => {}
    }
    Ok(())
}

/// The provider cell an assignment's target meets, when the target decides it.
fn cell_for(model: &ProviderModel, target: &Target, area: &str) -> Option<OwnerClass> {
    let class = match target {
        Target::ServiceModel { model: m } => Classification {
            service: String::new(),
            model: m.clone(),
            variant: None,
        },
        Target::Service { service } => {
            let s = model.services.iter().find(|s| &s.id == service)?;
            Classification {
                service: s.id.clone(),
                model: s.model.clone(),
                variant: None,
            }
        }
        _ => return None,
    };
    Some(provider_cell(model, &class, area).0.owner)
}

/// Appends an assignment to a tenant's matrix or to an offering.
///
/// # Errors
/// [`AppError::Invalid`] naming what is wrong.
pub async fn set(store: &Store, scope: Scope, new: NewAssignment) -> Result<SetOutcome, AppError> {
    let model = aws_model()?;
    let offering = matches!(scope, Scope::Offering(_));
    validate(&new, model, offering)?;
    let conflict = if new.party == Party::Provider {
        Some(
            "the provider cannot be assigned an area: it owns only what its published model says"
                .to_owned(),
        )
    } else if cell_for(model, &new.target, &new.area) == Some(OwnerClass::Provider) {
        Some(format!(
            "`{}` is the provider's for this target; only customer and MSP areas can move",
            new.area
        ))
    } else {
        None
    };
    let now = Utc::now();
    let a = Assignment {
        id: format!("asg-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        scope: scope.clone(),
        area: new.area,
        target: new.target,
        party: new.party,
        copied: new.copied,
        valid_from: new.valid_from,
        valid_until: new.valid_until,
        recorded_at: now,
        author: new.author,
        reason: new.reason,
        source: new.source,
        accepted_at: None,
    };
    match &scope {
        Scope::Tenant(t) => {
            let t = TenantId::parse(t)?;
            store
                .append_assignments(Some(&t), std::slice::from_ref(&a))
                .await?;
        }
        Scope::Offering(_) => {
            store
                .append_assignments(None, std::slice::from_ref(&a))
                .await?;
        }
    }
    Ok(SetOutcome {
        assignment: a,
        conflict,
    })
}

/// One cell of a tenant's matrix.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixCell {
    /// The area.
    pub area: String,
    /// The service model, service and variant it is for.
    pub model: String,
    /// Service (and variant), when the row is per service.
    pub service: Option<String>,
    /// The resolution.
    pub resolution: Resolution,
}

/// A tenant's matrix as of a date, as known at a date.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    /// As of.
    pub as_of: DateTime<Utc>,
    /// As known at.
    pub known_at: DateTime<Utc>,
    /// The offering in force.
    pub offering: Option<String>,
    /// Service models the tenant has resources in.
    pub models_in_use: Vec<String>,
    /// Per service model and area.
    pub cells: Vec<MatrixCell>,
    /// Per service in use and area, where it differs from its model's row.
    pub service_cells: Vec<MatrixCell>,
}

/// Shows a tenant's matrix.
///
/// # Errors
/// On a store error.
pub async fn show(
    store: &Store,
    tenant: &TenantId,
    as_of: DateTime<Utc>,
    known_at: DateTime<Utc>,
) -> Result<Matrix, AppError> {
    let model = aws_model()?;
    let arrangement = Arrangement::load(store, tenant).await?;
    let resolver = arrangement.resolver(model, as_of, known_at);
    let items = store.current_items(tenant).await?;
    let mut in_use: BTreeMap<(String, Option<String>), Classification> = BTreeMap::new();
    for (r, _) in &items {
        let c = classify(model, r);
        in_use
            .entry((c.service.clone(), c.variant.clone()))
            .or_insert(c);
    }
    let models: BTreeSet<String> = in_use.values().map(|c| c.model.clone()).collect();
    let empty = BTreeMap::new();
    let mut cells = Vec::new();
    for m in SERVICE_MODELS {
        let class = Classification {
            service: String::new(),
            model: (*m).to_owned(),
            variant: None,
        };
        for area in &model.area_ids() {
            let s = Subject {
                class: &class,
                account: "",
                resource_id: "",
                arn: "",
                tags: &empty,
            };
            cells.push(MatrixCell {
                area: (*area).to_owned(),
                model: (*m).to_owned(),
                service: None,
                resolution: resolver.resolve(&s, area, as_of, known_at),
            });
        }
    }
    let mut service_cells = Vec::new();
    for c in in_use.values() {
        for area in &model.area_ids() {
            let s = Subject {
                class: c,
                account: "",
                resource_id: "",
                arn: "",
                tags: &empty,
            };
            let r = resolver.resolve(&s, area, as_of, known_at);
            let base = cells.iter().find(|x| x.model == c.model && x.area == *area);
            if base.is_none_or(|b| b.resolution.owner != r.owner || b.resolution.copied != r.copied)
            {
                service_cells.push(MatrixCell {
                    area: (*area).to_owned(),
                    model: c.model.clone(),
                    service: Some(match &c.variant {
                        Some(v) => format!("{} ({v})", c.service),
                        None => c.service.clone(),
                    }),
                    resolution: r,
                });
            }
        }
    }
    Ok(Matrix {
        as_of,
        known_at,
        offering: arrangement.offering_at(as_of, known_at).map(str::to_owned),
        models_in_use: models.into_iter().collect(),
        cells,
        service_cells,
    })
}

/// One entry of a tenant's responsibility history.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HistoryEntry {
    /// An assignment was recorded.
    Assignment(Box<Assignment>),
    /// The tenant chose an offering.
    Offering(OfferingChoice),
}

/// A tenant's responsibility history, in recorded order.
///
/// # Errors
/// On a store error.
pub async fn history(store: &Store, tenant: &TenantId) -> Result<Vec<HistoryEntry>, AppError> {
    let mut out: Vec<(DateTime<Utc>, HistoryEntry)> = store
        .tenant_assignments(tenant)
        .await?
        .into_iter()
        .map(|a| (a.recorded_at, HistoryEntry::Assignment(Box::new(a))))
        .collect();
    out.extend(
        store
            .offering_choices(tenant)
            .await?
            .into_iter()
            .map(|c| (c.recorded_at, HistoryEntry::Offering(c))),
    );
    out.sort_by_key(|(t, _)| *t);
    Ok(out.into_iter().map(|(_, e)| e).collect())
}

/// The tenant's current gaps (as stored by the last evaluation).
///
/// # Errors
/// On a store error.
pub async fn gaps(
    store: &Store,
    tenant: &TenantId,
) -> Result<Vec<crate::findings::FindingView>, AppError> {
    let filter = shareline_store::FindingFilter {
        services: vec!["responsibility".to_owned()],
        limit: Some(100_000),
        ..Default::default()
    };
    crate::findings::list(store, tenant, &filter).await
}
