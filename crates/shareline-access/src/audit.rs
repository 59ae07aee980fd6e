//! The tamper-evident audit chain: each entry's hash covers its content and
//! its predecessor's hash, so altering, removing or reordering an entry breaks
//! the chain at that entry.
//!
//! A chain alone cannot show that its newest entries were cut off, or that
//! someone with write access rewrote and re-hashed a whole tail: record the
//! latest hash somewhere else from time to time (an export, a log line) and
//! check it with [`verify_chain_from`].

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Domain tag at the start of every preimage; bump it if the encoding changes.
const DOMAIN: &[u8] = b"shareline-audit-v1";

/// One sealed entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When it happened (microsecond precision, as databases store it).
    pub at: DateTime<Utc>,
    /// Who did it (a user id, or `system`).
    pub actor: String,
    /// The tenant it concerns, if any.
    pub tenant: Option<String>,
    /// What was done (`matrix.edit`, `account.add`).
    pub action: String,
    /// What it was done to.
    pub target: String,
    /// The state before, secrets redacted.
    pub before: Option<Value>,
    /// The state after, secrets redacted.
    pub after: Option<Value>,
    /// The previous entry's hash ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// [`entry_hash`] of this entry.
    pub hash: String,
}

/// An entry before it is sealed into the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditDraft {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: String,
    /// The tenant it concerns, if any.
    pub tenant: Option<String>,
    /// What was done.
    pub action: String,
    /// What it was done to.
    pub target: String,
    /// The state before.
    pub before: Option<Value>,
    /// The state after.
    pub after: Option<Value>,
}

/// Where and why a chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// The entry's content does not match its hash: it was altered.
    #[error("audit entry {seq} was altered: its content does not match its hash")]
    Altered {
        /// The position of the altered entry.
        seq: i64,
    },
    /// Another entry stands where `expected` should: entries were removed or reordered.
    #[error("audit entry {expected} is missing or out of order: entry {found} stands in its place")]
    OutOfSequence {
        /// The seq due at this position.
        expected: i64,
        /// The seq found there.
        found: i64,
    },
    /// The entry does not name its predecessor's hash: the entry before it
    /// was rewritten and re-hashed, or replaced.
    #[error("audit entry {seq} does not link to entry {}: that entry was rewritten or replaced", seq - 1)]
    Unlinked {
        /// The entry whose `prev_hash` does not match.
        seq: i64,
    },
}

impl ChainBreak {
    /// The seq at which the chain breaks.
    pub fn seq(&self) -> i64 {
        match self {
            Self::Altered { seq } | Self::Unlinked { seq } => *seq,
            Self::OutOfSequence { expected, .. } => *expected,
        }
    }
}

/// SHA-256 hex over an unambiguous encoding of the fields: a domain tag, then
/// every field length-prefixed (optional ones behind a presence byte), the
/// time as RFC 3339 in microseconds, JSON with object keys sorted recursively.
#[allow(clippy::too_many_arguments, reason = "one argument per hashed field")]
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at: DateTime<Utc>,
    actor: &str,
    tenant: Option<&str>,
    action: &str,
    target: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> String {
    let mut h = Sha256::new();
    field(&mut h, DOMAIN);
    field(&mut h, prev_hash.as_bytes());
    h.update(seq.to_be_bytes());
    field(
        &mut h,
        at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            .as_bytes(),
    );
    field(&mut h, actor.as_bytes());
    optional(&mut h, tenant.map(str::as_bytes));
    field(&mut h, action.as_bytes());
    field(&mut h, target.as_bytes());
    for json in [before, after] {
        let text = json.map(|v| {
            let mut s = String::new();
            canonical_json(v, &mut s);
            s
        });
        optional(&mut h, text.as_deref().map(str::as_bytes));
    }
    hex::encode(h.finalize())
}

fn field(h: &mut Sha256, bytes: &[u8]) {
    h.update(u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_be_bytes());
    h.update(bytes);
}

fn optional(h: &mut Sha256, bytes: Option<&[u8]>) {
    match bytes {
        None => h.update([0]),
        Some(b) => {
            h.update([1]);
            field(h, b);
        }
    }
}

