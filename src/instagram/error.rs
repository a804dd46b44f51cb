//! What can go wrong talking to Instagram, classified by what igfeed should do about it.
//!
//! Instagram signals errors two ways: the Graph envelope `{"error":{"code":…}}` on
//! graph.instagram.com and the OAuth endpoint's own `{"error_type","code","error_message"}`.
//! The decision rests on Instagram's error *code*, not the HTTP status, as Meta advises.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The longest wait igfeed takes from a rate limit (`X-Business-Use-Case-Usage`'s
/// `estimated_time_to_regain_access`, `Retry-After`): Instagram's usage windows span a day,
/// and a larger or absurd number must neither stall the feed for longer nor overflow the
/// arithmetic of the tasks that wait.
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(24 * 3600);

/// A rate limit's wait as igfeed takes it: at most [`MAX_RATE_LIMIT_WAIT`].
pub(crate) fn bounded_wait(wait: Duration) -> Duration {
    wait.min(MAX_RATE_LIMIT_WAIT)
}

/// An Instagram call that failed; Display is safe to log and show (no token, no URL).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The token is dead (expired, revoked, password changed, app removed): only a new
    /// authorization helps, so stop calling with it.
    #[error("Instagram rejected the access token (code {code}{}): {message}", subcode_suffix(*.subcode))]
    TokenInvalid {
        /// Graph error code (190 or 102).
        code: i64,
        /// Why: 458 app removed, 460 password changed, 463 expired, 467 invalid.
        subcode: Option<i64>,
        /// Instagram's explanation.
        message: String,
    },
    /// The account did not grant what igfeed needs.
    #[error(
        "Instagram denied a permission (code {code}): {message}; reconnect and grant instagram_business_basic"
    )]
    PermissionMissing {
        /// Graph error code (10 or 200–299).
        code: i64,
        /// Instagram's explanation.
        message: String,
    },
    /// Too many calls; wait before calling again.
    #[error("Instagram rate limit reached (code {code}): {message}")]
    RateLimited {
        /// Graph error code (4, 17, 32, 613, 80002 …).
        code: i64,
        /// How long Instagram says to wait, when it says.
        retry_after: Option<Duration>,
        /// Instagram's explanation.
        message: String,
    },
    /// A failure that may pass: outage, timeout, connection trouble.
    #[error("Instagram is temporarily unavailable: {reason}")]
    Transient {
        /// What happened, without URL or token.
        reason: String,
    },
    /// The app id or secret is wrong: usually the Meta app's were used instead of the Instagram app's.
    #[error(
        "Instagram rejected the app credentials: {message} (use the Instagram app ID and secret from App Dashboard → Instagram → API setup with Instagram login, not the Meta app's)"
    )]
    AppCredentials {
        /// Instagram's explanation.
        message: String,
    },
    /// Instagram refused the request itself (unknown field, used code …): retrying cannot help.
    #[error("Instagram rejected the request (code {code}): {message}")]
    BadRequest {
        /// Graph error code, or the HTTP status for the OAuth endpoint.
        code: i64,
        /// Instagram's explanation.
        message: String,
    },
    /// The answer could not be understood.
    #[error("Instagram sent a response igfeed cannot read: {reason}")]
    Malformed {
        /// What was wrong with it.
        reason: String,
    },
}

fn subcode_suffix(subcode: Option<i64>) -> String {
    subcode.map(|s| format!("/{s}")).unwrap_or_default()
}

/// A call's outcome as a metrics label: `ok`, or the error's [`ApiError::outcome`].
pub fn outcome_label<T>(result: &Result<T, ApiError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(error) => error.outcome(),
    }
}

impl ApiError {
    /// One label per variant, so dashboards can tell "Instagram is down" from "the token
    /// died" from "we are rate limited" (a small fixed set: never a time series per message).
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::TokenInvalid { .. } => "token_invalid",
            Self::PermissionMissing { .. } => "permission",
            Self::RateLimited { .. } => "rate_limited",
            Self::Transient { .. } => "transient",
            Self::AppCredentials { .. } => "app_credentials",
            Self::BadRequest { .. } => "bad_request",
            Self::Malformed { .. } => "malformed",
        }
    }

    /// Whether Instagram refused the token itself (dead, revoked, or lacking a permission):
    /// only a new authorization helps, unless the token was replaced meanwhile.
    pub fn rejects_token(&self) -> bool {
        matches!(
            self,
            Self::TokenInvalid { .. } | Self::PermissionMissing { .. }
        )
    }

    /// Whether trying the same call again soon may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }
}

/// The Graph envelope: `{"error":{"message","type","code","error_subcode","is_transient"}}`.
#[derive(Debug, Deserialize)]
struct GraphEnvelope {
    error: GraphErrorBody,
}

#[derive(Debug, Deserialize)]
struct GraphErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    error_subcode: Option<i64>,
    #[serde(default)]
    is_transient: Option<bool>,
}

/// The OAuth endpoint's envelope: `{"error_type","code","error_message"}`.
#[derive(Debug, Deserialize)]
struct OAuthEnvelope {
    error_message: String,
    #[serde(default)]
    code: Option<i64>,
}

/// Messages Instagram uses when the app id or secret is not the Instagram app's.
const APP_CREDENTIAL_HINTS: [&str; 4] = [
    "invalid platform app",
    "client secret",
    "invalid client_id",
    "invalid app id",
];

