//! Predicates for `catalog/checks/aws/cloudtrail/`.
//!
//! Trails carry the `Trail` shape in `configuration` and two extra calls in
//! `supplementary`: `TrailStatus` (GetTrailStatus) and `EventSelectors`
//! (GetEventSelectors: `eventSelectors` and `advancedEventSelectors`).

use serde_json::Value;

use crate::aws::parse_time;
use crate::policy;
#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Known, Outcome, Res, Stop, Verdict};

const TRAIL: &str = "AWS::CloudTrail::Trail";
const BUCKET: &str = "AWS::S3::Bucket";

/// PASS when some multi-region trail with global events is logging.
pub(crate) fn multi_region_trail_enabled(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let mut unknown = None;
    let mut names = Vec::new();
    for trail in view.of_type(TRAIL) {
        let multi = trail.cfg("isMultiRegionTrail").bool()?.unwrap_or(false);
        let global = trail
            .cfg("includeGlobalServiceEvents")
            .bool()?
            .unwrap_or(false);
        if !(multi && global) {
            continue;
        }
        match trail.sup("TrailStatus.isLogging").bool() {
            Ok(Some(true)) => {
                return Ok(Outcome::pass(format!(
                    "Trail `{}` records every region and is logging.",
                    trail.name()
                )));
            }
            Ok(_) => names.push(trail.name().to_owned()),
            Err(stop) => unknown = Some(stop),
        }
    }
    if let Some(stop) = unknown {
        return Err(stop);
    }
    if view.any_scope_failed("cloudtrail") {
        return Err(Stop::Unknown(
            "CloudTrail could not be read in every region at the last collection".to_owned(),
        ));
    }
    Ok(if names.is_empty() {
        Outcome::fail(format!(
            "Account {} has no multi-region trail.",
            view.account_id()
        ))
    } else {
        Outcome::fail(format!(
            "Multi-region trail(s) {} are not logging.",
            names.join(", ")
        ))
    })
}

// ---- event selectors ---------------------------------------------------------

/// Which half of the events a set of selectors records.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadWrite {
    /// Read-only calls (`Describe*`, `Get*`, `List*`, `GetObject`).
    pub(crate) read: bool,
    /// Calls that change something.
    pub(crate) write: bool,
}

impl ReadWrite {
    fn add(&mut self, read: bool, write: bool) {
        self.read |= read;
        self.write |= write;
    }

    fn both(self) -> bool {
        self.read && self.write
    }

    fn describe(self) -> &'static str {
        match (self.read, self.write) {
            (true, true) => "read and write",
            (true, false) => "read",
            (false, true) => "write",
            (false, false) => "no",
        }
    }
}

/// What a trail's selectors record: management events (and the event
/// sources it leaves out) and S3 object events for every bucket.
#[derive(Debug, Default)]
pub(crate) struct Selected {
    pub(crate) management: ReadWrite,
    pub(crate) excluded_sources: Vec<String>,
    pub(crate) s3_all_buckets: ReadWrite,
}

fn texts(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `readWriteType` of a basic selector as (read, write).
fn read_write_type(s: &Value) -> (bool, bool) {
    match s.get("readWriteType").and_then(Value::as_str) {
        Some("ReadOnly") => (true, false),
        Some("WriteOnly") => (false, true),
        // `All`, and the API's default when it is left out.
        _ => (true, true),
    }
}

/// True for an S3 data resource value meaning "every bucket":
/// `arn:aws:s3` or `arn:aws:s3:::` (any partition).
fn all_buckets_value(v: &str) -> bool {
    let v = v.trim_end_matches(":::");
    v.starts_with("arn:") && v.ends_with(":s3") && v.matches(':').count() == 2
}

/// The field selector named `field` in an advanced selector.
fn field<'v>(selector: &'v Value, name: &str) -> Option<&'v Value> {
    selector
        .get("fieldSelectors")
        .and_then(Value::as_array)?
        .iter()
        .find(|f| f.get("field").and_then(Value::as_str) == Some(name))
}

/// The `readOnly` field of an advanced selector as (read, write).
fn advanced_read_write(selector: &Value) -> (bool, bool) {
    match field(selector, "readOnly") {
        None => (true, true),
        Some(f) => {
            let eq = texts(f.get("equals"));
            let ne = texts(f.get("notEquals"));
            let read = eq.iter().any(|v| v.eq_ignore_ascii_case("true"))
                || ne.iter().any(|v| v.eq_ignore_ascii_case("false"));
            let write = eq.iter().any(|v| v.eq_ignore_ascii_case("false"))
                || ne.iter().any(|v| v.eq_ignore_ascii_case("true"));
            if eq.is_empty() && ne.is_empty() {
                (true, true)
            } else {
                (read, write)
            }
        }
    }
}

