//! The `/api/v1` JSON handlers. Each one is reached only through the guard
//! ([`crate::auth::guard`]), which has already authorized the route's action
//! on its `{tenant}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use shareline_access::token::{generate_api_token, token_hash};
use shareline_access::{Action, Role, TenantScope, can_grant, password};
use shareline_app::findings::NewMute;
use shareline_app::responsibility::NewAssignment;
use shareline_engine::Status;
use shareline_engine::responsibility::{Party, Scope, Target};
use shareline_model::TenantId;
use shareline_store::{FindingFilter, NewUser, ResourceFilter};

use crate::auth::{Ctx, authorize_global, visible_tenants};
use crate::error::ApiError;
use crate::extract::{Json as Body, Path, Query};
use crate::state::AppState;
use crate::views::{self, Page, Paging, QueueFilter};

type ApiResult = Result<Json<Value>, ApiError>;

fn to_json<T: serde::Serialize>(v: &T) -> ApiResult {
    serde_json::to_value(v)
        .map(Json)
        .map_err(|e| ApiError::internal(&e))
}

/// Records an audit entry for a caller's action.
pub(crate) async fn record_audit(
    state: &AppState,
    ctx: &Ctx,
    tenant: Option<&TenantId>,
    action: &str,
    target: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), ApiError> {
    shareline_app::audit::record(
        state.store(),
        &ctx.caller.actor(),
        tenant.map(TenantId::as_str),
        action,
        target,
        before,
        after,
    )
    .await?;
    Ok(())
}

/// Re-evaluates a tenant after its mutes changed, so findings, the queue and
/// the overview show the change at once.
pub(crate) async fn reevaluate(state: &AppState, tenant: &TenantId) -> Result<(), ApiError> {
    shareline_app::evaluate::evaluate_tenant(state.store(), tenant, Default::default()).await?;
    Ok(())
}

/// `GET /api/v1/openapi.json`
pub async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

/// `GET /api/v1/me`
pub async fn me(State(state): State<AppState>, ctx: Ctx) -> ApiResult {
    let tenants = visible_tenants(&state, &ctx.caller.principal).await?;
    Ok(Json(json!({
        "user": ctx.caller.user,
        "role": ctx.caller.principal.role().as_str(),
        "tenants": tenants,
    })))
}

/// `GET /api/v1/overview`: totals, the trend, and one page of tenants
/// (worst score first).
pub async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(paging): Query<Paging>,
) -> ApiResult {
    let o = views::overview(&state, &ctx.caller).await?;
    Ok(Json(json!({
        "totals": o.totals,
        "trend": o.trend,
        "tenants": Page::of(&o.tenants, paging),
    })))
}

/// `GET /api/v1/queue`
pub async fn queue(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(filter): Query<QueueFilter>,
    Query(paging): Query<Paging>,
) -> ApiResult {
    let items = views::queue(&state, &ctx.caller, &filter).await?;
    to_json(&Page::of(&items, paging))
}

/// A bulk mute: one check in several tenants.
#[derive(Debug, Deserialize)]
pub struct BulkMute {
    /// The check.
    pub check: String,
    /// The tenants to mute it in.
    pub tenants: Vec<String>,
    /// Why (required).
    pub reason: String,
    /// Until when, `YYYY-MM-DD` (required).
    pub expires: String,
}

/// Parses `YYYY-MM-DD` or RFC 3339.
pub(crate) fn parse_date(s: &str) -> Result<DateTime<Utc>, ApiError> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d
            .and_hms_opt(23, 59, 59)
            .map(|t| t.and_utc())
            .ok_or_else(|| ApiError::invalid(format!("date `{s}`")));
    }
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| ApiError::invalid(format!("date `{s}`: write YYYY-MM-DD")))
}

