//! Reads AWS accounts through the official AWS SDK for Rust into canonical
//! resources ([`shareline_model::Resource`]).
//!
//! One module per service under [`services`], each declaring the IAM
//! permissions it needs; [`run::collect_account`] fans out over services and
//! regions. This crate never touches the store: it returns what it read and
//! what failed, and the app decides what becomes visible.

pub mod ctx;
pub mod error;
pub mod onboarding;
pub mod run;
pub mod services;

pub use ctx::{Access, AccountTarget, Secret, Tuning};
pub use error::{CollectError, ErrorKind};
pub use run::{AccountCollection, Limits, NoProgress, Progress, ScopeResult, collect_account};
pub use services::{SERVICES, ServiceDef, all_permissions, service};
