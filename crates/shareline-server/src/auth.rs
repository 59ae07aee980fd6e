//! Who is calling, and whether they may: the one guard every route passes
//! through.
//!
//! A caller is a user with a session cookie (the web UI) or an API token
//! (`Authorization: Bearer shl_…`). The guard resolves the caller, checks
//! CSRF on state-changing requests that ride on a cookie, reads the route's
//! `{tenant}` and asks the access policy whether the route's action is
//! allowed there. A tenant outside the caller's walls answers 404, exactly
//! like a tenant that does not exist.

use std::collections::BTreeSet;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use shareline_access::token::{generate_secret, token_hash};
use shareline_access::{Action, Denied, Principal, Role, TenantScope, authorize};
use shareline_model::TenantId;
use shareline_store::UserRecord;

use crate::error::{ApiError, PageError};
use crate::routes::{Kind, RouteDef};
use crate::state::AppState;

/// The session cookie.
pub const SESSION_COOKIE: &str = "shareline_session";
/// The cookie holding the login form's CSRF token (before any session).
pub const LOGIN_CSRF_COOKIE: &str = "shareline_login_csrf";
/// The header API clients using a session send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest form body the guard reads to find a CSRF field.
const FORM_LIMIT: usize = 1 << 20;

/// How the caller proved who it is.
#[derive(Debug, Clone)]
pub enum Via {
    /// A session cookie; carries the session's CSRF token.
    Session {
        /// The token forms must echo.
        csrf: String,
        /// The hash of the session id (to log out).
        id_hash: String,
    },
    /// An API token.
    Token {
        /// The token's id.
        id: String,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user: UserRecord,
    /// What it may do, where.
    pub principal: Principal,
    /// How it authenticated.
    pub via: Via,
}

impl Caller {
    /// The actor name written to the audit log.
    pub fn actor(&self) -> String {
        match &self.via {
            Via::Session { .. } => format!("user:{}", self.user.email),
            Via::Token { id } => format!("token:{id} (user:{})", self.user.email),
        }
    }

    /// The CSRF token forms rendered for this caller carry.
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::Token { .. } => "",
        }
    }
}

/// What a guarded handler receives: the caller and the route's tenant.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The caller.
    pub caller: Caller,
    /// The `{tenant}` of the route, already authorized.
    pub tenant: Option<TenantId>,
}

impl Ctx {
    /// The route's tenant; routes without one never call this.
    pub fn tenant(&self) -> Result<&TenantId, ApiError> {
        self.tenant
            .as_ref()
            .ok_or_else(|| ApiError::internal(&"route has no tenant"))
    }

    /// Checks `action` on another tenant than the route's (bulk actions).
    pub fn authorize(&self, action: Action, tenant: &TenantId) -> Result<(), ApiError> {
        authorize(&self.caller.principal, action, Some(tenant)).map_err(denied)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| ApiError::internal(&"handler reached without the guard"))
    }
}

/// The caller, when there is one (public pages such as the login form).
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<Caller>().cloned()))
    }
}

/// Maps a policy refusal to its answer.
pub fn denied(d: Denied) -> ApiError {
    match d {
        Denied::NotFound => ApiError::not_found("tenant"),
        Denied::Forbidden => ApiError::forbidden(),
    }
}

/// Reads one cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The CSRF token of a session: derived from the session secret, so it needs
/// no storage and cannot be guessed without the (HttpOnly) cookie.
pub fn csrf_for(session_secret: &str) -> String {
    token_hash(&format!("csrf:{session_secret}"))
}

/// Builds a `Set-Cookie` value.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64) -> String {
    let secure = if state.config().secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// The principal a user's record allows.
pub fn principal_of(user: &UserRecord) -> Result<Principal, ApiError> {
    let role: Role = user
        .role
        .parse()
        .map_err(|_| ApiError::internal(&format!("user {} has an unknown role", user.id)))?;
    let tenants = if role == Role::MspAdmin {
        TenantScope::All
    } else {
        TenantScope::Only(user.tenants.iter().cloned().collect())
    };
    Principal::new(user.id.clone(), role, tenants)
        .map_err(|e| ApiError::internal(&format!("user {}: {e}", user.id)))
}

