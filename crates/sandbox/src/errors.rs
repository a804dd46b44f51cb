//! Instagram's error bodies: the Graph envelope, the OAuth endpoint's own envelope, and the
//! HTML pages the authorize dialog shows.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::tokens::{TokenError, random_string};

/// A Graph API error, `{"error":{"message","type","code","error_subcode","fbtrace_id",…}}`.
#[derive(Debug, Clone)]
pub(crate) struct GraphError {
    status: StatusCode,
    code: i64,
    subcode: Option<i64>,
    message: String,
    transient: bool,
}

impl GraphError {
    /// An error answered with HTTP 400, the usual status.
    pub(crate) fn new(code: i64, message: impl Into<String>) -> GraphError {
        GraphError {
            status: StatusCode::BAD_REQUEST,
            code,
            subcode: None,
            message: message.into(),
            transient: false,
        }
    }

    /// Sets `error_subcode`.
    pub(crate) fn subcode(mut self, subcode: i64) -> GraphError {
        self.subcode = Some(subcode);
        self
    }

    /// Sets the HTTP status and marks the error transient (outages, rate limits).
    pub(crate) fn transient(mut self, status: StatusCode) -> GraphError {
        self.status = status;
        self.transient = true;
        self
    }

    /// Code 100, the answer to every malformed request.
    pub(crate) fn invalid(message: impl Into<String>) -> GraphError {
        GraphError::new(100, message)
    }

    /// A call without a token.
    pub(crate) fn missing_token() -> GraphError {
        GraphError::new(
            2500,
            "An active access token must be used to query information about the current user.",
        )
    }

    /// A wrong `client_secret` on the token endpoints of graph.instagram.com.
    pub(crate) fn bad_secret() -> GraphError {
        GraphError::new(101, "Error validating client secret.")
    }

    /// A token refused by the token rules, at time `now`.
    pub(crate) fn token(error: &TokenError, now: DateTime<Utc>) -> GraphError {
        match error {
            TokenError::Unknown => {
                GraphError::new(190, "Invalid OAuth access token - Cannot parse access token")
            }
            TokenError::Expired { at } => GraphError::new(
                190,
                format!(
                    "Error validating access token: Session has expired on {}. The current time is {}.",
                    meta_time(*at),
                    meta_time(now)
                ),
            )
            .subcode(463),
            TokenError::Revoked => GraphError::new(
                190,
                "Error validating access token: The session has been invalidated because the user \
                 changed their password or Facebook has changed the session for security reasons.",
            )
            .subcode(460),
            TokenError::NotShortLived => GraphError::new(
                190,
                "Invalid OAuth access token - ig_exchange_token needs a short-lived access token",
            ),
            TokenError::NotLongLived => {
                GraphError::invalid("Only long-lived access tokens can be refreshed")
            }
            TokenError::TooEarly => GraphError::invalid(
                "Error refreshing the access token: it can't be refreshed yet, it must be at least 24 hours old",
            ),
        }
    }

    /// A path that names nothing (or a media id that does not exist).
    pub(crate) fn unsupported_get(object: &str) -> GraphError {
        GraphError::invalid(format!(
            "Unsupported get request. Object with ID '{object}' does not exist, cannot be loaded due \
             to missing permissions, or does not support this operation"
        ))
        .subcode(33)
    }

    /// A `fields` entry that the node does not have.
    pub(crate) fn nonexisting_field(field: &str, node: &str) -> GraphError {
        GraphError::invalid(format!(
            "Tried accessing nonexisting field ({field}) on node type ({node})"
        ))
    }

    /// The Graph error code, for tests.
    #[cfg(test)]
    pub(crate) fn code(&self) -> i64 {
        self.code
    }

    /// The JSON body Instagram sends.
    pub(crate) fn body(&self) -> Value {
        let mut error = json!({
            "message": self.message,
            "type": "OAuthException",
            "code": self.code,
            "fbtrace_id": format!("A{}", random_string(22)),
            "is_transient": self.transient,
        });
        if let (Some(subcode), Some(map)) = (self.subcode, error.as_object_mut()) {
            map.insert("error_subcode".to_owned(), subcode.into());
        }
        json!({ "error": error })
    }

    /// The whole HTTP answer.
    pub(crate) fn response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(self.body())
    }
}

/// How Meta writes instants inside error messages: "Tuesday, 04-Jun-24 12:00:00 UTC".
fn meta_time(at: DateTime<Utc>) -> String {
    at.format("%A, %d-%b-%y %H:%M:%S UTC").to_string()
}

/// An error of `POST /oauth/access_token`, whose envelope differs from the Graph one.
pub(crate) fn oauth_error(status: StatusCode, code: i64, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "error_type": "OAuthException",
        "code": code,
        "error_message": message,
    }))
}

/// The control API's error shape, `{"error":{"code","message"}}` like the rest of igfeed.
pub(crate) fn control_error(message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({
        "error": { "code": "bad-request", "message": message },
    }))
}

/// The page the authorize dialog shows instead of the consent screen.
#[derive(Template)]
#[template(path = "sandbox_error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

/// An HTML error page, as Instagram shows for a bad client_id or redirect_uri.
pub(crate) fn html_error(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    match (ErrorPage { title, message }).render() {
        Ok(page) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(page),
        Err(_) => HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(format!("{title}: {message}")),
    }
}
