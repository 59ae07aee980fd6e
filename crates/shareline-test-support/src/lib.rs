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

/// Returns the workspace root (two levels above this crate).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Returns the project venv's Python (`.venv/bin/python`), where
/// `scripts/test` installs moto and the OCSF schema validator.
pub fn venv_python() -> std::path::PathBuf {
    workspace_root().join(".venv/bin/python")
}