/// Resolves the caller from a bearer token or the session cookie, reusing a resolution made within the same second:
/// under load this saves the three queries of every request. Logging out,
/// revoking a token and disabling a user forget every cached caller at once;
/// a change made by another process shows within a second.
async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
    let credential = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| cookie(headers, SESSION_COOKIE).map(|c| format!("session {c}")));
    let Some(credential) = credential else {
        return Ok(None);
    };
    let key = crate::state::cache_key(&token_hash(&credential));
    let second = Utc::now().timestamp();
    if let Some(hit) = state.cached::<Caller>("caller", key, second) {
        return Ok(Some(hit.as_ref().clone()));
    }
    let caller = resolve_uncached(state, headers).await?;
    if let Some(c) = &caller {
        state.cache("caller", key, second, std::sync::Arc::new(c.clone()));
    }
    Ok(caller)
}

async fn resolve_uncached(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Caller>, ApiError> {
    let store = state.store();
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let text = auth.to_str().unwrap_or_default();
        let Some(secret) = text.strip_prefix("Bearer ") else {
            return Err(ApiError::unauthenticated());
        };
        let Some(token) = store.use_token(&token_hash(secret.trim())).await? else {
            return Err(ApiError::unauthenticated());
        };
        let Some(user) = store.get_user(&token.user_id).await? else {
            return Err(ApiError::unauthenticated());
        };
        if user.disabled_at.is_some() {
            return Err(ApiError::unauthenticated());
        }
        let principal = token_principal(&user, &token)?;
        return Ok(Some(Caller {
            user,
            principal,
            via: Via::Token { id: token.id },
        }));
    }
    let Some(secret) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let id_hash = token_hash(secret);
    let Some(session) = store.get_session(&id_hash).await? else {
        return Ok(None);
    };
    let Some(user) = store.get_user(&session.user_id).await? else {
        return Ok(None);
    };
    if user.disabled_at.is_some() {
        return Ok(None);
    }
    let principal = principal_of(&user)?;
    Ok(Some(Caller {
        user,
        principal,
        via: Via::Session {
            csrf: csrf_for(secret),
            id_hash,
        },
    }))
}

/// A token acts with its own role and tenants, never more than its user's.
fn token_principal(
    user: &UserRecord,
    token: &shareline_store::TokenRecord,
) -> Result<Principal, ApiError> {
    let of_user = principal_of(user)?;
    let role: Role = token
        .role
        .parse()
        .map_err(|_| ApiError::internal(&"token has an unknown role"))?;
    let tenants = match (&token.tenants, of_user.tenants()) {
        (None, scope) => scope.clone(),
        (Some(list), TenantScope::All) => TenantScope::Only(list.iter().cloned().collect()),
        (Some(list), TenantScope::Only(allowed)) => TenantScope::Only(
            list.iter()
                .filter(|t| allowed.contains(*t))
                .cloned()
                .collect::<BTreeSet<_>>(),
        ),
    };
    if !token_may_carry(&of_user, role, &tenants) {
        return Err(ApiError::unauthenticated());
    }
    let tenants = if role == Role::MspAdmin {
        TenantScope::All
    } else {
        tenants
    };
    Principal::new(user.id.clone(), role, tenants).map_err(|_| ApiError::unauthenticated())
}

/// May a user with `p` make a token carrying `role` over `tenants`? Its own
/// role, or the read-only role of its side (auditor for MSP staff, viewer
/// for a customer admin), over tenants it has itself.
pub fn token_may_carry(p: &Principal, role: Role, tenants: &TenantScope) -> bool {
    let role_ok = role == p.role()
        || (role == Role::Auditor && p.role().is_msp_side())
        || (role == Role::CustomerViewer && p.role() == Role::CustomerAdmin);
    role_ok && p.tenants().covers(tenants)
}

/// The guard: authenticates, checks CSRF, authorizes the route's action on
/// its tenant, then hands the handler a [`Ctx`].
pub async fn guard(state: AppState, def: &'static RouteDef, req: Request, next: Next) -> Response {
    match guard_inner(state, def, req, next).await {
        Ok(r) => r,
        Err(e) => match def.kind {
            Kind::Api => e.into_response(),
            Kind::Page => PageError(e).into_response(),
        },
    }
}

