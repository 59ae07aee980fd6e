//! Findings and their history, evaluations, mutes and per-tenant check
//! parameters. Everything is tenant-scoped; finding history is append-only.
//!
//! A finding that has not changed since it was first seen has no row of its
//! own: it is packed with the other such findings of its resource into one
//! `finding_passes` row (its entries in binary, compressed:
//! [`PackEntry::write`], [`crate::pack_blob`]; the table is named after
//! what it held first, passes only). Most findings never change, so an
//! evaluation writes about a row per resource and a row per finding with a
//! history, instead of a row per finding. Reads unpack them: callers see
//! one [`Finding`] per finding either way. The engine decides what goes where
//! ([`shareline_engine::place`]).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use shareline_catalog::Severity;
use shareline_engine::mutes::Mute;
use shareline_engine::responsibility::Party;
use shareline_engine::{CheckResult, Event, Finding, Packed, Status, finding_id};
use shareline_model::{Resource, ResourceKey, TenantId};

use crate::records::ts;
use crate::{Store, StoreError, now_ms, placeholders};

const FINDING_COLS: &str = "id, check_id, service, severity, status, muted_by, account_id, \
    region, resource_type, resource_id, arn, name, resource_hash, message, evidence, first_seen, \
    last_seen, status_since, resolved_at, reopened_count, removed_at, owner, copied";

/// Rows per multi-row INSERT (24 parameters each stays under SQLite's limit).
const BATCH: usize = 400;

/// Columns of a `finding_passes` row, in order.
/// `passes` holds the JSON of packs written before they were compressed,
/// `packed` the compressed entries of those written since (migration 0006).
const PASS_COLS: &str = "account_id, region, resource_type, resource_id, arn, name, \
    resource_hash, last_seen, passes, packed";

/// One packed finding of a `finding_passes` row: stored in binary
/// ([`PackEntry::write`]) and compressed ([`crate::pack_blob`]); packs
/// written before that are a JSON array with the short names below. It
/// holds nothing the row or the catalog already says: a resource has
/// dozens of entries and a first evaluation writes millions
/// (docs/benchmarks.md).
///
/// - Status: absent for PASS (packs written before failures were packed
///   hold only passes).
/// - Service and severity: absent when they are the catalog's for the
///   check. Packs written before this hold them always.
/// - First seen: absent when it is the row's `last_seen`, the time the
///   pack was written (on a first evaluation, every entry's).
#[derive(Debug, Deserialize)]
struct PackEntry<'a> {
    #[serde(rename = "c")]
    check_id: Cow<'a, str>,
    #[serde(rename = "z", default = "pass")]
    status: Status,
    #[serde(rename = "u", default)]
    muted_by: Option<Cow<'a, str>>,
    #[serde(rename = "s", default)]
    service: Option<Cow<'a, str>>,
    #[serde(rename = "v", default)]
    severity: Option<Severity>,
    #[serde(rename = "m")]
    message: Cow<'a, str>,
    #[serde(rename = "f", default)]
    field: Option<Cow<'a, str>>,
    /// A `null` value is kept as one (absent is `None`).
    #[serde(rename = "x", default, deserialize_with = "present")]
    value: Option<Cow<'a, Value>>,
    /// First seen, in milliseconds.
    #[serde(rename = "t", default)]
    first_seen: Option<i64>,
    #[serde(rename = "o", default)]
    owner: Option<Party>,
    #[serde(rename = "p", default)]
    copied: Vec<Party>,
    /// The resource's ARN, name and hash when they are not the row's: an
    /// account's own findings and its account-wide checks' share a key.
    #[serde(rename = "a", default)]
    arn: Option<Cow<'a, str>>,
    #[serde(rename = "n", default)]
    name: Option<Cow<'a, str>>,
    #[serde(rename = "h", default)]
    hash: Option<Cow<'a, str>>,
}

fn present<'de, 'a, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, Value>>, D::Error> {
    Value::deserialize(d).map(|v| Some(Cow::Owned(v)))
}

fn pass() -> Status {
    Status::Pass
}

/// The built-in catalog, which packs leave service and severity to.
fn catalog() -> Result<&'static shareline_checks::Catalog, StoreError> {
    shareline_checks::Catalog::builtin().map_err(|e| StoreError::Invalid(format!("catalog: {e}")))
}

/// A packed finding's service and severity when its entry leaves them to
/// the catalog. A check the catalog no longer has (its finding is removed
/// by the next evaluation) gets the service its id names and the lowest
/// severity.
fn catalog_facts(catalog: &shareline_checks::Catalog, check_id: &str) -> (String, Severity) {
    match catalog.check(check_id) {
        Some(c) => (c.service.to_owned(), c.meta.severity),
        None => (
            check_id.split('_').nth(1).unwrap_or_default().to_owned(),
            Severity::Informational,
        ),
    }
}

impl<'a> PackEntry<'a> {
    /// `f` as an entry of a pack whose row holds `row`'s ARN, name and hash
    /// and was written at `at` (milliseconds).
    fn of(f: &'a Finding, row: &CheckResult, at: i64, catalog: &shareline_checks::Catalog) -> Self {
        let r = &f.result;
        // The same resource's results share these: most compare by pointer.
        let unless_row = |mine: &'a Arc<str>, row: &Arc<str>| {
            (!Arc::ptr_eq(mine, row) && mine != row).then_some(Cow::Borrowed(&**mine))
        };
        let known = catalog.check(&r.check_id);
        let first_seen = f.first_seen.timestamp_millis();
        Self {
            arn: unless_row(&r.arn, &row.arn),
            name: unless_row(&r.name, &row.name),
            hash: unless_row(&r.resource_hash, &row.resource_hash),
            check_id: Cow::Borrowed(&r.check_id),
            status: r.status,
            muted_by: r.muted_by.as_deref().map(Cow::Borrowed),
            service: (known.map(|c| c.service) != Some(&*r.service))
                .then_some(Cow::Borrowed(&r.service)),
            severity: (known.map(|c| c.meta.severity) != Some(r.severity)).then_some(r.severity),
            message: Cow::Borrowed(&r.evidence.message),
            field: r.evidence.field.as_deref().map(Cow::Borrowed),
            value: r.evidence.value.as_ref().map(Cow::Borrowed),
            first_seen: (first_seen != at).then_some(first_seen),
            owner: r.owner,
            copied: r.copied.clone(),
        }
    }
}