/// Mutes a check in each tenant (each checked against the caller's rights
/// first, so nothing is muted when one tenant is refused).
pub(crate) async fn bulk_mute_in(
    state: &AppState,
    ctx: &Ctx,
    req: BulkMute,
) -> Result<Vec<Value>, ApiError> {
    if req.tenants.is_empty() {
        return Err(ApiError::invalid("choose at least one tenant"));
    }
    let expires = parse_date(&req.expires)?;
    let mut ids = Vec::new();
    for t in &req.tenants {
        let id = TenantId::parse(t).map_err(|_| ApiError::not_found("tenant"))?;
        ctx.authorize(Action::MuteFindings, &id)?;
        ids.push(id);
    }
    let mut out = Vec::new();
    for id in ids {
        let mute = shareline_app::findings::add_mute(
            state.store(),
            &id,
            NewMute {
                check: req.check.clone(),
                reason: req.reason.clone(),
                author: ctx.caller.user.email.clone(),
                expires_at: Some(expires),
                ..NewMute::default()
            },
        )
        .await?;
        reevaluate(state, &id).await?;
        let after = serde_json::to_value(&mute).ok();
        record_audit(
            state,
            ctx,
            Some(&id),
            "mute.add",
            &mute.id,
            None,
            after.clone(),
        )
        .await?;
        out.push(json!({ "tenant": id, "mute": after }));
    }
    Ok(out)
}

/// `POST /api/v1/queue/mute`
pub async fn bulk_mute(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(req): Body<BulkMute>,
) -> ApiResult {
    let out = bulk_mute_in(&state, &ctx, req).await?;
    Ok(Json(json!({ "muted": out })))
}

/// `GET /api/v1/tenants`
pub async fn tenants(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(paging): Query<Paging>,
) -> ApiResult {
    let visible = visible_tenants(&state, &ctx.caller.principal).await?;
    let all = state.store().list_tenants().await?;
    let mine: Vec<_> = all
        .into_iter()
        .filter(|t| visible.contains(&t.id))
        .collect();
    to_json(&Page::of(&mine, paging))
}

/// `GET /api/v1/tenants/{tenant}`
pub async fn tenant(State(state): State<AppState>, ctx: Ctx) -> ApiResult {
    to_json(&views::tenant(&state, ctx.tenant()?).await?)
}

/// Finding filters from the query string.
#[derive(Debug, Default, Deserialize)]
pub struct FindingQuery {
    /// `FAIL`, `PASS`, `MUTED`, `UNKNOWN`, `ERROR`.
    #[serde(default)]
    pub status: Option<String>,
    /// `critical`, `high`, ...
    #[serde(default)]
    pub severity: Option<String>,
    /// Check service (`s3`).
    #[serde(default)]
    pub service: Option<String>,
    /// Check id.
    #[serde(default)]
    pub check: Option<String>,
    /// Owner party.
    #[serde(default)]
    pub owner: Option<String>,
    /// Account id.
    #[serde(default)]
    pub account: Option<String>,
}

impl FindingQuery {
    /// The store filter.
    pub(crate) fn filter(&self) -> Result<FindingFilter, ApiError> {
        let some = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
        let mut f = FindingFilter {
            limit: Some(10_000_000),
            ..FindingFilter::default()
        };
        if let Some(s) = some(&self.status) {
            f.statuses = vec![
                Status::parse(&s.to_uppercase())
                    .map_err(|_| ApiError::invalid(format!("status `{s}`")))?,
            ];
        }
        if let Some(s) = some(&self.severity) {
            f.severities = vec![
                shareline_catalog::Severity::parse(&s)
                    .map_err(|_| ApiError::invalid(format!("severity `{s}`")))?,
            ];
        }
        if let Some(s) = some(&self.owner) {
            f.owners =
                vec![Party::parse(&s).map_err(|_| ApiError::invalid(format!("owner `{s}`")))?];
        }
        f.services = some(&self.service).into_iter().collect();
        f.checks = some(&self.check).into_iter().collect();
        f.accounts = some(&self.account).into_iter().collect();
        Ok(f)
    }
}

/// `GET /api/v1/tenants/{tenant}/findings`
pub async fn findings(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FindingQuery>,
    Query(paging): Query<Paging>,
) -> ApiResult {
    let all = shareline_app::findings::list(state.store(), ctx.tenant()?, &q.filter()?).await?;
    to_json(&Page::of(&all, paging))
}

