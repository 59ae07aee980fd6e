//! Shareline's security primitives, for the server to build on: who may do
//! what ([`Role`], [`Principal`], [`authorize`]), password hashing with
//! Argon2id, API tokens, session ids and CSRF tokens, the login rate limiter
//! and the tamper-evident audit chain.
//!
//! Pure: no I/O, no async, no database. Time is passed in by the caller, so
//! every decision here is deterministic and testable.

pub mod audit;
pub mod password;
pub mod policy;
pub mod ratelimit;
pub mod role;
pub mod token;

pub use audit::{
    AuditDraft, AuditEntry, ChainBreak, GENESIS_HASH, entry_hash, redact, seal, verify_chain,
    verify_chain_from,
};
pub use password::{
    PasswordParams, check_password_policy, hash_password, hash_password_with, needs_rehash,
    verify_password,
};
pub use policy::{Action, Denied, authorize, can_grant, visible, visible_tenants};
pub use ratelimit::{LimitPolicy, LoginLimiter, RetryAfter};
pub use role::{Principal, Role, TenantScope};
pub use shareline_model::TenantId;
pub use token::{
    Secret, csrf_matches, generate_api_token, generate_csrf_token, generate_secret,
    generate_session_id, token_hash, token_matches,
};

/// Why a security primitive refused its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// A role id that is not one of [`Role::ALL`].
    #[error(
        "unknown role `{0}`: use msp_admin, msp_engineer, customer_admin, customer_viewer or auditor"
    )]
    UnknownRole(String),
    /// A principal needs a user id.
    #[error("a user id must not be empty")]
    EmptyUserId,
    /// Customer roles belong to exactly one tenant.
    #[error("role {role} belongs to exactly one tenant, but {count} were given")]
    CustomerRoleNeedsOneTenant {
        /// The customer role.
        role: Role,
        /// How many tenants were given (`all` for every tenant).
        count: String,
    },
    /// The password is shorter than the policy allows.
    #[error("the password is too short: use at least {min} characters (it has {len})")]
    PasswordTooShort {
        /// The minimum length, in characters.
        min: usize,
        /// The given length, in characters.
        len: usize,
    },
    /// The password is longer than the policy allows.
    #[error("the password is too long: use at most {max} characters")]
    PasswordTooLong {
        /// The maximum length, in characters.
        max: usize,
    },
    /// The password repeats one character.
    #[error("the password repeats a single character: choose a passphrase or a generated password")]
    PasswordRepetitive,
    /// The hasher refused its parameters or input.
    #[error("password hashing failed: {0}")]
    Hash(String),
}
