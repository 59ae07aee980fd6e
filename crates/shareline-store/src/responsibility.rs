//! The shared responsibility line: MSP offerings and their assignments,
//! tenant assignments (append-only), acceptances, tenant offerings over time,
//! contacts.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use shareline_engine::responsibility::{Assignment, Party, Scope};
use shareline_model::TenantId;

use crate::records::ts;
use crate::{Store, StoreError};

/// An MSP offering: a template of assignments several tenants use.
#[derive(Debug, Clone, Serialize)]
pub struct Offering {
    /// Its id (`managed-iaas`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the MSP sells under it.
    pub description: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A tenant's choice of offering from a date.
#[derive(Debug, Clone, Serialize)]
pub struct OfferingChoice {
    /// The offering, or `None` for "no offering" from then on.
    pub offering_id: Option<String>,
    /// From when.
    pub valid_from: DateTime<Utc>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub author: String,
}

/// Someone to contact for a party of a tenant.
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    /// The party.
    pub party: Party,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
}

fn decode(definition: &str) -> Result<Assignment, StoreError> {
    serde_json::from_str(definition).map_err(|e| StoreError::Corrupt(format!("assignment: {e}")))
}

fn encode(a: &Assignment) -> Result<String, StoreError> {
    serde_json::to_string(a).map_err(|e| StoreError::Invalid(format!("assignment: {e}")))
}