/// True when an advanced data-event selector for S3 objects is not narrowed
/// to some buckets, keys, event names or callers.
fn advanced_s3_all_buckets(selector: &Value) -> bool {
    let Some(fields) = selector.get("fieldSelectors").and_then(Value::as_array) else {
        return false;
    };
    fields.iter().all(|f| {
        match f.get("field").and_then(Value::as_str).unwrap_or("") {
            "eventCategory" | "resources.type" | "readOnly" => true,
            // Only "starts with the whole partition" keeps every bucket.
            "resources.ARN" => {
                let starts = texts(f.get("startsWith"));
                let others = [
                    "equals",
                    "endsWith",
                    "notEquals",
                    "notStartsWith",
                    "notEndsWith",
                ]
                .iter()
                .any(|k| !texts(f.get(*k)).is_empty());
                !others && !starts.is_empty() && starts.iter().all(|s| all_buckets_value(s))
            }
            _ => false,
        }
    })
}

/// Reads a trail's selectors. When GetEventSelectors was not part of the
/// data (an import) and the trail has no custom selectors, the AWS default
/// applies: every management event, no data events.
///
/// # Errors
/// UNKNOWN when the selectors could not be read, or are missing although
/// the trail has custom ones.
pub(crate) fn selected(trail: &Res<'_>) -> Result<Selected, Stop> {
    let mut out = Selected::default();
    let Some(doc) = trail.sup("EventSelectors").opt()? else {
        if trail.cfg("hasCustomEventSelectors").bool()? == Some(true) {
            return Err(Stop::Unknown(format!(
                "the event selectors of trail `{}` were not collected",
                trail.name()
            )));
        }
        out.management.add(true, true);
        return Ok(out);
    };
    for s in texts_or_objects(doc.get("eventSelectors")) {
        let (read, write) = read_write_type(s);
        if s.get("includeManagementEvents")
            .and_then(Value::as_bool)
            .unwrap_or(true)
        {
            out.management.add(read, write);
            out.excluded_sources.extend(
                texts(s.get("excludeManagementEventSources"))
                    .into_iter()
                    .map(str::to_owned),
            );
        }
        for d in texts_or_objects(s.get("dataResources")) {
            if d.get("type").and_then(Value::as_str) == Some("AWS::S3::Object")
                && texts(d.get("values")).iter().any(|v| all_buckets_value(v))
            {
                out.s3_all_buckets.add(read, write);
            }
        }
    }
    for s in texts_or_objects(doc.get("advancedEventSelectors")) {
        let category = field(s, "eventCategory")
            .map(|f| texts(f.get("equals")))
            .unwrap_or_default();
        let (read, write) = advanced_read_write(s);
        if category.contains(&"Management") {
            out.management.add(read, write);
            if let Some(src) = field(s, "eventSource") {
                out.excluded_sources
                    .extend(texts(src.get("notEquals")).into_iter().map(str::to_owned));
            }
        } else if category.contains(&"Data") {
            let s3 = field(s, "resources.type")
                .is_some_and(|f| texts(f.get("equals")).contains(&"AWS::S3::Object"));
            if s3 && advanced_s3_all_buckets(s) {
                out.s3_all_buckets.add(read, write);
            }
        }
    }
    out.excluded_sources.sort();
    out.excluded_sources.dedup();
    Ok(out)
}

fn texts_or_objects(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[][..], Vec::as_slice)
}

// ---- per-trail checks -----------------------------------------------------------

/// FAIL when the trail records only read or only write management events, or
/// leaves some event sources out. Trails that record no management events
/// (data-event trails) are skipped.
pub(crate) fn trail_management_events_read_write(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let sel = selected(res)?;
    let m = sel.management;
    if !m.read && !m.write {
        return Ok(Outcome::Skip);
    }
    let field = "supplementary.EventSelectors";
    let shown = || res.sup("EventSelectors").opt().ok().flatten().cloned();
    if !m.both() {
        return Ok(Outcome::fail(format!(
            "Trail `{}` records only {} management events.",
            res.name(),
            m.describe()
        ))
        .at(field, shown().unwrap_or_default()));
    }
    if !sel.excluded_sources.is_empty() {
        return Ok(Outcome::fail(format!(
            "Trail `{}` leaves out management events from {}.",
            res.name(),
            sel.excluded_sources.join(", ")
        ))
        .at(field, shown().unwrap_or_default()));
    }
    Ok(Outcome::pass(format!(
        "Trail `{}` records every read and write management event.",
        res.name()
    )))
}

