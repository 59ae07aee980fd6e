//! Shareline's server: the `/api/v1` JSON API, the web UI (the MSP's single
//! pane of glass), sessions and API tokens, one authorization guard in front
//! of every route, background scans and the audit log.
//!
//! Every route is declared once in [`routes::ROUTES`] with the action it
//! needs; the router, the guard, the OpenAPI document and the isolation
//! tests all come from that table.

pub mod api;
pub mod auth;
mod charts;
pub mod error;
mod extract;
mod headers;
pub mod jobs;
pub mod openapi;
pub mod pages;
pub mod routes;
pub mod state;
pub mod views;

use std::net::SocketAddr;

pub use routes::{Kind, ROUTES, RouteDef};
pub use state::{AppState, ServerConfig};

/// Serves until `shutdown` resolves. Scans left running by an earlier
/// process are marked failed first.
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(tenants) = state.store().list_tenants().await {
        let ids: Vec<_> = tenants.into_iter().map(|t| t.id).collect();
        if let Err(e) = state.store().fail_stale_scan_jobs(&ids).await {
            tracing::warn!(error = %e, "could not close scans left by an earlier run");
        }
    }
    let app = routes::router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
