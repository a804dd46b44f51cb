//! One error shape for every 4xx/5xx: `{"error":{"code":"kebab-case","message":"…"}}`.
//!
//! Extractor failures (bad query, bad JSON, bad form) are mapped into the same shape so a
//! caller never has to parse two formats; 5xx bodies carry no internals.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
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
    /// The request body is over the route's limit.
    pub const TOO_LARGE: &str = "payload-too-large";
    /// The request's header fields are over `server.max_header_bytes`.
    pub const HEADERS_TOO_LARGE: &str = "request-header-fields-too-large";
    /// The request body did not arrive within `server.body_timeout`.
    pub const REQUEST_TIMEOUT: &str = "request-timeout";
    /// The route exists but does not take this method (`Allow` lists those it takes).
    pub const METHOD_NOT_ALLOWED: &str = "method-not-allowed";
    /// Refused by a layer before any handler (e.g. a CORS preflight from an unlisted origin).
    pub const BAD_REQUEST: &str = "bad-request";
    /// Something broke on igfeed's side.
    pub const INTERNAL: &str = "internal-error";
    /// No Instagram account is connected yet.
    pub const NOT_CONNECTED: &str = "not-connected";
    /// Instagram access must be renewed by the owner.
    pub const NEEDS_RECONNECT: &str = "needs-reconnect";
    /// The first fetch has not succeeded yet.
    pub const FEED_UNAVAILABLE: &str = "feed-unavailable";
    /// No feed has the name asked for.
    pub const UNKNOWN_FEED: &str = "unknown-feed";
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

/// Gives the JSON error shape to caller mistakes answered by layers igfeed does not write:
/// actix's 405 for a method a route does not take (an empty body with `Allow`) and CORS
/// refusals (plain text). Answers that already have a `Content-Type` pass untouched.
pub fn json_for_bare_client_errors<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler_client(explain_bare_client_error)
}

fn explain_bare_client_error<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    if response.headers().contains_key(header::CONTENT_TYPE) {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let status = response.status();
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    // A layer's own words (CORS says which check failed) beat a generic message.
    let said = body
        .try_into_bytes()
        .ok()
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .filter(|text| !text.trim().is_empty() && text.len() <= 200);
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            codes::METHOD_NOT_ALLOWED,
            "this resource does not take that method; `Allow` lists those it does".to_owned(),
        ),
        StatusCode::NOT_FOUND => (codes::NOT_FOUND, "no such resource".to_owned()),
        StatusCode::PAYLOAD_TOO_LARGE => (codes::TOO_LARGE, "the body is too large".to_owned()),
        _ => (
            codes::BAD_REQUEST,
            said.unwrap_or_else(|| "the request was refused".to_owned()),
        ),
    };
    let mut answer = json_error(status, code, &message);
    // Keep what the layer said in headers (`Allow`, `Vary`), except what the JSON replaces.
    let replaced: Vec<_> = answer.headers().keys().cloned().collect();
    for (name, value) in head.headers() {
        if !replaced.contains(name) && name != header::CONTENT_LENGTH {
            answer.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, answer).map_into_right_body(),
    ))
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

/// Largest JSON or form body a route reads unless it sets its own limit.
const BODY_LIMIT: usize = 64 * 1024;

pub(super) fn json_config() -> web::JsonConfig {
    json_config_with(BODY_LIMIT)
}

/// JSON bodies up to `limit` bytes: 413 beyond, 400 `bad-body` naming what is wrong.
pub(crate) fn json_config_with(limit: usize) -> web::JsonConfig {
    use actix_web::error::JsonPayloadError;
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |e, _| match e {
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                too_large(limit)
            }
            other => bad_request(codes::BAD_BODY, "invalid JSON body", other.to_string()),
        })
}

pub(super) fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(BODY_LIMIT)
        .error_handler(|e, _| form_error(e, BODY_LIMIT, "invalid form body"))
}

/// A form body that could not be read: 413 when over `limit`, else 400 saying `what`.
pub(super) fn form_error(
    error: actix_web::error::UrlencodedError,
    limit: usize,
    what: &str,
) -> actix_web::Error {
    match error {
        actix_web::error::UrlencodedError::Overflow { .. } => too_large(limit),
        other => bad_request(codes::BAD_BODY, what, other.to_string()),
    }
}

fn too_large(limit: usize) -> actix_web::Error {
    WebError::client(
        StatusCode::PAYLOAD_TOO_LARGE,
        codes::TOO_LARGE,
        format!("the body is larger than {limit} bytes"),
    )
    .into()
}

pub(super) fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|e, _| bad_request(codes::BAD_PATH, "invalid path", e.to_string()))
}
