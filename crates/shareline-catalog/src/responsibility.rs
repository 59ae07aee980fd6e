//! The provider's side of the shared responsibility model, as data: one file
//! per cloud under `catalog/responsibility/<provider>.toml` holding its areas,
//! service models, how each resource type is consumed, and the published
//! default owner of each area per service model (and per service where the
//! provider says more), each cell with its source.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::{AREAS, Assert, CatalogError};

/// How a resource type is consumed.
pub const SERVICE_MODELS: &[&str] = &[
    "on_prem",
    "iaas",
    "caas_nodes",
    "caas_serverless",
    "paas",
    "faas",
    "saas",
];

/// Who owns a cell by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnerClass {
    /// The cloud provider.
    Provider,
    /// The customer side (the customer, or the MSP by delegation).
    Customer,
    /// Both: the customer side configures, the provider runs the platform.
    Shared,
    /// The area does not exist for this service model.
    Na,
}

/// One default cell: an area's owner, and where that comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    /// The owner class.
    pub owner: OwnerClass,
    /// The source of the cell (`aws-srm`, `ms-srm-2026`, `google-srm`).
    pub source: String,
    /// Why, in a few words, when not obvious.
    #[serde(default)]
    pub note: Option<String>,
}

/// A resource type's service model, with attribute rules where the service
/// alone does not decide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Stable id (`aws:lambda`).
    pub id: String,
    /// The resource types it covers (`AWS::Lambda::Function`).
    pub resource_types: Vec<String>,
    /// Its default service model.
    pub model: String,
    /// Attribute rules: the first that holds gives its variant.
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// Cells that differ from the service model's defaults for this service
    /// (the provider × service layer).
    #[serde(default)]
    pub cells: BTreeMap<String, Cell>,
}

/// A variant of a service chosen by the resource's attributes (Lambda
/// attached to a VPC, ECS on Fargate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Its name (`vpc-attached`).
    pub name: String,
    /// When it applies.
    pub when: Assert,
    /// A different service model, if any.
    #[serde(default)]
    pub model: Option<String>,
    /// Cells that differ for this variant.
    #[serde(default)]
    pub cells: BTreeMap<String, Cell>,
}

/// One area of responsibility. Top-level areas are [`AREAS`]; a sub-area
/// (`logging.threat_detection`) splits one so that parties can share it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    /// Stable id: one of [`AREAS`], or `<parent>.<name>` for a sub-area.
    pub id: String,
    /// The area it refines, for a sub-area.
    #[serde(default)]
    pub parent: Option<String>,
    /// Display title.
    pub title: String,
    /// What it covers.
    pub description: String,
}

/// A provider's published model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderModel {
    /// `aws`, `azure`, `gcp`.
    pub provider: String,
    /// Where the defaults come from: source id → URL.
    pub sources: BTreeMap<String, String>,
    /// The areas (shared by every provider file, repeated for completeness).
    pub areas: Vec<Area>,
    /// Default owner per service model, then per area.
    pub defaults: BTreeMap<String, BTreeMap<String, Cell>>,
    /// Resource types and their service models.
    #[serde(default)]
    pub services: Vec<Service>,
}

impl ProviderModel {
    /// Parses and validates one provider file.
    ///
    /// # Errors
    /// Names the file and what is wrong.
    pub fn parse(file: &str, text: &str) -> Result<Self, CatalogError> {
        let m: ProviderModel =
            toml::from_str(text).map_err(|e| CatalogError::new(file, e.to_string()))?;
        m.validate().map_err(|e| CatalogError::new(file, e))?;
        Ok(m)
    }

    fn validate(&self) -> Result<(), String> {
        let areas: HashSet<&str> = self.areas.iter().map(|a| a.id.as_str()).collect();
        for a in AREAS {
            if !areas.contains(a) {
                return Err(format!("`areas`: area `{a}` is missing"));
            }
        }
        for a in &self.areas {
            match &a.parent {
                None if !AREAS.contains(&a.id.as_str()) => {
                    return Err(format!("`areas`: unknown top-level area `{}`", a.id));
                }
                Some(p) if !AREAS.contains(&p.as_str()) || !a.id.starts_with(&format!("{p}.")) => {
                    return Err(format!(
                        "`areas`: sub-area `{}` must be `<parent>.<name>` under a top-level area",
                        a.id
                    ));
                }
                _ => {}
            }
        }
        let cell_ok = |at: &str, cells: &BTreeMap<String, Cell>| -> Result<(), String> {
            for (area, cell) in cells {
                if !areas.contains(area.as_str()) {
                    return Err(format!("{at}: unknown area `{area}`"));
                }
                if !self.sources.contains_key(&cell.source) {
                    return Err(format!("{at}.{area}: unknown source `{}`", cell.source));
                }
            }
            Ok(())
        };
        for model in SERVICE_MODELS {
            let Some(cells) = self.defaults.get(*model) else {
                return Err(format!("`defaults`: service model `{model}` is missing"));
            };
            for a in AREAS {
                if !cells.contains_key(*a) {
                    return Err(format!("`defaults.{model}`: area `{a}` is missing"));
                }
            }
            cell_ok(&format!("`defaults.{model}`"), cells)?;
        }
        for model in self.defaults.keys() {
            if !SERVICE_MODELS.contains(&model.as_str()) {
                return Err(format!("`defaults`: unknown service model `{model}`"));
            }
        }
        let mut types = HashSet::new();
        for s in &self.services {
            let at = format!("service `{}`", s.id);
            if !SERVICE_MODELS.contains(&s.model.as_str()) {
                return Err(format!("{at}: unknown service model `{}`", s.model));
            }
            for t in &s.resource_types {
                if !types.insert(t.as_str()) {
                    return Err(format!("{at}: resource type `{t}` is classified twice"));
                }
            }
            cell_ok(&at, &s.cells)?;
            for v in &s.variants {
                if let Some(m) = &v.model
                    && !SERVICE_MODELS.contains(&m.as_str())
                {
                    return Err(format!(
                        "{at} variant `{}`: unknown service model `{m}`",
                        v.name
                    ));
                }
                cell_ok(&format!("{at} variant `{}`", v.name), &v.cells)?;
            }
        }
        Ok(())
    }

    /// Every area id, top-level areas first.
    pub fn area_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = AREAS.to_vec();
        ids.extend(
            self.areas
                .iter()
                .filter(|a| a.parent.is_some())
                .map(|a| a.id.as_str()),
        );
        ids
    }

    /// The area and its ancestors, most specific first (`logging.threat_detection`,
    /// `logging`).
    pub fn lineage<'a>(&'a self, area: &'a str) -> Vec<&'a str> {
        let mut out = vec![area];
        let mut current = area;
        while let Some(parent) = self
            .areas
            .iter()
            .find(|a| a.id == current)
            .and_then(|a| a.parent.as_deref())
        {
            out.push(parent);
            current = parent;
        }
        out
    }

    /// The service that covers a resource type.
    pub fn service_of(&self, resource_type: &str) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.resource_types.iter().any(|t| t == resource_type))
    }
}