/// Which optional parts a stored entry carries ([`PackEntry::write`]).
mod part {
    pub(super) const STATUS: u16 = 1;
    pub(super) const MUTED_BY: u16 = 1 << 1;
    pub(super) const SERVICE: u16 = 1 << 2;
    pub(super) const SEVERITY: u16 = 1 << 3;
    pub(super) const FIELD: u16 = 1 << 4;
    pub(super) const VALUE: u16 = 1 << 5;
    pub(super) const FIRST_SEEN: u16 = 1 << 6;
    pub(super) const OWNER: u16 = 1 << 7;
    pub(super) const COPIED: u16 = 1 << 8;
    pub(super) const ARN: u16 = 1 << 9;
    pub(super) const NAME: u16 = 1 << 10;
    pub(super) const HASH: u16 = 1 << 11;
}

impl<'a> PackEntry<'a> {
    /// Appends the entry in the stored form: which optional parts follow
    /// (a little-endian `u16` of [`part`] bits), the check id, the message,
    /// then the parts present, in the bits' order. Texts are a LEB128
    /// length and UTF-8; enums their stable names; the value its JSON;
    /// first seen a little-endian `i64`; copied parties a count byte and
    /// their names. Binary rather than JSON: nothing to escape, nothing
    /// to parse back (docs/benchmarks.md).
    fn write(&self, out: &mut Vec<u8>) {
        let value = self.value.as_ref().map(|v| v.to_string());
        let bits = [
            (self.status != Status::Pass, part::STATUS),
            (self.muted_by.is_some(), part::MUTED_BY),
            (self.service.is_some(), part::SERVICE),
            (self.severity.is_some(), part::SEVERITY),
            (self.field.is_some(), part::FIELD),
            (value.is_some(), part::VALUE),
            (self.first_seen.is_some(), part::FIRST_SEEN),
            (self.owner.is_some(), part::OWNER),
            (!self.copied.is_empty(), part::COPIED),
            (self.arn.is_some(), part::ARN),
            (self.name.is_some(), part::NAME),
            (self.hash.is_some(), part::HASH),
        ]
        .into_iter()
        .filter(|(present, _)| *present)
        .fold(0u16, |acc, (_, bit)| acc | bit);
        out.extend_from_slice(&bits.to_le_bytes());
        text(out, &self.check_id);
        text(out, &self.message);
        if self.status != Status::Pass {
            text(out, self.status.as_str());
        }
        for t in [self.muted_by.as_deref(), self.service.as_deref()]
            .into_iter()
            .flatten()
        {
            text(out, t);
        }
        if let Some(v) = self.severity {
            text(out, v.as_str());
        }
        for t in [self.field.as_deref(), value.as_deref()]
            .into_iter()
            .flatten()
        {
            text(out, t);
        }
        if let Some(t) = self.first_seen {
            out.extend_from_slice(&t.to_le_bytes());
        }
        if let Some(o) = self.owner {
            text(out, o.as_str());
        }
        if !self.copied.is_empty() {
            out.push(u8::try_from(self.copied.len()).unwrap_or(u8::MAX));
            for p in self.copied.iter().take(usize::from(u8::MAX)) {
                text(out, p.as_str());
            }
        }
        for t in [
            self.arn.as_deref(),
            self.name.as_deref(),
            self.hash.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            text(out, t);
        }
    }

    /// Reads the entries [`PackEntry::write`] wrote one after another.
    fn read_all(mut input: &'a [u8]) -> Result<Vec<Self>, String> {
        let mut entries = Vec::new();
        while !input.is_empty() {
            entries.push(Self::read(&mut input)?);
        }
        Ok(entries)
    }

    fn read(input: &mut &'a [u8]) -> Result<Self, String> {
        let bits = u16::from_le_bytes(take::<2>(input)?);
        let has = |bit: u16| bits & bit != 0;
        let check_id = Cow::Borrowed(read_text(input)?);
        let message = Cow::Borrowed(read_text(input)?);
        let status = if has(part::STATUS) {
            Status::parse(read_text(input)?).map_err(|s| format!("status `{s}`"))?
        } else {
            Status::Pass
        };
        let optional = |input: &mut &'a [u8], bit: u16| -> Result<Option<&'a str>, String> {
            if has(bit) {
                read_text(input).map(Some)
            } else {
                Ok(None)
            }
        };
        let muted_by = optional(input, part::MUTED_BY)?.map(Cow::Borrowed);
        let service = optional(input, part::SERVICE)?.map(Cow::Borrowed);
        let severity = optional(input, part::SEVERITY)?
            .map(|v| Severity::parse(v).map_err(|v| format!("severity `{v}`")))
            .transpose()?;
        let field = optional(input, part::FIELD)?.map(Cow::Borrowed);
        let value = optional(input, part::VALUE)?
            .map(|v| {
                serde_json::from_str(v)
                    .map(Cow::Owned)
                    .map_err(|e| format!("value: {e}"))
            })
            .transpose()?;
        let first_seen = if has(part::FIRST_SEEN) {
            Some(i64::from_le_bytes(take::<8>(input)?))
        } else {
            None
        };
        let party = |p: &str| Party::parse(p).map_err(|p| format!("party `{p}`"));
        let owner = optional(input, part::OWNER)?.map(party).transpose()?;
        let mut copied = Vec::new();
        if has(part::COPIED) {
            let [n] = take::<1>(input)?;
            for _ in 0..n {
                copied.push(party(read_text(input)?)?);
            }
        }
        Ok(Self {
            check_id,
            status,
            muted_by,
            service,
            severity,
            message,
            field,
            value,
            first_seen,
            owner,
            copied,
            arn: optional(input, part::ARN)?.map(Cow::Borrowed),
            name: optional(input, part::NAME)?.map(Cow::Borrowed),
            hash: optional(input, part::HASH)?.map(Cow::Borrowed),
        })
    }
}

/// Appends a text: its length (LEB128), then its bytes.
fn text(out: &mut Vec<u8>, t: &str) {
    let mut n = t.len();
    while n >= 0x80 {
        out.push(u8::try_from(n & 0x7f).unwrap_or(0) | 0x80);
        n >>= 7;
    }
    out.push(u8::try_from(n).unwrap_or(0));
    out.extend_from_slice(t.as_bytes());
}

fn read_text<'a>(input: &mut &'a [u8]) -> Result<&'a str, String> {
    let mut n: usize = 0;
    for shift in (0..usize::BITS).step_by(7) {
        let [b] = take::<1>(input)?;
        n |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            let Some((bytes, rest)) = input.split_at_checked(n) else {
                return Err(format!("a text of {n} bytes runs past the end"));
            };
            *input = rest;
            return std::str::from_utf8(bytes).map_err(|e| format!("text: {e}"));
        }
    }
    Err("a text length does not end".into())
}

