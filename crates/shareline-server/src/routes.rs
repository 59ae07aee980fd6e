//! Every route in one table: its method, path, kind (JSON API or page), the
//! action it needs and a summary. The router, the guard, the OpenAPI
//! document and the isolation test are all built from this table, so a
//! route cannot exist without an authorization rule or go undocumented.

use axum::Router;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, post, put};
use shareline_access::Action;

use crate::state::AppState;
use crate::{api, pages};

/// What a route answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// JSON under `/api/v1`.
    Api,
    /// An HTML page or form post.
    Page,
}

/// One route.
#[derive(Debug)]
pub struct RouteDef {
    /// The HTTP method.
    pub method: Method,
    /// The path, with `{param}` segments.
    pub path: &'static str,
    /// JSON or HTML.
    pub kind: Kind,
    /// The action the caller needs; `None` for public routes.
    pub action: Option<Action>,
    /// What it does.
    pub summary: &'static str,
    /// Its handler.
    pub handler: fn() -> MethodRouter<AppState>,
}

macro_rules! route {
    ($m:ident $path:literal, $kind:ident, $action:expr, $summary:literal, $make:expr) => {
        RouteDef {
            method: Method::$m,
            path: $path,
            kind: Kind::$kind,
            action: $action,
            summary: $summary,
            handler: $make,
        }
    };
}

use Action::*;

