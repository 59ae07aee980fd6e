//! The web UI: server-rendered pages (askama templates, checked at compile
//! time) that work without JavaScript; `static/app.js` only adds live scan
//! progress and confirmation prompts.

use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use shareline_access::{Action, authorize, password};
use shareline_engine::Status;
use shareline_model::TenantId;
use shareline_store::{PostureSnapshot, ScanJob};

use crate::api::{AuditQuery, BulkMute, FindingQuery, MatrixEdit, parse_date, record_audit};
use crate::auth::{self, Caller, Ctx, MaybeCaller, Via};
use crate::error::{ApiError, PageError};
use crate::extract::{Form, PagePath as Path, PageQuery as Query};
use crate::state::AppState;
use crate::views::{self, Page, Paging, QueueFilter};

type PageResult = Result<Response, PageError>;

/// What every page's frame needs.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The page title.
    pub title: String,
    /// The signed-in user, `email (role)`.
    pub user: Option<String>,
    /// The CSRF token for forms.
    pub csrf: String,
    /// Show the audit link.
    pub can_audit: bool,
    /// Breadcrumbs: (label, href).
    pub crumbs: Vec<(String, String)>,
}

impl Layout {
    fn new(title: impl Into<String>, caller: Option<&Caller>) -> Self {
        Self {
            title: title.into(),
            user: caller.map(|c| format!("{} ({})", c.user.email, c.principal.role().label())),
            csrf: caller.map(|c| c.csrf().to_owned()).unwrap_or_default(),
            can_audit: caller
                .is_some_and(|c| authorize(&c.principal, Action::ReadAudit, None).is_ok()),
            crumbs: Vec::new(),
        }
    }

    fn crumb(mut self, label: impl Into<String>, href: impl Into<String>) -> Self {
        self.crumbs.push((label.into(), href.into()));
        self
    }
}

fn render(t: &impl Template) -> PageResult {
    t.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| PageError(ApiError::internal(&e)))
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn when(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn score(per_mille: i64) -> String {
    format!("{}.{}%", per_mille / 10, per_mille % 10)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    status: u16,
    code: &'a str,
    message: &'a str,
}

/// The HTML page for an error.
pub fn error_page(e: &ApiError) -> String {
    let page = ErrorPage {
        layout: Layout::new(format!("{}", e.status.as_u16()), None),
        status: e.status.as_u16(),
        code: e.code,
        message: &e.message,
    };
    page.render()
        .unwrap_or_else(|_| format!("<!doctype html><title>Error</title><p>{}</p>", e.status))
}

// ---------------------------------------------------------------- login

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    csrf: String,
    next: String,
    error: Option<String>,
    email: String,
}

/// Where to go after logging in: only local paths.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// `?next=` of the login form.
#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    /// Where to go after logging in.
    #[serde(default)]
    pub next: Option<String>,
}

fn login_page(
    state: &AppState,
    next: String,
    error: Option<String>,
    email: String,
    status: StatusCode,
) -> PageResult {
    let (csrf, cookie) = auth::login_csrf(state);
    let page = LoginPage {
        layout: Layout::new("Log in", None),
        csrf,
        next,
        error,
        email,
    };
    let html = page
        .render()
        .map_err(|e| PageError(ApiError::internal(&e)))?;
    Ok((status, [(header::SET_COOKIE, cookie)], Html(html)).into_response())
}

/// `GET /login`
pub async fn login_form(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Query(q): Query<NextQuery>,
) -> PageResult {
    if caller.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    login_page(
        &state,
        safe_next(q.next.as_deref()),
        None,
        String::new(),
        StatusCode::OK,
    )
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// A hash to verify against when the user does not exist, so a wrong user
/// name costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| password::hash_password("not-a-real-password-at-all").unwrap_or_default())
}

