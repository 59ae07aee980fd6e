//! Parsing of arguments the subcommands share: tenant ids, dates, authors.

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use shareline_model::TenantId;

/// A tenant id from the command line.
pub(crate) fn tenant_id(s: &str) -> Result<TenantId> {
    Ok(TenantId::parse(s)?)
}

/// Who is acting: `--author`, else `$USER`.
pub(crate) fn author(a: Option<String>) -> String {
    a.or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A date (`YYYY-MM-DD`, midnight UTC) or an RFC 3339 time.
pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Ok(d.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .with_context(|| format!("`{s}` is not a date (YYYY-MM-DD or RFC 3339)"))?;
    Ok(d.and_hms_opt(0, 0, 0).context("bad date")?.and_utc())
}
