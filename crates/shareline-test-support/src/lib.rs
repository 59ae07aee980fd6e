//! Test helpers shared by the crates' integration tests. A dev-dependency
//! only; startup failures here panic with a message saying what to install.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly on broken set-up"
)]

pub mod browser;
pub mod fault_proxy;
pub mod moto;
pub mod postgres;

/// Returns the workspace root: two levels above the crate under test
/// (`cargo test` sets `CARGO_MANIFEST_DIR` for each test binary), or above
/// this crate outside cargo. Read when the tests run, not when this crate
/// was compiled: a build cache shared between checkouts can hold this
/// crate compiled in another checkout, possibly one since deleted.
pub fn workspace_root() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(
            || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            std::path::PathBuf::from,
        )
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Returns the project venv's Python (`.venv/bin/python`), where
/// `scripts/test` installs moto and the OCSF schema validator.
pub fn venv_python() -> std::path::PathBuf {
    workspace_root().join(".venv/bin/python")
}
