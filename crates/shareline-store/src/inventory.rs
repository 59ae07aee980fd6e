//! Committing a collection into the versioned inventory, atomically.
//!
//! Resources arrive in batches over a channel (so a huge import streams with
//! bounded memory) and are written into a temporary staging table inside one
//! transaction. Set-based statements then add new resources, append a version
//! for every resource whose content hash changed, and mark deleted the
//! resources of the covered scopes that did not come back. Nothing is visible
//! to readers until the transaction commits; an error anywhere (a malformed
//! batch, a database error) rolls everything back.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use sqlx::{Any, Executor, Row, Transaction};
use tokio::sync::mpsc;

use shareline_model::{CollectionStatus, Resource, ResourceKey, TenantId};

use crate::records::insert_scopes;
use crate::{Backend, ScopeRecord, Store, StoreError, now_ms, placeholders};

/// A resource ready to store: its document and hash computed by the producer
/// (off the database's thread).
#[derive(Debug, Clone)]
pub struct StagedResource {
    key: ResourceKey,
    arn: String,
    name: String,
    hash: String,
    captured_at: i64,
    document: String,
}

impl StagedResource {
    /// Serializes and hashes a resource.
    ///
    /// # Errors
    /// When the resource does not serialize (it always should).
    pub fn new(resource: &Resource) -> Result<Self, StoreError> {
        Ok(Self {
            key: resource.key(),
            arn: resource.arn.clone(),
            name: resource.name.clone(),
            hash: resource.content_hash(),
            captured_at: resource.captured_at.timestamp_millis(),
            document: serde_json::to_string(resource)
                .map_err(|e| StoreError::Invalid(format!("resource does not serialize: {e}")))?,
        })
    }

    /// Returns the identity of the staged resource.
    pub fn key(&self) -> &ResourceKey {
        &self.key
    }

    fn key_hash(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.key.hash(&mut h);
        h.finish()
    }
}

/// One item of a collection.
#[derive(Debug, Clone)]
pub enum Staged {
    /// A resource as seen.
    Upsert(StagedResource),
    /// A scope the producer read completely (learned while streaming, such
    /// as the types and regions of an AWS Config snapshot); joins
    /// [`CommitPlan::covered`].
    Cover {
        /// The resource type.
        resource_type: String,
        /// The region, or `*`.
        region: String,
    },
    /// A resource reported deleted (AWS Config `ResourceDeleted`).
    Delete {
        /// Which resource.
        key: ResourceKey,
        /// When it was deleted.
        at: DateTime<Utc>,
    },
}

/// What a commit applies.
#[derive(Debug, Clone)]
pub struct CommitPlan {
    /// The collection begun with [`Store::begin_collection`].
    pub collection_id: String,
    /// The account collected.
    pub account_id: String,
    /// (resource type, region or `*`) pairs this collection read completely:
    /// resources there that did not come back are marked deleted. Scopes that
    /// failed are left out, so their last good data stays.
    pub covered: Vec<(String, String)>,
    /// Per service and region results.
    pub scopes: Vec<ScopeRecord>,
    /// `Succeeded` or `Partial`.
    pub status: CollectionStatus,
}

/// What a commit changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CommitStats {
    /// Resources received.
    pub resources: i64,
    /// New versions stored (new or changed resources).
    pub new_versions: i64,
    /// Resources marked deleted.
    pub deleted: i64,
}

/// Rows per multi-row insert into staging (9 parameters each).
const ROWS_PER_INSERT: usize = 400;