/// `GET /api/v1/tenants/{tenant}/findings/{id}`
pub async fn finding(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult {
    to_json(&shareline_app::findings::show(state.store(), ctx.tenant()?, &id).await?)
}

/// `GET /api/v1/tenants/{tenant}/resources`
pub async fn resources(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(paging): Query<Paging>,
) -> ApiResult {
    let tenant = ctx.tenant()?;
    let p = paging.clamped();
    let items = state
        .store()
        .list_resources(
            tenant,
            &ResourceFilter {
                limit: Some(p.per_page),
                offset: Some(p.offset()),
                ..ResourceFilter::default()
            },
        )
        .await?;
    let total = state.store().count_resources(tenant).await?;
    to_json(&Page {
        items,
        page: p.page,
        per_page: p.per_page,
        total,
    })
}

/// A resource with its current document and history.
pub(crate) async fn resource_detail(
    state: &AppState,
    tenant: &TenantId,
    rid: &str,
) -> Result<Value, ApiError> {
    let rid: i64 = rid.parse().map_err(|_| ApiError::not_found("resource"))?;
    let doc = state.store().current_document(tenant, rid).await?;
    let Some(doc) = doc else {
        return Err(ApiError::not_found("resource"));
    };
    let (row, history) = shareline_app::history::history(state.store(), tenant, &doc.arn).await?;
    if row.rid != rid {
        return Err(ApiError::not_found("resource"));
    }
    Ok(json!({ "resource": row, "document": doc, "history": history }))
}

/// `GET /api/v1/tenants/{tenant}/resources/{rid}`
pub async fn resource(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, rid)): Path<(String, String)>,
) -> ApiResult {
    Ok(Json(resource_detail(&state, ctx.tenant()?, &rid).await?))
}

/// `GET /api/v1/tenants/{tenant}/compliance/{framework}`
pub async fn compliance(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, framework)): Path<(String, String)>,
) -> ApiResult {
    to_json(&shareline_app::findings::compliance(state.store(), ctx.tenant()?, &framework).await?)
}

/// `GET /api/v1/tenants/{tenant}/gaps`
pub async fn gaps(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(paging): Query<Paging>,
) -> ApiResult {
    let all = shareline_app::responsibility::gaps(state.store(), ctx.tenant()?).await?;
    to_json(&Page::of(&all, paging))
}

/// `GET /api/v1/tenants/{tenant}/mutes`
pub async fn mutes(State(state): State<AppState>, ctx: Ctx) -> ApiResult {
    to_json(&shareline_app::findings::list_mutes(state.store(), ctx.tenant()?, true).await?)
}

/// A new mute.
#[derive(Debug, Deserialize)]
pub struct MuteBody {
    /// Check id or glob.
    pub check: String,
    /// Resource id, ARN or name globs.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Account ids.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Regions.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Why.
    pub reason: String,
    /// Until when.
    pub expires: String,
}

/// `POST /api/v1/tenants/{tenant}/mutes`
pub async fn add_mute(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(b): Body<MuteBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let tenant = ctx.tenant()?;
    let mute = shareline_app::findings::add_mute(
        state.store(),
        tenant,
        NewMute {
            check: b.check,
            resources: b.resources,
            accounts: b.accounts,
            regions: b.regions,
            reason: b.reason,
            author: ctx.caller.user.email.clone(),
            expires_at: Some(parse_date(&b.expires)?),
            ..NewMute::default()
        },
    )
    .await?;
    reevaluate(&state, tenant).await?;
    let after = serde_json::to_value(&mute).map_err(|e| ApiError::internal(&e))?;
    record_audit(
        &state,
        &ctx,
        Some(tenant),
        "mute.add",
        &mute.id,
        None,
        Some(after.clone()),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(after)))
}