/// Every route of the server.
pub static ROUTES: &[RouteDef] = &[
    // The JSON API.
    route!(GET "/api/v1/openapi.json", Api, None, "This OpenAPI document", || get(api::openapi)),
    route!(GET "/api/v1/me", Api, Some(ManageOwnTokens), "The caller: user, role and tenants", || get(api::me)),
    route!(GET "/api/v1/overview", Api, Some(ReadPosture), "Every visible tenant's posture, with a 30-day trend", || get(api::overview)),
    route!(GET "/api/v1/queue", Api, Some(ReadPosture), "Failing checks across visible tenants, worst first", || get(api::queue)),
    route!(POST "/api/v1/queue/mute", Api, Some(MuteFindings), "Mutes a check in several tenants at once", || post(api::bulk_mute)),
    route!(GET "/api/v1/tenants", Api, Some(ReadPosture), "Visible tenants", || get(api::tenants)),
    route!(GET "/api/v1/tenants/{tenant}", Api, Some(ReadPosture), "One tenant: accounts, collections, posture", || get(api::tenant)),
    route!(GET "/api/v1/tenants/{tenant}/findings", Api, Some(ReadPosture), "A tenant's findings, filtered and paginated", || get(api::findings)),
    route!(GET "/api/v1/tenants/{tenant}/findings/{id}", Api, Some(ReadPosture), "One finding with evidence, remediation and history", || get(api::finding)),
    route!(GET "/api/v1/tenants/{tenant}/resources", Api, Some(ReadPosture), "A tenant's resources, paginated", || get(api::resources)),
    route!(GET "/api/v1/tenants/{tenant}/resources/{rid}", Api, Some(ReadPosture), "One resource with its configuration and version diffs", || get(api::resource)),
    route!(GET "/api/v1/tenants/{tenant}/compliance/{framework}", Api, Some(ReadPosture), "Compliance with one framework", || get(api::compliance)),
    route!(GET "/api/v1/tenants/{tenant}/gaps", Api, Some(ReadPosture), "Layers nobody owns", || get(api::gaps)),
    route!(GET "/api/v1/tenants/{tenant}/mutes", Api, Some(ReadPosture), "Active and removed mutes", || get(api::mutes)),
    route!(POST "/api/v1/tenants/{tenant}/mutes", Api, Some(MuteFindings), "Adds a mute (reason and expiry required)", || post(api::add_mute)),
    route!(DELETE "/api/v1/tenants/{tenant}/mutes/{id}", Api, Some(MuteFindings), "Removes a mute", || delete(api::remove_mute)),
    route!(GET "/api/v1/tenants/{tenant}/matrix", Api, Some(ReadMatrix), "The responsibility matrix in force", || get(api::matrix)),
    route!(PUT "/api/v1/tenants/{tenant}/matrix", Api, Some(EditMatrix), "Assigns one area of the matrix", || put(api::set_matrix)),
    route!(GET "/api/v1/tenants/{tenant}/matrix/history", Api, Some(ReadMatrix), "Every recorded change to the matrix", || get(api::matrix_history)),
    route!(GET "/api/v1/tenants/{tenant}/scans", Api, Some(ReadPosture), "Recent scans", || get(api::scans)),
    route!(POST "/api/v1/tenants/{tenant}/scans", Api, Some(StartScan), "Starts a scan in the background", || post(api::start_scan)),
    route!(GET "/api/v1/tenants/{tenant}/scans/{id}", Api, Some(ReadPosture), "One scan's progress", || get(api::scan)),
    route!(POST "/api/v1/tenants/{tenant}/scans/{id}/cancel", Api, Some(CancelScan), "Cancels a running scan", || post(api::cancel_scan)),
    route!(GET "/api/v1/tenants/{tenant}/audit", Api, Some(ReadAudit), "The tenant's audit log", || get(api::tenant_audit)),
    route!(GET "/api/v1/audit", Api, Some(ReadAudit), "The audit log across visible tenants", || get(api::audit)),
    route!(GET "/api/v1/users", Api, Some(ManageUsers), "Users the caller may manage", || get(api::users)),
    route!(POST "/api/v1/users", Api, Some(ManageUsers), "Creates a user", || post(api::create_user)),
    route!(POST "/api/v1/users/{id}/disable", Api, Some(ManageUsers), "Disables a user and ends its sessions and tokens", || post(api::disable_user)),
    route!(GET "/api/v1/tokens", Api, Some(ManageOwnTokens), "The caller's API tokens", || get(api::tokens)),
    route!(POST "/api/v1/tokens", Api, Some(ManageOwnTokens), "Creates an API token (shown once)", || post(api::create_token)),
    route!(DELETE "/api/v1/tokens/{id}", Api, Some(ManageOwnTokens), "Revokes an API token", || delete(api::revoke_token)),
    // The web UI.
    route!(GET "/login", Page, None, "Login form", || get(pages::login_form)),
    route!(POST "/login", Page, None, "Logs in", || post(pages::login)),
    route!(POST "/logout", Page, Some(ManageOwnTokens), "Logs out", || post(pages::logout)),
    route!(GET "/static/app.css", Page, None, "Style sheet", || get(pages::css)),
    route!(GET "/static/app.js", Page, None, "Progressive enhancement", || get(pages::js)),
    route!(GET "/", Page, Some(ReadPosture), "MSP overview", || get(pages::overview)),
    route!(GET "/queue", Page, Some(ReadPosture), "Cross-customer findings queue", || get(pages::queue)),
    route!(POST "/queue/mute", Page, Some(MuteFindings), "Bulk mute from the queue", || post(pages::bulk_mute)),
    route!(GET "/audit", Page, Some(ReadAudit), "Audit log", || get(pages::audit)),
    route!(GET "/t/{tenant}", Page, Some(ReadPosture), "Tenant page", || get(pages::tenant)),
    route!(GET "/t/{tenant}/findings", Page, Some(ReadPosture), "Tenant findings", || get(pages::findings)),
    route!(GET "/t/{tenant}/findings/{id}", Page, Some(ReadPosture), "Finding page", || get(pages::finding)),
    route!(POST "/t/{tenant}/findings/{id}/mute", Page, Some(MuteFindings), "Mutes a finding", || post(pages::mute_finding)),
    route!(GET "/t/{tenant}/resources/{rid}", Page, Some(ReadPosture), "Resource page", || get(pages::resource)),
    route!(GET "/t/{tenant}/matrix", Page, Some(ReadMatrix), "Responsibility matrix", || get(pages::matrix)),
    route!(POST "/t/{tenant}/matrix", Page, Some(EditMatrix), "Edits a matrix row", || post(pages::set_matrix)),
    route!(POST "/t/{tenant}/scans", Page, Some(StartScan), "Starts a scan", || post(pages::start_scan)),
    route!(GET "/t/{tenant}/scans/{id}", Page, Some(ReadPosture), "Scan progress", || get(pages::scan)),
    route!(POST "/t/{tenant}/scans/{id}/cancel", Page, Some(CancelScan), "Cancels a scan", || post(pages::cancel_scan)),
    route!(GET "/t/{tenant}/audit", Page, Some(ReadAudit), "Tenant audit log", || get(pages::tenant_audit)),
];

/// Builds the router: every route behind the guard, and a fallback that
/// answers 404 in the route family's format.
pub fn router(state: AppState) -> Router {
    let mut router: Router<AppState> = Router::new();
    for def in ROUTES {
        let st = state.clone();
        let guarded = (def.handler)().layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let st = st.clone();
                async move { crate::auth::guard(st, def, req, next).await }
            },
        ));
        router = router.route(def.path, guarded);
    }
    router
        .fallback(fallback)
        .layer(axum::middleware::from_fn(crate::headers::security_headers))
        .with_state(state)
}

async fn fallback(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    let e = crate::error::ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "no_route",
        format!("no route for {}", uri.path()),
    );
    if uri.path().starts_with("/api/") {
        e.into_response()
    } else {
        crate::error::PageError(e).into_response()
    }
}