/// FAIL when the trail sends events to CloudWatch Logs nowhere, or the last
/// delivery to its log group failed.
pub(crate) fn trail_cloudwatch_logs_integrated(res: &Res<'_>, _ctx: &Ctx<'_>) -> Verdict {
    let Some(group) = res
        .cfg("cloudWatchLogsLogGroupArn")
        .str()?
        .filter(|s| !s.is_empty())
    else {
        return Ok(Outcome::fail(format!(
            "Trail `{}` does not send its events to CloudWatch Logs.",
            res.name()
        ))
        .at("configuration.cloudWatchLogsLogGroupArn", Value::Null));
    };
    let error = res
        .sup("TrailStatus.latestCloudWatchLogsDeliveryError")
        .str()?
        .filter(|s| !s.is_empty());
    Ok(match error {
        Some(e) => Outcome::fail(format!(
            "Trail `{}` fails to deliver to log group {group}: {e}.",
            res.name()
        ))
        .at(
            "supplementary.TrailStatus.latestCloudWatchLogsDeliveryError",
            e,
        ),
        None => Outcome::pass(format!(
            "Trail `{}` sends its events to log group {group}.",
            res.name()
        )),
    })
}

/// FAIL when a logging trail has not delivered a log file to its bucket
/// within `max_hours_since_delivery`.
pub(crate) fn trail_logs_delivered_recently(res: &Res<'_>, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.int("max_hours_since_delivery")?;
    let now = ctx.now()?;
    let field = "supplementary.TrailStatus.latestDeliveryTime";
    let last = res.get(field).opt()?;
    let error = res
        .sup("TrailStatus.latestDeliveryError")
        .str()?
        .filter(|s| !s.is_empty());
    let why = error
        .map(|e| format!(" Last error: {e}."))
        .unwrap_or_default();
    let Some(last) = last else {
        return Ok(Outcome::fail(format!(
            "Trail `{}` has never delivered a log file to bucket `{}`.{why}",
            res.name(),
            res.cfg("s3BucketName").str()?.unwrap_or("?")
        ))
        .at(field, Value::Null));
    };
    let Some(when) = parse_time(Some(last)) else {
        return Err(Stop::error(format!("`{field}` is not a time: {last}")));
    };
    let hours = (now - when).num_hours();
    Ok(if hours > max {
        Outcome::fail(format!(
            "Trail `{}` last delivered a log file {hours} hours ago (limit {max}).{why}",
            res.name()
        ))
        .at(field, last.clone())
    } else {
        Outcome::pass(if hours < 1 {
            format!(
                "Trail `{}` delivered a log file less than an hour ago.",
                res.name()
            )
        } else {
            format!(
                "Trail `{}` delivered a log file {hours} hours ago (limit {max}).",
                res.name()
            )
        })
    })
}

// ---- the trail's bucket -------------------------------------------------------

/// The trail's S3 bucket from the account's inventory.
fn trail_bucket<'a>(res: &Res<'_>, view: &AccountView<'a>) -> Result<Res<'a>, Stop> {
    let Some(name) = res.cfg("s3BucketName").str()?.filter(|s| !s.is_empty()) else {
        return Err(Stop::error(format!(
            "trail `{}` names no S3 bucket",
            res.name()
        )));
    };
    view.get(BUCKET, name).ok_or_else(|| {
        Stop::Unknown(format!(
            "bucket `{name}` of trail `{}` is not in this account's inventory (it may belong to another account)",
            res.name()
        ))
    })
}

/// One Block Public Access setting, at bucket or account level. UNKNOWN when
/// it is off or unknown at one level and unreadable at the other.
fn blocked(bucket: &Res<'_>, view: &AccountView<'_>, setting: &str) -> Result<bool, Stop> {
    let at = |k: Known<'_>| -> Result<bool, Stop> {
        Ok(k.opt()?
            .and_then(|v| v.get(setting))
            .and_then(Value::as_bool)
            .unwrap_or(false))
    };
    let own = at(bucket.sup("PublicAccessBlockConfiguration"));
    let account = match view.of_type("AWS::S3::AccountPublicAccessBlock").next() {
        Some(a) => at(a.sup("PublicAccessBlockConfiguration")),
        None => Ok(false),
    };
    match (own, account) {
        (Ok(true), _) | (_, Ok(true)) => Ok(true),
        (Err(e), _) | (_, Err(e)) => Err(e),
        (Ok(false), Ok(false)) => Ok(false),
    }
}

