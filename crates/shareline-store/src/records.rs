//! Tenants, accounts, collections and inventory reads.

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::AssertSqlSafe;
use sqlx::Row;
use sqlx::any::AnyRow;

use shareline_model::{CollectionStatus, Resource, TenantId};

use crate::{Store, StoreError, now_ms};

/// Converts stored milliseconds to a timestamp.
pub(crate) fn ts(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// One customer of the MSP.
#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    /// The slug.
    pub id: TenantId,
    /// The display name.
    pub name: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// One cloud account of a tenant, as stored. Credentials stay encrypted here.
#[derive(Debug, Clone, Serialize)]
pub struct AccountRecord {
    /// The cloud's account id.
    pub account_id: String,
    /// `aws`.
    pub provider: String,
    /// A display name.
    pub name: String,
    /// `assume_role`, `default_chain`, `static` or `import_only`.
    pub access_mode: String,
    /// The role to assume, for `assume_role`.
    pub role_arn: Option<String>,
    /// A named profile for base credentials.
    pub profile: Option<String>,
    /// Encrypted secrets (external id, static keys); never printed.
    #[serde(skip)]
    pub secret_ciphertext: Option<String>,
    /// The regions to read; all enabled ones when empty.
    pub regions: Vec<String>,
    /// An endpoint override.
    pub endpoint_url: Option<String>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// One collection run.
#[derive(Debug, Clone, Serialize)]
pub struct CollectionRecord {
    /// Its id.
    pub id: String,
    /// The account it read.
    pub account_id: String,
    /// `live` or `import:<file name>`.
    pub source: String,
    /// Where it stands.
    pub status: CollectionStatus,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Resources it read.
    pub resource_count: i64,
    /// New resource versions it stored.
    pub new_versions: i64,
    /// Resources it found gone.
    pub deleted_count: i64,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

impl CollectionRecord {
    /// Returns the run time in milliseconds, once finished.
    pub fn duration_ms(&self) -> Option<i64> {
        self.finished_at
            .map(|f| (f - self.started_at).num_milliseconds())
    }
}

/// The outcome of one service in one region within a collection.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeRecord {
    /// The service (`s3`).
    pub service: String,
    /// The region, or `*` for global services.
    pub region: String,
    /// True when the service answered.
    pub ok: bool,
    /// Resources read.
    pub resource_count: i64,
    /// Wall time.
    pub duration_ms: i64,
    /// The error kind (`access_denied`, `throttled`, ...).
    pub error_kind: Option<String>,
    /// The service's error code.
    pub error_code: Option<String>,
    /// The error message.
    pub error_message: Option<String>,
    /// Extra calls that failed without failing the service.
    pub gaps: Value,
}

/// A resource's current state in the inventory.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceRow {
    /// The store's id for the resource (stable across versions).
    pub rid: i64,
    /// The account.
    pub account_id: String,
    /// The region.
    pub region: String,
    /// The resource type.
    pub resource_type: String,
    /// The resource id.
    pub resource_id: String,
    /// The ARN.
    pub arn: String,
    /// The display name.
    pub name: String,
    /// The current version number.
    pub version: i64,
    /// The hash of the current version.
    pub content_hash: String,
    /// When first seen.
    pub first_seen: DateTime<Utc>,
    /// When last seen.
    pub last_seen: DateTime<Utc>,
    /// When it disappeared, if it did.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// One stored version of a resource.
#[derive(Debug, Clone, Serialize)]
pub struct VersionRow {
    /// The version number (1, 2, ...).
    pub version: i64,
    /// When it was captured.
    pub captured_at: DateTime<Utc>,
    /// The collection that stored it.
    pub collection_id: String,
    /// Its hash (`deleted` for a deletion marker).
    pub content_hash: String,
    /// The resource as captured; `None` for a deletion marker.
    pub document: Option<Resource>,
}

/// Which resources to list.
#[derive(Debug, Clone, Default)]
pub struct ResourceFilter {
    /// Only this type.
    pub resource_type: Option<String>,
    /// Only this account.
    pub account_id: Option<String>,
    /// Include resources marked deleted.
    pub include_deleted: bool,
    /// At most this many (default 1000).
    pub limit: Option<i64>,
    /// Skip this many.
    pub offset: Option<i64>,
}

const RESOURCE_COLS: &str = "rid, account_id, region, resource_type, resource_id, arn, name, \
     version, content_hash, first_seen, last_seen, deleted_at";

fn resource_row(r: &AnyRow) -> Result<ResourceRow, StoreError> {
    Ok(ResourceRow {
        rid: r.try_get(0)?,
        account_id: r.try_get(1)?,
        region: r.try_get(2)?,
        resource_type: r.try_get(3)?,
        resource_id: r.try_get(4)?,
        arn: r.try_get(5)?,
        name: r.try_get(6)?,
        version: r.try_get(7)?,
        content_hash: r.try_get(8)?,
        first_seen: ts(r.try_get(9)?),
        last_seen: ts(r.try_get(10)?),
        deleted_at: r.try_get::<Option<i64>, _>(11)?.map(ts),
    })
}

const COLLECTION_COLS: &str = "id, account_id, source, status, started_at, finished_at, \
     resource_count, new_versions, deleted_count, error";

fn collection_row(r: &AnyRow) -> Result<CollectionRecord, StoreError> {
    let status: String = r.try_get(3)?;
    Ok(CollectionRecord {
        id: r.try_get(0)?,
        account_id: r.try_get(1)?,
        source: r.try_get(2)?,
        status: CollectionStatus::parse(&status)
            .map_err(|s| StoreError::Corrupt(format!("collection status `{s}`")))?,
        started_at: ts(r.try_get(4)?),
        finished_at: r.try_get::<Option<i64>, _>(5)?.map(ts),
        resource_count: r.try_get(6)?,
        new_versions: r.try_get(7)?,
        deleted_count: r.try_get(8)?,
        error: r.try_get(9)?,
    })
}

fn account_row(r: &AnyRow) -> Result<AccountRecord, StoreError> {
    let regions: String = r.try_get(7)?;
    Ok(AccountRecord {
        account_id: r.try_get(0)?,
        provider: r.try_get(1)?,
        name: r.try_get(2)?,
        access_mode: r.try_get(3)?,
        role_arn: r.try_get(4)?,
        profile: r.try_get(5)?,
        secret_ciphertext: r.try_get(6)?,
        regions: serde_json::from_str(&regions)
            .map_err(|e| StoreError::Corrupt(format!("account regions: {e}")))?,
        endpoint_url: r.try_get(8)?,
        created_at: ts(r.try_get(9)?),
    })
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation() || d.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

impl Store {
    /// Adds a tenant.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the id is taken.
    pub async fn create_tenant(&self, id: &TenantId, name: &str) -> Result<Tenant, StoreError> {
        let now = now_ms();
        let res = sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id.as_str())
            .bind(name)
            .bind(now)
            .execute(&self.pool)
            .await;
        match res {
            Ok(_) => Ok(Tenant {
                id: id.clone(),
                name: name.to_owned(),
                created_at: ts(now),
            }),
            Err(e) if is_unique_violation(&e) => {
                Err(StoreError::Conflict(format!("tenant `{id}`")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Lists every tenant (an MSP-level view), sorted by id.
    ///
    /// # Errors
    /// On a database error.
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let rows = sqlx::query("SELECT id, name, created_at FROM tenants ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get(0)?;
                Ok(Tenant {
                    id: TenantId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    name: r.try_get(1)?,
                    created_at: ts(r.try_get(2)?),
                })
            })
            .collect()
    }

    /// Returns one tenant.
    ///
    /// # Errors
    /// On a database error.
    pub async fn get_tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        let row = sqlx::query("SELECT name, created_at FROM tenants WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Tenant {
                id: id.clone(),
                name: r.try_get(0)?,
                created_at: ts(r.try_get(1)?),
            })
        })
        .transpose()
    }

    /// Adds an account to a tenant.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown tenant, [`StoreError::Conflict`]
    /// when the account is registered already.
    pub async fn add_account(
        &self,
        tenant: &TenantId,
        a: &AccountRecord,
    ) -> Result<(), StoreError> {
        if self.get_tenant(tenant).await?.is_none() {
            return Err(StoreError::NotFound(format!("tenant `{tenant}`")));
        }
        let regions =
            serde_json::to_string(&a.regions).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut tx = self.tenant_tx(tenant).await?;
        let res = sqlx::query(
            "INSERT INTO accounts (tenant_id, account_id, provider, name, access_mode, role_arn, \
             profile, secret_ciphertext, regions, endpoint_url, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(tenant.as_str())
        .bind(&a.account_id)
        .bind(&a.provider)
        .bind(&a.name)
        .bind(&a.access_mode)
        .bind(a.role_arn.clone())
        .bind(a.profile.clone())
        .bind(a.secret_ciphertext.clone())
        .bind(regions)
        .bind(a.endpoint_url.clone())
        .bind(a.created_at.timestamp_millis())
        .execute(&mut *tx)
        .await;
        match res {
            Ok(_) => {
                tx.commit().await?;
                Ok(())
            }
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                "account `{}` in tenant `{tenant}`",
                a.account_id
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Lists a tenant's accounts.
    ///
    /// # Errors
    /// On a database error.
    pub async fn list_accounts(&self, tenant: &TenantId) -> Result<Vec<AccountRecord>, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(
            "SELECT account_id, provider, name, access_mode, role_arn, profile, secret_ciphertext, \
             regions, endpoint_url, created_at FROM accounts WHERE tenant_id = $1 ORDER BY account_id",
        )
        .bind(tenant.as_str())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(account_row).collect()
    }

    /// Returns one of a tenant's accounts.
    ///
    /// # Errors
    /// On a database error.
    pub async fn get_account(
        &self,
        tenant: &TenantId,
        account_id: &str,
    ) -> Result<Option<AccountRecord>, StoreError> {
        Ok(self
            .list_accounts(tenant)
            .await?
            .into_iter()
            .find(|a| a.account_id == account_id))
    }

    /// Records the start of a collection and returns its id. It is listed as
    /// running; the inventory does not change until it is committed.
    ///
    /// # Errors
    /// On a database error.
    pub async fn begin_collection(
        &self,
        tenant: &TenantId,
        account_id: &str,
        source: &str,
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.tenant_tx(tenant).await?;
        sqlx::query(
            "INSERT INTO collections (tenant_id, id, account_id, source, status, started_at) \
             VALUES ($1, $2, $3, $4, 'running', $5)",
        )
        .bind(tenant.as_str())
        .bind(&id)
        .bind(account_id)
        .bind(source)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Ends a collection without touching the inventory (failed or cancelled),
    /// keeping its per-scope results and the error.
    ///
    /// # Errors
    /// On a database error.
    pub async fn abandon_collection(
        &self,
        tenant: &TenantId,
        id: &str,
        status: CollectionStatus,
        error: &str,
        scopes: &[ScopeRecord],
    ) -> Result<(), StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        insert_scopes(&mut tx, tenant, id, scopes).await?;
        sqlx::query(
            "UPDATE collections SET status = $1, finished_at = $2, error = $3 \
             WHERE tenant_id = $4 AND id = $5",
        )
        .bind(status.as_str())
        .bind(now_ms())
        .bind(error)
        .bind(tenant.as_str())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lists a tenant's collections, newest first.
    ///
    /// # Errors
    /// On a database error.
    pub async fn list_collections(
        &self,
        tenant: &TenantId,
        limit: i64,
    ) -> Result<Vec<CollectionRecord>, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLLECTION_COLS} FROM collections WHERE tenant_id = $1 \
             ORDER BY started_at DESC, id LIMIT $2"
        )))
        .bind(tenant.as_str())
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(collection_row).collect()
    }

    /// Returns one collection with its per-service, per-region results. The id
    /// may be abbreviated to a unique prefix of at least 6 characters.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when no or several collections match.
    pub async fn get_collection(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<(CollectionRecord, Vec<ScopeRecord>), StoreError> {
        if id.len() < 6 || !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(StoreError::NotFound(format!("collection `{id}`")));
        }
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLLECTION_COLS} FROM collections WHERE tenant_id = $1 AND id LIKE $2 LIMIT 2"
        )))
        .bind(tenant.as_str())
        .bind(format!("{id}%"))
        .fetch_all(&mut *tx)
        .await?;
        let [row] = rows.as_slice() else {
            return Err(StoreError::NotFound(format!("collection `{id}`")));
        };
        let record = collection_row(row)?;
        let scopes = sqlx::query(
            "SELECT service, region, ok, resource_count, duration_ms, error_kind, error_code, \
             error_message, gaps FROM collection_scopes WHERE tenant_id = $1 AND collection_id = $2 \
             ORDER BY service, region",
        )
        .bind(tenant.as_str())
        .bind(&record.id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let scopes = scopes
            .iter()
            .map(|r| {
                let gaps: String = r.try_get(8)?;
                Ok(ScopeRecord {
                    service: r.try_get(0)?,
                    region: r.try_get(1)?,
                    ok: r.try_get::<i64, _>(2)? == 1,
                    resource_count: r.try_get(3)?,
                    duration_ms: r.try_get(4)?,
                    error_kind: r.try_get(5)?,
                    error_code: r.try_get(6)?,
                    error_message: r.try_get(7)?,
                    gaps: serde_json::from_str(&gaps).unwrap_or(Value::Null),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((record, scopes))
    }

    /// The (account, service, region) scopes that failed in each account's
    /// latest applied collection: what the inventory may be missing.
    ///
    /// # Errors
    /// On a database error.
    pub async fn failed_scopes(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(
            "SELECT c.account_id, s.service, s.region FROM collection_scopes s \
             JOIN collections c ON c.tenant_id = s.tenant_id AND c.id = s.collection_id \
             WHERE s.tenant_id = $1 AND s.ok = 0 AND c.id = (SELECT c2.id FROM collections c2 \
             WHERE c2.tenant_id = $1 AND c2.account_id = c.account_id \
             AND c2.status IN ('succeeded', 'partial') ORDER BY c2.started_at DESC LIMIT 1)",
        )
        .bind(tenant.as_str())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// Lists a tenant's resources, current versions only.
    ///
    /// # Errors
    /// On a database error.
    pub async fn list_resources(
        &self,
        tenant: &TenantId,
        filter: &ResourceFilter,
    ) -> Result<Vec<ResourceRow>, StoreError> {
        let mut sql = format!("SELECT {RESOURCE_COLS} FROM resources WHERE tenant_id = $1");
        let mut args: Vec<String> = Vec::new();
        if let Some(t) = &filter.resource_type {
            args.push(t.clone());
            sql.push_str(&format!(" AND resource_type = ${}", args.len() + 1));
        }
        if let Some(a) = &filter.account_id {
            args.push(a.clone());
            sql.push_str(&format!(" AND account_id = ${}", args.len() + 1));
        }
        if !filter.include_deleted {
            sql.push_str(" AND deleted_at IS NULL");
        }
        sql.push_str(&format!(
            " ORDER BY resource_type, account_id, region, resource_id LIMIT ${} OFFSET ${}",
            args.len() + 2,
            args.len() + 3
        ));
        let mut tx = self.tenant_tx(tenant).await?;
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(tenant.as_str());
        for a in &args {
            q = q.bind(a.as_str());
        }
        let rows = q
            .bind(filter.limit.unwrap_or(1000).clamp(1, 100_000))
            .bind(filter.offset.unwrap_or(0).max(0))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter().map(resource_row).collect()
    }

    /// Counts a tenant's live resources.
    ///
    /// # Errors
    /// On a database error.
    pub async fn count_resources(&self, tenant: &TenantId) -> Result<i64, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query(
            "SELECT COUNT(*) FROM resources WHERE tenant_id = $1 AND deleted_at IS NULL",
        )
        .bind(tenant.as_str())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.try_get(0)?)
    }

    /// Finds a resource by ARN, or by resource id when that is unique.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when nothing (or more than one resource) matches.
    pub async fn find_resource(
        &self,
        tenant: &TenantId,
        arn_or_id: &str,
    ) -> Result<ResourceRow, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let mut rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {RESOURCE_COLS} FROM resources WHERE tenant_id = $1 AND arn = $2 \
             ORDER BY deleted_at IS NOT NULL, rid LIMIT 2"
        )))
        .bind(tenant.as_str())
        .bind(arn_or_id)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {RESOURCE_COLS} FROM resources WHERE tenant_id = $1 AND resource_id = $2 LIMIT 2"
            )))
            .bind(tenant.as_str())
            .bind(arn_or_id)
            .fetch_all(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        match rows.as_slice() {
            [row] => resource_row(row),
            [row, _] if row.try_get::<String, _>(5).is_ok_and(|a| a == arn_or_id) => {
                resource_row(row)
            }
            [] => Err(StoreError::NotFound(format!("resource `{arn_or_id}`"))),
            _ => Err(StoreError::NotFound(format!(
                "a unique resource `{arn_or_id}` (several match; use the ARN)"
            ))),
        }
    }

    /// Returns a resource's versions, oldest first.
    ///
    /// # Errors
    /// On a database error or a stored document that does not decode.
    pub async fn resource_history(
        &self,
        tenant: &TenantId,
        rid: i64,
    ) -> Result<Vec<VersionRow>, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(
            "SELECT version, captured_at, collection_id, content_hash, document \
             FROM resource_versions WHERE tenant_id = $1 AND rid = $2 ORDER BY version",
        )
        .bind(tenant.as_str())
        .bind(rid)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let doc: Option<String> = r.try_get(4)?;
                let document = doc
                    .map(|d| serde_json::from_str::<Resource>(&d))
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("resource version: {e}")))?;
                Ok(VersionRow {
                    version: r.try_get(0)?,
                    captured_at: ts(r.try_get(1)?),
                    collection_id: r.try_get(2)?,
                    content_hash: r.try_get(3)?,
                    document,
                })
            })
            .collect()
    }

    /// Returns the current document of a resource (its latest stored version
    /// that is not a deletion marker).
    ///
    /// # Errors
    /// On a database error or a corrupt document.
    pub async fn current_document(
        &self,
        tenant: &TenantId,
        rid: i64,
    ) -> Result<Option<Resource>, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query(
            "SELECT document FROM resource_versions WHERE tenant_id = $1 AND rid = $2 \
             AND document IS NOT NULL ORDER BY version DESC LIMIT 1",
        )
        .bind(tenant.as_str())
        .bind(rid)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.map(|r| {
            let d: String = r.try_get(0)?;
            serde_json::from_str::<Resource>(&d)
                .map_err(|e| StoreError::Corrupt(format!("resource document: {e}")))
        })
        .transpose()
    }
}

pub(crate) async fn insert_scopes(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: &TenantId,
    collection_id: &str,
    scopes: &[ScopeRecord],
) -> Result<(), StoreError> {
    for s in scopes {
        sqlx::query(
            "INSERT INTO collection_scopes (tenant_id, collection_id, service, region, ok, \
             resource_count, duration_ms, error_kind, error_code, error_message, gaps) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(tenant.as_str())
        .bind(collection_id)
        .bind(&s.service)
        .bind(&s.region)
        .bind(i64::from(s.ok))
        .bind(s.resource_count)
        .bind(s.duration_ms)
        .bind(s.error_kind.clone())
        .bind(s.error_code.clone())
        .bind(s.error_message.clone())
        .bind(s.gaps.to_string())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