async fn guard_inner(
    state: AppState,
    def: &'static RouteDef,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let (mut parts, body) = req.into_parts();
    let caller = match resolve(&state, &parts.headers).await {
        Ok(c) => c,
        Err(e) if def.action.is_none() => {
            tracing::debug!(code = e.code, "ignoring bad credentials on a public route");
            None
        }
        Err(e) => return Err(e),
    };
    let Some(action) = def.action else {
        if let Some(c) = caller {
            parts.extensions.insert(c);
        }
        return Ok(next.run(Request::from_parts(parts, body)).await);
    };
    let Some(caller) = caller else {
        if def.kind == Kind::Page && parts.method == Method::GET {
            let next_url = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let target = format!("/login?next={}", crate::pages::url_encode(next_url));
            return Ok(Redirect::to(&target).into_response());
        }
        return Err(ApiError::unauthenticated());
    };
    // CSRF: a cookie-borne request that changes state must echo the token.
    let mut body = body;
    if parts.method != Method::GET
        && parts.method != Method::HEAD
        && let Via::Session { csrf, .. } = &caller.via
    {
        let (given, rebuilt) = csrf_from(&parts.headers, body).await?;
        body = rebuilt;
        if !shareline_access::token::csrf_matches(csrf, given.as_deref().unwrap_or("")) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "the form is stale or was not sent by Shareline; reload the page and try again",
            ));
        }
    }
    let params = RawPathParams::from_request_parts(&mut parts, &state)
        .await
        .map_err(|_| ApiError::internal(&"path parameters unreadable"))?;
    let tenant = match params.iter().find(|(k, _)| *k == "tenant") {
        Some((_, v)) => Some(TenantId::parse(v).map_err(|_| ApiError::not_found("tenant"))?),
        None => None,
    };
    authorize(&caller.principal, action, tenant.as_ref()).map_err(denied)?;
    if let Some(t) = &tenant
        && state.store().get_tenant(t).await?.is_none()
    {
        return Err(ApiError::not_found("tenant"));
    }
    parts.extensions.insert(caller.clone());
    parts.extensions.insert(Ctx { caller, tenant });
    Ok(next.run(Request::from_parts(parts, body)).await)
}

/// Finds the CSRF token in the header or, for a form post, in the `csrf`
/// field; returns the body rebuilt for the handler.
async fn csrf_from(headers: &HeaderMap, body: Body) -> Result<(Option<String>, Body), ApiError> {
    if let Some(h) = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return Ok((Some(h.to_owned()), body));
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((None, body));
    }
    let bytes = to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "form too large"))?;
    let given = form_field(&bytes, "csrf");
    Ok((given, Body::from(bytes)))
}

/// One field of a urlencoded body.
pub fn form_field(bytes: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// A new session for `user`: the cookie to set.
pub async fn start_session(state: &AppState, user: &UserRecord) -> Result<String, ApiError> {
    let secret = generate_secret("sls_");
    let hours = if state.config().session_hours > 0 {
        state.config().session_hours
    } else {
        12
    };
    let expires = Utc::now() + Duration::hours(hours);
    state
        .store()
        .create_session(&token_hash(secret.expose()), &user.id, expires)
        .await?;
    Ok(set_cookie(
        state,
        SESSION_COOKIE,
        secret.expose(),
        hours * 3600,
    ))
}

/// A fresh login-form CSRF token and its cookie.
pub fn login_csrf(state: &AppState) -> (String, String) {
    let secret = generate_secret("slc_");
    let token = secret.expose().to_owned();
    let cookie = set_cookie(state, LOGIN_CSRF_COOKIE, &token, 3600);
    (token, cookie)
}

/// The principal's tenants as a list (all tenants for an MSP admin). The
/// tenant list is cached until a tenant is added or removed.
pub async fn visible_tenants(state: &AppState, p: &Principal) -> Result<Vec<TenantId>, ApiError> {
    let (generation, _, _) = state.store().generations().await?;
    visible_tenants_at(state, p, generation).await
}

/// [`visible_tenants`] when the tenants generation is already known.
pub async fn visible_tenants_at(
    state: &AppState,
    p: &Principal,
    generation: i64,
) -> Result<Vec<TenantId>, ApiError> {
    let all = match state.cached::<Vec<TenantId>>("tenants", 0, generation) {
        Some(hit) => hit,
        None => {
            let ids: Vec<TenantId> = state
                .store()
                .list_tenants()
                .await?
                .into_iter()
                .map(|t| t.id)
                .collect();
            let ids = std::sync::Arc::new(ids);
            state.cache("tenants", 0, generation, std::sync::Arc::clone(&ids));
            ids
        }
    };
    Ok(all
        .iter()
        .filter(|t| shareline_access::visible(p, t))
        .cloned()
        .collect())
}

/// Checks an estate-wide action (no tenant in the route).
pub fn authorize_global(caller: &Caller, action: Action) -> Result<(), ApiError> {
    authorize(&caller.principal, action, None).map_err(denied)
}
