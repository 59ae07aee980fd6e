//! The declarative evaluator: `eq`, `ne`, `in`, `not_in`, `exists`, `absent`,
//! `gte`, `lte`, `contains`, `all`/`any` over lists and `and`/`or`/`not`.
//! Kept small on purpose; anything more is a Rust predicate.

use serde_json::Value;
use shareline_catalog::Assert;

use crate::outcome::Stop;
use crate::view::{Known, Res, walk};

/// Where paths are read from: the resource, or one element of a list.
#[derive(Debug, Clone, Copy)]
enum Scope<'a> {
    Resource(Res<'a>),
    Element(&'a Value),
}

impl<'a> Scope<'a> {
    fn get(self, path: Option<&str>) -> Known<'a> {
        match (self, path) {
            (Scope::Resource(r), Some(p)) => r.get(p),
            (Scope::Resource(_), None) => Known::Absent,
            (Scope::Element(v), p) => walk(v, p.unwrap_or("")),
        }
    }
}

/// The field and value that made an assertion false.
pub type Miss = (String, Value);

/// Evaluates `assert` against a resource: `Ok(None)` when it holds,
/// `Ok(Some(miss))` when it does not, UNKNOWN when a needed value was
/// unreadable.
///
/// # Errors
/// [`Stop::Unknown`] when a value it reads could not be collected.
pub fn holds(assert: &Assert, res: Res<'_>) -> Result<Option<Miss>, Stop> {
    eval(assert, Scope::Resource(res))
}

fn eval(a: &Assert, scope: Scope<'_>) -> Result<Option<Miss>, Stop> {
    if let Some(list) = &a.and {
        for inner in list {
            if let Some(miss) = eval(inner, scope)? {
                return Ok(Some(miss));
            }
        }
        return Ok(None);
    }
    if let Some(list) = &a.or {
        let mut first = None;
        for inner in list {
            match eval(inner, scope)? {
                None => return Ok(None),
                Some(miss) => {
                    first.get_or_insert(miss);
                }
            }
        }
        return Ok(first.or_else(|| Some(("or".to_owned(), Value::Null))));
    }
    if let Some(inner) = &a.not {
        return Ok(match eval(inner, scope)? {
            None => Some((describe(inner), Value::String("matched".into()))),
            Some(_) => None,
        });
    }
    let path = a.path.as_deref();
    let field = path.unwrap_or("(element)").to_owned();
    let known = scope.get(path);
    let value = match known {
        Known::Unavailable(u) => return Err(Stop::unavailable(&u)),
        Known::Absent => None,
        Known::Value(v) => Some(v),
    };
    let shown = value.cloned().unwrap_or(Value::Null);
    let ok = if let Some(want) = &a.eq {
        value.is_some_and(|v| same(v, want))
    } else if let Some(want) = &a.ne {
        !value.is_some_and(|v| same(v, want))
    } else if let Some(options) = &a.one_of {
        value.is_some_and(|v| options.iter().any(|o| same(v, o)))
    } else if let Some(options) = &a.not_in {
        !value.is_some_and(|v| options.iter().any(|o| same(v, o)))
    } else if let Some(want) = a.exists {
        value.is_some() == want
    } else if let Some(want) = a.absent {
        value.is_none() == want
    } else if let Some(min) = a.gte {
        value.and_then(number).is_some_and(|n| n >= min)
    } else if let Some(max) = a.lte {
        value.and_then(number).is_some_and(|n| n <= max)
    } else if let Some(needle) = &a.contains {
        match value {
            Some(Value::Array(items)) => items.iter().any(|i| same(i, needle)),
            Some(Value::String(s)) => needle.as_str().is_some_and(|n| s.contains(n)),
            _ => false,
        }
    } else if let Some(inner) = &a.all {
        let items = value
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for item in items {
            if eval(inner, Scope::Element(item))?.is_some() {
                return Ok(Some((field, item.clone())));
            }
        }
        true
    } else if let Some(inner) = &a.any {
        let items = value
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let mut found = false;
        for item in items {
            if eval(inner, Scope::Element(item))?.is_none() {
                found = true;
                break;
            }
        }
        found
    } else {
        return Err(Stop::error("assertion has no operator"));
    };
    Ok(if ok { None } else { Some((field, shown)) })
}

