//! Compliance frameworks: one TOML file per framework version mapping
//! requirement ids to check ids. The mapping lives only here; check files never
//! name frameworks, and the reverse index is computed at load.

use serde::{Deserialize, Serialize};

use crate::CatalogError;

/// One framework version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// Stable id used on the command line (`pci-dss-4.0`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Version as the publisher writes it.
    pub version: String,
    /// Who publishes it.
    pub publisher: String,
    /// Where to read the standard itself.
    pub source: String,
    /// Whether requirement texts are public domain (NIST, FedRAMP, HIPAA) and
    /// so may be shipped; otherwise only ids and our own short labels are.
    #[serde(default)]
    pub public_text: bool,
    /// The requirements, in the publisher's order.
    pub requirements: Vec<Requirement>,
}

/// How a requirement is assessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Assessment {
    /// One or more checks decide it.
    Automated,
    /// No check can; it needs attestation (reported as MANUAL).
    Manual,
}

/// One requirement (control) of a framework.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// The publisher's id (`3.5.1`, `AC-2`, `164.312(a)(1)`).
    pub id: String,
    /// Our short label, or the public-domain title.
    pub title: String,
    /// The public-domain text, only when the framework's text is public.
    #[serde(default)]
    pub description: Option<String>,
    /// The section it belongs to, for grouping.
    #[serde(default)]
    pub section: Option<String>,
    /// The check ids that assess it.
    #[serde(default)]
    pub checks: Vec<String>,
    /// Automated when checks are listed, manual otherwise.
    pub assessment: Assessment,
}

impl Framework {
    /// Parses and validates one framework file. `known_check` answers whether
    /// a check id exists, so that a mapping never dangles.
    ///
    /// # Errors
    /// Names the file and the requirement that is wrong.
    pub fn parse(
        file: &str,
        text: &str,
        known_check: impl Fn(&str) -> bool,
    ) -> Result<Self, CatalogError> {
        let fw: Framework =
            toml::from_str(text).map_err(|e| CatalogError::new(file, e.to_string()))?;
        if fw.id.is_empty()
            || !fw
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        {
            return Err(CatalogError::new(
                file,
                "`id` must be lower-case kebab like pci-dss-4.0",
            ));
        }
        if fw.requirements.is_empty() {
            return Err(CatalogError::new(file, "`requirements` is empty"));
        }
        let mut seen = std::collections::HashSet::new();
        for r in &fw.requirements {
            let at = format!("requirement `{}`", r.id);
            if r.id.trim().is_empty() || !seen.insert(r.id.as_str()) {
                return Err(CatalogError::new(
                    file,
                    format!("{at}: empty or duplicate id"),
                ));
            }
            if r.title.trim().is_empty() {
                return Err(CatalogError::new(file, format!("{at}: `title` is empty")));
            }
            if r.description.is_some() && !fw.public_text {
                return Err(CatalogError::new(
                    file,
                    format!("{at}: `description` may only be shipped for public-domain texts"),
                ));
            }
            match (r.assessment, r.checks.is_empty()) {
                (Assessment::Automated, true) => {
                    return Err(CatalogError::new(
                        file,
                        format!("{at}: automated but no checks"),
                    ));
                }
                (Assessment::Manual, false) => {
                    return Err(CatalogError::new(
                        file,
                        format!("{at}: manual but lists checks"),
                    ));
                }
                _ => {}
            }
            for c in &r.checks {
                if !known_check(c) {
                    return Err(CatalogError::new(
                        file,
                        format!("{at}: unknown check `{c}`"),
                    ));
                }
            }
        }
        Ok(fw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FW: &str = r#"
id = "demo-1.0"
name = "Demo"
version = "1.0"
publisher = "Us"
source = "https://example.invalid"
[[requirements]]
id = "1"
title = "Buckets are private"
checks = ["aws_s3_bucket_public_access_blocked"]
assessment = "automated"
[[requirements]]
id = "2"
title = "Staff are trained"
assessment = "manual"
"#;

    #[test]
    fn dangling_mapping_is_refused() {
        let fw =
            Framework::parse("f.toml", FW, |c| c == "aws_s3_bucket_public_access_blocked").unwrap();
        assert_eq!(fw.requirements.len(), 2);
        let err = Framework::parse("f.toml", FW, |_| false).unwrap_err();
        assert!(err.to_string().contains("unknown check"), "{err}");
        let bad = FW.replace("assessment = \"manual\"", "assessment = \"automated\"");
        assert!(Framework::parse("f.toml", &bad, |_| true).is_err());
    }
}
