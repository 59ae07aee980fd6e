//! The canonical resource: one shape for every cloud, modelled on the AWS
//! Config configuration item.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A link from one resource to another (`Is associated with`, `Contains`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Relationship {
    /// The kind of link, in AWS Config's words (`Is attached to`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The other resource's type (`AWS::EC2::SecurityGroup`).
    pub resource_type: String,
    /// The other resource's id.
    pub resource_id: String,
}

/// One cloud resource as seen at `captured_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// `aws`, later `azure` and `gcp`.
    pub provider: String,
    /// The cloud account that holds it.
    pub account_id: String,
    /// The region, or `global` for global services.
    pub region: String,
    /// The resource type as AWS Config names it (`AWS::S3::Bucket`).
    pub resource_type: String,
    /// The provider's id for it (bucket name, instance id).
    pub resource_id: String,
    /// The ARN, or the provider's global id.
    pub arn: String,
    /// A display name (the `Name` tag, the bucket name).
    pub name: String,
    /// Tags, sorted by key.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The service's own describe output.
    #[serde(default)]
    pub configuration: Value,
    /// Settings read by extra calls: policies, ACLs, encryption. Values that
    /// could not be read hold an unavailable marker (see [`crate::attr`]).
    #[serde(default)]
    pub supplementary: Value,
    /// Links to other resources.
    #[serde(default)]
    pub relationships: Vec<Relationship>,
    /// When it was read.
    pub captured_at: DateTime<Utc>,
}

/// The identity of a resource within a tenant: stable across versions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ResourceKey {
    /// The cloud account.
    pub account_id: String,
    /// The region.
    pub region: String,
    /// The resource type.
    pub resource_type: String,
    /// The resource id.
    pub resource_id: String,
}

impl Resource {
    /// Starts a resource with empty configuration, captured now.
    pub fn new(
        account_id: &str,
        region: &str,
        resource_type: &str,
        resource_id: &str,
        arn: &str,
    ) -> Self {
        Self {
            provider: "aws".to_owned(),
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            resource_type: resource_type.to_owned(),
            resource_id: resource_id.to_owned(),
            arn: arn.to_owned(),
            name: resource_id.to_owned(),
            tags: BTreeMap::new(),
            configuration: Value::Object(serde_json::Map::new()),
            supplementary: Value::Object(serde_json::Map::new()),
            relationships: Vec::new(),
            captured_at: Utc::now(),
        }
    }

    /// Returns the identity of this resource.
    pub fn key(&self) -> ResourceKey {
        ResourceKey {
            account_id: self.account_id.clone(),
            region: self.region.clone(),
            resource_type: self.resource_type.clone(),
            resource_id: self.resource_id.clone(),
        }
    }

    /// Returns the service part of the resource type (`S3` for `AWS::S3::Bucket`).
    pub fn service(&self) -> &str {
        self.resource_type.split("::").nth(1).unwrap_or("")
    }

    /// Returns the hex SHA-256 of everything but `captured_at`, over canonical
    /// JSON (object keys sorted, relationships sorted), so that two reads of an
    /// unchanged resource hash alike.
    pub fn content_hash(&self) -> String {
        let mut rels = self.relationships.clone();
        rels.sort();
        let mut out = String::with_capacity(1024);
        let fields: [(&str, Value); 10] = [
            ("provider", Value::String(self.provider.clone())),
            ("account_id", Value::String(self.account_id.clone())),
            ("region", Value::String(self.region.clone())),
            ("resource_type", Value::String(self.resource_type.clone())),
            ("resource_id", Value::String(self.resource_id.clone())),
            ("arn", Value::String(self.arn.clone())),
            ("name", Value::String(self.name.clone())),
            (
                "tags",
                Value::Object(
                    self.tags
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect(),
                ),
            ),
            ("configuration", self.configuration.clone()),
            ("supplementary", self.supplementary.clone()),
        ];
        for (name, value) in &fields {
            out.push_str(name);
            out.push('=');
            write_canonical(value, &mut out);
            out.push('\n');
        }
        for rel in &rels {
            out.push_str("rel=");
            out.push_str(&rel.kind);
            out.push('|');
            out.push_str(&rel.resource_type);
            out.push('|');
            out.push_str(&rel.resource_id);
            out.push('\n');
        }
        hex::encode(Sha256::digest(out.as_bytes()))
    }
}

/// Writes `value` as JSON with object keys in sorted order, whatever map
/// ordering serde_json was built with.
pub fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*key).clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(*key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hash_ignores_capture_time_and_key_order() {
        let mut a = Resource::new("111111111111", "us-east-1", "AWS::S3::Bucket", "b", "arn:b");
        a.configuration = json!({"x": 1, "y": {"b": 2, "a": 1}});
        let mut b = a.clone();
        b.captured_at = a.captured_at + chrono::Duration::hours(1);
        b.configuration = serde_json::from_str(r#"{"y": {"a": 1, "b": 2}, "x": 1}"#).unwrap();
        assert_eq!(a.content_hash(), b.content_hash());
        b.configuration = json!({"x": 2, "y": {"b": 2, "a": 1}});
        assert_ne!(a.content_hash(), b.content_hash());
    }

    #[test]
    fn service_of_type() {
        let r = Resource::new("111111111111", "global", "AWS::IAM::User", "u", "arn:u");
        assert_eq!(r.service(), "IAM");
    }
}
