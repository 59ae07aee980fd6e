//! Mutes: suppressions of failing findings, scoped by check, account, region,
//! resource pattern and tag, each with a reason, an author and an expiry.
//! Muted findings are still evaluated; they are reported as MUTED until the
//! mute expires.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use regex::Regex;
use serde::{Deserialize, Serialize};

/// How patterns in a mute are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Syntax {
    /// `*` and `?` wildcards, matching the whole value.
    #[default]
    Glob,
    /// Regular expressions matching anywhere in the value (Prowler's mutelist
    /// semantics); a lone `*` matches everything.
    Regex,
}

/// Where a mute applies. Empty lists match everything.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Scope {
    /// Check id patterns.
    #[serde(default)]
    pub checks: Vec<String>,
    /// Account id patterns.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Region patterns.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Patterns over the resource id, ARN or name.
    #[serde(default)]
    pub resources: Vec<String>,
    /// `key=value-pattern` tags; any one matching is enough.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A mute as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mute {
    /// Its id.
    pub id: String,
    /// Where it applies.
    pub scope: Scope,
    /// Where it does not apply although `scope` matches.
    #[serde(default)]
    pub except: Scope,
    /// Pattern syntax.
    #[serde(default)]
    pub syntax: Syntax,
    /// Why the risk is accepted.
    pub reason: String,
    /// Who accepted it.
    pub author: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it stops muting.
    pub expires_at: DateTime<Utc>,
    /// Where it came from (`cli`, `prowler-mutelist:<file>`).
    pub source: String,
}

/// A mute problem found when compiling its patterns.
#[derive(Debug, thiserror::Error)]
#[error("mute {id}: pattern `{pattern}`: {message}")]
pub struct MuteError {
    /// The mute.
    pub id: String,
    /// The pattern.
    pub pattern: String,
    /// What is wrong.
    pub message: String,
}

/// What a mute is matched against.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Check id.
    pub check_id: &'a str,
    /// Account id.
    pub account_id: &'a str,
    /// Region.
    pub region: &'a str,
    /// Resource id.
    pub resource_id: &'a str,
    /// ARN.
    pub arn: &'a str,
    /// Name.
    pub name: &'a str,
    /// Tags.
    pub tags: &'a BTreeMap<String, String>,
}

#[derive(Debug)]
struct CompiledScope {
    checks: Vec<Regex>,
    accounts: Vec<Regex>,
    regions: Vec<Regex>,
    resources: Vec<Regex>,
    tags: Vec<(Regex, Regex)>,
}

/// A mute with its patterns compiled.
#[derive(Debug)]
pub struct Compiled {
    /// The mute.
    pub mute: Mute,
    scope: CompiledScope,
    except: CompiledScope,
}

fn compile_one(syntax: Syntax, pattern: &str) -> Result<Regex, regex::Error> {
    let source = match syntax {
        Syntax::Glob => {
            let mut re = String::from("^");
            for c in pattern.chars() {
                match c {
                    '*' => re.push_str(".*"),
                    '?' => re.push('.'),
                    c => re.push_str(&regex::escape(&c.to_string())),
                }
            }
            re.push('$');
            re
        }
        Syntax::Regex if pattern == "*" => ".*".to_owned(),
        Syntax::Regex => pattern.to_owned(),
    };
    regex::RegexBuilder::new(&source)
        .size_limit(1 << 20)
        .build()
}

fn compile_scope(id: &str, syntax: Syntax, s: &Scope) -> Result<CompiledScope, MuteError> {
    let err = |p: &str, e: &dyn std::fmt::Display| MuteError {
        id: id.to_owned(),
        pattern: p.to_owned(),
        message: e.to_string(),
    };
    let list = |ps: &[String]| {
        ps.iter()
            .map(|p| compile_one(syntax, p).map_err(|e| err(p, &e)))
            .collect::<Result<Vec<_>, _>>()
    };
    let mut tags = Vec::with_capacity(s.tags.len());
    for t in &s.tags {
        let (k, v) = t
            .split_once('=')
            .ok_or_else(|| err(t, &"tags are written key=value"))?;
        let key = compile_one(Syntax::Glob, k.trim()).map_err(|e| err(t, &e))?;
        let value = compile_one(syntax, v.trim()).map_err(|e| err(t, &e))?;
        tags.push((key, value));
    }
    Ok(CompiledScope {
        checks: list(&s.checks)?,
        accounts: list(&s.accounts)?,
        regions: list(&s.regions)?,
        resources: list(&s.resources)?,
        tags,
    })
}

impl CompiledScope {
    fn any(list: &[Regex], values: &[&str]) -> bool {
        list.iter().any(|re| values.iter().any(|v| re.is_match(v)))
    }

    fn tags_match(&self, tags: &BTreeMap<String, String>) -> bool {
        self.tags
            .iter()
            .any(|(k, v)| tags.iter().any(|(tk, tv)| k.is_match(tk) && v.is_match(tv)))
    }

