//! OSCAL 1.2.3 in and out for the responsibility line.
//!
//! Shareline's areas of responsibility are the "controls" here, with ids
//! `ra-<area>` (`ra-backup`) from Shareline's own area catalog.
//!
//! - A tenant's matrix exports as a **system security plan**: the provider
//!   and the MSP are leveraged authorizations; each area × service in use is a
//!   `by-component` whose `inherited` entries carry what the provider covers
//!   and whose `satisfied` entries carry what the customer or MSP does, each
//!   with its responsible role.
//! - An MSP offering exports as a **customer responsibility matrix**: OSCAL
//!   puts `export.provided` / `export.responsibilities` on an SSP's
//!   by-components (the component-definition model has no `export`), so the
//!   offering is a leveraged SSP whose by-components say what the MSP
//!   provides and what stays with the customer. Importing such a document
//!   turns `provided` into MSP assignments and `responsibilities` into
//!   customer assignments of an offering.
//!
//! Every export is validated against NIST's schema in the tests
//! (`tests/data/oscal/`, `tools/validate_oscal.py`).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use shareline_engine::responsibility::{Assignment, Party, Scope, Target, classify};
use shareline_model::TenantId;
use shareline_store::Store;

use crate::AppError;
use crate::responsibility::{Arrangement, aws_model};

/// The OSCAL version written.
pub const OSCAL_VERSION: &str = "1.2.3";
/// The namespace of Shareline's own props.
pub const NS: &str = "https://shareline.dev/ns/oscal";
/// The profile of Shareline's area catalog.
pub const AREA_PROFILE: &str = "https://shareline.dev/oscal/responsibility-areas_profile.json";
/// Largest document imported.
const MAX_BYTES: u64 = 20 * 1024 * 1024;

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn role(p: Party) -> &'static str {
    match p {
        Party::Provider => "provider",
        Party::Msp => "msp",
        Party::Customer => "customer",
        Party::ThirdParty => "third-party",
        Party::Nobody => "customer",
    }
}

fn roles() -> Value {
    json!([
        {"id": "provider", "title": "Cloud provider"},
        {"id": "msp", "title": "Managed service provider"},
        {"id": "customer", "title": "Customer"},
        {"id": "third-party", "title": "Third party named by the customer"},
    ])
}

fn area_title(area: &str) -> String {
    aws_model()
        .ok()
        .and_then(|m| {
            m.areas
                .iter()
                .find(|a| a.id == area)
                .map(|a| a.title.clone())
        })
        .unwrap_or_else(|| area.to_owned())
}

