//! Certificate Manager: certificates of every key type with their domains,
//! status, type, validity window, issuer, users and options.
//!
//! `ListCertificates` only returns RSA-1024 and RSA-2048 certificates unless
//! asked for other key types, so every key algorithm is requested. When
//! `DescribeCertificate` fails, the certificate is still emitted from its
//! list summary and the fields only the describe call provides hold the
//! unavailable marker.

use aws_sdk_acm::types::{CertificateDetail, CertificateSummary, Filters, KeyAlgorithm};
use futures::StreamExt;
use serde_json::{Value, json};
use shareline_model::Resource;
use shareline_model::attr::UNAVAILABLE_KEY;

use super::{BoxFuture, Collected, ServiceDef, ts_opt};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The ACM collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "acm",
    global: false,
    resource_types: &["AWS::ACM::Certificate"],
    permissions: &["acm:ListCertificates", "acm:DescribeCertificate"],
    collect: run,
};

/// How many certificates are read at once.
const CERT_CONCURRENCY: usize = 8;

/// Fields only `DescribeCertificate` provides; they hold the marker when it fails.
const DETAIL_ONLY: &[&str] = &[
    "subjectAlternativeNames",
    "domainValidationOptions",
    "serial",
    "subject",
    "issuer",
    "signatureAlgorithm",
    "inUseBy",
    "failureReason",
    "renewalSummary",
    "certificateAuthorityArn",
    "options",
];

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let client = aws_sdk_acm::Client::new(&ctx.sdk);
    let all_key_types = KeyAlgorithm::values()
        .iter()
        .fold(Filters::builder(), |b, k| {
            b.key_types(KeyAlgorithm::from(*k))
        })
        .build();
    let mut summaries = Vec::new();
    let mut pages = client
        .list_certificates()
        .includes(all_key_types)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CollectError::from_sdk("acm:ListCertificates", &e))?;
        summaries.extend(page.certificate_summary_list().iter().cloned());
    }
    let results: Vec<Collected> = futures::stream::iter(summaries)
        .map(|s| certificate(ctx, &client, s))
        .buffer_unordered(CERT_CONCURRENCY)
        .collect()
        .await;
    let mut out = Collected::default();
    for r in results {
        out.resources.extend(r.resources);
        out.gaps.extend(r.gaps);
    }
    Ok(out)
}

/// Describes one certificate.
async fn certificate(ctx: &Ctx, client: &aws_sdk_acm::Client, s: CertificateSummary) -> Collected {
    let mut out = Collected::default();
    let Some(arn) = s.certificate_arn() else {
        return out;
    };
    let mut r = Resource::new(
        &ctx.account_id,
        &ctx.region,
        "AWS::ACM::Certificate",
        arn,
        arn,
    );
    r.name = s.domain_name().unwrap_or(arn).to_owned();
    let res = client
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await;
    let detail = out.sub("acm:DescribeCertificate", res, &[], |o| {
        o.certificate().map_or(Value::Null, detail)
    });
    r.configuration = match detail {
        Value::Object(fields) if !fields.contains_key(UNAVAILABLE_KEY) => Value::Object(fields),
        other => from_summary(&s, &other),
    };
    out.resources.push(r);
    out
}

/// The certificate in AWS Config's shape, from `DescribeCertificate`.
fn detail(c: &CertificateDetail) -> Value {
    json!({
        "certificateArn": c.certificate_arn(),
        "domainName": c.domain_name(),
        "subjectAlternativeNames": c.subject_alternative_names(),
        "domainValidationOptions": c.domain_validation_options().iter().map(|d| json!({
            "domainName": d.domain_name(),
            "validationDomain": d.validation_domain(),
            "validationStatus": d.validation_status().map(|x| x.as_str().to_owned()),
            "validationMethod": d.validation_method().map(|x| x.as_str().to_owned()),
        })).collect::<Vec<_>>(),
        "serial": c.serial(),
        "subject": c.subject(),
        "issuer": c.issuer(),
        "createdAt": ts_opt(c.created_at()),
        "issuedAt": ts_opt(c.issued_at()),
        "importedAt": ts_opt(c.imported_at()),
        "status": c.status().map(|x| x.as_str().to_owned()),
        "revokedAt": ts_opt(c.revoked_at()),
        "revocationReason": c.revocation_reason().map(|x| x.as_str().to_owned()),
        "notBefore": ts_opt(c.not_before()),
        "notAfter": ts_opt(c.not_after()),
        "keyAlgorithm": c.key_algorithm().map(|x| x.as_str().to_owned()),
        "signatureAlgorithm": c.signature_algorithm(),
        "inUseBy": c.in_use_by(),
        "failureReason": c.failure_reason().map(|x| x.as_str().to_owned()),
        "type": c.r#type().map(|x| x.as_str().to_owned()),
        "renewalSummary": c.renewal_summary().map(|x| json!({
            "renewalStatus": x.renewal_status().as_str(),
            "renewalStatusReason": x.renewal_status_reason().map(|y| y.as_str().to_owned()),
            "updatedAt": super::ts(x.updated_at()),
        })),
        "keyUsages": c.key_usages().iter()
            .filter_map(|k| k.name().map(|n| n.as_str().to_owned()))
            .collect::<Vec<_>>(),
        "extendedKeyUsages": c.extended_key_usages().iter().map(|k| json!({
            "name": k.name().map(|n| n.as_str().to_owned()),
            "oid": k.oid(),
        })).collect::<Vec<_>>(),
        "certificateAuthorityArn": c.certificate_authority_arn(),
        "renewalEligibility": c.renewal_eligibility().map(|x| x.as_str().to_owned()),
        "options": c.options().map(|o| json!({
            "certificateTransparencyLoggingPreference": ct_logging(o),
            "export": o.export().map(|e| e.as_str().to_owned()),
        })),
        "managedBy": c.managed_by().map(|x| x.as_str().to_owned()),
    })
}

/// The certificate from its list summary when `DescribeCertificate` failed
/// (`missing` is the marker, or null when the service returned no detail).
fn from_summary(s: &CertificateSummary, missing: &Value) -> Value {
    let mut v = json!({
        "certificateArn": s.certificate_arn(),
        "domainName": s.domain_name(),
        "createdAt": ts_opt(s.created_at()),
        "issuedAt": ts_opt(s.issued_at()),
        "importedAt": ts_opt(s.imported_at()),
        "status": s.status().map(|x| x.as_str().to_owned()),
        "revokedAt": ts_opt(s.revoked_at()),
        "notBefore": ts_opt(s.not_before()),
        "notAfter": ts_opt(s.not_after()),
        "keyAlgorithm": s.key_algorithm().map(|x| x.as_str().to_owned()),
        "type": s.r#type().map(|x| x.as_str().to_owned()),
        "inUse": s.in_use(),
        "keyUsages": s.key_usages().iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "renewalEligibility": s.renewal_eligibility().map(|x| x.as_str().to_owned()),
        "managedBy": s.managed_by().map(|x| x.as_str().to_owned()),
    });
    if let Value::Object(map) = &mut v {
        for key in DETAIL_ONLY {
            map.insert((*key).to_owned(), missing.clone());
        }
    }
    v
}

/// The certificate transparency logging preference (deprecated by AWS now
/// that opting out is no longer offered, but still reported).
#[expect(deprecated, reason = "still reported for older certificates")]
fn ct_logging(o: &aws_sdk_acm::types::CertificateOptions) -> Option<String> {
    o.certificate_transparency_logging_preference()
        .map(|p| p.as_str().to_owned())
}