/// `POST /login`
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let next = safe_next(f.next.as_deref());
    let expected = auth::cookie(&headers, auth::LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !shareline_access::token::csrf_matches(expected, &f.csrf) {
        return login_page(
            &state,
            next,
            Some("The form expired. Please try again.".into()),
            f.email,
            StatusCode::FORBIDDEN,
        );
    }
    let email = f.email.trim().to_lowercase();
    let ip = addr.ip().to_string();
    let now = Utc::now();
    let limited = state.with_limiters(|by_user, by_ip| {
        by_user
            .check(&email, now)
            .and_then(|()| by_ip.check(&ip, now))
    });
    if let Err(retry) = limited {
        return login_page(
            &state,
            next,
            Some(format!(
                "Too many failed attempts. Try again in {} minutes.",
                retry.0.div_ceil(60)
            )),
            f.email,
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let found = state.store().user_for_login(&email).await?;
    let ok_user = match &found {
        Some((user, hash)) => {
            password::verify_password(&f.password, hash) && user.disabled_at.is_none()
        }
        None => {
            let _ = password::verify_password(&f.password, dummy_hash());
            false
        }
    };
    let Some((user, _)) = found.filter(|_| ok_user) else {
        state.with_limiters(|by_user, by_ip| {
            by_user.record_failure(&email, now);
            by_ip.record_failure(&ip, now);
        });
        shareline_app::audit::record(
            state.store(),
            &format!("anonymous@{ip}"),
            None,
            "session.login_failed",
            &email,
            None,
            None,
        )
        .await?;
        return login_page(
            &state,
            next,
            Some("Wrong e-mail or password.".into()),
            f.email,
            StatusCode::UNAUTHORIZED,
        );
    };
    state.with_limiters(|by_user, _| by_user.record_success(&email));
    let cookie = auth::start_session(&state, &user).await?;
    shareline_app::audit::record(
        state.store(),
        &format!("user:{}", user.email),
        None,
        "session.login",
        &user.email,
        None,
        None,
    )
    .await?;
    let clear = auth::set_cookie(&state, auth::LOGIN_CSRF_COOKIE, "", 0);
    let mut res = Redirect::to(&next).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie
            .parse()
            .map_err(|e| PageError(ApiError::internal(&e)))?,
    );
    res.headers_mut().append(
        header::SET_COOKIE,
        clear
            .parse()
            .map_err(|e| PageError(ApiError::internal(&e)))?,
    );
    Ok(res)
}

/// `POST /logout`
pub async fn logout(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    if let Via::Session { id_hash, .. } = &ctx.caller.via {
        state.store().delete_session(id_hash).await?;
    }
    state.forget_callers();
    shareline_app::audit::record(
        state.store(),
        &ctx.caller.actor(),
        None,
        "session.logout",
        &ctx.caller.user.email,
        None,
        None,
    )
    .await?;
    let clear = auth::set_cookie(&state, auth::SESSION_COOKIE, "", 0);
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response())
}

/// `GET /static/app.css`
pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
        .into_response()
}

/// `GET /static/app.js`
pub async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.js"),
    )
        .into_response()
}

// ---------------------------------------------------------------- overview

/// A row of the overview table, formatted.
struct OverviewRow {
    id: String,
    name: String,
    score: String,
    score_class: &'static str,
    critical: i64,
    high: i64,
    medium: i64,
    low: i64,
    provider: i64,
    msp: i64,
    customer: i64,
    unowned: i64,
    gaps: i64,
    last_scan: String,
    last_status: String,
    evaluated: bool,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    layout: Layout,
    totals: PostureSnapshot,
    total_score: String,
    tenant_count: usize,
    rows: Vec<OverviewRow>,
    page: i64,
    pages: i64,
    chart: String,
}

fn score_class(s: i64) -> &'static str {
    match s {
        900.. => "good",
        700..900 => "fair",
        _ => "poor",
    }
}