    /// Every non-empty dimension matches.
    fn matches(&self, s: &Subject<'_>) -> bool {
        (self.checks.is_empty() || Self::any(&self.checks, &[s.check_id]))
            && (self.accounts.is_empty() || Self::any(&self.accounts, &[s.account_id]))
            && (self.regions.is_empty() || Self::any(&self.regions, &[s.region]))
            && (self.resources.is_empty()
                || Self::any(&self.resources, &[s.resource_id, s.arn, s.name]))
            && (self.tags.is_empty() || self.tags_match(s.tags))
    }

    fn is_empty(&self) -> bool {
        self.checks.is_empty()
            && self.accounts.is_empty()
            && self.regions.is_empty()
            && self.resources.is_empty()
            && self.tags.is_empty()
    }
}

impl Compiled {
    /// Compiles a mute's patterns.
    ///
    /// # Errors
    /// Names the mute and the pattern that does not compile.
    pub fn new(mute: Mute) -> Result<Self, MuteError> {
        let scope = compile_scope(&mute.id, mute.syntax, &mute.scope)?;
        let except = compile_scope(&mute.id, mute.syntax, &mute.except)?;
        Ok(Self {
            mute,
            scope,
            except,
        })
    }

    /// True while the mute has not expired.
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        self.mute.expires_at > now
    }

    /// True when the mute's check patterns cover `check_id`, whatever its
    /// other dimensions say: does it name that check at all?
    pub fn names_check(&self, check_id: &str) -> bool {
        self.scope.checks.is_empty() || CompiledScope::any(&self.scope.checks, &[check_id])
    }

    /// True when the mute's scope covers `s` and no exception does
    /// (ignoring expiry).
    pub fn covers(&self, s: &Subject<'_>) -> bool {
        self.scope.matches(s) && (self.except.is_empty() || !self.except.matches(s))
    }
}

/// The first active mute covering `s`.
pub fn find<'m>(mutes: &'m [Compiled], s: &Subject<'_>, now: DateTime<Utc>) -> Option<&'m Mute> {
    mutes
        .iter()
        .find(|m| m.active(now) && m.covers(s))
        .map(|m| &m.mute)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mute(scope: Scope, except: Scope, syntax: Syntax, expires_day: i64) -> Compiled {
        Compiled::new(Mute {
            id: "m1".into(),
            scope,
            except,
            syntax,
            reason: "accepted".into(),
            author: "ops".into(),
            created_at: DateTime::from_timestamp(0, 0).unwrap(),
            expires_at: DateTime::from_timestamp(expires_day * 86_400, 0).unwrap(),
            source: "test".into(),
        })
        .unwrap()
    }

    #[test]
    fn scope_exceptions_and_expiry() {
        let mut tags = BTreeMap::new();
        tags.insert("env".to_owned(), "dev".to_owned());
        let s = Subject {
            check_id: "aws_s3_bucket_versioning_enabled",
            account_id: "111111111111",
            region: "us-east-1",
            resource_id: "dev-logs",
            arn: "arn:aws:s3:::dev-logs",
            name: "dev-logs",
            tags: &tags,
        };
        let m = mute(
            Scope {
                checks: vec!["aws_s3_*".into()],
                resources: vec!["dev-*".into()],
                ..Scope::default()
            },
            Scope::default(),
            Syntax::Glob,
            10,
        );
        assert!(m.covers(&s));
        let day = |d: i64| DateTime::from_timestamp(d * 86_400, 0).unwrap();
        assert!(find(std::slice::from_ref(&m), &s, day(5)).is_some());
        assert!(
            find(std::slice::from_ref(&m), &s, day(11)).is_none(),
            "expired mutes stop muting"
        );

        let excepted = mute(
            Scope {
                tags: vec!["env=d.*".into()],
                ..Scope::default()
            },
            Scope {
                regions: vec!["us-east-1".into()],
                ..Scope::default()
            },
            Syntax::Regex,
            10,
        );
        assert!(!excepted.covers(&s));
        let other = Subject {
            region: "eu-west-1",
            ..s
        };
        assert!(excepted.covers(&other));
        let untagged = BTreeMap::new();
        assert!(!excepted.covers(&Subject {
            tags: &untagged,
            ..other
        }));
    }

    #[test]
    fn bad_patterns_are_named() {
        let err = Compiled::new(Mute {
            id: "m2".into(),
            scope: Scope {
                resources: vec!["(".into()],
                ..Scope::default()
            },
            except: Scope::default(),
            syntax: Syntax::Regex,
            reason: String::new(),
            author: String::new(),
            created_at: Utc::now(),
            expires_at: Utc::now(),
            source: String::new(),
        })
        .unwrap_err();
        assert!(err.to_string().contains("m2"));
        assert!(err.to_string().contains("`(`"));
    }
}
