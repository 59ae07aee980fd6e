//! The server's tests: the API and its OpenAPI document, login and tokens,
//! the audit log, background scans against moto, the isolation test over
//! every route and role, and browser tests in headless Chromium.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod api;
mod browser;
mod harness;
mod isolation;
mod scans;
