//! One module per AWS service. Each declares a [`ServiceDef`]: its name, the
//! resource types it produces, the IAM permissions it needs, and its collect
//! function. [`SERVICES`] lists them; nothing else needs editing to add one.

use std::future::Future;
use std::pin::Pin;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::Value;
use shareline_model::Resource;
use shareline_model::attr::unavailable;

use crate::ctx::Ctx;
use crate::error::CollectError;

pub mod acm;
pub mod cloudtrail;
pub mod config;
pub mod ec2;
pub mod elbv2;
pub mod guardduty;
pub mod iam;
pub mod kms;
pub mod lambda;
pub mod logs;
pub mod rds;
pub mod s3;
pub mod secretsmanager;
pub mod sns;
pub mod sqs;

/// A boxed future returned by a collect function.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The signature every service's collect function has.
pub type CollectFn = for<'a> fn(&'a Ctx) -> BoxFuture<'a, Result<Collected, CollectError>>;

/// A service collector's declaration.
#[derive(Debug, Clone, Copy)]
pub struct ServiceDef {
    /// The short name used in output and `--services` (`s3`).
    pub name: &'static str,
    /// True for services read once per account (IAM, S3) rather than per region.
    pub global: bool,
    /// The AWS Config resource types it produces.
    pub resource_types: &'static [&'static str],
    /// The read-only IAM actions it calls.
    pub permissions: &'static [&'static str],
    /// The collect function.
    pub collect: CollectFn,
}

/// Every service Shareline collects.
pub static SERVICES: &[ServiceDef] = &[
    iam::DEF,
    s3::DEF,
    ec2::DEF,
    kms::DEF,
    cloudtrail::DEF,
    rds::DEF,
    lambda::DEF,
    sns::DEF,
    sqs::DEF,
    logs::DEF,
    secretsmanager::DEF,
    guardduty::DEF,
    config::DEF,
    elbv2::DEF,
    acm::DEF,
];

/// Returns the service named `name`.
pub fn service(name: &str) -> Option<&'static ServiceDef> {
    SERVICES.iter().find(|s| s.name == name)
}

/// The permissions every collector needs, sorted and without duplicates,
/// plus what region discovery and identity checks call.
pub fn all_permissions() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = SERVICES
        .iter()
        .flat_map(|s| s.permissions.iter().copied())
        .chain(crate::run::PERMISSIONS.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// What one service run produced: resources, plus the extra calls that
/// failed (their values are unavailable markers inside the resources).
#[derive(Debug, Default)]
pub struct Collected {
    /// The resources read.
    pub resources: Vec<Resource>,
    /// Extra calls that failed without failing the service.
    pub gaps: Vec<CollectError>,
}

impl Collected {
    /// Turns the result of an extra call into a supplementary value: the
    /// mapped answer, JSON null when the service's error code is one of
    /// `absent_codes` (it said "there is none"), or an unavailable marker
    /// (recorded as a gap) for any other failure.
    pub fn sub<T, E, R>(
        &mut self,
        operation: &str,
        result: Result<T, SdkError<E, R>>,
        absent_codes: &[&str],
        map: impl FnOnce(T) -> Value,
    ) -> Value
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        match result {
            Ok(v) => map(v),
            Err(e) => {
                let err = CollectError::from_sdk(operation, &e);
                if err.has_code(absent_codes) {
                    return Value::Null;
                }
                let marker = unavailable(operation, err.code.as_deref(), &err.message);
                self.gaps.push(err);
                marker
            }
        }
    }
}

/// Formats an SDK timestamp as RFC 3339.
pub fn ts(dt: &aws_smithy_types::DateTime) -> Value {
    dt.fmt(aws_smithy_types::date_time::Format::DateTime)
        .map_or(Value::Null, Value::String)
}

/// Formats an optional SDK timestamp.
pub fn ts_opt(dt: Option<&aws_smithy_types::DateTime>) -> Value {
    dt.map_or(Value::Null, ts)
}

/// Parses a URL-encoded or plain JSON policy document into JSON; keeps the
/// text when it is not JSON.
pub fn policy_doc(text: &str) -> Value {
    let decoded = percent_decode(text);
    serde_json::from_str(&decoded).unwrap_or(Value::String(decoded))
}

/// Decodes `%XX` escapes (IAM returns policy documents URL-encoded).
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes.get(i), bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(b'%'), Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                let hex = [*h, *l];
                let v = std::str::from_utf8(&hex)
                    .ok()
                    .and_then(|t| u8::from_str_radix(t, 16).ok())
                    .unwrap_or(b'?');
                out.push(v);
                i += 3;
            }
            (Some(b), _, _) => {
                out.push(*b);
                i += 1;
            }
            (None, _, _) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Turns AWS tag pairs into a sorted map.
pub fn tag_map<I, K, V>(pairs: I) -> std::collections::BTreeMap<String, String>
where
    I: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    pairs
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_documents_are_decoded() {
        let doc = policy_doc("%7B%22Version%22%3A%222012-10-17%22%7D");
        assert_eq!(doc["Version"], "2012-10-17");
        assert_eq!(policy_doc("not json"), Value::String("not json".into()));
    }

    #[test]
    fn service_names_are_unique_and_declare_permissions() {
        let mut names: Vec<_> = SERVICES.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SERVICES.len());
        for s in SERVICES {
            assert!(
                !s.permissions.is_empty(),
                "{} declares no permissions",
                s.name
            );
            assert!(
                !s.resource_types.is_empty(),
                "{} declares no resource types",
                s.name
            );
        }
    }
}
