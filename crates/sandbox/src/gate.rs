//! Applies the misbehaviour mode to an API call before and after the real work.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde_json::{Value, json};

use super::errors::{GraphError, oauth_error};
use super::mode::Mode;
use super::state::SandboxState;

/// Which envelope an endpoint's errors use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Surface {
    /// graph.instagram.com: the `{"error":{…}}` envelope.
    Graph,
    /// api.instagram.com/oauth/access_token: the `{"error_type",…}` envelope.
    OAuth,
}

/// Whether the answer must be cut short (the `Malformed` mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Truncate(pub(crate) bool);

/// Fails, delays or lets through one API call according to the current mode.
pub(crate) async fn enter(
    state: &SandboxState,
    surface: Surface,
) -> Result<Truncate, HttpResponse> {
    // Copy the mode out: the lock must not be held across the sleep.
    let mode = state.mode();
    match mode {
        Mode::Outage => Err(outage(surface)),
        Mode::Slow { delay } => {
            tokio::time::sleep(delay).await;
            Ok(Truncate(false))
        }
        Mode::RateLimited {
            code,
            regain_minutes,
        } => {
            // The usage header is keyed by an account id; which one matters to no client.
            let user_id = state.lock().accounts.first().user_id();
            Err(rate_limited(surface, code, regain_minutes, user_id))
        }
        Mode::Malformed => Ok(Truncate(true)),
        Mode::Healthy
        | Mode::TokenRevoked
        | Mode::TokenExpired
        | Mode::CdnExpired
        | Mode::CdnStalled => Ok(Truncate(false)),
    }
}

fn outage(surface: Surface) -> HttpResponse {
    let message = "Service temporarily unavailable";
    match surface {
        Surface::Graph => GraphError::new(2, message)
            .transient(StatusCode::INTERNAL_SERVER_ERROR)
            .response(),
        Surface::OAuth => oauth_error(StatusCode::SERVICE_UNAVAILABLE, 2, message),
    }
}

fn rate_limited(surface: Surface, code: i64, regain_minutes: u64, user_id: u64) -> HttpResponse {
    let message = if code == 80002 {
        "There have been too many calls to this Instagram account. Wait a bit and try again."
    } else {
        "Application request limit reached"
    };
    let mut usage = serde_json::Map::new();
    usage.insert(
        user_id.to_string(),
        json!([{
            "type": "instagram",
            "call_count": 100,
            "total_cputime": 25,
            "total_time": 25,
            "estimated_time_to_regain_access": regain_minutes,
        }]),
    );
    let usage = Value::Object(usage);
    let mut response = match surface {
        Surface::Graph => GraphError::new(code, format!("(#{code}) {message}"))
            .transient(StatusCode::TOO_MANY_REQUESTS)
            .response(),
        Surface::OAuth => oauth_error(StatusCode::TOO_MANY_REQUESTS, code, message),
    };
    if let Ok(value) = usage.to_string().parse() {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-business-use-case-usage"),
            value,
        );
    }
    response
}

/// A 200 answer with `body`, cut in the middle when the mode says so.
pub(crate) fn ok_json(body: &Value, truncate: Truncate) -> HttpResponse {
    let text = body.to_string();
    let text = if truncate.0 {
        let mut cut = text.len() / 2;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text[..cut].to_owned()
    } else {
        text
    };
    HttpResponse::Ok()
        .content_type("application/json; charset=UTF-8")
        .body(text)
}