fn take<const N: usize>(input: &mut &[u8]) -> Result<[u8; N], String> {
    let Some((bytes, rest)) = input.split_first_chunk::<N>() else {
        return Err("entry cut short".into());
    };
    *input = rest;
    Ok(*bytes)
}

/// A `finding_passes` row's own columns, as read: what its entries share.
struct PackColumns {
    key: ResourceKey,
    arn: String,
    name: String,
    hash: String,
    /// When the pack was written (`last_seen`), in milliseconds.
    written: i64,
}

/// Unpacks a `finding_passes` row (selected as [`PASS_COLS`]).
fn unpack(tenant: &str, r: &AnyRow) -> Result<Vec<Finding>, StoreError> {
    let row = PackColumns {
        key: ResourceKey {
            account_id: r.try_get(0)?,
            region: r.try_get(1)?,
            resource_type: r.try_get(2)?,
            resource_id: r.try_get(3)?,
        },
        arn: r.try_get(4)?,
        name: r.try_get(5)?,
        hash: r.try_get(6)?,
        written: r.try_get(7)?,
    };
    let (passes, packed): (String, Option<Vec<u8>>) = (r.try_get(8)?, r.try_get(9)?);
    let corrupt = |e: String| {
        StoreError::Corrupt(format!("packed findings of `{}`: {e}", row.key.resource_id))
    };
    let catalog = catalog()?;
    read_entries(&passes, packed.as_deref(), |entries| {
        unpack_entries(tenant, &row, entries, catalog)
    })
    .map_err(corrupt)
}

/// Reads a row's entries from its `packed` blob, or from the JSON in
/// `passes` when it has none, and hands them to `f` (they borrow the
/// decompressed bytes).
fn read_entries<T>(
    passes: &str,
    packed: Option<&[u8]>,
    f: impl FnOnce(Vec<PackEntry<'_>>) -> T,
) -> Result<T, String> {
    match packed {
        Some(blob) => {
            let raw = crate::pack_blob::decode(blob)?;
            Ok(f(PackEntry::read_all(&raw)?))
        }
        None => Ok(f(json_entries(passes.as_bytes())?)),
    }
}

/// The entries of a pack written before packs were compressed: a JSON
/// array in the row's `passes`.
fn json_entries(passes: &[u8]) -> Result<Vec<PackEntry<'_>>, String> {
    serde_json::from_slice(passes).map_err(|e| e.to_string())
}

/// How many findings a `finding_passes` row holds.
pub(crate) fn pack_len(passes: String, packed: Option<Vec<u8>>) -> Result<usize, StoreError> {
    read_entries(&passes, packed.as_deref(), |entries| entries.len())
        .map_err(|e| StoreError::Corrupt(format!("packed findings: {e}")))
}

/// The findings of a pack's entries, completed from its row and the
/// catalog.
fn unpack_entries(
    tenant: &str,
    row: &PackColumns,
    entries: Vec<PackEntry<'_>>,
    catalog: &shareline_checks::Catalog,
) -> Vec<Finding> {
    let key = &row.key;
    // One key, ARN, name and hash for all of the resource's findings.
    let shared = Arc::new(key.clone());
    let (arn, name, hash): (Arc<str>, Arc<str>, Arc<str>) = (
        row.arn.as_str().into(),
        row.name.as_str().into(),
        row.hash.as_str().into(),
    );
    let last_seen = ts(row.written);
    entries
        .into_iter()
        .map(|e| {
            let first_seen = ts(e.first_seen.unwrap_or(row.written));
            let (service, severity) = match (e.service, e.severity) {
                (Some(s), Some(v)) => (s.into_owned(), v),
                (s, v) => {
                    let (service, severity) = catalog_facts(catalog, &e.check_id);
                    (s.map_or(service, Cow::into_owned), v.unwrap_or(severity))
                }
            };
            Finding {
                result: CheckResult {
                    id: finding_id(tenant, &e.check_id, key),
                    check_id: e.check_id.as_ref().into(),
                    key: shared.clone(),
                    arn: e.arn.map_or_else(|| arn.clone(), |a| a.as_ref().into()),
                    name: e.name.map_or_else(|| name.clone(), |n| n.as_ref().into()),
                    resource_hash: e.hash.map_or_else(|| hash.clone(), |h| h.as_ref().into()),
                    service: service.into(),
                    severity,
                    status: e.status,
                    muted_by: e.muted_by.map(Cow::into_owned),
                    evidence: shareline_checks::Evidence {
                        message: e.message.into_owned(),
                        field: e.field.map(Cow::into_owned),
                        value: e.value.map(Cow::into_owned),
                    },
                    owner: e.owner,
                    copied: e.copied,
                },
                first_seen,
                last_seen,
                status_since: first_seen,
                resolved_at: None,
                reopened_count: 0,
                removed_at: None,
            }
        })
        .collect()
}

/// True when a packed finding passes the filter (rows are filtered in
/// SQL; packed ones are all live, so `include_removed` does not matter).
fn keep(filter: &FindingFilter, f: &Finding) -> bool {
    let r = &f.result;
    (filter.statuses.is_empty() || filter.statuses.contains(&r.status))
        && (filter.severities.is_empty() || filter.severities.contains(&r.severity))
        && (filter.services.is_empty() || filter.services.iter().any(|s| **s == *r.service))
        && (filter.checks.is_empty() || filter.checks.iter().any(|c| **c == *r.check_id))
        && (filter.owners.is_empty() || r.owner.is_some_and(|o| filter.owners.contains(&o)))
}

/// The order findings are listed in: worst first, then by check and
/// resource (as the SQL's `ORDER BY`).
fn list_order(f: &Finding) -> (std::cmp::Reverse<Severity>, &str, &str, &str, &str) {
    let r = &f.result;
    (
        std::cmp::Reverse(r.severity),
        &r.check_id,
        &r.key.account_id,
        &r.key.region,
        &r.key.resource_id,
    )
}

/// A tenant's stored findings.
#[derive(Debug, Default)]
pub struct StoredFindings {
    /// Every finding, removed ones included.
    pub findings: Vec<Finding>,
    /// The ids of those stored as rows; the others are packed.
    pub rows: HashSet<String>,
}

/// Which findings to list.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    /// Stored statuses (`FAIL`, `MUTED`...); empty for all.
    pub statuses: Vec<Status>,
    /// Severities; empty for all.
    pub severities: Vec<Severity>,
    /// Check service directories (`s3`); empty for all.
    pub services: Vec<String>,
    /// Check ids; empty for all.
    pub checks: Vec<String>,
    /// Account ids; empty for all.
    pub accounts: Vec<String>,
    /// Owner parties; empty for all.
    pub owners: Vec<Party>,
    /// Include findings whose resource is gone.
    pub include_removed: bool,
    /// At most this many (default 10,000).
    pub limit: Option<i64>,
}

