//! Read-only views that predicates use: one resource ([`Res`]) and one account's
//! resources ([`AccountView`]), with three-way values ([`Known`]).

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;
use shareline_model::Resource;
use shareline_model::attr::{UNAVAILABLE_KEY, Unavailable};

use crate::outcome::Stop;

/// A value read from a resource: present, absent, or unreadable.
#[derive(Debug, Clone, PartialEq)]
pub enum Known<'a> {
    /// The value.
    Value(&'a Value),
    /// The API said there is none, or the field is missing or null.
    Absent,
    /// The call that would have read it failed.
    Unavailable(Unavailable),
}

impl<'a> Known<'a> {
    /// The value, `None` when absent; UNKNOWN (through `?`) when unreadable.
    ///
    /// # Errors
    /// [`Stop::Unknown`] when the value could not be read.
    pub fn opt(self) -> Result<Option<&'a Value>, Stop> {
        match self {
            Known::Value(v) => Ok(Some(v)),
            Known::Absent => Ok(None),
            Known::Unavailable(u) => Err(Stop::unavailable(&u)),
        }
    }

    /// The value as text (`None` when absent or not text).
    ///
    /// # Errors
    /// [`Stop::Unknown`] when the value could not be read.
    pub fn str(self) -> Result<Option<&'a str>, Stop> {
        Ok(self.opt()?.and_then(Value::as_str))
    }

    /// The value as a boolean, accepting `"true"`/`"false"` text as SNS and
    /// SQS attributes carry them.
    ///
    /// # Errors
    /// [`Stop::Unknown`] when the value could not be read.
    pub fn bool(self) -> Result<Option<bool>, Stop> {
        Ok(self.opt()?.and_then(|v| match v {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }))
    }

    /// The value as a number, accepting numeric text.
    ///
    /// # Errors
    /// [`Stop::Unknown`] when the value could not be read.
    pub fn f64(self) -> Result<Option<f64>, Stop> {
        Ok(self.opt()?.and_then(|v| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }))
    }

    /// The value as a list (empty when absent or not a list).
    ///
    /// # Errors
    /// [`Stop::Unknown`] when the value could not be read.
    pub fn list(self) -> Result<&'a [Value], Stop> {
        Ok(self
            .opt()?
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice))
    }

    /// True when the value could not be read.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Known::Unavailable(_))
    }
}

/// Follows a dotted path (`a.b.0.c`) into `value`, stopping at an unavailable
/// marker anywhere along the way. Numeric segments index lists.
pub fn walk<'a>(value: &'a Value, path: &str) -> Known<'a> {
    let mut cur = value;
    if let Some(u) = marker(cur) {
        return Known::Unavailable(u);
    }
    if path.is_empty() {
        return if cur.is_null() {
            Known::Absent
        } else {
            Known::Value(cur)
        };
    }
    for seg in path.split('.') {
        let next = match cur {
            Value::Object(map) => map.get(seg),
            Value::Array(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            None | Some(Value::Null) => return Known::Absent,
            Some(v) => {
                if let Some(u) = marker(v) {
                    return Known::Unavailable(u);
                }
                cur = v;
            }
        }
    }
    Known::Value(cur)
}

fn marker(v: &Value) -> Option<Unavailable> {
    let m = v.as_object()?.get(UNAVAILABLE_KEY)?;
    Some(
        serde_json::from_value(m.clone()).unwrap_or_else(|_| Unavailable {
            operation: String::new(),
            code: None,
            message: m.to_string(),
        }),
    )
}

/// One resource as a check sees it.
#[derive(Debug, Clone, Copy)]
pub struct Res<'a> {
    /// The canonical resource.
    pub resource: &'a Resource,
}

impl<'a> Res<'a> {
    /// Wraps a resource.
    pub fn new(resource: &'a Resource) -> Self {
        Self { resource }
    }

    /// Reads a path rooted at `configuration` or `supplementary`.
    pub fn get(&self, path: &str) -> Known<'a> {
        let (root, rest) = path.split_once('.').unwrap_or((path, ""));
        match root {
            "configuration" => walk(&self.resource.configuration, rest),
            "supplementary" => walk(&self.resource.supplementary, rest),
            _ => Known::Absent,
        }
    }

    /// Reads a path inside `configuration`.
    pub fn cfg(&self, path: &str) -> Known<'a> {
        walk(&self.resource.configuration, path)
    }

    /// Reads a path inside `supplementary`.
    pub fn sup(&self, path: &str) -> Known<'a> {
        walk(&self.resource.supplementary, path)
    }

    /// Reads a path whose value is JSON carried as text (a policy document),
    /// and parses it. `None` when absent or empty.
    ///
    /// # Errors
    /// UNKNOWN when unreadable; ERROR when the text is not JSON.
    pub fn json_text(&self, path: &str) -> Result<Option<Value>, Stop> {
        match self.get(path).opt()? {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => {
                let text = percent_decode_if_needed(s);
                serde_json::from_str(&text)
                    .map(Some)
                    .map_err(|e| Stop::error(format!("`{path}` is not valid JSON: {e}")))
            }
            Some(other) => Ok(Some(other.clone())),
        }
    }

    /// The display name.
    pub fn name(&self) -> &'a str {
        &self.resource.name
    }

    /// The provider's id.
    pub fn id(&self) -> &'a str {
        &self.resource.resource_id
    }

    /// The ARN.
    pub fn arn(&self) -> &'a str {
        &self.resource.arn
    }

    /// The region (`global` for global services).
    pub fn region(&self) -> &'a str {
        &self.resource.region
    }

    /// The account id.
    pub fn account_id(&self) -> &'a str {
        &self.resource.account_id
    }

    /// A tag's value.
    pub fn tag(&self, key: &str) -> Option<&'a str> {
        self.resource.tags.get(key).map(String::as_str)
    }
}