impl Store {
    /// Applies a collection to the inventory in one transaction, reading
    /// batches from `batches` until the channel closes. A batch that is an
    /// `Err` (the producer met bad input) aborts the commit: nothing of this
    /// collection becomes visible. On success the collection is marked with
    /// `plan.status` and its counts.
    ///
    /// # Errors
    /// The producer's error as [`StoreError::Invalid`], or a database error;
    /// the inventory is unchanged in both cases.
    pub async fn commit_collection(
        &self,
        tenant: &TenantId,
        plan: &CommitPlan,
        mut batches: mpsc::Receiver<Result<Vec<Staged>, String>>,
    ) -> Result<CommitStats, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        self.create_staging(&mut tx).await?;
        let mut stats = CommitStats::default();
        let mut round: HashSet<u64> = HashSet::new();
        let mut pending: Vec<StagedResource> = Vec::with_capacity(ROWS_PER_INSERT);
        let mut deletes: Vec<(ResourceKey, i64)> = Vec::new();
        let mut covered: Vec<(String, String)> = plan.covered.clone();
        while let Some(batch) = batches.recv().await {
            let batch = batch.map_err(StoreError::Invalid)?;
            for item in batch {
                match item {
                    Staged::Upsert(r) => {
                        if r.key.account_id != plan.account_id {
                            return Err(StoreError::Invalid(format!(
                                "resource `{}` belongs to account `{}`, not `{}`",
                                r.arn, r.key.account_id, plan.account_id
                            )));
                        }
                        // The same resource twice in one collection (a
                        // history file): apply what is staged first, so each
                        // sighting becomes its own version, in order.
                        if !round.insert(r.key_hash()) {
                            insert_staging(&mut tx, self.backend, &pending).await?;
                            pending.clear();
                            stats.new_versions += apply_round(&mut tx, tenant, plan).await?;
                            round.clear();
                            round.insert(r.key_hash());
                        }
                        stats.resources += 1;
                        pending.push(r);
                        if pending.len() >= ROWS_PER_INSERT {
                            insert_staging(&mut tx, self.backend, &pending).await?;
                            pending.clear();
                        }
                    }
                    Staged::Delete { key, at } => deletes.push((key, at.timestamp_millis())),
                    Staged::Cover {
                        resource_type,
                        region,
                    } => {
                        let scope = (resource_type, region);
                        if !covered.contains(&scope) {
                            covered.push(scope);
                        }
                    }
                }
            }
        }
        insert_staging(&mut tx, self.backend, &pending).await?;
        stats.new_versions += apply_round(&mut tx, tenant, plan).await?;
        stats.deleted += mark_absent_deleted(&mut tx, tenant, plan, &covered).await?;
        for (key, at) in &deletes {
            stats.deleted += mark_deleted(&mut tx, tenant, &plan.collection_id, key, *at).await?;
        }
        insert_scopes(&mut tx, tenant, &plan.collection_id, &plan.scopes).await?;
        sqlx::query(
            "UPDATE collections SET status = $1, finished_at = $2, resource_count = $3, \
             new_versions = $4, deleted_count = $5 WHERE tenant_id = $6 AND id = $7",
        )
        .bind(plan.status.as_str())
        .bind(now_ms())
        .bind(stats.resources)
        .bind(stats.new_versions)
        .bind(stats.deleted)
        .bind(tenant.as_str())
        .bind(&plan.collection_id)
        .execute(&mut *tx)
        .await?;
        if self.backend == Backend::Sqlite {
            tx.execute("DELETE FROM temp.staging").await?;
            tx.execute("DELETE FROM temp.covered").await?;
            tx.execute("DELETE FROM temp.seen").await?;
        }
        tx.commit().await?;
        self.checkpoint_behind();
        Ok(stats)
    }

    async fn create_staging(&self, tx: &mut Transaction<'static, Any>) -> Result<(), StoreError> {
        let suffix = match self.backend {
            Backend::Sqlite => ")",
            Backend::Postgres => ") ON COMMIT DROP",
        };
        let sql = format!(
            "CREATE TEMP TABLE IF NOT EXISTS staging (account_id TEXT NOT NULL, region TEXT NOT NULL, resource_type TEXT NOT NULL, \
             resource_id TEXT NOT NULL, arn TEXT NOT NULL, name TEXT NOT NULL, \
             content_hash TEXT NOT NULL, captured_at BIGINT NOT NULL, document TEXT NOT NULL, \
             rid BIGINT, changed BIGINT NOT NULL DEFAULT 0, new_version BIGINT, \
             PRIMARY KEY (account_id, region, resource_type, resource_id){suffix}"
        );
        sqlx::query(AssertSqlSafe(sql)).execute(&mut **tx).await?;
        let covered = format!(
            "CREATE TEMP TABLE IF NOT EXISTS covered (resource_type TEXT NOT NULL, region TEXT NOT NULL{suffix}"
        );
        sqlx::query(AssertSqlSafe(covered))
            .execute(&mut **tx)
            .await?;
        let seen = format!("CREATE TEMP TABLE IF NOT EXISTS seen (rid BIGINT PRIMARY KEY{suffix}");
        sqlx::query(AssertSqlSafe(seen)).execute(&mut **tx).await?;
        tx.execute("DELETE FROM staging").await?;
        tx.execute("DELETE FROM covered").await?;
        tx.execute("DELETE FROM seen").await?;
        Ok(())
    }
}

