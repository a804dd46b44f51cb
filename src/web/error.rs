//! One error shape for every 4xx/5xx: `{"error":{"code":"kebab-case","message":"…"}}`.
//!
//! Extractor failures (bad query, bad JSON, bad form) are mapped into the same shape so a
//! caller never has to parse two formats; 5xx bodies carry no internals.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde_json::json;

/// Stable machine-readable error codes, kept in one place because clients depend on them.
pub mod codes {
    /// No such route or resource.
    pub const NOT_FOUND: &str = "not-found";
    /// Query string could not be read.
    pub const BAD_QUERY: &str = "bad-query";
    /// Request body could not be read.
    pub const BAD_BODY: &str = "bad-body";
    /// Path parameter could not be read.
    pub const BAD_PATH: &str = "bad-path";
    /// Something broke on igfeed's side.
    pub const INTERNAL: &str = "internal-error";
    /// No Instagram account is connected yet.
    pub const NOT_CONNECTED: &str = "not-connected";
    /// Instagram access must be renewed by the owner.
    pub const NEEDS_RECONNECT: &str = "needs-reconnect";
    /// The first fetch has not succeeded yet.
    pub const FEED_UNAVAILABLE: &str = "feed-unavailable";
}

/// An error answered to an HTTP caller.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The caller's mistake: status, stable code, short message.
    #[error("{message}")]
    Client {
        /// 4xx status.
        status: StatusCode,
        /// Stable code from [`codes`].
        code: &'static str,
        /// Short, safe explanation.
        message: String,
    },
    /// Nothing to serve yet: 503 with `Retry-After`.
    #[error("{message}")]
    Unavailable {
        /// Stable code from [`codes`].
        code: &'static str,
        /// Short, safe explanation.
        message: String,
    },
    /// igfeed's fault; logged in full, answered without details.
    #[error("unexpected error")]
    Unexpected(#[source] anyhow::Error),
}

impl WebError {
    /// A 4xx answer.
    pub fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::Client {
            status,
            code,
            message: message.into(),
        }
    }
}

/// Seconds a client should wait before asking again for something not yet available.
const RETRY_AFTER_SECS: u32 = 30;

impl WebError {
    /// A 503 answer.
    pub fn unavailable(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unavailable {
            code,
            message: message.into(),
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Client { status, .. } => *status,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Client {
                status,
                code,
                message,
            } => json_error(*status, code, message),
            Self::Unavailable { code, message } => {
                let mut response = json_error(StatusCode::SERVICE_UNAVAILABLE, code, message);
                response.headers_mut().insert(
                    actix_web::http::header::RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from(RETRY_AFTER_SECS),
                );
                response
            }
            Self::Unexpected(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed");
                json_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    codes::INTERNAL,
                    "igfeed hit an unexpected error; the details are in its log",
                )
            }
        }
    }
}

/// Builds the JSON error body every endpoint uses.
pub fn json_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({"error": {"code": code, "message": message}}))
}

pub(super) async fn not_found(req: HttpRequest) -> HttpResponse {
    let _ = req;
    json_error(StatusCode::NOT_FOUND, codes::NOT_FOUND, "no such resource")
}

fn bad_request(code: &'static str, what: &str, detail: String) -> actix_web::Error {
    let detail: String = detail.chars().take(200).collect();
    WebError::client(StatusCode::BAD_REQUEST, code, format!("{what}: {detail}")).into()
}

pub(super) fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|e, _| bad_request(codes::BAD_QUERY, "invalid query string", e.to_string()))
}

pub(super) fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|e, _| bad_request(codes::BAD_BODY, "invalid JSON body", e.to_string()))
}

pub(super) fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(64 * 1024)
        .error_handler(|e, _| bad_request(codes::BAD_BODY, "invalid form body", e.to_string()))
}

pub(super) fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|e, _| bad_request(codes::BAD_PATH, "invalid path", e.to_string()))
}
