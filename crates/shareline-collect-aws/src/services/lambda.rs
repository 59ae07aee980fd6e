//! Lambda: functions with their resource policy, function URLs and tags.
//!
//! Configuration follows the `FunctionConfiguration` shape AWS Config records
//! for `AWS::Lambda::Function`, in lowerCamelCase, with one deliberate
//! difference: environment variable VALUES are never read into the resource
//! (they often hold secrets). Only their names are kept
//! (`environmentVariableNames`) plus `hasEnvironmentVariables`.
//!
//! ListFunctions already returns the full configuration, so GetFunction is
//! not called (it would also hand out a pre-signed code download URL); tags
//! come from ListTags. Supplementary keys: `Policy` (GetPolicy, parsed; null
//! when the function has none) and `FunctionUrlConfigs` (ListFunctionUrlConfigs).

use futures::StreamExt;
use serde_json::{Value, json};
use shareline_model::{Relationship, Resource};

use super::{BoxFuture, Collected, ServiceDef, policy_doc, tag_map};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The Lambda collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "lambda",
    global: false,
    resource_types: &["AWS::Lambda::Function"],
    permissions: &[
        "lambda:ListFunctions",
        "lambda:GetPolicy",
        "lambda:ListFunctionUrlConfigs",
        "lambda:ListTags",
    ],
    collect: run,
};

/// How many functions are read at once.
const FUNCTION_CONCURRENCY: usize = 8;

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(ctx: &Ctx) -> Result<Collected, CollectError> {
    let client = aws_sdk_lambda::Client::new(&ctx.sdk);
    let mut functions = Vec::new();
    let mut items = client.list_functions().into_paginator().items().send();
    while let Some(f) = items.next().await {
        let f = f.map_err(|e| CollectError::from_sdk("lambda:ListFunctions", &e))?;
        // Build the configuration at once so no environment value is kept.
        functions.push(Function::read(&f, ctx));
    }

    let results: Vec<Collected> = futures::stream::iter(functions)
        .map(|f| function(ctx, &client, f))
        .buffer_unordered(FUNCTION_CONCURRENCY)
        .collect()
        .await;
    let mut out = Collected::default();
    for r in results {
        out.resources.extend(r.resources);
        out.gaps.extend(r.gaps);
    }
    Ok(out)
}

/// A listed function, reduced to what is recorded.
struct Function {
    name: String,
    arn: String,
    configuration: Value,
    relationships: Vec<Relationship>,
}

impl Function {
    fn read(f: &aws_sdk_lambda::types::FunctionConfiguration, ctx: &Ctx) -> Self {
        let name = f.function_name().unwrap_or_default().to_owned();
        let arn = f.function_arn().map_or_else(
            || {
                format!(
                    "arn:{}:lambda:{}:{}:function:{name}",
                    ctx.partition(),
                    ctx.region,
                    ctx.account_id
                )
            },
            str::to_owned,
        );
        // Names only: the values may be secrets and must never be stored.
        let mut env_names: Vec<&str> = f
            .environment()
            .and_then(|e| e.variables())
            .map(|v| v.keys().map(String::as_str).collect())
            .unwrap_or_default();
        env_names.sort_unstable();
        let vpc = f.vpc_config();
        let configuration = json!({
            "functionName": name,
            "functionArn": arn,
            "runtime": f.runtime().map(|r| r.as_str()),
            "handler": f.handler(),
            "role": f.role(),
            "description": f.description(),
            "timeout": f.timeout(),
            "memorySize": f.memory_size(),
            "lastModified": f.last_modified(),
            "codeSha256": f.code_sha256(),
            "version": f.version(),
            "vpcConfig": vpc.map(|v| json!({
                "subnetIds": v.subnet_ids(),
                "securityGroupIds": v.security_group_ids(),
                "vpcId": v.vpc_id(),
            })),
            "hasEnvironmentVariables": !env_names.is_empty(),
            "environmentVariableNames": env_names,
            "tracingConfig": f.tracing_config().map(|t| json!({
                "mode": t.mode().map(|m| m.as_str()),
            })),
            "kmsKeyArn": f.kms_key_arn(),
            "deadLetterConfig": f.dead_letter_config().map(|d| json!({
                "targetArn": d.target_arn(),
            })),
            "layers": f.layers().iter().map(|l| json!({ "arn": l.arn() })).collect::<Vec<_>>(),
            "packageType": f.package_type().map(|p| p.as_str()),
            "architectures": f.architectures().iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            "state": f.state().map(|s| s.as_str()),
            "signingProfileVersionArn": f.signing_profile_version_arn(),
        });
        let mut relationships = Vec::new();
        for sg in vpc.map(|v| v.security_group_ids()).unwrap_or_default() {
            relationships.push(Relationship {
                kind: "Is associated with".to_owned(),
                resource_type: "AWS::EC2::SecurityGroup".to_owned(),
                resource_id: sg.clone(),
            });
        }
        Self {
            name,
            arn,
            configuration,
            relationships,
        }
    }
}

/// Reads one function's policy, URL configs and tags.
async fn function(ctx: &Ctx, client: &aws_sdk_lambda::Client, f: Function) -> Collected {
    let mut out = Collected::default();
    let mut r = Resource::new(
        &ctx.account_id,
        &ctx.region,
        "AWS::Lambda::Function",
        &f.name,
        &f.arn,
    );
    r.configuration = f.configuration;
    r.relationships = f.relationships;

    let policy = client.get_policy().function_name(&f.arn).send().await;
    let policy = out.sub(
        "lambda:GetPolicy",
        policy,
        &["ResourceNotFoundException"],
        |o| o.policy().map_or(Value::Null, policy_doc),
    );

    let urls = client
        .list_function_url_configs()
        .function_name(&f.arn)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let urls = out.sub("lambda:ListFunctionUrlConfigs", urls, &[], |list| {
        Value::Array(
            list.iter()
                .map(|u| {
                    json!({
                        "functionUrl": u.function_url(),
                        "authType": u.auth_type().as_str(),
                        "invokeMode": u.invoke_mode().map(|m| m.as_str()),
                        "cors": u.cors().map(|c| json!({
                            "allowOrigins": c.allow_origins(),
                            "allowMethods": c.allow_methods(),
                            "allowHeaders": c.allow_headers(),
                            "allowCredentials": c.allow_credentials(),
                            "exposeHeaders": c.expose_headers(),
                            "maxAge": c.max_age(),
                        })),
                    })
                })
                .collect(),
        )
    });

    match client.list_tags().resource(&f.arn).send().await {
        Ok(o) => {
            if let Some(t) = o.tags() {
                r.tags = tag_map(t.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            }
        }
        Err(e) => out.gaps.push(CollectError::from_sdk("lambda:ListTags", &e)),
    }

    r.supplementary = json!({ "Policy": policy, "FunctionUrlConfigs": urls });
    out.resources.push(r);
    out
}