async fn insert_staging(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    rows: &[StagedResource],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO staging (account_id, region, resource_type, resource_id, arn, name, \
             content_hash, captured_at, document) VALUES {}",
            placeholders(backend, chunk.len(), 9)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(r.key.account_id.as_str())
                .bind(r.key.region.as_str())
                .bind(r.key.resource_type.as_str())
                .bind(r.key.resource_id.as_str())
                .bind(r.arn.as_str())
                .bind(r.name.as_str())
                .bind(r.hash.as_str())
                .bind(r.captured_at)
                .bind(r.document.as_str());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Applies what is staged: new resources, new versions for changed ones,
/// last-seen for all. Returns how many versions it added, and empties staging.
async fn apply_round(
    tx: &mut Transaction<'static, Any>,
    tenant: &TenantId,
    plan: &CommitPlan,
) -> Result<i64, StoreError> {
    let t = tenant.as_str();
    let c = plan.collection_id.as_str();
    sqlx::query(
        "INSERT INTO resources (tenant_id, account_id, region, resource_type, resource_id, arn, \
         name, content_hash, version, first_seen, last_seen, deleted_at, last_collection_id) \
         SELECT $1, s.account_id, s.region, s.resource_type, s.resource_id, s.arn, s.name, '', 0, \
         s.captured_at, s.captured_at, NULL, $2 FROM staging s WHERE NOT EXISTS (\
         SELECT 1 FROM resources r WHERE r.tenant_id = $1 AND r.account_id = s.account_id \
         AND r.region = s.region AND r.resource_type = s.resource_type \
         AND r.resource_id = s.resource_id)",
    )
    .bind(t)
    .bind(c)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE staging SET rid = r.rid, new_version = r.version + 1, \
         changed = CASE WHEN r.content_hash <> staging.content_hash OR r.deleted_at IS NOT NULL \
         THEN 1 ELSE 0 END \
         FROM resources r WHERE r.tenant_id = $1 AND r.account_id = staging.account_id \
         AND r.region = staging.region AND r.resource_type = staging.resource_type \
         AND r.resource_id = staging.resource_id",
    )
    .bind(t)
    .execute(&mut **tx)
    .await?;
    let added = sqlx::query(
        "INSERT INTO resource_versions (tenant_id, rid, version, content_hash, captured_at, \
         collection_id, document) SELECT $1, rid, new_version, content_hash, captured_at, $2, \
         document FROM staging WHERE changed = 1",
    )
    .bind(t)
    .bind(c)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    sqlx::query(
        "UPDATE resources SET arn = s.arn, name = s.name, content_hash = s.content_hash, \
         version = CASE WHEN s.changed = 1 THEN s.new_version ELSE resources.version END, \
         last_seen = s.captured_at, deleted_at = NULL, last_collection_id = $2 \
         FROM staging s WHERE resources.tenant_id = $1 AND resources.rid = s.rid",
    )
    .bind(t)
    .bind(c)
    .execute(&mut **tx)
    .await?;
    // Keep what this round saw, for the deletion pass at the end.
    tx.execute("INSERT INTO seen (rid) SELECT rid FROM staging WHERE rid IS NOT NULL ON CONFLICT DO NOTHING")
        .await?;
    tx.execute("DELETE FROM staging").await?;
    i64::try_from(added).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Marks deleted the live resources of the covered scopes that this
/// collection did not see, appending a deletion marker version.
async fn mark_absent_deleted(
    tx: &mut Transaction<'static, Any>,
    tenant: &TenantId,
    plan: &CommitPlan,
    covered: &[(String, String)],
) -> Result<i64, StoreError> {
    if covered.is_empty() {
        return Ok(0);
    }
    for (ty, region) in covered {
        sqlx::query("INSERT INTO covered (resource_type, region) VALUES ($1, $2)")
            .bind(ty.as_str())
            .bind(region.as_str())
            .execute(&mut **tx)
            .await?;
    }
    let now = now_ms();
    let condition = "tenant_id = $1 AND account_id = $2 AND deleted_at IS NULL \
         AND EXISTS (SELECT 1 FROM covered c WHERE c.resource_type = resources.resource_type \
         AND (c.region = '*' OR c.region = resources.region)) \
         AND NOT EXISTS (SELECT 1 FROM seen s WHERE s.rid = resources.rid)";
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO resource_versions (tenant_id, rid, version, content_hash, captured_at, \
         collection_id, document) SELECT tenant_id, rid, version + 1, 'deleted', $3, $4, NULL \
         FROM resources WHERE {condition}"
    )))
    .bind(tenant.as_str())
    .bind(plan.account_id.as_str())
    .bind(now)
    .bind(plan.collection_id.as_str())
    .execute(&mut **tx)
    .await?;
    let n = sqlx::query(AssertSqlSafe(format!(
        "UPDATE resources SET deleted_at = $3, version = version + 1, content_hash = 'deleted', \
         last_collection_id = $4 WHERE {condition}"
    )))
    .bind(tenant.as_str())
    .bind(plan.account_id.as_str())
    .bind(now)
    .bind(plan.collection_id.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    i64::try_from(n).map_err(|e| StoreError::Invalid(e.to_string()))
}