/// Exports a tenant's responsibility line as of `now` as an OSCAL SSP.
///
/// # Errors
/// On a store error or an unknown tenant.
pub async fn export_tenant_ssp(
    store: &Store,
    tenant: &TenantId,
    now: DateTime<Utc>,
) -> Result<Value, AppError> {
    let t = store
        .get_tenant(tenant)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("tenant `{tenant}`")))?;
    let model = aws_model()?;
    let arrangement = Arrangement::load(store, tenant).await?;
    let resolver = arrangement.resolver(model, now, now);
    let items = store.current_items(tenant).await?;
    let mut services: BTreeMap<String, shareline_engine::responsibility::Classification> =
        BTreeMap::new();
    for (r, _) in &items {
        let c = classify(model, r);
        let key = match &c.variant {
            Some(v) => format!("{} ({v})", c.service),
            None => c.service.clone(),
        };
        services.entry(key).or_insert(c);
    }
    let (provider, msp, customer) = (uuid(), uuid(), uuid());
    let mut components = vec![json!({
        "uuid": uuid(), "type": "this-system", "title": t.name,
        "description": format!("The cloud accounts of tenant {} as Shareline inventories them.", t.id),
        "status": {"state": "operational"},
    })];
    let mut component_ids = BTreeMap::new();
    for (name, c) in &services {
        let id = uuid();
        component_ids.insert(name.clone(), id.clone());
        components.push(json!({
            "uuid": id, "type": "service", "title": name,
            "description": format!("{name}, consumed as {}.", c.model),
            "props": [{"name": "service-model", "ns": NS, "value": c.model}],
            "status": {"state": "operational"},
        }));
    }
    let empty = BTreeMap::new();
    let mut requirements = Vec::new();
    for area in &model.area_ids() {
        let mut by_components = Vec::new();
        for (name, c) in &services {
            let s = shareline_engine::responsibility::Subject {
                class: c,
                account: "",
                resource_id: "",
                arn: "",
                tags: &empty,
            };
            let r = resolver.resolve(&s, area, now, now);
            let mut bc = json!({
                "component-uuid": component_ids[name],
                "uuid": uuid(),
                "description": format!("{} of {name}: owned by the {}.", area_title(area), r.owner),
                "props": [
                    {"name": "owner", "ns": NS, "value": r.owner.as_str()},
                    {"name": "layer", "ns": NS, "value": serde_json::to_value(r.layer).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()},
                ],
                "responsible-roles": [{"role-id": role(r.owner)}],
            });
            let provider_part = matches!(
                r.provider_cell,
                shareline_catalog::OwnerClass::Provider | shareline_catalog::OwnerClass::Shared
            ) || r.copied.contains(&Party::Provider);
            if provider_part {
                bc["inherited"] = json!([{
                    "uuid": uuid(),
                    "description": format!("The cloud provider covers its part of {} for {name} ({} source: {}).", area_title(area), c.model, r.source),
                    "responsible-roles": [{"role-id": "provider", "party-uuids": [provider]}],
                }]);
            }
            if r.owner != Party::Provider {
                let party_uuid = if r.owner == Party::Msp {
                    &msp
                } else {
                    &customer
                };
                let mut sat = json!({
                    "uuid": uuid(),
                    "description": format!("The {} configures and operates {} for {name}.", r.owner, area_title(area)),
                    "responsible-roles": [{"role-id": role(r.owner), "party-uuids": [party_uuid]}],
                });
                if let Some(a) = &r.assignment {
                    sat["remarks"] = json!(format!("Set by assignment {a}."));
                }
                if r.owner == Party::Nobody {
                    sat["description"] = json!(format!(
                        "Nobody owns {} for {name}: a gap.",
                        area_title(area)
                    ));
                }
                bc["satisfied"] = json!([sat]);
            }
            by_components.push(bc);
        }
        if by_components.is_empty() {
            continue;
        }
        requirements.push(json!({
            "uuid": uuid(),
            "control-id": format!("ra-{area}"),
            "by-components": by_components,
        }));
    }
    if requirements.is_empty() {
        return Err(AppError::Invalid(format!(
            "tenant `{tenant}` has no resources yet: there is nothing to describe"
        )));
    }
    let today = now.date_naive().to_string();
    Ok(json!({"system-security-plan": {
        "uuid": uuid(),
        "metadata": {
            "title": format!("Shared responsibility of {}", t.name),
            "last-modified": time(now),
            "version": time(now),
            "oscal-version": OSCAL_VERSION,
            "roles": roles(),
            "parties": [
                {"uuid": provider, "type": "organization", "name": "Amazon Web Services"},
                {"uuid": msp, "type": "organization", "name": "Managed service provider"},
                {"uuid": customer, "type": "organization", "name": t.name},
            ],
            "responsible-parties": [
                {"role-id": "provider", "party-uuids": [provider]},
                {"role-id": "msp", "party-uuids": [msp]},
                {"role-id": "customer", "party-uuids": [customer]},
            ],
        },
        "import-profile": {"href": AREA_PROFILE},
        "system-characteristics": {
            "system-ids": [{"identifier-type": "https://shareline.dev/tenant", "id": t.id.to_string()}],
            "system-name": t.name,
            "description": format!("The cloud estate of {} managed by its MSP.", t.name),
            "system-information": {"information-types": [{
                "title": "Customer workloads",
                "description": "The data and services of the customer's cloud accounts.",
            }]},
            "status": {"state": "operational"},
            "authorization-boundary": {"description": "The customer's cloud accounts registered in Shareline."},
        },
        "system-implementation": {
            "leveraged-authorizations": [
                {"uuid": uuid(), "title": "Amazon Web Services", "party-uuid": provider, "date-authorized": today},
                {"uuid": uuid(), "title": "MSP managed services", "party-uuid": msp, "date-authorized": today},
            ],
            "components": components,
        },
        "control-implementation": {
            "description": "Who owns each area of responsibility for each service the tenant uses.",
            "implemented-requirements": requirements,
        },
    }}))
}