/// `GET /`
pub async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(paging): Query<Paging>,
) -> PageResult {
    let o = views::overview(&state, &ctx.caller).await?;
    let page = Page::of(&o.tenants, paging);
    let rows = page
        .items
        .iter()
        .map(|t| {
            let p = t.posture.clone().unwrap_or_default();
            OverviewRow {
                id: t.id.clone(),
                name: t.name.clone(),
                score: t.posture.as_ref().map_or("—".into(), |p| score(p.score)),
                score_class: t.posture.as_ref().map_or("none", |p| score_class(p.score)),
                critical: p.fail_critical,
                high: p.fail_high,
                medium: p.fail_medium,
                low: p.fail_low,
                provider: p.own_provider,
                msp: p.own_msp,
                customer: p.own_customer,
                unowned: p.own_none,
                gaps: p.gaps,
                last_scan: t
                    .activity
                    .as_ref()
                    .and_then(|a| a.last_scan_at.as_ref())
                    .map_or("never".into(), when),
                last_status: t
                    .activity
                    .as_ref()
                    .and_then(|a| a.last_scan_status.clone())
                    .unwrap_or_default(),
                evaluated: t.posture.is_some(),
            }
        })
        .collect();
    let chart = crate::charts::trend(&o.trend);
    render(&OverviewPage {
        layout: Layout::new("MSP overview", Some(&ctx.caller)),
        total_score: score(o.totals.score),
        tenant_count: o.tenants.len(),
        totals: o.totals.clone(),
        rows,
        page: page.page,
        pages: page.pages(),
        chart,
    })
}

// ---------------------------------------------------------------- queue

/// Where a check fails: (tenant name, tenant id, failing resources).
type WhereRow = (String, String, i64);

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    layout: Layout,
    filter: QueueFilter,
    items: Vec<views::QueueItem>,
    total: i64,
    page: i64,
    pages: i64,
    can_mute: bool,
    detail: Option<(String, Vec<WhereRow>)>,
    notice: Option<String>,
    default_expiry: String,
}

/// Query of the queue page.
#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    #[serde(flatten)]
    filter: QueueFilter,
    /// Show where this check fails.
    #[serde(default)]
    check: Option<String>,
    /// A message from the last action.
    #[serde(default)]
    done: Option<String>,
}

/// `GET /queue`
pub async fn queue(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<QueueQuery>,
    Query(paging): Query<Paging>,
) -> PageResult {
    let items = views::queue(&state, &ctx.caller, &q.filter).await?;
    let page = Page::of(&items, paging);
    let detail = match q.check.as_deref().filter(|c| !c.is_empty()) {
        Some(check) => {
            let visible = auth::visible_tenants(&state, &ctx.caller.principal).await?;
            let names: std::collections::HashMap<String, String> = state
                .store()
                .list_tenants()
                .await?
                .into_iter()
                .map(|t| (t.id.as_str().to_owned(), t.name))
                .collect();
            let rows = state
                .store()
                .check_tenants(check, &visible)
                .await?
                .into_iter()
                .map(|(t, n)| (names.get(&t).cloned().unwrap_or_default(), t, n))
                .collect();
            Some((check.to_owned(), rows))
        }
        None => None,
    };
    let can_mute = auth::visible_tenants(&state, &ctx.caller.principal)
        .await?
        .iter()
        .any(|t| ctx.authorize(Action::MuteFindings, t).is_ok());
    render(&QueuePage {
        layout: Layout::new("Findings queue", Some(&ctx.caller)),
        filter: q.filter,
        total: page.total,
        page: page.page,
        pages: page.pages(),
        items: page.items,
        can_mute,
        detail,
        notice: q.done,
        default_expiry: (Utc::now() + chrono::Duration::days(30))
            .format("%Y-%m-%d")
            .to_string(),
    })
}

/// The queue's bulk-mute form: checks ticked in the queue, muted in every
/// tenant where they fail and the caller may mute.
#[derive(Debug, Deserialize)]
pub struct BulkMuteForm {
    #[serde(default)]
    check: Vec<String>,
    reason: String,
    expires: String,
}

