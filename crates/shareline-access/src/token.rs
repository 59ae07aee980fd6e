//! API tokens, session ids and CSRF tokens: random secrets whose SHA-256 is
//! what the server stores, compared in constant time.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of API tokens (`shl_…`), so leaked tokens are recognisable to scanners.
pub const API_TOKEN_PREFIX: &str = "shl_";
/// Prefix of session ids.
pub const SESSION_PREFIX: &str = "shs_";
/// Prefix of CSRF tokens.
pub const CSRF_PREFIX: &str = "shc_";

/// Random bytes in every secret (256 bits).
const SECRET_BYTES: usize = 32;

/// A secret value. `Debug` and `Display` print `Secret(***)`; read the value
/// only through [`Secret::expose`], to hand it to its owner once.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps an existing secret (for example one read from a request).
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its SHA-256 hex, the form to store ([`token_hash`]).
    pub fn hash(&self) -> String {
        token_hash(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A new secret: `prefix` followed by 32 random bytes in unpadded base64url
/// (43 characters).
pub fn generate_secret(prefix: &str) -> Secret {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    Secret(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// A new API token (`shl_…`). Show it once; store [`Secret::hash`].
pub fn generate_api_token() -> Secret {
    generate_secret(API_TOKEN_PREFIX)
}

/// A new session id (`shs_…`) for the cookie; store [`Secret::hash`].
pub fn generate_session_id() -> Secret {
    generate_secret(SESSION_PREFIX)
}

/// A new CSRF token (`shc_…`), one per session, kept with the session and
/// rendered into its forms; check submissions with [`csrf_matches`].
pub fn generate_csrf_token() -> Secret {
    generate_secret(CSRF_PREFIX)
}

/// SHA-256 hex of a secret. The secrets carry 256 random bits, so a fast hash
/// is enough: the stored hash cannot be reversed or guessed.
pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// True when `secret` hashes to `stored_hash`, compared in constant time.
pub fn token_matches(secret: &str, stored_hash: &str) -> bool {
    bool::from(token_hash(secret).as_bytes().ct_eq(stored_hash.as_bytes()))
}

/// True when the submitted CSRF token `given` equals the session's `expected`
/// one, compared in constant time (over their hashes, so the length of the
/// expected token is not leaked either). An empty expected token never matches.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    let same = Sha256::digest(expected.as_bytes()).ct_eq(&Sha256::digest(given.as_bytes()));
    !expected.is_empty() && bool::from(same)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_random_and_redacted() {
        let a = generate_api_token();
        let b = generate_api_token();
        assert!(a.expose().starts_with("shl_"));
        assert_eq!(a.expose().len(), 4 + 43);
        assert!(
            a.expose()[4..]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a.expose(), b.expose());
        assert_eq!(format!("{a:?} {a}"), "Secret(***) Secret(***)");
        assert!(generate_session_id().expose().starts_with("shs_"));
        assert!(generate_csrf_token().expose().starts_with("shc_"));
    }

    #[test]
    fn hashes_match_only_their_secret() {
        let s = generate_secret("x_");
        let stored = s.hash();
        assert_eq!(stored.len(), 64);
        assert_eq!(stored, token_hash(s.expose()));
        assert!(token_matches(s.expose(), &stored));
        assert!(!token_matches("x_other", &stored));
        assert!(!token_matches(s.expose(), ""));
        assert!(!token_matches(s.expose(), &stored[..63]));
        // Known vector: SHA-256("abc").
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn csrf() {
        let t = generate_csrf_token();
        assert!(csrf_matches(t.expose(), t.expose()));
        assert!(!csrf_matches(t.expose(), ""));
        assert!(!csrf_matches(t.expose(), &t.expose()[..10]));
        assert!(!csrf_matches("", ""));
    }
}
