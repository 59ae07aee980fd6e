//! The shared responsibility line: who owns an area of a resource, for a
//! tenant, at a time, as known at a time.
//!
//! Assignments come in layers, most specific first:
//!
//! 1. tenant × resource selector (account, tag, resource id)
//! 2. tenant × service (`aws:rds`)
//! 3. tenant × service model (`iaas`)
//! 4. the tenant's MSP offering (by service, service model, or every model)
//! 5. provider × service (and service variant), from the catalog
//! 6. provider × service model, from the catalog
//!
//! Tenant and offering layers (1–4) only move an area between the customer and
//! the MSP (or mark it explicitly unowned). Assigning an area the provider
//! owns, or assigning anything to the provider, is a conflict: recorded, never
//! applied.
//!
//! Assignments are append-only and bitemporal: each holds for a business
//! period (`valid_from`..`valid_until`) and was recorded at `recorded_at`.
//! [`Resolver::resolve`] answers "who owned it on `as_of`, as we knew on
//! `known_at`": among the rows of a target recorded by `known_at`, the latest
//! recorded one decides; it applies when `as_of` falls in its period.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shareline_catalog::{Cell, OwnerClass, ProviderModel};
use shareline_checks::Res;
use shareline_model::Resource;

/// A party to the shared responsibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The cloud provider.
    Provider,
    /// The managed service provider.
    Msp,
    /// The customer (the tenant).
    Customer,
    /// Someone else named by the tenant (an external SOC).
    ThirdParty,
    /// Explicitly nobody: a gap.
    Nobody,
}

impl Party {
    /// Every party.
    pub const ALL: [Party; 5] = [
        Self::Provider,
        Self::Msp,
        Self::Customer,
        Self::ThirdParty,
        Self::Nobody,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provider => "provider",
            Self::Msp => "msp",
            Self::Customer => "customer",
            Self::ThirdParty => "third_party",
            Self::Nobody => "nobody",
        }
    }

    /// Parses a name.
    ///
    /// # Errors
    /// Returns the text when it names no party.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s || (s == "none" && *p == Self::Nobody))
            .ok_or(s)
    }
}

impl std::fmt::Display for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an assignment applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// Resources matching a selector (every given part must match).
    Selector {
        /// Account id.
        #[serde(default)]
        account: Option<String>,
        /// `key=value` tag.
        #[serde(default)]
        tag: Option<String>,
        /// Resource id or ARN glob.
        #[serde(default)]
        resource: Option<String>,
    },
    /// A service (`aws:rds`).
    Service {
        /// Its id.
        service: String,
    },
    /// A service model (`iaas`).
    ServiceModel {
        /// Its id.
        model: String,
    },
    /// Every service model (offerings only).
    All,
}

/// Who assigned it: a tenant, or an MSP offering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    /// A tenant's own arrangement.
    Tenant(String),
    /// An MSP offering several tenants use.
    Offering(String),
}

/// One assignment row (append-only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// Its id.
    pub id: String,
    /// Whose arrangement.
    pub scope: Scope,
    /// The area.
    pub area: String,
    /// What it applies to.
    pub target: Target,
    /// The owner.
    pub party: Party,
    /// Parties kept informed (shared areas).
    #[serde(default)]
    pub copied: Vec<Party>,
    /// From when it holds.
    pub valid_from: DateTime<Utc>,
    /// Until when (exclusive); open-ended when `None`.
    pub valid_until: Option<DateTime<Utc>>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub author: String,
    /// Why (the contract line, the SOW).
    pub reason: String,
    /// Where it came from (`cli`, `oscal:<uuid>`, `demo`).
    pub source: String,
    /// When the delegated party accepted it (MSP delegations).
    pub accepted_at: Option<DateTime<Utc>>,
}

/// Where a resolution came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Tenant × resource selector.
    TenantSelector,
    /// Tenant × service.
    TenantService,
    /// Tenant × service model.
    TenantServiceModel,
    /// The tenant's offering.
    Offering,
    /// Provider × service or variant.
    ProviderService,
    /// Provider × service model.
    ProviderServiceModel,
}

/// The answer for one area of one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolution {
    /// The owner.
    pub owner: Party,
    /// Parties copied.
    pub copied: Vec<Party>,
    /// The layer that decided.
    pub layer: Layer,
    /// The assignment that decided, for tenant and offering layers.
    pub assignment: Option<String>,
    /// The provider's default cell for it.
    pub provider_cell: OwnerClass,
    /// The source of the provider cell.
    pub source: String,
    /// Assignments that tried to take over a provider-owned area.
    pub conflicts: Vec<String>,
}