const PUBLIC_GROUPS: [&str; 2] = ["AllUsers", "AuthenticatedUsers"];

/// The public group an ACL grant names, if any.
fn public_grantee(grant: &Value) -> Option<&'static str> {
    let g = grant.get("grantee")?;
    let text = g
        .get("uri")
        .and_then(Value::as_str)
        .or_else(|| g.as_str())?;
    PUBLIC_GROUPS
        .into_iter()
        .find(|p| text == *p || text.ends_with(&format!("/global/{p}")))
}

/// FAIL when the bucket that receives the trail's log files can be read or
/// written by anyone through its policy or ACL, after Block Public Access.
pub(crate) fn trail_bucket_not_public(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let bucket = trail_bucket(res, view)?;
    let policy_field = "supplementary.BucketPolicy.policyText";
    if let Some(doc) = bucket.json_text(policy_field)? {
        let statements = policy::statements(&doc);
        if let Some((i, s)) = statements
            .iter()
            .enumerate()
            .find(|(_, s)| s.public_allow())
            && !blocked(&bucket, view, "restrictPublicBuckets")?
        {
            return Ok(Outcome::fail(format!(
                "Bucket `{}` holding the logs of trail `{}` lets anyone {} (policy statement {}).",
                bucket.name(),
                res.name(),
                s.actions.join(", "),
                s.label(i)
            ))
            .at(policy_field, doc));
        }
    }
    let acl_field = "supplementary.AccessControlList.grantList";
    let grants = bucket.get(acl_field).list()?;
    if let Some((group, grant)) = grants
        .iter()
        .find_map(|g| public_grantee(g).map(|p| (p, g)))
        && !blocked(&bucket, view, "ignorePublicAcls")?
    {
        return Ok(Outcome::fail(format!(
            "Bucket `{}` holding the logs of trail `{}` grants {} to {group} through its ACL.",
            bucket.name(),
            res.name(),
            grant
                .get("permission")
                .and_then(Value::as_str)
                .unwrap_or("access"),
        ))
        .at(acl_field, grant.clone()));
    }
    Ok(Outcome::pass(format!(
        "Bucket `{}` holding the logs of trail `{}` is not public.",
        bucket.name(),
        res.name()
    )))
}

/// FAIL when the bucket that receives the trail's log files has no server
/// access logging.
pub(crate) fn trail_bucket_access_logging_enabled(
    res: &Res<'_>,
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    let bucket = trail_bucket(res, view)?;
    let field = "supplementary.BucketLoggingConfiguration.destinationBucketName";
    Ok(match bucket.get(field).str()?.filter(|s| !s.is_empty()) {
        Some(target) => Outcome::pass(format!(
            "Bucket `{}` holding the logs of trail `{}` logs its access to `{target}`.",
            bucket.name(),
            res.name()
        )),
        None => Outcome::fail(format!(
            "Bucket `{}` holding the logs of trail `{}` has no server access logging.",
            bucket.name(),
            res.name()
        ))
        .at(field, Value::Null),
    })
}

// ---- account checks -----------------------------------------------------------

/// The logging multi-region trails of the account, with their selectors.
/// Trails whose status or selectors are unreadable are counted in `unknown`.
struct Coverage<'a> {
    trails: Vec<(Res<'a>, Selected)>,
    unknown: Option<Stop>,
    multi_region: usize,
}

fn coverage<'a>(view: &AccountView<'a>) -> Result<Coverage<'a>, Stop> {
    let mut out = Coverage {
        trails: Vec::new(),
        unknown: None,
        multi_region: 0,
    };
    for trail in view.of_type(TRAIL) {
        if trail.cfg("isMultiRegionTrail").bool()? != Some(true) {
            continue;
        }
        out.multi_region += 1;
        match trail.sup("TrailStatus.isLogging").bool() {
            Ok(Some(true)) => {}
            Ok(_) => continue,
            Err(stop) => {
                out.unknown = Some(stop);
                continue;
            }
        }
        match selected(&trail) {
            Ok(sel) => out.trails.push((trail, sel)),
            Err(stop) => out.unknown = Some(stop),
        }
    }
    Ok(out)
}

