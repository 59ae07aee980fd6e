//! Import of AWS Config snapshot and history files (`configurationItems`
//! JSON, plain or gzip), streamed: the file is parsed item by item on a
//! blocking thread and sent in batches to the store, so memory stays bounded
//! whatever the file size. A malformed file is refused with its name and the
//! line and column of the fault, and nothing from it is stored.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shareline_model::{
    AwsAccountId, CollectionStatus, Relationship, Resource, ResourceKey, TenantId,
};
use shareline_store::{CommitPlan, CommitStats, Staged, StagedResource, Store};
use tokio::sync::mpsc;

use crate::AppError;

/// Items per batch sent to the store.
const BATCH: usize = 1000;

/// Counters a caller can watch while an import runs.
#[derive(Debug, Default)]
pub struct ImportProgress {
    /// Bytes read from the file (compressed size for gzip).
    pub bytes: AtomicU64,
    /// Configuration items parsed.
    pub items: AtomicU64,
}

/// The outcome of importing one file.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The file.
    pub file: PathBuf,
    /// The collection that holds it.
    pub collection_id: String,
    /// What the commit changed.
    pub stats: CommitStats,
    /// True when the file was a snapshot (its scopes mark absent resources deleted).
    pub snapshot: bool,
}

/// Imports one AWS Config file for `account_id` of `tenant`.
///
/// # Errors
/// [`AppError::Import`] naming the file and position of bad input;
/// [`AppError::NotFound`] for an account the tenant does not have. Nothing is
/// stored from a file that fails.
pub async fn import_aws_config(
    store: &Store,
    tenant: &TenantId,
    account_id: &str,
    path: &Path,
    progress: Arc<ImportProgress>,
) -> Result<ImportReport, AppError> {
    let account = AwsAccountId::parse(account_id)?;
    if store.get_account(tenant, account.as_str()).await?.is_none() {
        return Err(AppError::NotFound(format!(
            "account `{account}` in tenant `{tenant}` (add it first, e.g. \
             `shareline account add --tenant {tenant} --account-id {account} --import-only`)"
        )));
    }
    let file = File::open(path)
        .map_err(|e| AppError::Import(format!("cannot open `{}`: {e}", path.display())))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let collection_id = store
        .begin_collection(tenant, account.as_str(), &format!("import:{name}"))
        .await?;
    let plan = CommitPlan {
        collection_id: collection_id.clone(),
        account_id: account.to_string(),
        covered: Vec::new(),
        scopes: Vec::new(),
        status: CollectionStatus::Succeeded,
    };
    let (tx, rx) = mpsc::channel(4);
    let display = path.display().to_string();
    let acct = account.to_string();
    let parser = tokio::task::spawn_blocking(move || {
        let result = parse_file(file, &display, &acct, &tx, &progress);
        if let Err(msg) = &result {
            let _ = tx.blocking_send(Err(msg.clone()));
        }
        result
    });
    let committed = store.commit_collection(tenant, &plan, rx).await;
    let parsed = parser
        .await
        .map_err(|e| AppError::Import(format!("the parser stopped: {e}")))?;
    match (committed, parsed) {
        (Ok(stats), Ok(snapshot)) => {
            let detail = format!("imported {} resources from an export", stats.resources);
            store.record_activity(tenant, "succeeded", &detail).await?;
            Ok(ImportReport {
                file: path.to_path_buf(),
                collection_id,
                stats,
                snapshot,
            })
        }
        (_, Err(msg)) | (Err(shareline_store::StoreError::Invalid(msg)), _) => {
            store
                .abandon_collection(tenant, &collection_id, CollectionStatus::Failed, &msg, &[])
                .await?;
            Err(AppError::Import(msg))
        }
        (Err(e), _) => {
            let msg = format!("`{}`: could not store: {e}", path.display());
            store
                .abandon_collection(tenant, &collection_id, CollectionStatus::Failed, &msg, &[])
                .await?;
            Err(AppError::Import(msg))
        }
    }
}

