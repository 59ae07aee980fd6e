//! End-to-end tests of the use-cases: scans against moto (through a loopback
//! fault proxy), AWS Config imports, the demo estate.

mod import;
mod scan;
