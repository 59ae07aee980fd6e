//! Password hashing with Argon2id, stored as PHC strings, and the password policy.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;

use crate::AccessError;

/// The shortest password the policy accepts, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password the policy accepts, in characters.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory, in KiB.
    pub m_cost_kib: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Parallelism.
    pub p_cost: u32,
}

impl PasswordParams {
    /// OWASP's recommended Argon2id setting: 19 MiB, 2 iterations, 1 lane.
    pub const OWASP: Self = Self {
        m_cost_kib: 19_456,
        t_cost: 2,
        p_cost: 1,
    };

    fn hasher(self) -> Result<Argon2<'static>, AccessError> {
        let params = Params::new(self.m_cost_kib, self.t_cost, self.p_cost, None)
            .map_err(|e| AccessError::Hash(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self::OWASP
    }
}

/// Hashes a password with Argon2id and [`PasswordParams::OWASP`], under a
/// fresh random salt. Returns the PHC string to store.
///
/// # Errors
/// [`AccessError::Hash`] if the hasher fails (it does not for sane input).
pub fn hash_password(plain: &str) -> Result<String, AccessError> {
    hash_password_with(plain, PasswordParams::OWASP)
}

/// Hashes a password with Argon2id and the given parameters.
///
/// # Errors
/// [`AccessError::Hash`] when the parameters are out of Argon2's range.
pub fn hash_password_with(plain: &str, params: PasswordParams) -> Result<String, AccessError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccessError::Hash(e.to_string()))?;
    let hash = params
        .hasher()?
        .hash_password(plain.as_bytes(), &salt)
        .map_err(|e| AccessError::Hash(e.to_string()))?;
    Ok(hash.to_string())
}

/// True when `plain` matches the stored Argon2id PHC string. A malformed or
/// non-Argon2id hash is simply `false`. The parameters come from the hash, so
/// hashes made with older parameters still verify (see [`needs_rehash`]).
pub fn verify_password(plain: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return false;
    }
    Argon2::default()
        .verify_password(plain.as_bytes(), &parsed)
        .is_ok()
}

/// True when a stored hash was made with other parameters than `params` (or
/// is unreadable): rehash the password on the next successful login.
pub fn needs_rehash(phc: &str, params: PasswordParams) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    let Ok(have) = Params::try_from(&parsed) else {
        return true;
    };
    parsed.algorithm != Algorithm::Argon2id.ident()
        || (have.m_cost(), have.t_cost(), have.p_cost())
            != (params.m_cost_kib, params.t_cost, params.p_cost)
}

/// Checks a new password against the policy: 12 to 1024 characters, not one
/// character repeated.
///
/// # Errors
/// [`AccessError::PasswordTooShort`], [`AccessError::PasswordTooLong`] or
/// [`AccessError::PasswordRepetitive`].
pub fn check_password_policy(plain: &str) -> Result<(), AccessError> {
    let len = plain.chars().count();
    if len < MIN_PASSWORD_CHARS {
        return Err(AccessError::PasswordTooShort {
            min: MIN_PASSWORD_CHARS,
            len,
        });
    }
    if len > MAX_PASSWORD_CHARS {
        return Err(AccessError::PasswordTooLong {
            max: MAX_PASSWORD_CHARS,
        });
    }
    let mut chars = plain.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err(AccessError::PasswordRepetitive);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: PasswordParams = PasswordParams {
        m_cost_kib: 64,
        t_cost: 1,
        p_cost: 1,
    };

    #[test]
    fn hash_verifies_and_salts_differ() {
        let a = hash_password_with("correct horse battery", FAST).unwrap();
        let b = hash_password_with("correct horse battery", FAST).unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{a}");
        assert_ne!(a, b);
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("correct horse battery!", &a));
        assert!(!needs_rehash(&a, FAST));
        assert!(needs_rehash(&a, PasswordParams::OWASP));
    }

    #[test]
    fn default_params_are_owasp() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
    }

    #[test]
    fn malformed_or_foreign_hashes_do_not_verify() {
        let good = hash_password_with("pw", FAST).unwrap();
        let argon2i = good.replacen("argon2id", "argon2i", 1);
        for bad in [
            "",
            "plain",
            "$argon2id$",
            "$argon2id$v=19$m=64,t=1,p=1$xx$yy",
            &argon2i,
        ] {
            assert!(!verify_password("pw", bad), "{bad}");
            assert!(needs_rehash(bad, FAST), "{bad}");
        }
        assert!(
            hash_password_with(
                "pw",
                PasswordParams {
                    m_cost_kib: 1,
                    ..FAST
                }
            )
            .is_err()
        );
    }

    #[test]
    fn policy() {
        assert!(check_password_policy("twelve chars").is_ok());
        assert!(check_password_policy("ééééééééééé€").is_ok());
        let short = check_password_policy("short").unwrap_err();
        assert_eq!(
            short.to_string(),
            "the password is too short: use at least 12 characters (it has 5)"
        );
        // Counted in characters, not bytes.
        assert!(check_password_policy("ééééééééééé").is_err());
        assert!(check_password_policy(&"ab".repeat(513)).is_err());
        assert!(check_password_policy(&"ab".repeat(512)).is_ok());
        assert_eq!(
            check_password_policy("aaaaaaaaaaaaaaaa"),
            Err(AccessError::PasswordRepetitive)
        );
    }
}