async fn mark_deleted(
    tx: &mut Transaction<'static, Any>,
    tenant: &TenantId,
    collection_id: &str,
    key: &ResourceKey,
    at: i64,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT rid FROM resources WHERE tenant_id = $1 AND account_id = $2 AND region = $3 \
         AND resource_type = $4 AND resource_id = $5 AND deleted_at IS NULL",
    )
    .bind(tenant.as_str())
    .bind(key.account_id.as_str())
    .bind(key.region.as_str())
    .bind(key.resource_type.as_str())
    .bind(key.resource_id.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(0) };
    let rid: i64 = row.try_get(0)?;
    sqlx::query(
        "INSERT INTO resource_versions (tenant_id, rid, version, content_hash, captured_at, \
         collection_id, document) SELECT tenant_id, rid, version + 1, 'deleted', $3, $4, NULL \
         FROM resources WHERE tenant_id = $1 AND rid = $2",
    )
    .bind(tenant.as_str())
    .bind(rid)
    .bind(at)
    .bind(collection_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE resources SET deleted_at = $3, version = version + 1, content_hash = 'deleted', \
         last_collection_id = $4 WHERE tenant_id = $1 AND rid = $2",
    )
    .bind(tenant.as_str())
    .bind(rid)
    .bind(at)
    .bind(collection_id)
    .execute(&mut **tx)
    .await?;
    Ok(1)
}
