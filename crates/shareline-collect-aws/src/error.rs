//! Collection errors, classified so the store and the UI can tell an access
//! problem from throttling or a disabled region.

use std::fmt;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;

/// What kind of failure an API call met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The role lacks a permission.
    AccessDenied,
    /// The service throttled us past the retry budget.
    Throttled,
    /// The call timed out.
    Timeout,
    /// The region is not enabled for the account, or the service is not offered there.
    RegionDisabled,
    /// The credentials were refused or could not be obtained.
    Credentials,
    /// The endpoint could not be reached.
    Network,
    /// The service answered with another error (5xx after retries, bad request).
    Service,
}

impl ErrorKind {
    /// Returns the stable snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessDenied => "access_denied",
            Self::Throttled => "throttled",
            Self::Timeout => "timeout",
            Self::RegionDisabled => "region_disabled",
            Self::Credentials => "credentials",
            Self::Network => "network",
            Self::Service => "service",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One failed API call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{operation} failed ({kind}{}): {message}", code.as_deref().map(|c| format!(", {c}")).unwrap_or_default())]
pub struct CollectError {
    /// The API operation (`s3:GetBucketPolicy`).
    pub operation: String,
    /// The classified kind.
    pub kind: ErrorKind,
    /// The service's error code, when it gave one.
    pub code: Option<String>,
    /// A short, secret-free message.
    pub message: String,
}

impl CollectError {
    /// Builds an error from any SDK error. Only the code and message are kept:
    /// the raw response is never copied, so nothing sensitive leaks into storage.
    pub fn from_sdk<E, R>(operation: &str, err: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: fmt::Debug,
    {
        let (kind, code, message) = match err {
            SdkError::TimeoutError(_) => {
                (ErrorKind::Timeout, None, "the call timed out".to_owned())
            }
            SdkError::DispatchFailure(d) => {
                let kind = if d.is_timeout() {
                    ErrorKind::Timeout
                } else if d.is_io() {
                    ErrorKind::Network
                } else {
                    ErrorKind::Credentials
                };
                (kind, None, source_chain(err))
            }
            SdkError::ServiceError(_) => {
                let code = err.code().map(str::to_owned);
                let message = err.message().unwrap_or("no message").to_owned();
                (classify_code(code.as_deref()), code, message)
            }
            SdkError::ResponseError(_) => (
                ErrorKind::Service,
                None,
                "the response could not be read".to_owned(),
            ),
            SdkError::ConstructionFailure(_) => (ErrorKind::Credentials, None, source_chain(err)),
            _ => (
                ErrorKind::Service,
                err.code().map(str::to_owned),
                source_chain(err),
            ),
        };
        Self {
            operation: operation.to_owned(),
            kind,
            code,
            message: truncate(&message, 500),
        }
    }

    /// Returns true when the service's code is one of `codes`.
    pub fn has_code(&self, codes: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|c| codes.contains(&c))
    }
}

fn classify_code(code: Option<&str>) -> ErrorKind {
    let Some(code) = code else {
        return ErrorKind::Service;
    };
    match code {
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "AuthorizationError"
        | "UnauthorizedAccess"
        | "Forbidden"
        | "AllAccessDisabled" => ErrorKind::AccessDenied,
        "Throttling"
        | "ThrottlingException"
        | "ThrottledException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "SlowDown"
        | "RequestThrottled"
        | "RequestThrottledException"
        | "ProvisionedThroughputExceededException" => ErrorKind::Throttled,
        "OptInRequired"
        | "InvalidRegion"
        | "UnrecognizedRegion"
        | "SubscriptionRequiredException" => ErrorKind::RegionDisabled,
        "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "SignatureDoesNotMatch"
        | "AuthFailure"
        | "InvalidAccessKeyId" => ErrorKind::Credentials,
        _ if code.ends_with("AccessDenied") || code.ends_with("AccessDeniedException") => {
            ErrorKind::AccessDenied
        }
        _ => ErrorKind::Service,
    }
}

fn source_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !parts.contains(&s) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ")
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified() {
        assert_eq!(classify_code(Some("AccessDenied")), ErrorKind::AccessDenied);
        assert_eq!(
            classify_code(Some("ThrottlingException")),
            ErrorKind::Throttled
        );
        assert_eq!(
            classify_code(Some("OptInRequired")),
            ErrorKind::RegionDisabled
        );
        assert_eq!(
            classify_code(Some("KMS.AccessDeniedException")),
            ErrorKind::AccessDenied
        );
        assert_eq!(classify_code(Some("InternalError")), ErrorKind::Service);
        assert_eq!(classify_code(None), ErrorKind::Service);
    }

    #[test]
    fn long_messages_are_cut_on_a_char_boundary() {
        let s = "é".repeat(400);
        let t = truncate(&s, 501);
        assert!(t.ends_with('…'));
    }
}
