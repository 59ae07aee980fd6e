//! Shareline's use-cases: tenants and accounts, scans through the AWS
//! collectors, AWS Config imports, the demo estate, resource history. The CLI
//! (and later the server) call these and nothing below them.

pub mod accounts;
pub mod audit;
pub mod demo;
pub mod evaluate;
pub mod findings;
pub mod history;
pub mod import;
pub mod mutelist;
pub mod oscal;
pub mod outputs;
pub mod posture;
pub mod responsibility;
pub mod scan;
pub mod secrets;

pub use shareline_store::{Store, StoreError};

/// Errors of the use-cases.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Input was refused at the edge.
    #[error("{0}")]
    Invalid(String),
    /// The master key is missing, malformed or wrong.
    #[error("{0}")]
    MasterKey(String),
    /// A file could not be read or parsed.
    #[error("{0}")]
    Import(String),
    /// A named thing does not exist.
    #[error("{0} not found")]
    NotFound(String),
}

impl From<shareline_model::IdError> for AppError {
    fn from(e: shareline_model::IdError) -> Self {
        Self::Invalid(e.to_string())
    }
}
