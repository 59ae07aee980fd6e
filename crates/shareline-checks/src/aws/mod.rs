//! Predicates for AWS checks, one module per catalog service directory. Each
//! function is named after its check's file stem; the generated registry
//! wires it in.

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

use chrono::{DateTime, Utc};
use serde_json::Value;

/// Parses an RFC 3339 / ISO 8601 timestamp (as collectors and AWS Config
/// write them), or epoch seconds/milliseconds.
pub fn parse_time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    match v? {
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .map(|n| n.and_utc())
            }),
        Value::Number(n) => {
            let x = n.as_f64()?;
            // Milliseconds when it would otherwise land after the year 5000.
            let secs = if x > 1e11 { x / 1000.0 } else { x };
            DateTime::from_timestamp(secs as i64, 0)
        }
        _ => None,
    }
}

/// Whole days from the timestamp in `v` to `now` (negative in the future).
pub fn days_since(v: Option<&Value>, now: DateTime<Utc>) -> Option<i64> {
    parse_time(v).map(|t| (now - t).num_days())
}