/// One evaluation run.
#[derive(Debug, Clone, Serialize)]
pub struct EvaluationRecord {
    /// Its id.
    pub id: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When its results were stored.
    pub finished_at: DateTime<Utc>,
    /// `full` or `incremental`.
    pub mode: String,
    /// Hash of what besides the inventory decides results (catalog,
    /// parameters, active mutes); a change forces a full evaluation.
    pub fingerprint: String,
    /// Resources evaluated.
    pub resources: i64,
    /// (check, resource) evaluations run.
    pub evaluations: i64,
    /// Results produced.
    pub results: i64,
    /// Findings written (new, changed, removed).
    pub changed: i64,
    /// Failing findings after the run.
    pub failing: i64,
}

/// A mute with its removal state.
#[derive(Debug, Clone, Serialize)]
pub struct MuteRecord {
    /// The mute.
    #[serde(flatten)]
    pub mute: Mute,
    /// When it was removed, if it was.
    pub removed_at: Option<DateTime<Utc>>,
    /// Who removed it.
    pub removed_by: Option<String>,
}

fn status_of(s: &str) -> Result<Status, StoreError> {
    Status::parse(s).map_err(|s| StoreError::Corrupt(format!("finding status `{s}`")))
}

fn finding_row(r: &AnyRow) -> Result<Finding, StoreError> {
    let evidence: Option<String> = r.try_get(14)?;
    let (field, value) = match evidence {
        Some(e) => {
            let v: Value = serde_json::from_str(&e)
                .map_err(|e| StoreError::Corrupt(format!("finding evidence: {e}")))?;
            (
                v.get("field").and_then(Value::as_str).map(str::to_owned),
                v.get("value").cloned(),
            )
        }
        None => (None, None),
    };
    let severity: String = r.try_get(3)?;
    let mut f = Finding {
        result: CheckResult {
            id: r.try_get(0)?,
            check_id: r.try_get(1)?,
            service: r.try_get(2)?,
            severity: Severity::parse(&severity)
                .map_err(|s| StoreError::Corrupt(format!("severity `{s}`")))?,
            status: status_of(&r.try_get::<String, _>(4)?)?,
            muted_by: r.try_get(5)?,
            key: Arc::new(ResourceKey {
                account_id: r.try_get(6)?,
                region: r.try_get(7)?,
                resource_type: r.try_get(8)?,
                resource_id: r.try_get(9)?,
            }),
            arn: r.try_get(10)?,
            name: r.try_get(11)?,
            resource_hash: r.try_get(12)?,
            evidence: shareline_checks::Evidence {
                message: r.try_get(13)?,
                field,
                value,
            },
            owner: None,
            copied: Vec::new(),
        },
        first_seen: ts(r.try_get(15)?),
        last_seen: ts(r.try_get(16)?),
        status_since: ts(r.try_get(17)?),
        resolved_at: r.try_get::<Option<i64>, _>(18)?.map(ts),
        reopened_count: r.try_get(19)?,
        removed_at: r.try_get::<Option<i64>, _>(20)?.map(ts),
    };
    let owner: Option<String> = r.try_get(21)?;
    let copied: Option<String> = r.try_get(22)?;
    f.result.owner = owner.as_deref().map(party_of).transpose()?;
    f.result.copied = copied
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|p| !p.is_empty())
        .map(party_of)
        .collect::<Result<_, _>>()?;
    Ok(f)
}

fn party_of(s: &str) -> Result<Party, StoreError> {
    Party::parse(s).map_err(|s| StoreError::Corrupt(format!("party `{s}`")))
}

fn parties_text(parties: &[Party]) -> Option<String> {
    (!parties.is_empty()).then(|| {
        parties
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(",")
    })
}

/// The evidence column: `{"field": ..., "value": ...}`, when there is either.
fn evidence_json(f: &Finding) -> Option<String> {
    #[derive(Serialize)]
    struct Stored<'a> {
        field: Option<&'a str>,
        value: Option<&'a Value>,
    }
    let e = &f.result.evidence;
    (e.field.is_some() || e.value.is_some()).then(|| {
        serde_json::to_string(&Stored {
            field: e.field.as_deref(),
            value: e.value.as_ref(),
        })
        .unwrap_or_default()
    })
}

/// When the tenant was last evaluated: every finding live then was seen
/// then, whatever its row says (see `apply_evaluation`).
async fn seen_at(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: &TenantId,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let at: Option<i64> =
        sqlx::query_scalar("SELECT MAX(started_at) FROM evaluations WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_one(&mut **tx)
            .await?;
    Ok(at.map(ts))
}

/// Brings a finding's last-seen up to the tenant's last evaluation when it
/// is live.
fn seen(f: &mut Finding, at: Option<DateTime<Utc>>) {
    if let Some(at) = at
        && f.removed_at.is_none()
        && f.last_seen < at
    {
        f.last_seen = at;
    }
}

/// Binds a history entry's seven values, in `finding_events` column order.
fn bind_event<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    tenant: &'q str,
    e: &'q Event,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    q.bind(tenant)
        .bind(e.finding_id.as_str())
        .bind(e.at.timestamp_millis())
        .bind(e.kind.as_str())
        .bind(e.from.map(Status::as_str))
        .bind(e.to.map(Status::as_str))
        .bind(e.message.as_str())
}

/// One resource's packed findings, ready to store: what
/// [`Store::apply_prepared`] writes into its `finding_passes` row.
#[derive(Debug)]
pub struct PackRow {
    key: ResourceKey,
    arn: String,
    name: String,
    hash: String,
    /// The evaluation's time, in milliseconds: the row's `last_seen`, which
    /// an entry's first seen defaults to.
    written: i64,
    /// The entries, in binary and compressed ([`crate::pack_blob`]); `None`
    /// when the resource has no packed finding left and loses its row.
    packed: Option<Vec<u8>>,
}