impl Store {
    /// Creates an offering.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the id is taken.
    pub async fn create_offering(
        &self,
        id: &str,
        name: &str,
        description: &str,
    ) -> Result<Offering, StoreError> {
        let now = Utc::now();
        let done = sqlx::query(
            "INSERT INTO offerings (id, name, description, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(name)
        .bind(description)
        .bind(now.timestamp_millis())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("offering `{id}`")));
        }
        Ok(Offering {
            id: id.to_owned(),
            name: name.to_owned(),
            description: description.to_owned(),
            created_at: ts(now.timestamp_millis()),
        })
    }

    /// Every offering.
    ///
    /// # Errors
    /// On a database error.
    pub async fn list_offerings(&self) -> Result<Vec<Offering>, StoreError> {
        let rows =
            sqlx::query("SELECT id, name, description, created_at FROM offerings ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(Offering {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    description: r.try_get(2)?,
                    created_at: ts(r.try_get(3)?),
                })
            })
            .collect()
    }

    /// Appends assignments: a tenant's own (scope `Tenant`, which must be
    /// `tenant`) or an offering's.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when a tenant row names another tenant;
    /// [`StoreError::NotFound`] for an unknown offering.
    pub async fn append_assignments(
        &self,
        tenant: Option<&TenantId>,
        rows: &[Assignment],
    ) -> Result<(), StoreError> {
        match tenant {
            Some(t) => {
                let mut tx = self.tenant_tx(t).await?;
                for a in rows {
                    if a.scope != Scope::Tenant(t.to_string()) {
                        return Err(StoreError::Invalid(format!(
                            "assignment {} is not tenant `{t}`'s",
                            a.id
                        )));
                    }
                    sqlx::query(
                        "INSERT INTO tenant_assignments (tenant_id, id, definition, recorded_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(t.as_str())
                    .bind(a.id.as_str())
                    .bind(encode(a)?)
                    .bind(a.recorded_at.timestamp_millis())
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
            None => {
                let mut tx = self.pool.begin().await?;
                for a in rows {
                    let Scope::Offering(o) = &a.scope else {
                        return Err(StoreError::Invalid(format!(
                            "assignment {} has no offering",
                            a.id
                        )));
                    };
                    let exists = sqlx::query("SELECT 1 FROM offerings WHERE id = $1")
                        .bind(o.as_str())
                        .fetch_optional(&mut *tx)
                        .await?;
                    if exists.is_none() {
                        return Err(StoreError::NotFound(format!("offering `{o}`")));
                    }
                    sqlx::query(
                        "INSERT INTO offering_assignments (id, offering_id, definition, recorded_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(a.id.as_str())
                    .bind(o.as_str())
                    .bind(encode(a)?)
                    .bind(a.recorded_at.timestamp_millis())
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// A tenant's own assignments, oldest recorded first, with acceptances.
    ///
    /// # Errors
    /// On a database error or a corrupt row.
    pub async fn tenant_assignments(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<Assignment>, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(
            "SELECT a.definition, c.accepted_at FROM tenant_assignments a \
             LEFT JOIN assignment_acceptances c ON c.tenant_id = a.tenant_id AND c.assignment_id = a.id \
             WHERE a.tenant_id = $1 ORDER BY a.recorded_at, a.id",
        )
        .bind(tenant.as_str())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let mut a = decode(&r.try_get::<String, _>(0)?)?;
                if let Some(at) = r.try_get::<Option<i64>, _>(1)? {
                    a.accepted_at = Some(ts(at));
                }
                Ok(a)
            })
            .collect()
    }

    /// An offering's assignments, oldest recorded first.
    ///
    /// # Errors
    /// On a database error or a corrupt row.
    pub async fn offering_assignments(
        &self,
        offering: &str,
    ) -> Result<Vec<Assignment>, StoreError> {
        let rows = sqlx::query(
            "SELECT definition FROM offering_assignments WHERE offering_id = $1 ORDER BY recorded_at, id",
        )
        .bind(offering)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| decode(&r.try_get::<String, _>(0)?))
            .collect()
    }

    /// Records that a tenant's delegation was accepted.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown assignment;
    /// [`StoreError::Conflict`] when it was accepted already.
    pub async fn accept_assignment(
        &self,
        tenant: &TenantId,
        id: &str,
        at: DateTime<Utc>,
        author: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let exists =
            sqlx::query("SELECT 1 FROM tenant_assignments WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.as_str())
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("assignment `{id}`")));
        }
        let done = sqlx::query(
            "INSERT INTO assignment_acceptances (tenant_id, assignment_id, accepted_at, author) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(at.timestamp_millis())
        .bind(author)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("acceptance of `{id}`")));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records which offering a tenant uses from `valid_from` (append-only).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown offering.
    pub async fn choose_offering(
        &self,
        tenant: &TenantId,
        offering: Option<&str>,
        valid_from: DateTime<Utc>,
        author: &str,
    ) -> Result<(), StoreError> {
        if let Some(o) = offering {
            let exists = sqlx::query("SELECT 1 FROM offerings WHERE id = $1")
                .bind(o)
                .fetch_optional(&self.pool)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("offering `{o}`")));
            }
        }
        let mut tx = self.tenant_tx(tenant).await?;
        sqlx::query(
            "INSERT INTO tenant_offerings (tenant_id, offering_id, valid_from, recorded_at, author) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tenant.as_str())
        .bind(offering)
        .bind(valid_from.timestamp_millis())
        .bind(Utc::now().timestamp_millis())
        .bind(author)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A tenant's offering choices, oldest first.
    ///
    /// # Errors
    /// On a database error.
    pub async fn offering_choices(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<OfferingChoice>, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(
            "SELECT offering_id, valid_from, recorded_at, author FROM tenant_offerings \
             WHERE tenant_id = $1 ORDER BY recorded_at, valid_from",
        )
        .bind(tenant.as_str())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(OfferingChoice {
                    offering_id: r.try_get(0)?,
                    valid_from: ts(r.try_get(1)?),
                    recorded_at: ts(r.try_get(2)?),
                    author: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Adds a contact for a party of a tenant.
    ///
    /// # Errors
    /// On a database error.
    pub async fn add_contact(
        &self,
        tenant: &TenantId,
        contact: &Contact,
    ) -> Result<(), StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        sqlx::query(
            "INSERT INTO contacts (tenant_id, party, name, email) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, party, email) DO UPDATE SET name = excluded.name",
        )
        .bind(tenant.as_str())
        .bind(contact.party.as_str())
        .bind(contact.name.as_str())
        .bind(contact.email.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A tenant's contacts.
    ///
    /// # Errors
    /// On a database error or a corrupt party.
    pub async fn contacts(&self, tenant: &TenantId) -> Result<Vec<Contact>, StoreError> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(
            "SELECT party, name, email FROM contacts WHERE tenant_id = $1 ORDER BY party, email",
        )
        .bind(tenant.as_str())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let party: String = r.try_get(0)?;
                Ok(Contact {
                    party: Party::parse(&party)
                        .map_err(|p| StoreError::Corrupt(format!("party `{p}`")))?,
                    name: r.try_get(1)?,
                    email: r.try_get(2)?,
                })
            })
            .collect()
    }
}
