//! Telling "the API said there is none" apart from "we could not read it".
//!
//! Collectors put the result of every extra call (a bucket policy, a key's
//! rotation status) into the resource's `supplementary` JSON under a key. The
//! value is the API's answer, JSON `null` when the API said there is none, or
//! an *unavailable marker* when the call failed:
//!
//! ```json
//! { "$unavailable": { "operation": "GetBucketPolicy", "code": "AccessDenied", "message": "..." } }
//! ```
//!
//! [`Attr::of`] reads a value back in that three-way form, so that a check
//! can say UNKNOWN instead of a false PASS or FAIL.

use serde_json::{Value, json};

/// The key of the marker object that stands for a value that could not be read.
pub const UNAVAILABLE_KEY: &str = "$unavailable";

/// A value that may be present, absent, or unreadable.
#[derive(Debug, Clone, PartialEq)]
pub enum Attr<'a> {
    /// The API returned this value.
    Value(&'a Value),
    /// The API said there is none (or the field is missing).
    Absent,
    /// The call failed; the reason is kept.
    Unavailable(Unavailable),
}

/// Why a value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unavailable {
    /// The API operation that failed.
    pub operation: String,
    /// The service's error code, when it gave one (`AccessDenied`).
    pub code: Option<String>,
    /// A short message.
    pub message: String,
}

impl Attr<'_> {
    /// Reads `value` in the three-way form.
    pub fn of(value: Option<&Value>) -> Attr<'_> {
        match value {
            None | Some(Value::Null) => Attr::Absent,
            Some(v) => {
                match v.get(UNAVAILABLE_KEY) {
                    Some(marker) => Attr::Unavailable(
                        serde_json::from_value(marker.clone()).unwrap_or_else(|_| Unavailable {
                            operation: String::new(),
                            code: None,
                            message: marker.to_string(),
                        }),
                    ),
                    None => Attr::Value(v),
                }
            }
        }
    }

    /// Returns true when the value could not be read.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Attr::Unavailable(_))
    }
}

/// Builds the marker for a value that could not be read.
pub fn unavailable(operation: &str, code: Option<&str>, message: &str) -> Value {
    json!({ UNAVAILABLE_KEY: { "operation": operation, "code": code, "message": message } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_ways() {
        let doc = json!({
            "policy": {"Version": "2012-10-17"},
            "acl": null,
            "logging": unavailable("GetBucketLogging", Some("AccessDenied"), "denied"),
        });
        assert!(matches!(Attr::of(doc.get("policy")), Attr::Value(_)));
        assert_eq!(Attr::of(doc.get("acl")), Attr::Absent);
        assert_eq!(Attr::of(doc.get("missing")), Attr::Absent);
        let Attr::Unavailable(why) = Attr::of(doc.get("logging")) else {
            panic!("expected unavailable");
        };
        assert_eq!(why.code.as_deref(), Some("AccessDenied"));
        assert_eq!(why.operation, "GetBucketLogging");
    }
}