/// How a resource is consumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// Service id (`aws:lambda`), or `unknown`.
    pub service: String,
    /// Service model.
    pub model: String,
    /// The variant that applied, if any.
    pub variant: Option<String>,
}

/// Classifies a resource by its provider's model.
pub fn classify(model: &ProviderModel, resource: &Resource) -> Classification {
    let Some(service) = model.service_of(&resource.resource_type) else {
        return Classification {
            service: "unknown".to_owned(),
            model: "iaas".to_owned(),
            variant: None,
        };
    };
    let res = Res::new(resource);
    for v in &service.variants {
        if matches!(shareline_checks::rule::holds(&v.when, res), Ok(None)) {
            return Classification {
                service: service.id.clone(),
                model: v.model.clone().unwrap_or_else(|| service.model.clone()),
                variant: Some(v.name.clone()),
            };
        }
    }
    Classification {
        service: service.id.clone(),
        model: service.model.clone(),
        variant: None,
    }
}

/// The provider's cell for an area of a classified resource: the variant's,
/// else the service's, else the service model's; a sub-area without a cell
/// of its own takes its parent's.
pub fn provider_cell(model: &ProviderModel, c: &Classification, area: &str) -> (Cell, Layer) {
    let service = model.services.iter().find(|s| s.id == c.service);
    for a in model.lineage(area) {
        if let Some(s) = service {
            if let Some(v) = c
                .variant
                .as_ref()
                .and_then(|n| s.variants.iter().find(|v| &v.name == n))
                && let Some(cell) = v.cells.get(a)
            {
                return (cell.clone(), Layer::ProviderService);
            }
            if let Some(cell) = s.cells.get(a) {
                return (cell.clone(), Layer::ProviderService);
            }
        }
        if let Some(cell) = model.defaults.get(&c.model).and_then(|cells| cells.get(a)) {
            return (cell.clone(), Layer::ProviderServiceModel);
        }
    }
    (
        Cell {
            owner: OwnerClass::Customer,
            source: "default".to_owned(),
            note: None,
        },
        Layer::ProviderServiceModel,
    )
}

/// What a resolution is asked about.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Its classification.
    pub class: &'a Classification,
    /// Account id.
    pub account: &'a str,
    /// Resource id.
    pub resource_id: &'a str,
    /// ARN.
    pub arn: &'a str,
    /// Tags.
    pub tags: &'a BTreeMap<String, String>,
}

fn glob(pattern: &str, value: &str) -> bool {
    shareline_checks::policy::wildcard_match(pattern, value)
}

impl Target {
    fn matches(&self, s: &Subject<'_>) -> bool {
        match self {
            Target::Selector {
                account,
                tag,
                resource,
            } => {
                account.as_deref().is_none_or(|a| a == s.account)
                    && tag.as_deref().is_none_or(|t| {
                        let (k, v) = t.split_once('=').unwrap_or((t, "*"));
                        s.tags.iter().any(|(tk, tv)| tk == k && glob(v, tv))
                    })
                    && resource
                        .as_deref()
                        .is_none_or(|r| glob(r, s.resource_id) || glob(r, s.arn))
            }
            Target::Service { service } => *service == s.class.service,
            Target::ServiceModel { model } => *model == s.class.model,
            Target::All => true,
        }
    }

    /// A key that identifies "the same target" for supersession.
    pub fn key(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Picks the targets one layer consists of.
type TargetFilter = fn(&Target) -> bool;

/// Resolves ownership for one tenant.
#[derive(Debug)]
pub struct Resolver<'a> {
    model: &'a ProviderModel,
    tenant: Vec<&'a Assignment>,
    offering: Vec<&'a Assignment>,
}

impl<'a> Resolver<'a> {
    /// A resolver over the provider's model, the tenant's own assignments and
    /// those of the offering(s) it uses.
    pub fn new(
        model: &'a ProviderModel,
        tenant: &'a [Assignment],
        offering: &'a [Assignment],
    ) -> Self {
        Self {
            model,
            tenant: tenant.iter().collect(),
            offering: offering.iter().collect(),
        }
    }

    /// The rows of `rows` in force for `area` and `subject` on `as_of` as
    /// known at `known_at`, latest-recorded per target.
    fn in_force<'r>(
        rows: &[&'r Assignment],
        area: &str,
        s: &Subject<'_>,
        as_of: DateTime<Utc>,
        known_at: DateTime<Utc>,
        layer: impl Fn(&Target) -> bool,
    ) -> Option<&'r Assignment> {
        let mut latest: BTreeMap<String, &Assignment> = BTreeMap::new();
        for a in rows.iter().copied() {
            if a.area != area
                || a.recorded_at > known_at
                || !layer(&a.target)
                || !a.target.matches(s)
            {
                continue;
            }
            // Per target, the latest recording supersedes the earlier ones for
            // the business time it covers.
            let covers = a.valid_from <= as_of && a.valid_until.is_none_or(|u| as_of < u);
            if !covers {
                continue;
            }
            let key = a.target.key();
            match latest.get(&key) {
                Some(b) if b.recorded_at >= a.recorded_at => {}
                _ => {
                    latest.insert(key, a);
                }
            }
        }
        latest.into_values().max_by_key(|a| a.recorded_at)
    }