/// Builds the rows of `packed` (from [`shareline_engine::place`]) for an
/// evaluation at `at`. Pure: an evaluation builds them while the previous
/// one is being written, so that the writer, which evaluations wait for in
/// turn, only binds them (docs/benchmarks.md).
///
/// # Errors
/// When the built-in catalog cannot be read.
pub fn pack_rows(packed: &[Packed<'_>], at: DateTime<Utc>) -> Result<Vec<PackRow>, StoreError> {
    let at = at.timestamp_millis();
    let catalog = catalog()?;
    // One buffer for every pack's entries, which are compressed right away.
    let mut raw = Vec::new();
    packed
        .iter()
        .map(|p| {
            // The row holds the first finding's ARN, name and hash; an
            // entry holds its own only when they differ.
            let Some(first) = p.findings.first() else {
                return Ok(PackRow {
                    key: p.key.clone(),
                    arn: String::new(),
                    name: String::new(),
                    hash: String::new(),
                    written: at,
                    packed: None,
                });
            };
            let row = &first.result;
            raw.clear();
            for f in &p.findings {
                PackEntry::of(f, row, at, catalog).write(&mut raw);
            }
            Ok(PackRow {
                key: p.key.clone(),
                arn: row.arn.to_string(),
                name: row.name.to_string(),
                hash: row.resource_hash.to_string(),
                written: at,
                packed: Some(crate::pack_blob::encode(&raw)),
            })
        })
        .collect()
}

impl Store {
    /// The tenant's current inventory: every live resource with the hash of
    /// its current version.
    ///
    /// # Errors
    /// On a database error or a stored document that does not decode.
    pub async fn current_items(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<(Resource, String)>, StoreError> {
        use futures::TryStreamExt as _;
        let mut tx = self.tenant_tx(tenant).await?;
        let mut out = Vec::new();
        {
            let mut rows = sqlx::query(
                "SELECT v.document, r.content_hash FROM resources r JOIN resource_versions v \
                 ON v.rid = r.rid AND v.version = r.version \
                 WHERE r.tenant_id = $1 AND v.tenant_id = $1 AND r.deleted_at IS NULL \
                 AND v.document IS NOT NULL",
            )
            .bind(tenant.as_str())
            .fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                // Borrowed from the row: a million documents are not
                // copied into strings only to be parsed and dropped.
                let doc: &str = row.try_get(0)?;
                let hash: String = row.try_get(1)?;
                let resource: Resource = serde_json::from_str(doc)
                    .map_err(|e| StoreError::Corrupt(format!("resource document: {e}")))?;
                out.push((resource, hash));
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Every finding of the tenant, removed ones included, and which of
    /// them are rows.
    ///
    /// # Errors
    /// On a database error or a corrupt pack.
    pub async fn load_findings(&self, tenant: &TenantId) -> Result<StoredFindings, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {FINDING_COLS} FROM findings WHERE tenant_id = $1"
        )))
        .bind(tenant.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let packed = self.packed_findings(&mut tx, tenant, &[]).await?;
        let at = seen_at(&mut tx, tenant).await?;
        tx.commit().await?;
        let mut out = StoredFindings {
            findings: rows.iter().map(finding_row).collect::<Result<_, _>>()?,
            rows: HashSet::new(),
        };
        out.rows = out.findings.iter().map(|f| f.result.id.clone()).collect();
        out.findings.extend(packed);
        for f in &mut out.findings {
            seen(f, at);
        }
        Ok(out)
    }

    /// The tenant's packed findings, of these accounts (all when empty).
    async fn packed_findings(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        tenant: &TenantId,
        accounts: &[String],
    ) -> Result<Vec<Finding>, StoreError> {
        let mut sql = format!("SELECT {PASS_COLS} FROM finding_passes WHERE tenant_id = $1");
        if !accounts.is_empty() {
            let marks: Vec<String> = (0..accounts.len()).map(|i| format!("${}", i + 2)).collect();
            sql.push_str(&format!(" AND account_id IN ({})", marks.join(", ")));
        }
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(tenant.as_str());
        for a in accounts {
            q = q.bind(a.as_str());
        }
        let rows = q.fetch_all(&mut **tx).await?;
        let mut out = Vec::new();
        for r in &rows {
            out.extend(unpack(tenant.as_str(), r)?);
        }
        Ok(out)
    }

    /// Stores one evaluation atomically: the changed findings' rows, the
    /// packed findings of the resources whose packs changed (a resource with
    /// none left loses its pack), the history entries and the run's record.
    ///
    /// # Errors
    /// On a database error; nothing is stored then.
    pub async fn apply_evaluation(
        &self,
        tenant: &TenantId,
        record: &EvaluationRecord,
        changed: &[&Finding],
        packed: &[Packed<'_>],
        events: &[Event],
    ) -> Result<(), StoreError> {
        let packs = pack_rows(packed, record.started_at)?;
        self.apply_prepared(tenant, record, changed, &packs, events)
            .await
    }

    /// [`Store::apply_evaluation`] with the packs already built by
    /// [`pack_rows`], which an evaluation does beside the writer.
    ///
    /// # Errors
    /// On a database error; nothing is stored then.
    pub async fn apply_prepared(
        &self,
        tenant: &TenantId,
        record: &EvaluationRecord,
        changed: &[&Finding],
        packs: &[PackRow],
        events: &[Event],
    ) -> Result<(), StoreError> {
        let t = tenant.as_str();
        let mut tx = self.tenant_tx(tenant).await?;
        let clock = std::time::Instant::now();
        let updates = FINDING_COLS
            .split(',')
            .map(str::trim)
            .filter(|c| *c != "id")
            .map(|c| format!("{c} = excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        for chunk in changed.chunks(BATCH) {
            let sql = format!(
                "INSERT INTO findings (tenant_id, {FINDING_COLS}) VALUES {} \
                 ON CONFLICT (tenant_id, id) DO UPDATE SET {updates}",
                placeholders(self.backend, chunk.len(), 24)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for f in chunk {
                let r = &f.result;
                q = q
                    .bind(t)
                    .bind(r.id.as_str())
                    .bind(&*r.check_id)
                    .bind(&*r.service)
                    .bind(r.severity.as_str())
                    .bind(r.status.as_str())
                    .bind(r.muted_by.clone())
                    .bind(r.key.account_id.as_str())
                    .bind(r.key.region.as_str())
                    .bind(r.key.resource_type.as_str())
                    .bind(r.key.resource_id.as_str())
                    .bind(&*r.arn)
                    .bind(&*r.name)
                    .bind(&*r.resource_hash)
                    .bind(r.evidence.message.as_str())
                    .bind(evidence_json(f))
                    .bind(f.first_seen.timestamp_millis())
                    .bind(f.last_seen.timestamp_millis())
                    .bind(f.status_since.timestamp_millis())
                    .bind(f.resolved_at.map(|d| d.timestamp_millis()))
                    .bind(f.reopened_count)
                    .bind(f.removed_at.map(|d| d.timestamp_millis()))
                    .bind(r.owner.map(|p| p.as_str()))
                    .bind(parties_text(&r.copied));
            }
            q.execute(&mut *tx).await?;
        }
        let rows_ms = clock.elapsed().as_millis();
        let clock = std::time::Instant::now();
        self.write_packed(&mut tx, t, packs).await?;
        let packed_ms = clock.elapsed().as_millis();
        let clock = std::time::Instant::now();
        // A finding's first entry is stored with its first change
        // (`shareline_engine::first_entry`); one stored by an earlier
        // version at the finding's creation is not stored twice.
        let (firsts, events): (Vec<&Event>, Vec<&Event>) =
            events.iter().partition(|e| e.kind == "new");
        for e in firsts {
            let q = sqlx::query(
                "INSERT INTO finding_events (tenant_id, finding_id, at, kind, from_status, \
                 to_status, message) SELECT $1, $2, $3, $4, $5, $6, $7 WHERE NOT EXISTS \
                 (SELECT 1 FROM finding_events WHERE tenant_id = $1 AND finding_id = $2 \
                 AND kind = $4)",
            );
            bind_event(q, t, e).execute(&mut *tx).await?;
        }
        for chunk in events.chunks(BATCH) {
            let sql = format!(
                "INSERT INTO finding_events (tenant_id, finding_id, at, kind, from_status, \
                 to_status, message) VALUES {}",
                placeholders(self.backend, chunk.len(), 7)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for e in chunk {
                q = bind_event(q, t, e);
            }
            q.execute(&mut *tx).await?;
        }
        let events_ms = clock.elapsed().as_millis();
        let clock = std::time::Instant::now();
        // Every live finding was seen by this run. That is not written to
        // each row (an evaluation would rewrite every finding of the tenant):
        // reads take it from the run's record (`seen_at`).
        sqlx::query(
            "INSERT INTO evaluations (tenant_id, id, started_at, finished_at, mode, fingerprint, \
             resources, evaluations, results, changed, failing) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(t)
        .bind(record.id.as_str())
        .bind(record.started_at.timestamp_millis())
        .bind(record.finished_at.timestamp_millis())
        .bind(record.mode.as_str())
        .bind(record.fingerprint.as_str())
        .bind(record.resources)
        .bind(record.evaluations)
        .bind(record.results)
        .bind(record.changed)
        .bind(record.failing)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.checkpoint_behind();
        // Where a write's time goes (docs/benchmarks.md): the finding rows,
        // the packs, the history, and the run's record with the commit.
        tracing::debug!(
            rows_ms,
            packed_ms,
            events_ms,
            finish_ms = clock.elapsed().as_millis(),
            "evaluation stored"
        );
        Ok(())
    }

    /// Replaces the packed findings of each resource in `packs`.
    async fn write_packed(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        t: &str,
        packs: &[PackRow],
    ) -> Result<(), StoreError> {
        let mut full = Vec::with_capacity(packs.len());
        for p in packs {
            if p.packed.is_some() {
                full.push(p);
                continue;
            }
            sqlx::query(
                "DELETE FROM finding_passes WHERE tenant_id = $1 AND account_id = $2 \
                 AND region = $3 AND resource_type = $4 AND resource_id = $5",
            )
            .bind(t)
            .bind(p.key.account_id.as_str())
            .bind(p.key.region.as_str())
            .bind(p.key.resource_type.as_str())
            .bind(p.key.resource_id.as_str())
            .execute(&mut **tx)
            .await?;
        }
        for chunk in full.chunks(BATCH) {
            let sql = format!(
                "INSERT INTO finding_passes (tenant_id, {PASS_COLS}) VALUES {} \
                 ON CONFLICT (tenant_id, account_id, region, resource_type, resource_id) \
                 DO UPDATE SET arn = excluded.arn, name = excluded.name, \
                 resource_hash = excluded.resource_hash, last_seen = excluded.last_seen, \
                 passes = excluded.passes, packed = excluded.packed",
                placeholders(self.backend, chunk.len(), 11)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for p in chunk {
                q = q
                    .bind(t)
                    .bind(p.key.account_id.as_str())
                    .bind(p.key.region.as_str())
                    .bind(p.key.resource_type.as_str())
                    .bind(p.key.resource_id.as_str())
                    .bind(p.arn.as_str())
                    .bind(p.name.as_str())
                    .bind(p.hash.as_str())
                    .bind(p.written)
                    .bind("")
                    .bind(p.packed.as_deref());
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// The tenant's latest evaluation.
    ///
    /// # Errors
    /// On a database error.
    pub async fn last_evaluation(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<EvaluationRecord>, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query(
            "SELECT id, started_at, finished_at, mode, fingerprint, resources, evaluations, \
             results, changed, failing FROM evaluations WHERE tenant_id = $1 \
             ORDER BY started_at DESC, finished_at DESC LIMIT 1",
        )
        .bind(tenant.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.map(|r| {
            Ok(EvaluationRecord {
                id: r.try_get(0)?,
                started_at: ts(r.try_get(1)?),
                finished_at: ts(r.try_get(2)?),
                mode: r.try_get(3)?,
                fingerprint: r.try_get(4)?,
                resources: r.try_get(5)?,
                evaluations: r.try_get(6)?,
                results: r.try_get(7)?,
                changed: r.try_get(8)?,
                failing: r.try_get(9)?,
            })
        })
        .transpose()
    }

    /// Lists findings, worst first.
    ///
    /// # Errors
    /// On a database error.
    pub async fn list_findings(
        &self,
        tenant: &TenantId,
        filter: &FindingFilter,
    ) -> Result<Vec<Finding>, StoreError> {
        let mut sql = format!("SELECT {FINDING_COLS} FROM findings WHERE tenant_id = $1");
        let mut args: Vec<String> = Vec::new();
        let mut any_of = |col: &str, values: Vec<String>, sql: &mut String| {
            if values.is_empty() {
                return;
            }
            let marks: Vec<String> = values
                .into_iter()
                .map(|v| {
                    args.push(v);
                    format!("${}", args.len() + 1)
                })
                .collect();
            sql.push_str(&format!(" AND {col} IN ({})", marks.join(", ")));
        };
        any_of(
            "status",
            filter
                .statuses
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            &mut sql,
        );
        any_of(
            "severity",
            filter
                .severities
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            &mut sql,
        );
        any_of("service", filter.services.clone(), &mut sql);
        any_of("check_id", filter.checks.clone(), &mut sql);
        any_of("account_id", filter.accounts.clone(), &mut sql);
        any_of(
            "owner",
            filter
                .owners
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            &mut sql,
        );
        if !filter.include_removed {
            sql.push_str(" AND removed_at IS NULL");
        }
        sql.push_str(&format!(
            " ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 \
             WHEN 'low' THEN 3 ELSE 4 END, check_id, account_id, region, resource_id LIMIT ${}",
            args.len() + 2
        ));
        let mut tx = self.tenant_tx(tenant).await?;
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(tenant.as_str());
        for a in &args {
            q = q.bind(a.as_str());
        }
        let limit = filter.limit.unwrap_or(10_000).clamp(1, 10_000_000);
        let rows = q.bind(limit).fetch_all(&mut *tx).await?;
        // Packed findings are live, of any status: filtered here.
        let packed = self
            .packed_findings(&mut tx, tenant, &filter.accounts)
            .await?;
        let at = seen_at(&mut tx, tenant).await?;
        tx.commit().await?;
        let mut out: Vec<Finding> = rows.iter().map(finding_row).collect::<Result<_, _>>()?;
        if !packed.is_empty() {
            out.extend(packed.into_iter().filter(|f| keep(filter, f)));
            out.sort_by(|a, b| list_order(a).cmp(&list_order(b)));
            out.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        }
        for f in &mut out {
            seen(f, at);
        }
        Ok(out)
    }

    /// One finding.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the tenant has no such finding.
    pub async fn get_finding(&self, tenant: &TenantId, id: &str) -> Result<Finding, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {FINDING_COLS} FROM findings WHERE tenant_id = $1 AND id = $2"
        )))
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let at = seen_at(&mut tx, tenant).await?;
        let mut found = match row {
            Some(r) => finding_row(&r)?,
            // A packed finding: its id is derived, so look through the packs.
            None => self
                .packed_findings(&mut tx, tenant, &[])
                .await?
                .into_iter()
                .find(|f| f.result.id == id)
                .ok_or_else(|| StoreError::NotFound(format!("finding `{id}`")))?,
        };
        tx.commit().await?;
        seen(&mut found, at);
        Ok(found)
    }

    /// A finding's history, oldest first.
    ///
    /// # Errors
    /// On a database error.
    pub async fn finding_events(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Vec<Event>, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(
            "SELECT finding_id, at, kind, from_status, to_status, message FROM finding_events \
             WHERE tenant_id = $1 AND finding_id = $2 ORDER BY seq",
        )
        .bind(tenant.as_str())
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let from: Option<String> = r.try_get(3)?;
                let to: Option<String> = r.try_get(4)?;
                Ok(Event {
                    finding_id: r.try_get(0)?,
                    at: ts(r.try_get(1)?),
                    kind: r.try_get(2)?,
                    from: from.as_deref().map(status_of).transpose()?,
                    to: to.as_deref().map(status_of).transpose()?,
                    message: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// Stores new mutes, all or none.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when an id is taken; nothing is stored then.
    pub async fn add_mutes(&self, tenant: &TenantId, mutes: &[Mute]) -> Result<(), StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        for mute in mutes {
            let definition = serde_json::to_string(mute)
                .map_err(|e| StoreError::Invalid(format!("mute: {e}")))?;
            let done = sqlx::query(
                "INSERT INTO mutes (tenant_id, id, definition, reason, author, source, created_at, \
                 expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(tenant.as_str())
            .bind(mute.id.as_str())
            .bind(definition)
            .bind(mute.reason.as_str())
            .bind(mute.author.as_str())
            .bind(mute.source.as_str())
            .bind(mute.created_at.timestamp_millis())
            .bind(mute.expires_at.timestamp_millis())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict(format!("mute `{}`", mute.id)));
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The tenant's mutes, oldest first; removed ones only when asked.
    ///
    /// # Errors
    /// On a database error or a corrupt definition.
    pub async fn list_mutes(
        &self,
        tenant: &TenantId,
        include_removed: bool,
    ) -> Result<Vec<MuteRecord>, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(
            "SELECT definition, removed_at, removed_by FROM mutes WHERE tenant_id = $1 \
             ORDER BY created_at, id",
        )
        .bind(tenant.as_str())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let def: String = r.try_get(0)?;
            let removed_at = r.try_get::<Option<i64>, _>(1)?.map(ts);
            if removed_at.is_some() && !include_removed {
                continue;
            }
            out.push(MuteRecord {
                mute: serde_json::from_str(&def)
                    .map_err(|e| StoreError::Corrupt(format!("mute definition: {e}")))?,
                removed_at,
                removed_by: r.try_get(2)?,
            });
        }
        Ok(out)
    }

    /// Removes a mute (kept, marked removed, for the record).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the tenant has no such active mute.
    pub async fn remove_mute(
        &self,
        tenant: &TenantId,
        id: &str,
        by: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let done = sqlx::query(
            "UPDATE mutes SET removed_at = $3, removed_by = $4 WHERE tenant_id = $1 AND id = $2 \
             AND removed_at IS NULL",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(now_ms())
        .bind(by)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("mute `{id}`")));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets (or with `None` clears) a tenant's parameter overrides for a check.
    ///
    /// # Errors
    /// On a database error.
    pub async fn set_check_params(
        &self,
        tenant: &TenantId,
        check_id: &str,
        params: Option<&shareline_checks::Params>,
    ) -> Result<(), StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        match params {
            Some(p) if !p.is_empty() => {
                let text = serde_json::to_string(p)
                    .map_err(|e| StoreError::Invalid(format!("params: {e}")))?;
                sqlx::query(
                    "INSERT INTO check_params (tenant_id, check_id, params, updated_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, check_id) \
                     DO UPDATE SET params = excluded.params, updated_at = excluded.updated_at",
                )
                .bind(tenant.as_str())
                .bind(check_id)
                .bind(text)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            }
            _ => {
                sqlx::query("DELETE FROM check_params WHERE tenant_id = $1 AND check_id = $2")
                    .bind(tenant.as_str())
                    .bind(check_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// A tenant's parameter overrides, by check id.
    ///
    /// # Errors
    /// On a database error or corrupt stored parameters.
    pub async fn check_params(
        &self,
        tenant: &TenantId,
    ) -> Result<HashMap<String, shareline_checks::Params>, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query("SELECT check_id, params FROM check_params WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get(1)?;
                let params = serde_json::from_str(&text)
                    .map_err(|e| StoreError::Corrupt(format!("check params: {e}")))?;
                Ok((r.try_get(0)?, params))
            })
            .collect()
    }

    /// The longest a mute may last for this tenant, in days.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown tenant.
    pub async fn mute_max_days(&self, tenant: &TenantId) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT mute_max_days FROM tenants WHERE id = $1")
            .bind(tenant.as_str())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(r.try_get(0)?),
            None => Err(StoreError::NotFound(format!("tenant `{tenant}`"))),
        }
    }

    /// Sets the longest a mute may last for this tenant, in days.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown tenant.
    pub async fn set_mute_max_days(&self, tenant: &TenantId, days: i64) -> Result<(), StoreError> {
        if !(1..=3650).contains(&days) {
            return Err(StoreError::Invalid(format!(
                "mute maximum {days} days: use 1..=3650"
            )));
        }
        let done = sqlx::query("UPDATE tenants SET mute_max_days = $2 WHERE id = $1")
            .bind(tenant.as_str())
            .bind(days)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("tenant `{tenant}`")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]
    use super::*;

    fn row() -> PackColumns {
        PackColumns {
            key: ResourceKey {
                account_id: "111111111111".into(),
                region: "us-east-1".into(),
                resource_type: "AWS::S3::Bucket".into(),
                resource_id: "logs".into(),
            },
            arn: "arn:aws:s3:::logs".into(),
            name: "logs".into(),
            hash: "h1".into(),
            written: 1_764_000_000_000,
        }
    }

    fn finding(check_id: &str, service: &str, severity: Severity, first_seen: i64) -> Finding {
        let row = row();
        let at = ts(first_seen);
        Finding {
            result: CheckResult {
                id: finding_id("acme", check_id, &row.key),
                check_id: check_id.into(),
                key: row.key.into(),
                arn: row.arn.into(),
                name: row.name.into(),
                resource_hash: row.hash.into(),
                service: service.into(),
                severity,
                status: Status::Pass,
                muted_by: None,
                evidence: shareline_checks::Evidence {
                    message: "logs keeps versions".into(),
                    field: None,
                    value: None,
                },
                owner: Some(Party::Customer),
                copied: Vec::new(),
            },
            first_seen: at,
            last_seen: ts(row.written),
            status_since: at,
            resolved_at: None,
            reopened_count: 0,
            removed_at: None,
        }
    }

    #[test]
    fn entries_leave_out_what_the_row_and_the_catalog_say() {
        let catalog = catalog().unwrap();
        let row = row();
        let check = "aws_s3_bucket_versioning_enabled";
        let known = catalog.check(check).unwrap();
        let (service, severity) = (known.service, known.meta.severity);
        let other = if severity == Severity::Critical {
            Severity::Low
        } else {
            Severity::Critical
        };
        let plain = finding(check, service, severity, row.written);
        let odd = finding(check, "ec2", other, row.written - 60_000);
        let gone = finding("aws_s3_no_such_check", "s3", Severity::High, row.written);
        let entry = |f: &Finding| {
            let e = PackEntry::of(f, &plain.result, row.written, catalog);
            (e.service.is_some(), e.severity.is_some(), e.first_seen)
        };
        assert_eq!(entry(&plain), (false, false, None), "all said elsewhere");
        assert_eq!(entry(&odd), (true, true, Some(row.written - 60_000)));
        assert_eq!(entry(&gone), (true, true, None), "not in the catalog");
        let lean = encoded(&[&plain], &plain);
        assert!(lean.len() < encoded(&[&odd], &plain).len());

        // Each reads back whole, whatever it carries.
        let mut noisy = odd.clone();
        noisy.result.status = Status::Muted;
        noisy.result.muted_by = Some("m-1".into());
        noisy.result.evidence.field = Some("configuration.x".into());
        noisy.result.evidence.value = Some(serde_json::json!({"k": ["é", null, 1.5]}));
        noisy.result.copied = vec![Party::Msp, Party::Provider];
        noisy.result.arn = "arn:aws:::other".into();
        noisy.result.name = "other".into();
        noisy.result.resource_hash = "h2".into();
        let mut null_value = plain.clone();
        null_value.result.evidence.value = Some(Value::Null);
        let all = [&plain, &odd, &gone, &noisy, &null_value];
        let raw = encoded(&all, &plain);
        let back = unpack_entries("acme", &row, PackEntry::read_all(&raw).unwrap(), catalog);
        assert_eq!(back, all.map(Clone::clone));
    }

    fn encoded(findings: &[&Finding], row: &Finding) -> Vec<u8> {
        let catalog = catalog().unwrap();
        let mut raw = Vec::new();
        for f in findings {
            PackEntry::of(f, &row.result, row.last_seen.timestamp_millis(), catalog)
                .write(&mut raw);
        }
        raw
    }

    #[test]
    fn damaged_entries_are_refused_not_misread() {
        let plain = finding("aws_s3_bucket_versioning_enabled", "s3", Severity::High, 0);
        let raw = encoded(&[&plain, &plain], &plain);
        assert_eq!(PackEntry::read_all(&raw).unwrap().len(), 2);
        for cut in [1, 3, raw.len() / 2 + 1, raw.len() - 1] {
            assert!(PackEntry::read_all(&raw[..cut]).is_err(), "cut at {cut}");
        }
        // A length running past the end, and text that is not UTF-8.
        let mut long = encoded(&[&plain], &plain);
        long[2] = 0x7f;
        assert!(
            PackEntry::read_all(&long)
                .unwrap_err()
                .contains("past the end")
        );
        let mut bad = raw;
        bad[3] = 0xff;
        assert!(PackEntry::read_all(&bad).unwrap_err().contains("text"));
    }

    #[test]
    fn packs_of_the_earlier_format_still_read() {
        let catalog = catalog().unwrap();
        let row = row();
        let unpack = |pack: &str| {
            unpack_entries(
                "acme",
                &row,
                json_entries(pack.as_bytes()).unwrap(),
                catalog,
            )
        };
        let back = unpack(
            r#"[{"c":"aws_s3_bucket_versioning_enabled","s":"s3","v":"high","m":"ok","t":1763000000000,"o":"msp"}]"#,
        );
        let r = &back[0].result;
        assert_eq!((&*r.service, r.severity), ("s3", Severity::High));
        assert_eq!(back[0].first_seen, ts(1_763_000_000_000));
        assert_eq!(back[0].last_seen, ts(row.written));
        assert_eq!(r.owner, Some(Party::Msp));
        // A check the catalog no longer has: its id names the service.
        let back = unpack(r#"[{"c":"aws_rds_retired_check","m":"gone"}]"#);
        let r = &back[0].result;
        assert_eq!((&*r.service, r.severity), ("rds", Severity::Informational));
        assert_eq!(back[0].first_seen, ts(row.written));
        assert!(json_entries(b"[{").is_err());
    }
}