/// A reader that counts the bytes it hands out.
struct Counting<R> {
    inner: R,
    progress: Arc<ImportProgress>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Parses a file, sending batches; returns whether it was a snapshot.
fn parse_file(
    file: File,
    display: &str,
    account: &str,
    tx: &mpsc::Sender<Result<Vec<Staged>, String>>,
    progress: &Arc<ImportProgress>,
) -> Result<bool, String> {
    let mut raw = BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: file,
            progress: Arc::clone(progress),
        },
    );
    let mut magic = [0u8; 2];
    let gz = {
        use std::io::BufRead;
        let head = raw
            .fill_buf()
            .map_err(|e| format!("`{display}`: cannot read: {e}"))?;
        if let Some(m) = head.get(..2) {
            magic.copy_from_slice(m);
        }
        magic == [0x1f, 0x8b]
    };
    let reader: Box<dyn Read> = if gz {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::read::MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    let mut sink = Sink {
        tx,
        account,
        batch: Vec::with_capacity(BATCH),
        items: 0,
        covered: HashSet::new(),
        snapshot: false,
        progress: Arc::clone(progress),
        saw_items: false,
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let res = Top(&mut sink).deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = res {
        return Err(describe(display, &e, sink.items));
    }
    if !sink.saw_items {
        return Err(format!(
            "`{display}`: not an AWS Config snapshot or history file (no `configurationItems`)"
        ));
    }
    if sink.snapshot {
        let mut covers: Vec<(String, String)> = sink.covered.drain().collect();
        covers.sort();
        for (resource_type, region) in covers {
            sink.batch.push(Staged::Cover {
                resource_type,
                region,
            });
        }
    }
    sink.flush().map_err(|e| format!("`{display}`: {e}"))?;
    Ok(sink.snapshot)
}

fn describe(display: &str, e: &serde_json::Error, items: u64) -> String {
    let what = e.to_string();
    if e.is_io() {
        return format!("`{display}`: cannot read: {what}");
    }
    let position = if e.line() > 0 {
        format!(" (line {}, column {})", e.line(), e.column())
    } else {
        String::new()
    };
    let text = what.split(" at line ").next().unwrap_or(&what);
    format!(
        "`{display}`: configuration item {}: {text}{position}",
        items + 1
    )
}

struct Sink<'a> {
    tx: &'a mpsc::Sender<Result<Vec<Staged>, String>>,
    account: &'a str,
    batch: Vec<Staged>,
    items: u64,
    covered: HashSet<(String, String)>,
    snapshot: bool,
    progress: Arc<ImportProgress>,
    saw_items: bool,
}

impl Sink<'_> {
    fn push(&mut self, item: ConfigItem) -> Result<(), String> {
        let staged = item.into_staged(self.account)?;
        if let Staged::Upsert(r) = &staged {
            let key = r.key();
            self.covered
                .insert((key.resource_type.clone(), key.region.clone()));
        }
        self.batch.push(staged);
        self.items += 1;
        self.progress.items.fetch_add(1, Ordering::Relaxed);
        if self.batch.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.tx
            .blocking_send(Ok(batch))
            .map_err(|_| "the store stopped receiving".to_owned())
    }
}