/// `POST /queue/mute`
pub async fn bulk_mute(
    State(state): State<AppState>,
    ctx: Ctx,
    body: axum::body::Bytes,
) -> PageResult {
    // Repeated `check` fields need the pairs form of urlencoding.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| PageError(ApiError::invalid(format!("form: {e}"))))?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let f = BulkMuteForm {
        check: pairs
            .iter()
            .filter(|(n, _)| n == "check")
            .map(|(_, v)| v.clone())
            .collect(),
        reason: get("reason"),
        expires: get("expires"),
    };
    if f.check.is_empty() {
        return Err(PageError(ApiError::invalid(
            "tick at least one check to mute",
        )));
    }
    let visible = auth::visible_tenants(&state, &ctx.caller.principal).await?;
    let mutable: Vec<TenantId> = visible
        .into_iter()
        .filter(|t| ctx.authorize(Action::MuteFindings, t).is_ok())
        .collect();
    let mut count = 0;
    for check in &f.check {
        let tenants: Vec<String> = state
            .store()
            .check_tenants(check, &mutable)
            .await?
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        if tenants.is_empty() {
            continue;
        }
        count += tenants.len();
        crate::api::bulk_mute_in(
            &state,
            &ctx,
            BulkMute {
                check: check.clone(),
                tenants,
                reason: f.reason.clone(),
                expires: f.expires.clone(),
            },
        )
        .await?;
    }
    let msg = format!("Muted {} check(s) in {count} tenant(s).", f.check.len());
    Ok(Redirect::to(&format!("/queue?done={}", url_encode(&msg))).into_response())
}

// ---------------------------------------------------------------- tenant

#[derive(Template)]
#[template(path = "tenant.html")]
struct TenantPage {
    layout: Layout,
    t: views::TenantView,
    score: String,
    can_scan: bool,
    scannable: bool,
    can_audit: bool,
}

/// `GET /t/{tenant}`
pub async fn tenant(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let tenant = ctx.tenant()?.clone();
    let t = views::tenant(&state, &tenant).await?;
    let name = t.tenant.name.clone();
    render(&TenantPage {
        layout: Layout::new(name.clone(), Some(&ctx.caller)).crumb(name, format!("/t/{tenant}")),
        score: t.posture.as_ref().map_or("—".into(), |p| score(p.score)),
        can_scan: ctx.authorize(Action::StartScan, &tenant).is_ok(),
        scannable: t
            .accounts
            .iter()
            .any(|a| a.account.access_mode != "import_only"),
        can_audit: ctx.authorize(Action::ReadAudit, &tenant).is_ok(),
        t,
    })
}

// ---------------------------------------------------------------- findings

struct FindingRow {
    id: String,
    severity: String,
    status: String,
    title: String,
    resource: String,
    account: String,
    region: String,
    owner: String,
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    layout: Layout,
    tenant: String,
    q: FindingQuery,
    rows: Vec<FindingRow>,
    total: i64,
    page: i64,
    pages: i64,
    query: String,
}