    /// Who owns `area` of the subject on `as_of`, as known at `known_at`.
    pub fn resolve(
        &self,
        s: &Subject<'_>,
        area: &str,
        as_of: DateTime<Utc>,
        known_at: DateTime<Utc>,
    ) -> Resolution {
        let (cell, provider_layer) = provider_cell(self.model, s.class, area);
        let mut conflicts = Vec::new();
        let tenant_layers: [(Layer, TargetFilter); 3] = [
            (Layer::TenantSelector, |t| {
                matches!(t, Target::Selector { .. })
            }),
            (Layer::TenantService, |t| {
                matches!(t, Target::Service { .. })
            }),
            (Layer::TenantServiceModel, |t| {
                matches!(t, Target::ServiceModel { .. } | Target::All)
            }),
        ];
        // Within a layer, an assignment on the sub-area beats one on its
        // parent; across layers, the more specific layer wins.
        let lineage = self.model.lineage(area);
        let first = |rows: &[&'a Assignment], f: TargetFilter| {
            lineage
                .iter()
                .find_map(|a| Self::in_force(rows, a, s, as_of, known_at, f))
        };
        let candidates = tenant_layers
            .iter()
            .map(|(layer, f)| (*layer, first(&self.tenant, *f)))
            .chain(std::iter::once((
                Layer::Offering,
                first(&self.offering, |t| !matches!(t, Target::Selector { .. })),
            )));
        for (layer, found) in candidates {
            let Some(a) = found else { continue };
            if cell.owner == OwnerClass::Provider || a.party == Party::Provider {
                conflicts.push(a.id.clone());
                continue;
            }
            let mut copied = a.copied.clone();
            if cell.owner == OwnerClass::Shared && !copied.contains(&Party::Provider) {
                copied.push(Party::Provider);
            }
            return Resolution {
                owner: a.party,
                copied,
                layer,
                assignment: Some(a.id.clone()),
                provider_cell: cell.owner,
                source: cell.source,
                conflicts,
            };
        }
        let (owner, copied) = match cell.owner {
            OwnerClass::Provider => (Party::Provider, Vec::new()),
            OwnerClass::Customer => (Party::Customer, Vec::new()),
            OwnerClass::Shared => (Party::Customer, vec![Party::Provider]),
            OwnerClass::Na => (Party::Provider, Vec::new()),
        };
        Resolution {
            owner,
            copied,
            layer: provider_layer,
            assignment: None,
            provider_cell: cell.owner,
            source: cell.source,
            conflicts,
        }
    }
}

/// Why an area is a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// In use, and explicitly nobody's.
    Unowned,
    /// Delegated to the MSP, never accepted.
    DelegationNotAccepted,
    /// An MSP delegation ended and nothing replaced it.
    DelegationExpired,
    /// Owned by a party the tenant has no contact for.
    NoContact,
    /// A failing finding in an area the tenant's matrix gives to the provider.
    ProviderOwnedFailure,
    /// An assignment tried to take over what the provider owns.
    Conflict,
}

impl GapKind {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unowned => "unowned",
            Self::DelegationNotAccepted => "delegation_not_accepted",
            Self::DelegationExpired => "delegation_expired",
            Self::NoContact => "no_contact",
            Self::ProviderOwnedFailure => "provider_owned_failure",
            Self::Conflict => "conflict",
        }
    }
}

/// One gap in a tenant's responsibility line. Gaps go to the MSP.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    /// Why.
    pub kind: GapKind,
    /// The area.
    pub area: String,
    /// Where: the service (and variant) and its model.
    pub service: String,
    /// Its service model.
    pub model: String,
    /// The party the area resolves to.
    pub owner: Party,
    /// The assignment involved, if any.
    pub assignment: Option<String>,
    /// One sentence for people.
    pub detail: String,
    /// How many resources it concerns.
    pub resources: usize,
}

/// What the gap analysis reads about one resource.
#[derive(Debug)]
pub struct InUse<'a> {
    /// The resource.
    pub resource: &'a Resource,
    /// Its classification.
    pub class: Classification,
    /// How many resources it stands for (resources consumed the same way
    /// share one representative).
    pub count: usize,
}

