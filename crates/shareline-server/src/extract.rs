//! Extractors whose rejections answer in Shareline's error format (a JSON
//! body with a stable code for the API, an error page for the UI) instead of
//! axum's plain-text defaults.

use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};

use crate::error::{ApiError, PageError};

/// A JSON body.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

/// A query string.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// Path parameters.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// A form body (pages).
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Form), rejection(PageError))]
pub struct Form<T>(pub T);

/// A query string (pages).
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(PageError))]
pub struct PageQuery<T>(pub T);

/// Path parameters (pages).
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(PageError))]
pub struct PagePath<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        Self::new(
            r.status(),
            "invalid",
            format!("request body: {}", r.body_text()),
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::invalid(format!("query string: {}", r.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::invalid(format!("path: {}", r.body_text()))
    }
}

impl From<FormRejection> for PageError {
    fn from(r: FormRejection) -> Self {
        Self(ApiError::new(
            r.status(),
            "invalid",
            format!("form: {}", r.body_text()),
        ))
    }
}

impl From<QueryRejection> for PageError {
    fn from(r: QueryRejection) -> Self {
        Self(r.into())
    }
}

impl From<PathRejection> for PageError {
    fn from(r: PathRejection) -> Self {
        Self(r.into())
    }
}