/// `GET /t/{tenant}/findings`
pub async fn findings(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FindingQuery>,
    Query(paging): Query<Paging>,
) -> PageResult {
    let tenant = ctx.tenant()?.clone();
    let name = tenant_name(&state, &tenant).await?;
    let all = shareline_app::findings::list(state.store(), &tenant, &q.filter()?).await?;
    let page = Page::of(&all, paging);
    let rows = page
        .items
        .iter()
        .map(|v| {
            let r = &v.finding.result;
            FindingRow {
                id: r.id.clone(),
                severity: r.severity.as_str().to_owned(),
                status: r.status.as_str().to_owned(),
                title: v.title.clone(),
                resource: if r.name.is_empty() {
                    r.key.resource_id.clone()
                } else {
                    r.name.to_string()
                },
                account: r.key.account_id.clone(),
                region: r.key.region.clone(),
                owner: r.owner.map_or("unrouted", |p| p.as_str()).to_owned(),
            }
        })
        .collect();
    let query = [
        ("status", &q.status),
        ("severity", &q.severity),
        ("service", &q.service),
        ("check", &q.check),
        ("owner", &q.owner),
        ("account", &q.account),
    ]
    .iter()
    .filter_map(|(k, v)| {
        v.as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| format!("{k}={}&", url_encode(v)))
    })
    .collect::<String>();
    render(&FindingsPage {
        layout: Layout::new(format!("Findings · {name}"), Some(&ctx.caller))
            .crumb(name, format!("/t/{tenant}"))
            .crumb("Findings", format!("/t/{tenant}/findings")),
        tenant: tenant.as_str().to_owned(),
        q,
        rows,
        total: page.total,
        page: page.page,
        pages: page.pages(),
        query,
    })
}

async fn tenant_name(state: &AppState, tenant: &TenantId) -> Result<String, ApiError> {
    Ok(state
        .store()
        .get_tenant(tenant)
        .await?
        .map(|t| t.name)
        .unwrap_or_else(|| tenant.as_str().to_owned()))
}

#[derive(Template)]
#[template(path = "finding.html")]
struct FindingPage {
    layout: Layout,
    tenant: String,
    d: shareline_app::findings::FindingDetail,
    evidence: String,
    rid: Option<i64>,
    can_mute: bool,
    default_expiry: String,
    first_seen: String,
    last_seen: String,
    history: Vec<(String, String, String)>,
}

/// `GET /t/{tenant}/findings/{id}`
pub async fn finding(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let tenant = ctx.tenant()?.clone();
    let name = tenant_name(&state, &tenant).await?;
    let d = shareline_app::findings::show(state.store(), &tenant, &id).await?;
    let r = &d.view.finding.result;
    let rid = state
        .store()
        .find_resource(&tenant, &r.arn)
        .await
        .ok()
        .map(|row| row.rid);
    let evidence = match (&r.evidence.field, &r.evidence.value) {
        (Some(f), Some(v)) => format!(
            "{f} = {}",
            serde_json::to_string_pretty(v).unwrap_or_default()
        ),
        (Some(f), None) => f.clone(),
        _ => String::new(),
    };
    let history = d
        .history
        .iter()
        .map(|e| {
            (
                when(&e.at),
                e.kind.clone(),
                match (e.from, e.to) {
                    (Some(a), Some(b)) => format!("{} → {}", a.as_str(), b.as_str()),
                    (None, Some(b)) => b.as_str().to_owned(),
                    _ => String::new(),
                },
            )
        })
        .collect();
    let title = d.view.title.clone();
    render(&FindingPage {
        layout: Layout::new(title.clone(), Some(&ctx.caller))
            .crumb(name, format!("/t/{tenant}"))
            .crumb("Findings", format!("/t/{tenant}/findings"))
            .crumb(title, format!("/t/{tenant}/findings/{id}")),
        tenant: tenant.as_str().to_owned(),
        evidence,
        rid,
        can_mute: ctx.authorize(Action::MuteFindings, &tenant).is_ok() && r.status == Status::Fail,
        default_expiry: (Utc::now() + chrono::Duration::days(30))
            .format("%Y-%m-%d")
            .to_string(),
        first_seen: when(&d.view.finding.first_seen),
        last_seen: when(&d.view.finding.last_seen),
        history,
        d,
    })
}

// ---------------------------------------------------------------- resource

struct VersionView {
    version: i64,
    captured: String,
    change: String,
    ops: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "resource.html")]
struct ResourcePage {
    layout: Layout,
    row: Value,
    document: String,
    versions: Vec<VersionView>,
}