/// `DELETE /api/v1/tenants/{tenant}/mutes/{id}`
pub async fn remove_mute(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult {
    let tenant = ctx.tenant()?;
    state
        .store()
        .remove_mute(tenant, &id, &ctx.caller.user.email)
        .await?;
    reevaluate(&state, tenant).await?;
    record_audit(&state, &ctx, Some(tenant), "mute.remove", &id, None, None).await?;
    Ok(Json(json!({ "removed": id })))
}

/// `GET /api/v1/tenants/{tenant}/matrix`
pub async fn matrix(State(state): State<AppState>, ctx: Ctx) -> ApiResult {
    let now = Utc::now();
    to_json(&shareline_app::responsibility::show(state.store(), ctx.tenant()?, now, now).await?)
}

/// One matrix edit.
#[derive(Debug, Deserialize)]
pub struct MatrixEdit {
    /// The area (`backup`).
    pub area: String,
    /// The service model (`iaas`), or a service (`aws:rds`).
    pub applies_to: String,
    /// The owner: `provider`, `msp`, `customer`, `third_party`, `nobody`.
    pub party: String,
    /// Parties kept informed.
    #[serde(default)]
    pub copied: Vec<String>,
    /// From when (default now).
    #[serde(default)]
    pub from: Option<String>,
    /// Until when.
    #[serde(default)]
    pub until: Option<String>,
    /// Why (required).
    pub reason: String,
}

/// Applies one matrix edit for the caller.
pub(crate) async fn edit_matrix(
    state: &AppState,
    ctx: &Ctx,
    e: MatrixEdit,
) -> Result<Value, ApiError> {
    let tenant = ctx.tenant()?;
    if e.reason.trim().len() < 5 {
        return Err(ApiError::invalid(
            "a matrix change needs a reason (at least 5 characters)",
        ));
    }
    let party =
        Party::parse(&e.party).map_err(|p| ApiError::invalid(format!("unknown party `{p}`")))?;
    let copied = e
        .copied
        .iter()
        .filter(|c| !c.is_empty())
        .map(|c| Party::parse(c).map_err(|p| ApiError::invalid(format!("unknown party `{p}`"))))
        .collect::<Result<Vec<_>, _>>()?;
    let applies = e.applies_to.trim();
    if applies.is_empty() {
        return Err(ApiError::invalid(
            "say what the row applies to: a service model (iaas) or a service (aws:rds)",
        ));
    }
    let target = if applies.contains(':') {
        Target::Service {
            service: applies.to_owned(),
        }
    } else {
        Target::ServiceModel {
            model: applies.to_owned(),
        }
    };
    let before = shareline_app::responsibility::show(state.store(), tenant, Utc::now(), Utc::now())
        .await?
        .cells
        .into_iter()
        .find(|c| c.area == e.area && c.model == applies)
        .and_then(|c| serde_json::to_value(c).ok());
    let out = shareline_app::responsibility::set(
        state.store(),
        Scope::Tenant(tenant.as_str().to_owned()),
        NewAssignment {
            area: e.area.clone(),
            target,
            party,
            copied,
            valid_from: match e.from.as_deref().filter(|s| !s.is_empty()) {
                Some(s) => parse_date(s)?,
                None => Utc::now(),
            },
            valid_until: e
                .until
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(parse_date)
                .transpose()?,
            author: ctx.caller.user.email.clone(),
            reason: e.reason.clone(),
            source: "web".to_owned(),
        },
    )
    .await?;
    reevaluate(state, tenant).await?;
    let after = serde_json::to_value(&out).map_err(|e| ApiError::internal(&e))?;
    record_audit(
        state,
        ctx,
        Some(tenant),
        "matrix.set",
        &format!("{}/{}", e.area, applies),
        before,
        Some(after.clone()),
    )
    .await?;
    Ok(after)
}

/// `PUT /api/v1/tenants/{tenant}/matrix`
pub async fn set_matrix(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(e): Body<MatrixEdit>,
) -> ApiResult {
    Ok(Json(edit_matrix(&state, &ctx, e).await?))
}

/// `GET /api/v1/tenants/{tenant}/matrix/history`
pub async fn matrix_history(State(state): State<AppState>, ctx: Ctx) -> ApiResult {
    to_json(&shareline_app::responsibility::history(state.store(), ctx.tenant()?).await?)
}

/// `GET /api/v1/tenants/{tenant}/scans`
pub async fn scans(State(state): State<AppState>, ctx: Ctx) -> ApiResult {
    to_json(&state.store().list_scan_jobs(ctx.tenant()?, 50).await?)
}

/// `POST /api/v1/tenants/{tenant}/scans`
pub async fn start_scan(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let job = crate::jobs::start(&state, &ctx).await?;
    Ok((StatusCode::ACCEPTED, to_json(&job)?))
}

/// `GET /api/v1/tenants/{tenant}/scans/{id}`
pub async fn scan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult {
    let job = state
        .store()
        .get_scan_job(ctx.tenant()?, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("scan"))?;
    to_json(&job)
}

/// `POST /api/v1/tenants/{tenant}/scans/{id}/cancel`
pub async fn cancel_scan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult {
    crate::jobs::cancel(&state, &ctx, &id).await?;
    Ok(Json(json!({ "cancelling": id })))
}

/// Audit paging: entries before `before` (a sequence number).
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    /// Entries before this sequence number.
    #[serde(default)]
    pub before: Option<i64>,
    /// How many (default 100, at most 500).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// `GET /api/v1/tenants/{tenant}/audit`
pub async fn tenant_audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> ApiResult {
    let tenant = ctx.tenant()?.clone();
    let rows = state
        .store()
        .list_audit(
            &[tenant],
            false,
            q.before,
            q.limit.unwrap_or(100).clamp(1, 500),
        )
        .await?;
    to_json(&rows)
}

/// `GET /api/v1/audit`: entries of every tenant whose audit log the caller
/// may read, plus estate-wide entries for MSP admins.
pub async fn audit_list(
    state: &AppState,
    ctx: &Ctx,
    q: &AuditQuery,
) -> Result<Vec<shareline_access::audit::AuditEntry>, ApiError> {
    let tenants: Vec<TenantId> = visible_tenants(state, &ctx.caller.principal)
        .await?
        .into_iter()
        .filter(|t| ctx.authorize(Action::ReadAudit, t).is_ok())
        .collect();
    let global = ctx.caller.principal.role() == Role::MspAdmin;
    Ok(state
        .store()
        .list_audit(
            &tenants,
            global,
            q.before,
            q.limit.unwrap_or(100).clamp(1, 500),
        )
        .await?)
}

/// `GET /api/v1/audit`
pub async fn audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> ApiResult {
    to_json(&audit_list(&state, &ctx, &q).await?)
}

/// `GET /api/v1/users`: every user for an MSP admin; the users of the
/// caller's tenants otherwise.
pub async fn users(State(state): State<AppState>, ctx: Ctx) -> ApiResult {
    let p = &ctx.caller.principal;
    let list = match p.tenants() {
        TenantScope::All => state.store().list_users(None).await?,
        TenantScope::Only(ts) => {
            let mut out = Vec::new();
            for t in ts {
                if ctx.authorize(Action::ManageUsers, t).is_ok() {
                    for u in state.store().list_users(Some(t)).await? {
                        if !out
                            .iter()
                            .any(|o: &shareline_store::UserRecord| o.id == u.id)
                        {
                            out.push(u);
                        }
                    }
                }
            }
            out
        }
    };
    // A user's other tenants are none of the caller's business.
    let list: Vec<_> = list
        .into_iter()
        .map(|mut u| {
            u.tenants.retain(|t| shareline_access::visible(p, t));
            u
        })
        .collect();
    to_json(&list)
}

/// A new user.
#[derive(Debug, Deserialize)]
pub struct UserBody {
    /// Login name.
    pub email: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Role id.
    pub role: String,
    /// Tenants.
    #[serde(default)]
    pub tenants: Vec<String>,
    /// Initial password (checked against the password policy).
    pub password: String,
}

/// `POST /api/v1/users`
pub async fn create_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(b): Body<UserBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let role: Role = b
        .role
        .parse()
        .map_err(|_| ApiError::invalid(format!("unknown role `{}`", b.role)))?;
    let tenants = b
        .tenants
        .iter()
        .map(|t| TenantId::parse(t).map_err(|_| ApiError::not_found("tenant")))
        .collect::<Result<Vec<_>, _>>()?;
    let scope = if role == Role::MspAdmin {
        TenantScope::All
    } else {
        TenantScope::Only(tenants.iter().cloned().collect())
    };
    if !can_grant(&ctx.caller.principal, role, &scope) {
        return Err(ApiError::forbidden());
    }
    shareline_access::Principal::new("new", role, scope)
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    if !b.email.contains('@') || b.email.len() > 254 {
        return Err(ApiError::invalid("email: give a login e-mail address"));
    }
    password::check_password_policy(&b.password).map_err(|e| ApiError::invalid(e.to_string()))?;
    let hash = password::hash_password(&b.password).map_err(|e| ApiError::internal(&e))?;
    let user = state
        .store()
        .create_user(&NewUser {
            email: b.email.clone(),
            name: if b.name.is_empty() {
                b.email.clone()
            } else {
                b.name
            },
            role: role.as_str().to_owned(),
            tenants: tenants.clone(),
            password_hash: hash,
        })
        .await?;
    let after = serde_json::to_value(&user).map_err(|e| ApiError::internal(&e))?;
    let tenant = tenants.first();
    record_audit(
        &state,
        &ctx,
        tenant,
        "user.create",
        &user.email,
        None,
        Some(after.clone()),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(after)))
}

