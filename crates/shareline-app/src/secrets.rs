//! Account secrets at rest: external ids and static keys are encrypted with
//! XChaCha20-Poly1305 under an operator-provided 32-byte master key, bound to
//! their tenant and account (as associated data), and never printed.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::AppError;

/// The environment variable holding the master key (64 hex digits or base64 of 32 bytes).
pub const KEY_ENV: &str = "SHARELINE_MASTER_KEY";
/// The environment variable naming a file that holds the master key.
pub const KEY_FILE_ENV: &str = "SHARELINE_MASTER_KEY_FILE";

/// The operator's master key.
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    /// Parses a key: 64 hex digits, or base64 of exactly 32 bytes.
    ///
    /// # Errors
    /// [`AppError::MasterKey`] saying what shape was expected (never echoing the text).
    pub fn parse(text: &str) -> Result<Self, AppError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).ok()
        } else {
            B64.decode(text).ok()
        };
        let bytes = bytes.filter(|b| b.len() == 32).ok_or_else(|| {
            AppError::MasterKey(
                "the master key must be 32 bytes, as 64 hex digits or base64 \
                 (make one with `shareline key generate`)"
                    .to_owned(),
            )
        })?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes);
        Ok(Self(key))
    }

    /// Loads the key from `SHARELINE_MASTER_KEY` or the file named by
    /// `SHARELINE_MASTER_KEY_FILE`; `None` when neither is set.
    ///
    /// # Errors
    /// When the variable is set but the key is malformed or the file unreadable.
    pub fn from_env() -> Result<Option<Self>, AppError> {
        if let Ok(text) = std::env::var(KEY_ENV) {
            return Self::parse(&text).map(Some);
        }
        if let Ok(path) = std::env::var(KEY_FILE_ENV) {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                AppError::MasterKey(format!("cannot read the master key file `{path}`: {e}"))
            })?;
            return Self::parse(&text).map(Some);
        }
        Ok(None)
    }

    /// Generates a new random key and returns it as hex.
    pub fn generate_hex() -> String {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        hex::encode(key)
    }

    /// Encrypts `plain`, bound to `context` (tenant and account).
    ///
    /// # Errors
    /// Only if the cipher fails, which it does not for valid input.
    pub fn seal(&self, context: &str, plain: &[u8]) -> Result<String, AppError> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| AppError::MasterKey("encryption failed".to_owned()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("v1:{}", B64.encode(out)))
    }

    /// Decrypts what [`MasterKey::seal`] produced for the same `context`.
    ///
    /// # Errors
    /// [`AppError::MasterKey`] when the key is wrong or the data was altered
    /// or moved to another account.
    pub fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, AppError> {
        let wrong = || {
            AppError::MasterKey(format!(
                "cannot decrypt the credentials of {context}: wrong master key, or the stored data was altered"
            ))
        };
        let body = sealed.strip_prefix("v1:").ok_or_else(wrong)?;
        let raw = B64.decode(body).map_err(|_| wrong())?;
        if raw.len() < 24 {
            return Err(wrong());
        }
        let (nonce, ct) = raw.split_at(24);
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| wrong())
    }
}

/// The secrets of one account, as sealed together.
#[derive(Default, Serialize, Deserialize)]
pub struct AccountSecrets {
    /// The external id for assume-role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Static access key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// Static secret access key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
    /// Static session token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
}

impl std::fmt::Debug for AccountSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountSecrets(***)")
    }
}

/// The associated data that binds sealed secrets to one account of one tenant.
pub fn context(tenant: &str, account_id: &str) -> String {
    format!("tenant `{tenant}` account `{account_id}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let key = MasterKey::parse(&MasterKey::generate_hex()).unwrap();
        let sealed = key.seal("a", b"hello").unwrap();
        assert!(!sealed.contains("hello"));
        assert_eq!(key.open("a", &sealed).unwrap(), b"hello");
        // Moved to another account: refused.
        assert!(key.open("b", &sealed).is_err());
        // Another key: refused, with a clear message.
        let other = MasterKey::parse(&MasterKey::generate_hex()).unwrap();
        let err = other.open("a", &sealed).unwrap_err().to_string();
        assert!(err.contains("wrong master key"), "{err}");
    }

    #[test]
    fn malformed_keys_are_refused_without_echo() {
        let err = MasterKey::parse("not-a-key-SECRETVALUE")
            .unwrap_err()
            .to_string();
        assert!(err.contains("32 bytes"));
        assert!(!err.contains("SECRETVALUE"));
        assert!(MasterKey::parse(&"ab".repeat(16)).is_err());
    }
}