/// `GET /t/{tenant}/resources/{rid}`
pub async fn resource(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, rid)): Path<(String, String)>,
) -> PageResult {
    let tenant = ctx.tenant()?.clone();
    let name = tenant_name(&state, &tenant).await?;
    let detail = crate::api::resource_detail(&state, &tenant, &rid).await?;
    let document = serde_json::to_string_pretty(&detail["document"]).unwrap_or_default();
    let mut versions: Vec<VersionView> = detail["history"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| VersionView {
            version: h["version"].as_i64().unwrap_or_default(),
            captured: h["captured_at"]
                .as_str()
                .unwrap_or_default()
                .replace('T', " "),
            change: h["change"].as_str().unwrap_or_default().to_owned(),
            ops: h["patch"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|op| {
                    (
                        op["op"].as_str().unwrap_or_default().to_owned(),
                        op["path"].as_str().unwrap_or_default().to_owned(),
                        op.get("value").map(|v| v.to_string()).unwrap_or_default(),
                    )
                })
                .collect(),
        })
        .collect();
    versions.reverse();
    let label = detail["resource"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    render(&ResourcePage {
        layout: Layout::new(format!("Resource {label}"), Some(&ctx.caller))
            .crumb(name, format!("/t/{tenant}"))
            .crumb(label, format!("/t/{tenant}/resources/{rid}")),
        row: detail["resource"].clone(),
        document,
        versions,
    })
}

// ---------------------------------------------------------------- matrix

struct CellView {
    area: String,
    model: String,
    owner: String,
    layer: String,
    copied: String,
}

#[derive(Template)]
#[template(path = "matrix.html")]
struct MatrixPage {
    layout: Layout,
    tenant: String,
    offering: String,
    cells: Vec<CellView>,
    areas: Vec<String>,
    targets: Vec<String>,
    can_edit: bool,
    history: Vec<(String, String, String, String, String)>,
    notice: Option<String>,
}

fn cell_view(c: &shareline_app::responsibility::MatrixCell) -> CellView {
    CellView {
        area: c.area.clone(),
        model: c.service.clone().unwrap_or_else(|| c.model.clone()),
        owner: c.resolution.owner.as_str().to_owned(),
        layer: serde_json::to_value(c.resolution.layer)
            .ok()
            .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
            .unwrap_or_default(),
        copied: c
            .resolution
            .copied
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// `?done=` after an edit.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

/// `GET /t/{tenant}/matrix`
pub async fn matrix(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(dq): Query<DoneQuery>,
) -> PageResult {
    let tenant = ctx.tenant()?.clone();
    let name = tenant_name(&state, &tenant).await?;
    let now = Utc::now();
    let m = shareline_app::responsibility::show(state.store(), &tenant, now, now).await?;
    let mut cells: Vec<CellView> = m.cells.iter().map(cell_view).collect();
    cells.extend(m.service_cells.iter().map(cell_view));
    let mut areas: Vec<String> = m.cells.iter().map(|c| c.area.clone()).collect();
    areas.sort();
    areas.dedup();
    let mut targets: Vec<String> = m.cells.iter().map(|c| c.model.clone()).collect();
    targets.extend(m.service_cells.iter().filter_map(|c| c.service.clone()));
    targets.sort();
    targets.dedup();
    let history = shareline_app::responsibility::history(state.store(), &tenant)
        .await?
        .into_iter()
        .rev()
        .take(50)
        .map(|h| match h {
            shareline_app::responsibility::HistoryEntry::Assignment(a) => (
                when(&a.recorded_at),
                a.author.clone(),
                format!("{} · {}", a.area, target_label(&a.target)),
                format!("{} from {}", a.party.as_str(), a.valid_from.date_naive()),
                a.reason.clone(),
            ),
            shareline_app::responsibility::HistoryEntry::Offering(o) => (
                when(&o.recorded_at),
                o.author.clone(),
                "offering".into(),
                o.offering_id.clone().unwrap_or_else(|| "none".into()),
                format!("from {}", o.valid_from.date_naive()),
            ),
        })
        .collect();
    render(&MatrixPage {
        layout: Layout::new(format!("Responsibility · {name}"), Some(&ctx.caller))
            .crumb(name, format!("/t/{tenant}"))
            .crumb("Responsibility", format!("/t/{tenant}/matrix")),
        tenant: tenant.as_str().to_owned(),
        offering: m.offering.unwrap_or_else(|| "none".into()),
        cells,
        areas,
        targets,
        can_edit: ctx.authorize(Action::EditMatrix, &tenant).is_ok(),
        history,
        notice: dq.done,
    })
}

fn target_label(t: &shareline_engine::responsibility::Target) -> String {
    use shareline_engine::responsibility::Target;
    match t {
        Target::Service { service } => service.clone(),
        Target::ServiceModel { model } => model.clone(),
        Target::All => "all".into(),
        Target::Selector {
            account,
            tag,
            resource,
        } => format!(
            "{}{}{}",
            account
                .as_deref()
                .map(|a| format!("account {a} "))
                .unwrap_or_default(),
            tag.as_deref()
                .map(|a| format!("tag {a} "))
                .unwrap_or_default(),
            resource.as_deref().unwrap_or_default()
        ),
    }
}

/// The matrix edit form.
#[derive(Debug, Deserialize)]
pub struct MatrixForm {
    area: String,
    applies_to: String,
    party: String,
    #[serde(default)]
    from: Option<String>,
    reason: String,
}

/// `POST /t/{tenant}/matrix`
pub async fn set_matrix(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<MatrixForm>,
) -> PageResult {
    let tenant = ctx.tenant()?.clone();
    crate::api::edit_matrix(
        &state,
        &ctx,
        MatrixEdit {
            area: f.area.clone(),
            applies_to: f.applies_to.clone(),
            party: f.party.clone(),
            copied: Vec::new(),
            from: f.from,
            until: None,
            reason: f.reason,
        },
    )
    .await?;
    let msg = format!(
        "{} for {} is now owned by {}.",
        f.area, f.applies_to, f.party
    );
    Ok(Redirect::to(&format!("/t/{tenant}/matrix?done={}", url_encode(&msg))).into_response())
}

// ---------------------------------------------------------------- scans

#[derive(Template)]
#[template(path = "scan.html")]
struct ScanPage {
    layout: Layout,
    tenant: String,
    job: ScanJob,
    running: bool,
    can_cancel: bool,
    created: String,
    accounts: Vec<(String, String, String)>,
}

/// `POST /t/{tenant}/scans`
pub async fn start_scan(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let tenant = ctx.tenant()?.clone();
    let job = crate::jobs::start(&state, &ctx).await?;
    Ok(Redirect::to(&format!("/t/{tenant}/scans/{}", job.id)).into_response())
}

/// `GET /t/{tenant}/scans/{id}`
pub async fn scan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let tenant = ctx.tenant()?.clone();
    let name = tenant_name(&state, &tenant).await?;
    let job = state
        .store()
        .get_scan_job(&tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("scan"))?;
    let running = matches!(job.status.as_str(), "queued" | "running");
    let accounts = job
        .result
        .as_ref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|a| {
            (
                a["account_id"].as_str().unwrap_or_default().to_owned(),
                a["status"].as_str().unwrap_or_default().to_owned(),
                a["failed_scopes"]
                    .as_array()
                    .map(|v| {
                        v.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .filter(|s| !s.is_empty())
                    .or_else(|| a["error"].as_str().map(str::to_owned))
                    .unwrap_or_default(),
            )
        })
        .collect();
    render(&ScanPage {
        layout: Layout::new(format!("Scan · {name}"), Some(&ctx.caller))
            .crumb(name, format!("/t/{tenant}"))
            .crumb("Scan", format!("/t/{tenant}/scans/{id}")),
        tenant: tenant.as_str().to_owned(),
        running,
        can_cancel: running && ctx.authorize(Action::CancelScan, &tenant).is_ok(),
        created: when(&job.created_at),
        accounts,
        job,
    })
}

/// `POST /t/{tenant}/scans/{id}/cancel`
pub async fn cancel_scan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let tenant = ctx.tenant()?.clone();
    crate::jobs::cancel(&state, &ctx, &id).await?;
    Ok(Redirect::to(&format!("/t/{tenant}/scans/{id}")).into_response())
}

// ---------------------------------------------------------------- audit

struct AuditView {
    seq: i64,
    at: String,
    actor: String,
    tenant: String,
    action: String,
    target: String,
    change: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<AuditView>,
    older: Option<i64>,
    base: String,
}

fn audit_views(rows: &[shareline_access::audit::AuditEntry]) -> Vec<AuditView> {
    rows.iter()
        .map(|e| AuditView {
            seq: e.seq,
            at: when(&e.at),
            actor: e.actor.clone(),
            tenant: e.tenant.clone().unwrap_or_default(),
            action: e.action.clone(),
            target: e.target.clone(),
            change: match (&e.before, &e.after) {
                (Some(b), Some(a)) => format!("{b} → {a}"),
                (None, Some(a)) => a.to_string(),
                (Some(b), None) => format!("was {b}"),
                (None, None) => String::new(),
            },
        })
        .collect()
}

/// `GET /audit`
pub async fn audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let rows = crate::api::audit_list(
        &state,
        &ctx,
        &AuditQuery {
            before: q.before,
            limit: Some(limit),
        },
    )
    .await?;
    let older = (i64::try_from(rows.len()).unwrap_or(0) == limit)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    render(&AuditPage {
        layout: Layout::new("Audit log", Some(&ctx.caller)),
        rows: audit_views(&rows),
        older,
        base: "/audit".into(),
    })
}

/// `GET /t/{tenant}/audit`
pub async fn tenant_audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let tenant = ctx.tenant()?.clone();
    let name = tenant_name(&state, &tenant).await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let rows = state
        .store()
        .list_audit(std::slice::from_ref(&tenant), false, q.before, limit)
        .await?;
    let older = (i64::try_from(rows.len()).unwrap_or(0) == limit)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    render(&AuditPage {
        layout: Layout::new(format!("Audit log · {name}"), Some(&ctx.caller))
            .crumb(name, format!("/t/{tenant}"))
            .crumb("Audit log", format!("/t/{tenant}/audit")),
        rows: audit_views(&rows),
        older,
        base: format!("/t/{tenant}/audit"),
    })
}