/// `POST /api/v1/users/{id}/disable`
pub async fn disable_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult {
    let Some(user) = state.store().get_user(&id).await? else {
        return Err(ApiError::not_found("user"));
    };
    let target = crate::auth::principal_of(&user)?;
    // Only someone who could have granted this user its rights may take them.
    if !can_grant(&ctx.caller.principal, target.role(), target.tenants()) {
        return Err(ApiError::not_found("user"));
    }
    if user.id == ctx.caller.user.id {
        return Err(ApiError::invalid("you cannot disable yourself"));
    }
    state.store().disable_user(&id).await?;
    state.forget_callers();
    record_audit(
        &state,
        &ctx,
        user.tenants.first(),
        "user.disable",
        &user.email,
        None,
        None,
    )
    .await?;
    Ok(Json(json!({ "disabled": id })))
}

/// `GET /api/v1/tokens`
pub async fn tokens(State(state): State<AppState>, ctx: Ctx) -> ApiResult {
    to_json(&state.store().list_tokens(&ctx.caller.user.id).await?)
}

/// A new API token.
#[derive(Debug, Deserialize)]
pub struct TokenBody {
    /// A label.
    pub name: String,
    /// The role it carries (default: the user's).
    #[serde(default)]
    pub role: Option<String>,
    /// Tenants it may touch (default: all of the user's).
    #[serde(default)]
    pub tenants: Option<Vec<String>>,
    /// Days until it expires (1–365, default 90).
    #[serde(default)]
    pub expires_in_days: Option<i64>,
}