/// IAM policy documents in AWS Config items are URL-encoded; live collection
/// stores them decoded. Accept both.
fn percent_decode_if_needed(s: &str) -> std::borrow::Cow<'_, str> {
    let t = s.trim_start();
    if t.starts_with('{') || !t.starts_with('%') {
        return std::borrow::Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    std::borrow::Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// One account's current resources, indexed for related and account checks.
#[derive(Debug)]
pub struct AccountView<'a> {
    account_id: &'a str,
    resources: Vec<&'a Resource>,
    by_type: HashMap<&'a str, Vec<usize>>,
    by_id: HashMap<(&'a str, &'a str), usize>,
    by_arn: HashMap<&'a str, usize>,
    regions: BTreeSet<&'a str>,
    failed_scopes: Vec<(String, String)>,
}

impl<'a> AccountView<'a> {
    /// Indexes `resources`, all of which belong to `account_id`.
    pub fn new(account_id: &'a str, resources: Vec<&'a Resource>) -> Self {
        let mut by_type: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_id = HashMap::with_capacity(resources.len());
        let mut by_arn = HashMap::with_capacity(resources.len());
        let mut regions = BTreeSet::new();
        for (i, r) in resources.iter().enumerate() {
            by_type.entry(r.resource_type.as_str()).or_default().push(i);
            by_id.insert((r.resource_type.as_str(), r.resource_id.as_str()), i);
            if !r.arn.is_empty() {
                by_arn.insert(r.arn.as_str(), i);
            }
            if r.region != "global" {
                regions.insert(r.region.as_str());
            }
        }
        Self {
            account_id,
            resources,
            by_type,
            by_id,
            by_arn,
            regions,
            failed_scopes: Vec::new(),
        }
    }

    /// Records the (service, region) scopes whose last collection failed, so
    /// that account checks answer UNKNOWN, not FAIL, for a region they
    /// could not see (`global` or `*` as region covers every region).
    #[must_use]
    pub fn with_failed_scopes(mut self, scopes: Vec<(String, String)>) -> Self {
        self.failed_scopes = scopes;
        self
    }

    /// True when the last collection of `service` failed in some region.
    pub fn any_scope_failed(&self, service: &str) -> bool {
        self.failed_scopes.iter().any(|(s, _)| s == service)
    }

    /// True when the last collection of `service` (`guardduty`) in `region`
    /// failed, so what is missing there may only be unreadable.
    pub fn scope_failed(&self, service: &str, region: &str) -> bool {
        self.failed_scopes
            .iter()
            .any(|(s, r)| s == service && (r == region || r == "global" || r == "*"))
    }

    /// The account id.
    pub fn account_id(&self) -> &'a str {
        self.account_id
    }

    /// Every resource of a type.
    pub fn of_type<'s>(&'s self, resource_type: &str) -> impl Iterator<Item = Res<'a>> + 's {
        self.by_type
            .get(resource_type)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&i| Res::new(self.resources[i]))
    }

    /// One resource by type and id.
    pub fn get(&self, resource_type: &str, resource_id: &str) -> Option<Res<'a>> {
        self.by_id
            .get(&(resource_type, resource_id))
            .map(|&i| Res::new(self.resources[i]))
    }

    /// One resource by ARN.
    pub fn by_arn(&self, arn: &str) -> Option<Res<'a>> {
        self.by_arn.get(arn).map(|&i| Res::new(self.resources[i]))
    }

    /// The regions the account has resources in (without `global`).
    pub fn regions(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.regions.iter().copied()
    }

    /// The number of resources.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// True when the account has no resources.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shareline_model::attr::unavailable;

    #[test]
    fn walk_is_three_way() {
        let doc = json!({"a": {"b": [1, {"c": true}]}, "n": null,
                         "u": unavailable("GetX", Some("AccessDenied"), "no")});
        assert_eq!(walk(&doc, "a.b.1.c"), Known::Value(&json!(true)));
        assert_eq!(walk(&doc, "a.b.5"), Known::Absent);
        assert_eq!(walk(&doc, "n.x"), Known::Absent);
        assert!(walk(&doc, "u").is_unavailable());
        assert!(walk(&doc, "u.deeper.still").is_unavailable());
    }

    #[test]
    fn decodes_url_encoded_policies() {
        assert_eq!(percent_decode_if_needed("%7B%22a%22%3A1%7D"), r#"{"a":1}"#);
        assert_eq!(percent_decode_if_needed(r#"{"a":"%20"}"#), r#"{"a":"%20"}"#);
    }
}
