//! Read-only views that predicates use: one resource ([`Res`]) and one account's
//! resources ([`AccountView`]), with three-way values ([`Known`]).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

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

    /// The text as the one key of an index ([`AccountView::filed`]): none
    /// when absent or not text.
    ///
    /// # Errors
    /// [`Stop::Unknown`] when the value could not be read.
    pub fn key(self) -> Result<Vec<String>, Stop> {
        Ok(self.str()?.map(str::to_owned).into_iter().collect())
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
    /// The indexes checks asked for ([`AccountView::filed`]), by name.
    indexes: Mutex<HashMap<&'static str, Arc<OnceLock<Index>>>>,
}

/// Resources filed under keys derived from each (a function's role, a
/// snapshot's volume id): a check asking which resources point at its own
/// reads one list instead of scanning the account once per resource, which
/// made such checks quadratic in the account's size (docs/benchmarks.md).
#[derive(Debug, Default)]
struct Index {
    /// Per key, the resources filed under it, in the view's order.
    by_key: HashMap<String, Vec<usize>>,
    /// The resources whose keys could not be read, in the view's order.
    unreadable: Vec<(usize, Stop)>,
}

/// What [`AccountView::filed`] files a resource under: its keys, or why
/// they could not be read.
pub type Keys = fn(&Res<'_>) -> Result<Vec<String>, Stop>;

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
            indexes: Mutex::default(),
        }
    }

    /// The resources of `types` filed under `key` by `keys` that `eligible`
    /// accepts, type by type in the order given, then in the view's order.
    /// The index is built on first use, under `name`, and shared by every
    /// check of the account after: a name stands for one pair of types and
    /// key function.
    ///
    /// # Errors
    /// Why the keys of the first resource `eligible` accepts could not be
    /// read, if there is one: it might have been filed under `key`.
    pub fn filed(
        &self,
        name: &'static str,
        types: &[&str],
        keys: Keys,
        key: &str,
        eligible: impl Fn(&Res<'a>) -> bool,
    ) -> Result<Vec<Res<'a>>, Stop> {
        let cell = {
            let mut indexes = self.indexes.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(indexes.entry(name).or_default())
        };
        // Built outside the map's lock: checks asking for other indexes go on.
        let index = cell.get_or_init(|| self.build_index(types, keys));
        let res = |i: usize| Res::new(self.resources[i]);
        if let Some((_, stop)) = index.unreadable.iter().find(|(i, _)| eligible(&res(*i))) {
            return Err(stop.clone());
        }
        Ok(index
            .by_key
            .get(key)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&i| res(i))
            .filter(|r| eligible(r))
            .collect())
    }

    fn build_index(&self, types: &[&str], keys: Keys) -> Index {
        let mut index = Index::default();
        for ty in types {
            for &i in self.by_type.get(ty).map_or(&[][..], Vec::as_slice) {
                match keys(&Res::new(self.resources[i])) {
                    Ok(found) => {
                        for key in found {
                            // Once per resource, however often it names the key.
                            let filed = index.by_key.entry(key).or_default();
                            if filed.last() != Some(&i) {
                                filed.push(i);
                            }
                        }
                    }
                    Err(stop) => index.unreadable.push((i, stop)),
                }
            }
        }
        index
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

    fn function(id: &str, region: &str, role: Value) -> Resource {
        let mut r = Resource::new(
            "111111111111",
            region,
            "AWS::Lambda::Function",
            id,
            &format!("arn:aws:lambda:{region}:111111111111:function:{id}"),
        );
        r.configuration = json!({ "role": role });
        r
    }

    fn role_of(f: &Res<'_>) -> Result<Vec<String>, Stop> {
        f.cfg("role").key()
    }

    #[test]
    fn filed_resources_come_in_order_and_unreadable_keys_stop_only_the_eligible() {
        let resources = [
            function("a", "us-east-1", json!("r1")),
            function("b", "eu-west-1", json!("r2")),
            function("c", "us-east-1", json!("r1")),
            function(
                "d",
                "eu-west-1",
                unavailable("GetFunction", Some("AccessDenied"), "no"),
            ),
        ];
        let view = AccountView::new("111111111111", resources.iter().collect());
        let ids = |found: Vec<Res<'_>>| found.iter().map(|r| r.id().to_owned()).collect::<Vec<_>>();
        let types = ["AWS::Lambda::Function"];
        let in_us = |r: &Res<'_>| r.region() == "us-east-1";
        let filed = |key: &str| view.filed("roles", &types, role_of, key, in_us);
        assert_eq!(ids(filed("r1").unwrap()), ["a", "c"]);
        assert!(filed("r2").unwrap().is_empty(), "b is not eligible");
        assert!(filed("r9").unwrap().is_empty());
        // `d` could name r2: anyone who may count it cannot tell.
        let everywhere = view.filed("roles", &types, role_of, "r2", |_| true);
        assert!(matches!(everywhere, Err(Stop::Unknown(m)) if m.contains("GetFunction")));
        // The name stands for the index: asked again, it is not rebuilt
        // with another key function.
        let by_id = |f: &Res<'_>| Ok(vec![f.id().to_owned()]);
        assert!(
            view.filed("roles", &types, by_id, "a", in_us)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            ids(view.filed("ids", &types, by_id, "a", in_us).unwrap()),
            ["a"]
        );
    }

    #[test]
    fn decodes_url_encoded_policies() {
        assert_eq!(percent_decode_if_needed("%7B%22a%22%3A1%7D"), r#"{"a":1}"#);
        assert_eq!(percent_decode_if_needed(r#"{"a":"%20"}"#), r#"{"a":"%20"}"#);
    }
}