/// Finds the gaps of a tenant at `now`. `contacts` lists the parties the
/// tenant has a contact for; `provider_failures` gives (area, service) pairs
/// of failing findings whose owner resolved to the provider.
pub fn gaps(
    resolver: &Resolver<'_>,
    in_use: &[InUse<'_>],
    areas: &[&str],
    contacts: &[Party],
    provider_failures: &[(String, String, String)],
    now: DateTime<Utc>,
) -> Vec<Gap> {
    let mut found: BTreeMap<(GapKind, String, String, String), Gap> = BTreeMap::new();
    let mut add = |g: Gap| {
        let key = (g.kind, g.area.clone(), g.service.clone(), g.model.clone());
        let n = g.resources;
        found
            .entry(key)
            .and_modify(|e| e.resources += n)
            .or_insert(g);
    };
    for u in in_use {
        let r = u.resource;
        let s = Subject {
            class: &u.class,
            account: &r.account_id,
            resource_id: &r.resource_id,
            arn: &r.arn,
            tags: &r.tags,
        };
        let service = match &u.class.variant {
            Some(v) => format!("{} ({v})", u.class.service),
            None => u.class.service.clone(),
        };
        for area in areas {
            let res = resolver.resolve(&s, area, now, now);
            if res.provider_cell == OwnerClass::Na {
                continue;
            }
            let gap = |kind: GapKind, detail: String| Gap {
                kind,
                area: (*area).to_owned(),
                service: service.clone(),
                model: u.class.model.clone(),
                owner: res.owner,
                assignment: res.assignment.clone(),
                detail,
                resources: u.count,
            };
            for c in &res.conflicts {
                add(Gap {
                    assignment: Some(c.clone()),
                    ..gap(
                        GapKind::Conflict,
                        format!(
                            "assignment {c} tries to take over `{area}`, which the provider owns for {service}; it is not applied"
                        ),
                    )
                });
            }
            match res.owner {
                Party::Nobody => add(gap(
                    GapKind::Unowned,
                    format!("`{area}` of {service} is in use and nobody owns it"),
                )),
                Party::Msp => {
                    // An offering the tenant chose is accepted by both sides;
                    // a tenant delegation needs its acceptance recorded.
                    let accepted = res.layer == Layer::Offering
                        || res
                            .assignment
                            .as_deref()
                            .and_then(|id| resolver.find(id))
                            .is_some_and(|a| a.accepted_at.is_some_and(|t| t <= now));
                    if !accepted {
                        add(gap(
                            GapKind::DelegationNotAccepted,
                            format!(
                                "`{area}` of {service} is delegated to the MSP, but the MSP has not accepted it"
                            ),
                        ));
                    }
                }
                _ => {}
            }
            if res.assignment.is_none()
                && res.owner != Party::Provider
                && resolver.expired_msp(&s, area, now)
            {
                add(gap(
                    GapKind::DelegationExpired,
                    format!(
                        "the MSP's delegation for `{area}` of {service} has ended; it falls back to the customer"
                    ),
                ));
            }
            if matches!(res.owner, Party::Customer | Party::Msp | Party::ThirdParty)
                && !contacts.contains(&res.owner)
            {
                // One gap per party without a contact, not one per area.
                add(Gap {
                    area: "*".to_owned(),
                    service: res.owner.as_str().to_owned(),
                    model: "*".to_owned(),
                    ..gap(
                        GapKind::NoContact,
                        format!(
                            "the {} owns areas of this tenant's estate and the tenant has no {} contact to route them to",
                            res.owner, res.owner
                        ),
                    )
                });
            }
        }
    }
    for (area, service, model) in provider_failures {
        add(Gap {
            kind: GapKind::ProviderOwnedFailure,
            area: area.clone(),
            service: service.clone(),
            model: model.clone(),
            owner: Party::Provider,
            assignment: None,
            detail: format!(
                "a check fails in `{area}` of {service}, which this tenant's matrix gives to the provider: the provider does not configure the tenant's resources"
            ),
            resources: 1,
        });
    }
    found.into_values().collect()
}

impl<'a> Resolver<'a> {
    /// An assignment by id.
    pub fn find(&self, id: &str) -> Option<&'a Assignment> {
        self.tenant
            .iter()
            .chain(self.offering.iter())
            .copied()
            .find(|a| a.id == id)
    }

    /// True when an MSP assignment for the area matching `s` ended by `now`.
    fn expired_msp(&self, s: &Subject<'_>, area: &str, now: DateTime<Utc>) -> bool {
        self.tenant.iter().chain(self.offering.iter()).any(|a| {
            a.area == area
                && a.party == Party::Msp
                && a.recorded_at <= now
                && a.valid_until.is_some_and(|u| u <= now)
                && a.target.matches(s)
        })
    }
}