fn target_text(t: &Target) -> String {
    match t {
        Target::All => "all".to_owned(),
        Target::ServiceModel { model } => format!("service-model:{model}"),
        Target::Service { service } => format!("service:{service}"),
        Target::Selector { .. } => "all".to_owned(),
    }
}

fn target_of(text: &str) -> Target {
    if let Some(m) = text.strip_prefix("service-model:") {
        Target::ServiceModel {
            model: m.to_owned(),
        }
    } else if let Some(s) = text.strip_prefix("service:") {
        Target::Service {
            service: s.to_owned(),
        }
    } else {
        Target::All
    }
}

/// Exports an offering's current assignments as an OSCAL customer
/// responsibility matrix (a leveraged SSP with `export`).
///
/// # Errors
/// [`AppError::NotFound`] for an unknown offering.
pub async fn export_offering_crm(store: &Store, offering: &str) -> Result<Value, AppError> {
    let o = store
        .list_offerings()
        .await?
        .into_iter()
        .find(|o| o.id == offering)
        .ok_or_else(|| AppError::NotFound(format!("offering `{offering}`")))?;
    let now = Utc::now();
    let rows = store.offering_assignments(offering).await?;
    // The latest recorded row per (area, target) that holds now.
    let mut current: BTreeMap<(String, String), &Assignment> = BTreeMap::new();
    for a in &rows {
        if a.valid_from <= now && a.valid_until.is_none_or(|u| now < u) {
            current.insert((a.area.clone(), target_text(&a.target)), a);
        }
    }
    let msp = uuid();
    let this = uuid();
    let mut by_area: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for ((area, target), a) in &current {
        let entry = json!({
            "uuid": uuid(),
            "description": format!("{} for {}: {}", area_title(area), target.replace(':', " "), a.reason),
            "responsible-roles": [{"role-id": if a.party == Party::Msp { "msp" } else { "customer" }}],
        });
        let export = if a.party == Party::Msp {
            json!({"provided": [entry]})
        } else {
            json!({"responsibilities": [entry]})
        };
        by_area.entry(area.as_str()).or_default().push(json!({
            "component-uuid": this,
            "uuid": uuid(),
            "description": format!("{} for {}.", area_title(area), target.replace(':', " ")),
            "props": [{"name": "target", "ns": NS, "value": target}],
            "export": export,
        }));
    }
    let requirements: Vec<Value> = by_area
        .into_iter()
        .map(|(area, bcs)| json!({"uuid": uuid(), "control-id": format!("ra-{area}"), "by-components": bcs}))
        .collect();
    if requirements.is_empty() {
        return Err(AppError::Invalid(format!(
            "offering `{offering}` has no assignments in force"
        )));
    }
    Ok(json!({"system-security-plan": {
        "uuid": uuid(),
        "metadata": {
            "title": format!("{}: customer responsibility matrix", o.name),
            "last-modified": time(now),
            "version": time(now),
            "oscal-version": OSCAL_VERSION,
            "roles": roles(),
            "parties": [{"uuid": msp, "type": "organization", "name": "Managed service provider"}],
            "responsible-parties": [{"role-id": "msp", "party-uuids": [msp]}],
        },
        "import-profile": {"href": AREA_PROFILE},
        "system-characteristics": {
            "system-ids": [{"identifier-type": "https://shareline.dev/offering", "id": o.id}],
            "system-name": o.name,
            "description": if o.description.is_empty() { format!("The MSP offering {}.", o.id) } else { o.description.clone() },
            "system-information": {"information-types": [{
                "title": "Managed services",
                "description": "What the MSP operates for the customers that buy this offering.",
            }]},
            "status": {"state": "operational"},
            "authorization-boundary": {"description": "The services the MSP provides under this offering."},
        },
        "system-implementation": {"components": [{
            "uuid": this, "type": "this-system", "title": o.name,
            "description": "The offering as a whole.", "status": {"state": "operational"},
        }]},
        "control-implementation": {
            "description": "What the MSP provides under this offering, and what stays with the customer.",
            "implemented-requirements": requirements,
        },
    }}))
}