/// Equality that treats numbers by value and `"true"` text like `true`, since
/// some services (SNS, SQS) return every attribute as text.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(s), Value::Bool(b)) | (Value::Bool(b), Value::String(s)) => {
            s.eq_ignore_ascii_case(if *b { "true" } else { "false" })
        }
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            s.trim().parse::<f64>().ok() == n.as_f64()
        }
        _ => a == b,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn describe(a: &Assert) -> String {
    a.path.clone().unwrap_or_else(|| "condition".to_owned())
}

/// Fills `{placeholders}` in a message: `name`, `resource_id`, `region`,
/// `arn`, `account_id`, or a path under `configuration`/`supplementary`.
///
/// # Errors
/// Names a placeholder that is not one of those.
pub fn render(template: &str, res: Res<'_>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            return Err(format!("unclosed `{{` in `{template}`"));
        };
        let key = &after[..end];
        let text = match key {
            "name" => res.name().to_owned(),
            "resource_id" => res.id().to_owned(),
            "region" => res.region().to_owned(),
            "arn" => res.arn().to_owned(),
            "account_id" => res.account_id().to_owned(),
            k if k.starts_with("configuration.") || k.starts_with("supplementary.") => {
                match res.get(k) {
                    Known::Value(Value::String(s)) => s.clone(),
                    Known::Value(v) => v.to_string(),
                    Known::Absent => "none".to_owned(),
                    Known::Unavailable(_) => "unreadable".to_owned(),
                }
            }
            other => return Err(format!("unknown placeholder `{{{other}}}` in `{template}`")),
        };
        out.push_str(&text);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shareline_model::Resource;
    use shareline_model::attr::unavailable;

    fn assert_of(toml_text: &str) -> Assert {
        #[derive(serde::Deserialize)]
        struct W {
            a: Assert,
        }
        let w: W = toml::from_str(&format!("a = {toml_text}")).unwrap();
        w.a
    }

    fn res() -> Resource {
        let mut r = Resource::new("123456789012", "us-east-1", "AWS::X::Y", "id", "arn");
        r.configuration = json!({
            "enabled": "true", "days": 30, "list": [{"p": 22}, {"p": 443}], "s": "hello"
        });
        r.supplementary = json!({"u": unavailable("GetU", Some("AccessDenied"), "no")});
        r
    }

    #[test]
    fn operators() {
        let r = res();
        let r = Res::new(&r);
        let ok = |t: &str| holds(&assert_of(t), r).unwrap().is_none();
        assert!(ok(r#"{ path = "configuration.enabled", eq = true }"#));
        assert!(ok(r#"{ path = "configuration.days", gte = 30 }"#));
        assert!(!ok(r#"{ path = "configuration.days", lte = 29 }"#));
        assert!(ok(r#"{ path = "configuration.missing", ne = "x" }"#));
        assert!(!ok(r#"{ path = "configuration.missing", eq = "x" }"#));
        assert!(ok(
            r#"{ path = "configuration.list", any = { path = "p", eq = 443 } }"#
        ));
        assert!(!ok(
            r#"{ path = "configuration.list", all = { path = "p", eq = 443 } }"#
        ));
        assert!(ok(r#"{ path = "configuration.s", contains = "ell" }"#));
        assert!(ok(
            r#"{ not = { path = "configuration.s", in = ["a", "b"] } }"#
        ));
        assert!(ok(
            r#"{ or = [{ path = "configuration.s", eq = "x" }, { path = "configuration.days", eq = 30 }] }"#
        ));
        let miss = holds(&assert_of(r#"{ path = "configuration.days", eq = 7 }"#), r)
            .unwrap()
            .unwrap();
        assert_eq!(miss, ("configuration.days".to_owned(), json!(30)));
    }

    #[test]
    fn unreadable_is_unknown_not_fail() {
        let r = res();
        let err = holds(
            &assert_of(r#"{ path = "supplementary.u.x", eq = 1 }"#),
            Res::new(&r),
        );
        assert!(matches!(err, Err(Stop::Unknown(_))), "{err:?}");
    }

    #[test]
    fn renders_messages() {
        let r = res();
        let text = render(
            "`{name}` has {configuration.days} days, {configuration.nope}",
            Res::new(&r),
        );
        assert_eq!(text.unwrap(), "`id` has 30 days, none");
        assert!(render("{bogus}", Res::new(&r)).is_err());
    }
}
