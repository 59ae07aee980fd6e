//! Shareline's pure domain types: tenants, accounts, collections and the
//! canonical resource.
//!
//! This crate owns the vocabulary of `../shared/DESIGN.md` as Rust types. It
//! depends on serde and a hash function only: no I/O, no async, no cloud SDK.

pub mod attr;
pub mod ids;
pub mod resource;

pub use attr::Attr;
pub use ids::{AwsAccountId, IdError, TenantId};
pub use resource::{Relationship, Resource, ResourceKey};

/// The lifecycle state of one collection run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionStatus {
    /// Still running; its data is not visible to readers.
    Running,
    /// Every service and region answered.
    Succeeded,
    /// Some services or regions failed; what did answer was applied, the rest kept
    /// its last good data.
    Partial,
    /// Nothing usable came back; the inventory is untouched.
    Failed,
    /// Stopped by the operator; the inventory is untouched.
    Cancelled,
}

impl CollectionStatus {
    /// Returns the stable lower-case name used in storage and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Partial => "partial",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses the stored name.
    ///
    /// # Errors
    /// Returns the unknown text when it names no status.
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "partial" => Self::Partial,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            other => return Err(other.to_owned()),
        })
    }
}

impl std::fmt::Display for CollectionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
