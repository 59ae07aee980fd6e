//! End-to-end tests of the use-cases: scans against moto (through a loopback
//! fault proxy), AWS Config imports, the demo estate.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod evaluate;
mod import;
mod responsibility;
mod scan;
