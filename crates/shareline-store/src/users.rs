//! Users, the tenants they are assigned, sessions and API tokens. These are
//! server-level tables: only hashes of session ids and tokens are stored.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use shareline_model::TenantId;

use crate::records::{is_unique_violation, ts};
use crate::{Store, StoreError, now_ms};

/// A user as stored (without the password hash).
#[derive(Debug, Clone, Serialize)]
pub struct UserRecord {
    /// Its id.
    pub id: String,
    /// The login name, lowercased.
    pub email: String,
    /// The display name.
    pub name: String,
    /// The role id (`msp_admin`, ...).
    pub role: String,
    /// The tenants it is assigned (ignored for an MSP admin).
    pub tenants: Vec<TenantId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was disabled, if it was.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// A new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The login name (stored lowercased).
    pub email: String,
    /// The display name.
    pub name: String,
    /// The role id.
    pub role: String,
    /// Assigned tenants.
    pub tenants: Vec<TenantId>,
    /// The Argon2id PHC string.
    pub password_hash: String,
}

/// A session, found by the hash of its id.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// The user.
    pub user_id: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// An API token as stored (the secret itself is never stored).
#[derive(Debug, Clone, Serialize)]
pub struct TokenRecord {
    /// Its id (shown to users; not the secret).
    pub id: String,
    /// The user it acts for.
    pub user_id: String,
    /// A label.
    pub name: String,
    /// The role it carries (never more than its user's).
    pub role: String,
    /// The tenants it may touch; `None` for all of its user's.
    pub tenants: Option<Vec<TenantId>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

const USER_COLS: &str = "id, email, name, role, created_at, disabled_at";
const TOKEN_COLS: &str =
    "id, user_id, name, role, tenants, created_at, expires_at, last_used_at, revoked_at";

fn parse_tenants(text: &str) -> Result<Option<Vec<TenantId>>, StoreError> {
    if text == "*" {
        return Ok(None);
    }
    let ids: Vec<String> = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("token tenants: {e}")))?;
    ids.iter()
        .map(|t| TenantId::parse(t).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn token_row(r: &AnyRow) -> Result<TokenRecord, StoreError> {
    let tenants: String = r.try_get(4)?;
    Ok(TokenRecord {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        name: r.try_get(2)?,
        role: r.try_get(3)?,
        tenants: parse_tenants(&tenants)?,
        created_at: ts(r.try_get(5)?),
        expires_at: ts(r.try_get(6)?),
        last_used_at: r.try_get::<Option<i64>, _>(7)?.map(ts),
        revoked_at: r.try_get::<Option<i64>, _>(8)?.map(ts),
    })
}

impl Store {
    async fn user_from_row(&self, r: &AnyRow) -> Result<UserRecord, StoreError> {
        let id: String = r.try_get(0)?;
        let tenants =
            sqlx::query("SELECT tenant_id FROM user_tenants WHERE user_id = $1 ORDER BY tenant_id")
                .bind(&id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|t| {
                    let t: String = t.try_get(0)?;
                    TenantId::parse(&t).map_err(|e| StoreError::Corrupt(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
        Ok(UserRecord {
            id,
            email: r.try_get(1)?,
            name: r.try_get(2)?,
            role: r.try_get(3)?,
            tenants,
            created_at: ts(r.try_get(4)?),
            disabled_at: r.try_get::<Option<i64>, _>(5)?.map(ts),
        })
    }

    /// Creates a user.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the email is taken; not-found for an
    /// unknown tenant.
    pub async fn create_user(&self, new: &NewUser) -> Result<UserRecord, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let email = new.email.trim().to_lowercase();
        let mut tx = self.pool.begin().await?;
        let res = sqlx::query(
            "INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(&email)
        .bind(&new.name)
        .bind(&new.role)
        .bind(&new.password_hash)
        .bind(now_ms())
        .execute(&mut *tx)
        .await;
        match res {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!("user `{email}`")));
            }
            Err(e) => return Err(e.into()),
        }
        for t in &new.tenants {
            let exists = sqlx::query("SELECT 1 FROM tenants WHERE id = $1")
                .bind(t.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("tenant `{t}`")));
            }
            sqlx::query("INSERT INTO user_tenants (user_id, tenant_id) VALUES ($1, $2)")
                .bind(&id)
                .bind(t.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.get_user(&id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user `{id}`")))
    }

    /// Returns a user by id.
    ///
    /// # Errors
    /// On a database error.
    pub async fn get_user(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLS} FROM users WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some(self.user_from_row(&r).await?)),
            None => Ok(None),
        }
    }

    /// Returns a user and its password hash by login name, for logging in.
    ///
    /// # Errors
    /// On a database error.
    pub async fn user_for_login(
        &self,
        email: &str,
    ) -> Result<Option<(UserRecord, String)>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLS}, password_hash FROM users WHERE email = $1"
        )))
        .bind(email.trim().to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => {
                let hash: String = r.try_get(6)?;
                Ok(Some((self.user_from_row(&r).await?, hash)))
            }
            None => Ok(None),
        }
    }

    /// Lists users. With `tenant`, only those assigned to it.
    ///
    /// # Errors
    /// On a database error.
    pub async fn list_users(
        &self,
        tenant: Option<&TenantId>,
    ) -> Result<Vec<UserRecord>, StoreError> {
        let rows = match tenant {
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLS} FROM users ORDER BY email"
                )))
                .fetch_all(&self.pool)
                .await?
            }
            Some(t) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLS} FROM users WHERE id IN \
                     (SELECT user_id FROM user_tenants WHERE tenant_id = $1) ORDER BY email"
                )))
                .bind(t.as_str())
                .fetch_all(&self.pool)
                .await?
            }
        };
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.user_from_row(r).await?);
        }
        Ok(out)
    }

    /// Counts users (to know whether a first admin is needed).
    ///
    /// # Errors
    /// On a database error.
    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Sets a user's password hash and ends its sessions.
    ///
    /// # Errors
    /// Not-found for an unknown user.
    pub async fn set_password(&self, user_id: &str, hash: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("user `{user_id}`")));
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Disables a user, ends its sessions and revokes its tokens.
    ///
    /// # Errors
    /// Not-found for an unknown user.
    pub async fn disable_user(&self, user_id: &str) -> Result<(), StoreError> {
        let now = now_ms();
        let done =
            sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
                .bind(now)
                .bind(user_id)
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("active user `{user_id}`")));
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stores a session by the hash of its id.
    ///
    /// # Errors
    /// On a database error.
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at.timestamp_millis())
        .execute(&self.pool)
        .await?;
        // Expired sessions go as new ones arrive.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Returns a live session by the hash of its id.
    ///
    /// # Errors
    /// On a database error.
    pub async fn get_session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SessionRecord {
                user_id: r.try_get(0)?,
                expires_at: ts(r.try_get(1)?),
            })
        })
        .transpose()
    }

    /// Ends a session.
    ///
    /// # Errors
    /// On a database error.
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores an API token by its hash.
    ///
    /// # Errors
    /// On a database error.
    pub async fn create_token(
        &self,
        user_id: &str,
        name: &str,
        token_hash: &str,
        role: &str,
        tenants: Option<&[TenantId]>,
        expires_at: DateTime<Utc>,
    ) -> Result<TokenRecord, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let tenants_text = match tenants {
            None => "*".to_owned(),
            Some(ts) => serde_json::to_string(&ts.iter().map(TenantId::as_str).collect::<Vec<_>>())
                .map_err(|e| StoreError::Invalid(e.to_string()))?,
        };
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, role, tenants, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(role)
        .bind(&tenants_text)
        .bind(now_ms())
        .bind(expires_at.timestamp_millis())
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1"
        )))
        .bind(&id)
        .fetch_one(&self.pool)
        .await?;
        token_row(&row)
    }

    /// Finds a live (unexpired, unrevoked) token by its hash and records its
    /// use.
    ///
    /// # Errors
    /// On a database error.
    pub async fn use_token(&self, token_hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let now = now_ms();
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2"
        )))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let token = token_row(&row)?;
        // Recorded at most once a minute per token, to keep reads cheap.
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)")
            .bind(now)
            .bind(&token.id)
            .bind(now - 60_000)
            .execute(&self.pool)
            .await?;
        Ok(Some(token))
    }

    /// Lists a user's tokens.
    ///
    /// # Errors
    /// On a database error.
    pub async fn list_tokens(&self, user_id: &str) -> Result<Vec<TokenRecord>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at"
        )))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(token_row)
        .collect()
    }

    /// Revokes one of a user's tokens.
    ///
    /// # Errors
    /// Not-found when the user has no such live token.
    pub async fn revoke_token(&self, user_id: &str, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(id)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("token `{id}`")));
        }
        Ok(())
    }
}