/// Imports an OSCAL responsibility document into an offering: every
/// by-component `export.provided` becomes an MSP assignment, every
/// `export.responsibilities` a customer one, for the area its `ra-<area>`
/// control names.
///
/// # Errors
/// [`AppError::Import`] naming the file and the JSON path that is wrong.
pub async fn import_crm(
    store: &Store,
    offering: &str,
    path: &Path,
    author: &str,
) -> Result<Vec<Assignment>, AppError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| AppError::Import(format!("{shown}: {e}")))?;
    if meta.len() > MAX_BYTES {
        return Err(AppError::Import(format!(
            "{shown}: larger than {MAX_BYTES} bytes"
        )));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| AppError::Import(format!("{shown}: {e}")))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| AppError::Import(format!("{shown}: not JSON: {e}")))?;
    let rows = parse_crm(&shown, &doc, offering, author, Utc::now())?;
    if rows.is_empty() {
        return Err(AppError::Import(format!(
            "{shown}: no by-component carries export.provided or export.responsibilities for an `ra-<area>` control"
        )));
    }
    store.append_assignments(None, &rows).await?;
    Ok(rows)
}

/// Reads the assignments out of a CRM document (pure, for tests).
///
/// # Errors
/// [`AppError::Import`] naming the JSON path that is wrong.
pub fn parse_crm(
    shown: &str,
    doc: &Value,
    offering: &str,
    author: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Assignment>, AppError> {
    let bad = |at: &str, what: &str| AppError::Import(format!("{shown}: {at}: {what}"));
    let ssp = doc.get("system-security-plan").ok_or_else(|| {
        bad(
            "$",
            "expected a `system-security-plan` (OSCAL puts export on an SSP's by-components)",
        )
    })?;
    let source = format!(
        "oscal:{}",
        ssp.get("uuid")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("$.system-security-plan.uuid", "missing"))?
    );
    let reqs = ssp
        .pointer("/control-implementation/implemented-requirements")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            bad(
                "$.system-security-plan.control-implementation.implemented-requirements",
                "missing or not a list",
            )
        })?;
    let mut out = Vec::new();
    for (i, req) in reqs.iter().enumerate() {
        let at = format!("implemented-requirements[{i}]");
        let control = req
            .get("control-id")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(&at, "no control-id"))?;
        let Some(area) = control.strip_prefix("ra-") else {
            continue;
        };
        if !aws_model()?.area_ids().contains(&area) {
            return Err(bad(
                &at,
                &format!("control `{control}` names no Shareline area"),
            ));
        }
        let mut bcs: Vec<&Value> = req
            .get("by-components")
            .and_then(Value::as_array)
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        for st in req
            .get("statements")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            bcs.extend(
                st.get("by-components")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        }
        for bc in bcs {
            let target = bc
                .get("props")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|p| {
                    p.get("name").and_then(Value::as_str) == Some("target")
                        && p.get("ns").and_then(Value::as_str) == Some(NS)
                })
                .and_then(|p| p.get("value").and_then(Value::as_str))
                .map_or(Target::All, target_of);
            for (key, party) in [
                ("provided", Party::Msp),
                ("responsibilities", Party::Customer),
            ] {
                for entry in bc
                    .pointer(&format!("/export/{key}"))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let description = entry
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .trim();
                    out.push(Assignment {
                        id: format!("asg-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
                        scope: Scope::Offering(offering.to_owned()),
                        area: area.to_owned(),
                        target: target.clone(),
                        party,
                        copied: Vec::new(),
                        valid_from: now,
                        valid_until: None,
                        recorded_at: now,
                        author: author.to_owned(),
                        reason: if description.is_empty() {
                            format!("imported from {source}")
                        } else {
                            description.chars().take(500).collect()
                        },
                        source: source.clone(),
                        accepted_at: None,
                    });
                }
            }
        }
    }
    Ok(out)
}