/// Shared body of the account checks: PASS when a logging multi-region trail
/// satisfies `good`, UNKNOWN when one might but could not be read.
fn account_coverage(
    view: &AccountView<'_>,
    what: &str,
    good: impl Fn(&Selected) -> bool,
) -> Verdict {
    let cov = coverage(view)?;
    if let Some((trail, _)) = cov.trails.iter().find(|(_, s)| good(s)) {
        return Ok(Outcome::pass(format!(
            "Multi-region trail `{}` is logging and records {what}.",
            trail.name()
        )));
    }
    if let Some(stop) = cov.unknown {
        return Err(stop);
    }
    Ok(Outcome::fail(if cov.multi_region == 0 {
        format!(
            "Account {} has no multi-region trail to record {what}.",
            view.account_id()
        )
    } else if cov.trails.is_empty() {
        format!(
            "No multi-region trail of account {} is logging, so {what} go unrecorded.",
            view.account_id()
        )
    } else {
        let names: Vec<&str> = cov.trails.iter().map(|(t, _)| t.name()).collect();
        format!(
            "None of the logging multi-region trails ({}) records {what}.",
            names.join(", ")
        )
    }))
}

/// PASS when a logging multi-region trail records every read and write
/// management event without excluded sources.
pub(crate) fn multi_region_trail_management_events(
    view: &AccountView<'_>,
    _ctx: &Ctx<'_>,
) -> Verdict {
    account_coverage(view, "all read and write management events", |s| {
        s.management.both() && s.excluded_sources.is_empty()
    })
}

/// PASS when a logging multi-region trail records S3 write data events for
/// every bucket.
pub(crate) fn s3_write_data_events_recorded(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    account_coverage(view, "S3 object write events for every bucket", |s| {
        s.s3_all_buckets.write
    })
}

/// PASS when a logging multi-region trail records S3 read data events for
/// every bucket.
pub(crate) fn s3_read_data_events_recorded(view: &AccountView<'_>, _ctx: &Ctx<'_>) -> Verdict {
    account_coverage(view, "S3 object read events for every bucket", |s| {
        s.s3_all_buckets.read
    })
}

/// The log groups (region, name) that logging multi-region trails send
/// their events to, for the CIS metric filter checks in `logs`.
///
/// # Errors
/// UNKNOWN when a multi-region trail's logging status could not be read and
/// no other trail qualifies.
pub(crate) fn trail_log_groups(view: &AccountView<'_>) -> Result<Vec<(String, String)>, Stop> {
    let mut out = Vec::new();
    let mut unknown = None;
    for trail in view.of_type(TRAIL) {
        if trail.cfg("isMultiRegionTrail").bool()? != Some(true) {
            continue;
        }
        match trail.sup("TrailStatus.isLogging").bool() {
            Ok(Some(true)) => {}
            Ok(_) => continue,
            Err(stop) => {
                unknown = Some(stop);
                continue;
            }
        }
        if let Some(group) = trail
            .cfg("cloudWatchLogsLogGroupArn")
            .str()?
            .and_then(log_group_of_arn)
        {
            out.push(group);
        }
    }
    match unknown {
        Some(stop) if out.is_empty() => Err(stop),
        _ => Ok(out),
    }
}

/// `arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]` → (region, name).
fn log_group_of_arn(arn: &str) -> Option<(String, String)> {
    let mut parts = arn.splitn(7, ':');
    let region = parts.nth(3)?;
    let kind = parts.nth(1)?;
    let name = parts.next()?;
    if kind != "log-group" || name.is_empty() {
        return None;
    }
    let name = name.strip_suffix(":*").unwrap_or(name);
    Some((region.to_owned(), name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_log_group_arns() {
        assert_eq!(
            log_group_of_arn("arn:aws:logs:us-east-1:111111111111:log-group:ct/logs:*"),
            Some(("us-east-1".to_owned(), "ct/logs".to_owned()))
        );
        assert_eq!(
            log_group_of_arn("arn:aws:logs:eu-west-1:111111111111:log-group:g"),
            Some(("eu-west-1".to_owned(), "g".to_owned()))
        );
        assert_eq!(log_group_of_arn("arn:aws:logs:eu-west-1:1:other:g"), None);
    }

    #[test]
    fn recognises_every_bucket_values() {
        assert!(all_buckets_value("arn:aws:s3"));
        assert!(all_buckets_value("arn:aws:s3:::"));
        assert!(all_buckets_value("arn:aws-us-gov:s3:::"));
        assert!(!all_buckets_value("arn:aws:s3:::my-bucket/"));
    }
}