/// Classifies an error answer; `None` when the body carries no recognisable error.
pub(crate) fn classify_body(
    status: u16,
    body: &[u8],
    usage_header: Option<&str>,
) -> Option<ApiError> {
    if let Ok(envelope) = serde_json::from_slice::<GraphEnvelope>(body) {
        let e = envelope.error;
        return Some(classify_graph(status, e, usage_header));
    }
    if let Ok(envelope) = serde_json::from_slice::<OAuthEnvelope>(body) {
        return Some(classify_oauth(status, envelope));
    }
    None
}

fn classify_graph(status: u16, e: GraphErrorBody, usage_header: Option<&str>) -> ApiError {
    let message = tidy(&e.message);
    let code = e.code.unwrap_or(i64::from(status));
    if is_app_credential_problem(&message) {
        return ApiError::AppCredentials { message };
    }
    match code {
        190 | 102 | 2500 => ApiError::TokenInvalid {
            code,
            subcode: e.error_subcode,
            message,
        },
        10 | 200..=299 => ApiError::PermissionMissing { code, message },
        // 429: no code in the body, so the HTTP status stands in for it.
        4 | 17 | 32 | 613 | 80001..=80014 | 429 => ApiError::RateLimited {
            code,
            retry_after: usage_header.and_then(regain_access_after),
            message,
        },
        1 | 2 => ApiError::Transient { reason: message },
        // A request Instagram will never accept, whatever the HTTP status says: retrying it
        // in a loop only burns the rate budget.
        100 => ApiError::BadRequest { code, message },
        _ if e.is_transient == Some(true) || status >= 500 => {
            ApiError::Transient { reason: message }
        }
        _ => ApiError::BadRequest { code, message },
    }
}

fn classify_oauth(status: u16, e: OAuthEnvelope) -> ApiError {
    let message = tidy(&e.error_message);
    if is_app_credential_problem(&message) {
        ApiError::AppCredentials { message }
    } else if status >= 500 {
        ApiError::Transient { reason: message }
    } else if status == 429 {
        ApiError::RateLimited {
            code: e.code.unwrap_or(429),
            retry_after: None,
            message,
        }
    } else {
        ApiError::BadRequest {
            code: e.code.unwrap_or(i64::from(status)),
            message,
        }
    }
}

/// Classifies a non-2xx answer whose body is not a known envelope.
pub(crate) fn classify_status(status: u16) -> ApiError {
    match status {
        429 => ApiError::RateLimited {
            code: 429,
            retry_after: None,
            message: "HTTP 429 Too Many Requests".into(),
        },
        500.. => ApiError::Transient {
            reason: format!("HTTP {status}"),
        },
        _ => ApiError::Malformed {
            reason: format!("HTTP {status} without an Instagram error body"),
        },
    }
}

fn is_app_credential_problem(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    APP_CREDENTIAL_HINTS.iter().any(|hint| lower.contains(hint))
}

/// Reads `estimated_time_to_regain_access` (minutes) from `X-Business-Use-Case-Usage`:
/// `{"<id>":[{"type":"instagram","estimated_time_to_regain_access":5,…}]}`.
pub(crate) fn regain_access_after(header: &str) -> Option<Duration> {
    let usage: serde_json::Value = serde_json::from_str(header).ok()?;
    let minutes = usage
        .as_object()?
        .values()
        .filter_map(serde_json::Value::as_array)
        .flatten()
        .filter_map(|entry| entry.get("estimated_time_to_regain_access")?.as_u64())
        .max()?;
    (minutes > 0).then(|| bounded_wait(Duration::from_secs(minutes.saturating_mul(60))))
}

/// Bounds an upstream message: one line, at most 300 characters.
fn tidy(message: &str) -> String {
    let line: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 300 {
        line.chars().take(300).chain("…".chars()).collect()
    } else {
        line
    }
}

/// Removes every copy of the `secrets` from an error (defence in depth: Instagram may echo input).
pub(crate) fn scrub(error: ApiError, secrets: &[&SecretString]) -> ApiError {
    let secrets: Vec<&str> = secrets
        .iter()
        .map(|s| s.expose_secret())
        .filter(|s| !s.is_empty())
        .collect();
    if secrets.is_empty() {
        return error;
    }
    let clean = |text: String| {
        secrets
            .iter()
            .fold(text, |text, secret| text.replace(secret, "[redacted]"))
    };
    match error {
        ApiError::TokenInvalid {
            code,
            subcode,
            message,
        } => ApiError::TokenInvalid {
            code,
            subcode,
            message: clean(message),
        },
        ApiError::PermissionMissing { code, message } => ApiError::PermissionMissing {
            code,
            message: clean(message),
        },
        ApiError::RateLimited {
            code,
            retry_after,
            message,
        } => ApiError::RateLimited {
            code,
            retry_after,
            message: clean(message),
        },
        ApiError::Transient { reason } => ApiError::Transient {
            reason: clean(reason),
        },
        ApiError::AppCredentials { message } => ApiError::AppCredentials {
            message: clean(message),
        },
        ApiError::BadRequest { code, message } => ApiError::BadRequest {
            code,
            message: clean(message),
        },
        ApiError::Malformed { reason } => ApiError::Malformed {
            reason: clean(reason),
        },
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
