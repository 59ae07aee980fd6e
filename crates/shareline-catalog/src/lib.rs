//! The catalog's types and their validation: check metadata (one TOML file per
//! check under `catalog/checks/<provider>/<service>/<name>.toml`) and
//! compliance frameworks (one TOML file per framework version under
//! `catalog/frameworks/`) and the providers' responsibility models
//! (`catalog/responsibility/<provider>.toml`).
//!
//! This crate is a build dependency of `shareline-checks`, whose build script
//! validates every file with [`CheckMeta::parse`] and [`Framework::parse`] and
//! fails the build naming the file and the field. It does no I/O: callers hand
//! it the text.

pub mod check;
pub mod framework;
pub mod responsibility;

pub use check::{
    AREAS, Assert, CATEGORIES, CheckMeta, PredicateKind, Remediation, Rule, Severity, check_id,
};
pub use framework::{Assessment, Framework, Requirement};
pub use responsibility::{Cell, OwnerClass, ProviderModel, SERVICE_MODELS};

/// A catalog file that does not parse or does not validate.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct CatalogError {
    /// The file, as the caller named it.
    pub file: String,
    /// What is wrong, naming the field.
    pub message: String,
}

impl CatalogError {
    pub(crate) fn new(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            message: message.into(),
        }
    }
}