/// Compact JSON with every object's keys in byte order.
fn canonical_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut pairs: Vec<_> = map.iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in pairs.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(k.as_str()).to_string());
                out.push(':');
                canonical_json(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

impl AuditEntry {
    /// The hash this entry's fields call for.
    pub fn expected_hash(&self) -> String {
        entry_hash(
            &self.prev_hash,
            self.seq,
            self.at,
            &self.actor,
            self.tenant.as_deref(),
            &self.action,
            &self.target,
            self.before.as_ref(),
            self.after.as_ref(),
        )
    }
}

/// Seals `draft` as the entry after `prev` (the first entry when `None`).
/// Redacts secrets from `before`/`after` ([`redact`]), treats a JSON `null`
/// as absent, and truncates `at` to microseconds so the entry survives a
/// database round trip unchanged.
pub fn seal(prev: Option<&AuditEntry>, draft: AuditDraft) -> AuditEntry {
    let (seq, prev_hash) = match prev {
        Some(p) => (p.seq.saturating_add(1), p.hash.clone()),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let clean = |v: Option<Value>| v.filter(|v| !v.is_null()).map(redact);
    let mut entry = AuditEntry {
        seq,
        at: draft.at.trunc_subsecs(6),
        actor: draft.actor,
        tenant: draft.tenant,
        action: draft.action,
        target: draft.target,
        before: clean(draft.before),
        after: clean(draft.after),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.expected_hash();
    entry
}

/// Verifies a whole chain, from seq 1. Returns the number of entries.
///
/// # Errors
/// The first [`ChainBreak`].
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
) -> Result<usize, ChainBreak> {
    verify_chain_from(None, entries)
}

/// Verifies the entries that follow `anchor`, an entry trusted from an
/// earlier check (`None`: from the genesis). Returns the number verified.
///
/// # Errors
/// The first [`ChainBreak`].
pub fn verify_chain_from<'a>(
    anchor: Option<&AuditEntry>,
    entries: impl IntoIterator<Item = &'a AuditEntry>,
) -> Result<usize, ChainBreak> {
    let (mut expected, mut prev_hash) = match anchor {
        Some(a) => (a.seq.saturating_add(1), a.hash.as_str()),
        None => (1, GENESIS_HASH),
    };
    let mut count = 0;
    for e in entries {
        if e.expected_hash() != e.hash {
            return Err(ChainBreak::Altered { seq: expected });
        }
        if e.seq != expected {
            return Err(ChainBreak::OutOfSequence {
                expected,
                found: e.seq,
            });
        }
        if e.prev_hash != prev_hash {
            return Err(ChainBreak::Unlinked { seq: e.seq });
        }
        prev_hash = &e.hash;
        expected = expected.saturating_add(1);
        count += 1;
    }
    Ok(count)
}

/// Key fragments (lower case, without `_` and `-`) whose values are secret.
const SECRET_KEYS: [&str; 11] = [
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "externalid",
    "privatekey",
    "apikey",
    "sessionid",
    "cookie",
];

/// Replaces, at any depth, the value of every object key that looks secret
/// (`password`, `secret`, `token`, `credential`, `external_id`, `private_key`,
/// `api_key`, `session_id`, `cookie`, in any case and spelling) with
/// `"[redacted]"`.
pub fn redact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if looks_secret(&k) {
                        Value::from("[redacted]")
                    } else {
                        redact(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        scalar => scalar,
    }
}

fn looks_secret(key: &str) -> bool {
    let norm: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_KEYS.iter().any(|s| norm.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft(i: i64) -> AuditDraft {
        AuditDraft {
            at: DateTime::from_timestamp(1_700_000_000 + i, 123_456_789).unwrap(),
            actor: format!("user-{i}"),
            tenant: (i % 2 == 0).then(|| "acme".to_owned()),
            action: "matrix.edit".to_owned(),
            target: format!("cell-{i}"),
            before: Some(json!({"owner": "msp", "n": i})),
            after: Some(json!({"owner": "customer", "n": i})),
        }
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let e = seal(out.last(), draft(i));
            out.push(e);
        }
        out
    }

    #[test]
    fn a_sealed_chain_verifies() {
        let c = chain(5);
        assert_eq!(c[0].prev_hash, GENESIS_HASH);
        assert_eq!(c[4].seq, 5);
        assert_eq!(c[0].at.timestamp_subsec_nanos(), 123_456_000);
        assert_eq!(verify_chain(&c), Ok(5));
        assert_eq!(verify_chain(&[]), Ok(0));
        assert_eq!(verify_chain_from(Some(&c[1]), &c[2..]), Ok(3));
        // Survives a JSON round trip, as through a database.
        let back: Vec<AuditEntry> =
            serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(verify_chain(&back), Ok(5));
    }

    #[test]
    fn altering_any_field_of_any_entry_is_detected_at_that_entry() {
        type Alter = fn(&mut AuditEntry);
        let alterations: [(&str, Alter); 11] = [
            ("seq", |e| e.seq += 10),
            ("at", |e| e.at += chrono::Duration::microseconds(1)),
            ("actor", |e| e.actor.push('x')),
            ("tenant", |e| e.tenant = Some("globex".to_owned())),
            ("tenant none", |e| {
                e.tenant = e.tenant.take().xor(Some("x".to_owned()));
            }),
            ("action", |e| e.action = "matrix.read".to_owned()),
            ("target", |e| e.target.push('x')),
            ("before", |e| e.before = Some(json!({"owner": "nobody"}))),
            ("after", |e| e.after = None),
            ("prev_hash", |e| {
                e.prev_hash = GENESIS_HASH.replace('0', "1");
            }),
            ("hash", |e| e.hash = GENESIS_HASH.to_owned()),
        ];
        for k in 0..4 {
            for (name, alter) in alterations {
                let mut c = chain(4);
                alter(&mut c[k]);
                let seq = i64::try_from(k).unwrap() + 1;
                assert_eq!(
                    verify_chain(&c),
                    Err(ChainBreak::Altered { seq }),
                    "{name} of entry {seq}"
                );
            }
        }
    }

    #[test]
    fn rehashing_an_altered_entry_breaks_the_next_link() {
        let mut c = chain(4);
        c[1].actor = "mallory".to_owned();
        c[1].hash = c[1].expected_hash();
        let err = verify_chain(&c).unwrap_err();
        assert_eq!(err, ChainBreak::Unlinked { seq: 3 });
        assert_eq!(
            err.to_string(),
            "audit entry 3 does not link to entry 2: that entry was rewritten or replaced"
        );
    }

    #[test]
    fn removing_or_reordering_is_detected() {
        let c = chain(5);
        for k in 0..5 {
            let mut removed = c.clone();
            removed.remove(k);
            let expected = i64::try_from(k).unwrap() + 1;
            let result = verify_chain(&removed);
            if k == 4 {
                // Cutting off the newest entry needs an external anchor.
                assert_eq!(result, Ok(4));
            } else {
                assert_eq!(
                    result,
                    Err(ChainBreak::OutOfSequence {
                        expected,
                        found: expected + 1
                    })
                );
            }
        }
        let mut swapped = c.clone();
        swapped.swap(1, 3);
        assert_eq!(verify_chain(&swapped).unwrap_err().seq(), 2);
        // The anchor catches a chain that continues from somewhere else.
        assert_eq!(
            verify_chain_from(Some(&c[0]), &c[2..]),
            Err(ChainBreak::OutOfSequence {
                expected: 2,
                found: 3
            })
        );
    }

    #[test]
    fn json_key_order_does_not_matter_but_content_does() {
        let at = DateTime::from_timestamp(0, 0).unwrap();
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":[1,{"q":2,"p":3}],"x":"s"}}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{"a":{"x":"s","y":[1,{"p":3,"q":2}]},"b":1}"#).unwrap();
        let h = |v: &Value| entry_hash(GENESIS_HASH, 1, at, "u", None, "x", "t", Some(v), None);
        assert_eq!(h(&a), h(&b));
        assert_ne!(h(&a), h(&json!({"b": 1})));
        let mut s = String::new();
        canonical_json(&b, &mut s);
        assert_eq!(s, r#"{"a":{"x":"s","y":[1,{"p":3,"q":2}]},"b":1}"#);
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let at = DateTime::from_timestamp(0, 0).unwrap();
        let h = |actor, tenant, action, target, before: Option<&Value>, after: Option<&Value>| {
            entry_hash(
                GENESIS_HASH,
                1,
                at,
                actor,
                tenant,
                action,
                target,
                before,
                after,
            )
        };
        let v = json!("v");
        let base = h("ab", None, "c", "d", None, None);
        assert_ne!(base, h("a", None, "bc", "d", None, None));
        assert_ne!(base, h("ab", Some(""), "c", "d", None, None));
        assert_ne!(
            h("a", None, "b", "c", Some(&v), None),
            h("a", None, "b", "c", None, Some(&v))
        );
    }

    #[test]
    fn secrets_are_redacted_before_sealing() {
        let value = json!({
            "name": "prod",
            "Password": "hunter2",
            "credentials": {"access_key_id": "AKIA", "secret_access_key": "s"},
            "roles": [{"externalId": "e-1", "arn": "arn:aws:iam::1:role/x"}],
            "apiToken": null,
            "kms_key_id": "k",
        });
        let expected = json!({
            "name": "prod",
            "Password": "[redacted]",
            "credentials": "[redacted]",
            "roles": [{"externalId": "[redacted]", "arn": "arn:aws:iam::1:role/x"}],
            "apiToken": "[redacted]",
            "kms_key_id": "k",
        });
        assert_eq!(redact(value.clone()), expected);
        let sealed = seal(
            None,
            AuditDraft {
                after: Some(value),
                before: Some(Value::Null),
                ..draft(0)
            },
        );
        assert_eq!(sealed.after, Some(expected));
        assert_eq!(sealed.before, None);
        assert_eq!(verify_chain([&sealed]), Ok(1));
    }
}
