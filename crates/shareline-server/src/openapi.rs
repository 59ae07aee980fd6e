//! The OpenAPI 3.1 document, generated from the route table so it always
//! lists exactly the API the router serves.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::routes::{Kind, ROUTES};

/// The path parameters of a route path (`{tenant}` …).
pub fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_lowercase();
    for seg in path.trim_start_matches("/api/v1/").split('/') {
        let seg = seg.trim_start_matches('{').trim_end_matches('}');
        id.push('_');
        id.push_str(&seg.replace(['.', '-'], "_"));
    }
    id
}

/// Builds the document.
pub fn document() -> Value {
    let mut paths: BTreeMap<&str, serde_json::Map<String, Value>> = BTreeMap::new();
    for r in ROUTES.iter().filter(|r| r.kind == Kind::Api) {
        let method = r.method.as_str().to_lowercase();
        let params: Vec<Value> = path_params(r.path)
            .into_iter()
            .map(|p| json!({ "name": p, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let mut op = json!({
            "operationId": operation_id(r.method.as_str(), r.path),
            "summary": r.summary,
            "parameters": params,
            "responses": {
                "200": { "description": "Success", "content": { "application/json": { "schema": {} } } },
                "default": { "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
        });
        if let (Some(obj), Some(action)) = (op.as_object_mut(), r.action) {
            obj.insert("x-shareline-action".into(), json!(format!("{action:?}")));
        } else if let Some(obj) = op.as_object_mut() {
            obj.insert("security".into(), json!([]));
        }
        if matches!(method.as_str(), "post" | "put")
            && let Some(obj) = op.as_object_mut()
        {
            obj.insert(
                "requestBody".into(),
                json!({ "required": false, "content": { "application/json": { "schema": { "type": "object" } } } }),
            );
        }
        paths.entry(r.path).or_default().insert(method, op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Shareline API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Cloud security posture across an MSP's tenants. Authenticate with `Authorization: Bearer <token>` (create tokens with POST /api/v1/tokens) or a browser session. Lists are paginated with `page` and `per_page` (at most 200) and answer `{items, page, per_page, total}`. Errors answer `{\"error\": {\"code\", \"message\"}}` with a stable code: unauthenticated, forbidden, not_found, invalid, conflict, csrf, too_large, no_route, internal."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }, { "session": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "session": { "type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": { "type": "string", "enum": ["unauthenticated", "forbidden", "not_found", "invalid", "conflict", "csrf", "too_large", "no_route", "internal", "rate_limited"] },
                                "message": { "type": "string" }
                            }
                        }
                    }
                }
            }
        }
    })
}