/// The mute form on a finding page.
#[derive(Debug, Deserialize)]
pub struct MuteForm {
    reason: String,
    expires: String,
    #[serde(default)]
    scope: Option<String>,
}

/// `POST /t/{tenant}/findings/{id}/mute`: mutes this check on this
/// resource (or, with `scope=check`, everywhere in the tenant).
pub async fn mute_finding(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<MuteForm>,
) -> PageResult {
    let tenant = ctx.tenant()?.clone();
    let finding = state.store().get_finding(&tenant, &id).await?;
    let r = &finding.result;
    let resources = if f.scope.as_deref() == Some("check") {
        Vec::new()
    } else {
        vec![r.arn.to_string()]
    };
    let mute = shareline_app::findings::add_mute(
        state.store(),
        &tenant,
        shareline_app::findings::NewMute {
            check: r.check_id.to_string(),
            resources,
            reason: f.reason,
            author: ctx.caller.user.email.clone(),
            expires_at: Some(parse_date(&f.expires)?),
            ..Default::default()
        },
    )
    .await?;
    crate::api::reevaluate(&state, &tenant).await?;
    record_audit(
        &state,
        &ctx,
        Some(&tenant),
        "mute.add",
        &mute.id,
        None,
        serde_json::to_value(&mute).ok(),
    )
    .await?;
    Ok(Redirect::to(&format!("/t/{tenant}/findings/{id}")).into_response())
}