/// The top-level object: `{ "fileVersion", "configSnapshotId"?, "configurationItems": [...] }`.
struct Top<'a, 'b>(&'a mut Sink<'b>);

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an AWS Config file object with `configurationItems`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "configurationItems" => {
                    self.0.saw_items = true;
                    map.next_value_seed(Items(&mut *self.0))?;
                }
                "configSnapshotId" => {
                    self.0.snapshot = true;
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct Items<'a, 'b>(&'a mut Sink<'b>);

impl<'de> DeserializeSeed<'de> for Items<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of configuration items")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<ConfigItem>()? {
            self.0.push(item).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

/// One AWS Config configuration item (the fields Shareline keeps).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigItem {
    #[serde(alias = "accountId")]
    aws_account_id: Option<String>,
    configuration_item_capture_time: Option<String>,
    configuration_item_status: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<String>,
    resource_name: Option<String>,
    #[serde(rename = "ARN", alias = "arn")]
    arn: Option<String>,
    aws_region: Option<String>,
    #[serde(default)]
    tags: Value,
    #[serde(default)]
    relationships: Vec<ConfigRelationship>,
    #[serde(default)]
    configuration: Value,
    #[serde(default)]
    supplementary_configuration: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigRelationship {
    resource_type: Option<String>,
    resource_id: Option<String>,
    resource_name: Option<String>,
    relationship_name: Option<String>,
}

/// Parses a JSON value that AWS Config sometimes delivers as a string.
fn json_or_string(v: Value) -> Value {
    match v {
        Value::String(s) if s.starts_with('{') || s.starts_with('[') => {
            serde_json::from_str(&s).unwrap_or(Value::String(s))
        }
        other => other,
    }
}

impl ConfigItem {
    fn into_staged(self, account: &str) -> Result<Staged, String> {
        let missing = |f: &str| format!("missing `{f}`");
        let item_account = self.aws_account_id.ok_or_else(|| missing("awsAccountId"))?;
        if item_account != account {
            return Err(format!(
                "belongs to account `{item_account}`, not `{account}` given with --account"
            ));
        }
        let resource_type = self.resource_type.ok_or_else(|| missing("resourceType"))?;
        let resource_id = self.resource_id.ok_or_else(|| missing("resourceId"))?;
        let region = self.aws_region.ok_or_else(|| missing("awsRegion"))?;
        if !resource_type.starts_with("AWS::") || resource_type.split("::").count() != 3 {
            return Err(format!(
                "resource type `{resource_type}` is not like `AWS::S3::Bucket`"
            ));
        }
        let captured: DateTime<Utc> = match &self.configuration_item_capture_time {
            Some(t) => DateTime::parse_from_rfc3339(t)
                .map_err(|e| format!("capture time `{t}`: {e}"))?
                .with_timezone(&Utc),
            None => return Err(missing("configurationItemCaptureTime")),
        };
        let status = self.configuration_item_status.as_deref().unwrap_or("OK");
        if status == "ResourceDeleted" || status == "ResourceDeletedNotRecorded" {
            return Ok(Staged::Delete {
                key: ResourceKey {
                    account_id: item_account,
                    region,
                    resource_type,
                    resource_id,
                },
                at: captured,
            });
        }
        let arn = self.arn.unwrap_or_else(|| resource_id.clone());
        let mut r = Resource::new(&item_account, &region, &resource_type, &resource_id, &arn);
        r.name = self.resource_name.unwrap_or_else(|| resource_id.clone());
        r.tags = tags(self.tags);
        r.configuration = match json_or_string(self.configuration) {
            Value::Null => Value::Object(serde_json::Map::new()),
            v => v,
        };
        r.supplementary = match self.supplementary_configuration {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, json_or_string(v)))
                    .collect(),
            ),
            Value::Null => Value::Object(serde_json::Map::new()),
            other => other,
        };
        r.relationships = self
            .relationships
            .into_iter()
            .filter_map(|rel| {
                Some(Relationship {
                    kind: rel.relationship_name.unwrap_or_default(),
                    resource_type: rel.resource_type?,
                    resource_id: rel.resource_id.or(rel.resource_name)?,
                })
            })
            .collect();
        r.captured_at = captured;
        StagedResource::new(&r)
            .map(Staged::Upsert)
            .map_err(|e| e.to_string())
    }
}

/// Tags come as an object (`{"k": "v"}`) or a list (`[{"key", "value"}]`).
fn tags(v: Value) -> BTreeMap<String, String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match v {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|t| {
                let k = t.get("key").or_else(|| t.get("Key"))?;
                let v = t
                    .get("value")
                    .or_else(|| t.get("Value"))
                    .unwrap_or(&Value::Null);
                Some((text(k), text(v)))
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}
