//! Lambda collector against moto.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime, TracingConfig, TracingMode};
use shareline_model::Attr;

use crate::{collect, of_type, setup};

/// The environment value that must never be stored.
const SECRET_VALUE: &str = "hunter2-do-not-store-me";

#[tokio::test]
async fn functions_with_policy_and_env_names_but_no_env_values_are_read() {
    let (_moto, conf) = setup("us-west-2").await;
    let iam = aws_sdk_iam::Client::new(&conf);
    let role = iam
        .create_role()
        .role_name("fn-role")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let role_arn = role.role().unwrap().arn().to_owned();

    let lambda = aws_sdk_lambda::Client::new(&conf);
    lambda
        .create_function()
        .function_name("exporter")
        .runtime(Runtime::Python312)
        .handler("app.handler")
        .role(&role_arn)
        .timeout(30)
        .memory_size(256)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(stored_zip(
                    "app.py",
                    b"def handler(e, c):\n    return 1\n",
                )))
                .build(),
        )
        .environment(
            Environment::builder()
                .variables("DB_PASSWORD", SECRET_VALUE)
                .variables("LOG_LEVEL", "debug")
                .build(),
        )
        .tracing_config(TracingConfig::builder().mode(TracingMode::Active).build())
        .tags("team", "data")
        .send()
        .await
        .unwrap();
    lambda
        .add_permission()
        .function_name("exporter")
        .statement_id("anyone")
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .unwrap();

    lambda
        .create_function()
        .function_name("plain")
        .runtime(Runtime::Python312)
        .handler("app.handler")
        .role(&role_arn)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(stored_zip(
                    "app.py",
                    b"def handler(e, c):\n    return 2\n",
                )))
                .build(),
        )
        .send()
        .await
        .unwrap();

    let got = collect(&conf, "lambda", "us-west-2").await;
    let everything = format!(
        "{}{:?}",
        serde_json::to_string(&got.resources).unwrap(),
        got.gaps
    );
    assert!(
        !everything.contains(SECRET_VALUE),
        "an environment value leaked"
    );

    let fns = of_type(&got, "AWS::Lambda::Function");
    assert_eq!(fns.len(), 2);
    let f = fns.iter().find(|f| f.resource_id == "exporter").unwrap();
    assert_eq!(
        f.arn,
        "arn:aws:lambda:us-west-2:123456789012:function:exporter"
    );
    assert_eq!(f.tags.get("team").map(String::as_str), Some("data"));
    let c = &f.configuration;
    assert_eq!(c["functionName"], "exporter");
    assert_eq!(c["runtime"], "python3.12");
    assert_eq!(c["handler"], "app.handler");
    assert_eq!(c["role"], role_arn.as_str());
    assert_eq!(c["timeout"], 30);
    assert_eq!(c["memorySize"], 256);
    assert_eq!(c["tracingConfig"]["mode"], "Active");
    assert_eq!(c["hasEnvironmentVariables"], true);
    assert_eq!(
        c["environmentVariableNames"],
        serde_json::json!(["DB_PASSWORD", "LOG_LEVEL"])
    );
    let policy = &f.supplementary["Policy"];
    let stmt = &policy["Statement"][0];
    assert_eq!(stmt["Effect"], "Allow");
    assert_eq!(stmt["Action"], "lambda:InvokeFunction");
    assert!(
        stmt["Principal"].to_string().contains('*'),
        "principal: {}",
        stmt["Principal"]
    );

    let p = fns.iter().find(|f| f.resource_id == "plain").unwrap();
    assert_eq!(p.configuration["hasEnvironmentVariables"], false);
    // No resource policy: the API said "none".
    assert_eq!(Attr::of(p.supplementary.get("Policy")), Attr::Absent);

    // moto does not implement ListFunctionUrlConfigs: the value is marked
    // unavailable (a gap), never mistaken for "no URL".
    for f in &fns {
        assert!(Attr::of(f.supplementary.get("FunctionUrlConfigs")).is_unavailable());
    }
    assert!(
        got.gaps
            .iter()
            .all(|g| g.operation == "lambda:ListFunctionUrlConfigs"),
        "unexpected gaps: {:?}",
        got.gaps
    );
}

/// Builds a zip archive holding one uncompressed file.
fn stored_zip(name: &str, data: &[u8]) -> Vec<u8> {
    let crc = crc32(data);
    let size = data.len() as u32;
    let name_len = name.len() as u16;
    let mut out = Vec::new();
    // Local file header.
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    out.extend_from_slice(&20u16.to_le_bytes()); // version needed
    out.extend_from_slice(&0u16.to_le_bytes()); // flags
    out.extend_from_slice(&0u16.to_le_bytes()); // method: stored
    out.extend_from_slice(&0u16.to_le_bytes()); // time
    out.extend_from_slice(&0x21u16.to_le_bytes()); // date (1980-01-01)
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&name_len.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // extra length
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(data);
    let central_offset = out.len() as u32;
    // Central directory header.
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out.extend_from_slice(&20u16.to_le_bytes()); // version made by
    out.extend_from_slice(&20u16.to_le_bytes()); // version needed
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0x21u16.to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&name_len.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // extra
    out.extend_from_slice(&0u16.to_le_bytes()); // comment
    out.extend_from_slice(&0u16.to_le_bytes()); // disk
    out.extend_from_slice(&0u16.to_le_bytes()); // internal attrs
    out.extend_from_slice(&0u32.to_le_bytes()); // external attrs
    out.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    out.extend_from_slice(name.as_bytes());
    let central_size = out.len() as u32 - central_offset;
    // End of central directory.
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// CRC-32 (IEEE), bit by bit.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}
