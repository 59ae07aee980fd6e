//! What a check says about one resource.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shareline_model::attr::Unavailable;

/// Why a check passed or failed: a sentence, and the field and value it
/// looked at.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Evidence {
    /// One sentence naming the resource and what was found.
    pub message: String,
    /// The field that decided (`supplementary.BucketPolicy.policyText`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The value found there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// A check's answer for one resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Good.
    Pass(Evidence),
    /// Misconfigured.
    Fail(Evidence),
    /// The check does not apply to this resource: no finding.
    Skip,
}

impl Outcome {
    /// PASS with a message.
    pub fn pass(message: impl Into<String>) -> Self {
        Self::Pass(Evidence {
            message: message.into(),
            ..Evidence::default()
        })
    }

    /// FAIL with a message.
    pub fn fail(message: impl Into<String>) -> Self {
        Self::Fail(Evidence {
            message: message.into(),
            ..Evidence::default()
        })
    }

    /// Attaches the field and value that decided.
    #[must_use]
    pub fn at(mut self, field: &str, value: impl Into<Value>) -> Self {
        if let Self::Pass(e) | Self::Fail(e) = &mut self {
            e.field = Some(field.to_owned());
            e.value = Some(value.into());
        }
        self
    }
}

/// A check that could not decide: the data it needs was unreadable
/// (UNKNOWN), or it met data it cannot interpret (ERROR). Predicates return
/// it through `?`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Stop {
    /// Needed data was not collected (access denied, throttled).
    #[error("unknown: {0}")]
    Unknown(String),
    /// The data is malformed or the check itself is broken.
    #[error("error: {0}")]
    Error(String),
}

impl Stop {
    /// UNKNOWN because a call failed.
    pub fn unavailable(u: &Unavailable) -> Self {
        let code = u.code.as_deref().unwrap_or("error");
        Self::Unknown(format!("{} could not be read ({code})", u.operation))
    }

    /// ERROR with a reason.
    pub fn error(message: impl Into<String>) -> Self {
        Self::Error(message.into())
    }
}

/// What a predicate returns.
pub type Verdict = Result<Outcome, Stop>;