/// `POST /api/v1/tokens`: the secret is in this answer and nowhere else.
pub async fn create_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(b): Body<TokenBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize_global(&ctx.caller, Action::ManageOwnTokens)?;
    let p = &ctx.caller.principal;
    let role: Role = match &b.role {
        Some(r) => r
            .parse()
            .map_err(|_| ApiError::invalid(format!("unknown role `{r}`")))?,
        None => p.role(),
    };
    let tenants = b
        .tenants
        .as_ref()
        .map(|ts| {
            ts.iter()
                .map(|t| TenantId::parse(t).map_err(|_| ApiError::not_found("tenant")))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let scope = match &tenants {
        None => p.tenants().clone(),
        Some(list) => TenantScope::Only(list.iter().cloned().collect()),
    };
    if !crate::auth::token_may_carry(p, role, &scope) {
        return Err(ApiError::forbidden());
    }
    let days = b.expires_in_days.unwrap_or(90);
    if !(1..=365).contains(&days) {
        return Err(ApiError::invalid(
            "expires_in_days must be between 1 and 365",
        ));
    }
    if b.name.trim().is_empty() || b.name.len() > 100 {
        return Err(ApiError::invalid("name the token (1–100 characters)"));
    }
    let secret = generate_api_token();
    let record = state
        .store()
        .create_token(
            &ctx.caller.user.id,
            b.name.trim(),
            &token_hash(secret.expose()),
            role.as_str(),
            tenants.as_deref(),
            Utc::now() + chrono::Duration::days(days),
        )
        .await?;
    let after = serde_json::to_value(&record).map_err(|e| ApiError::internal(&e))?;
    record_audit(
        &state,
        &ctx,
        None,
        "token.create",
        &record.id,
        None,
        Some(after.clone()),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": secret.expose(), "record": after })),
    ))
}

/// `DELETE /api/v1/tokens/{id}`
pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult {
    state.store().revoke_token(&ctx.caller.user.id, &id).await?;
    state.forget_callers();
    record_audit(&state, &ctx, None, "token.revoke", &id, None, None).await?;
    Ok(Json(json!({ "revoked": id })))
}
