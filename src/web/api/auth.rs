//! [`ApiCaller`]: proof that a request carried the admin API token.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use secrecy::SecretString;

use super::codes;
use crate::auth::{LoginThrottle, bearer_matches};
use crate::web::client_ip::client_ip;
use crate::web::error::json_error;
use crate::web::{AppState, app_state};

/// The API's token and the throttle on failed requests.
pub struct ApiAccess {
    token: Option<SecretString>,
    /// Failures per client address, like logins, without a global cap: the token is long and
    /// random, so a cap on everyone together would only let a flood lock the owner out.
    throttle: LoginThrottle,
}

impl ApiAccess {
    /// Access with `admin.api_token` (`None`: the API is off) and the per-address limit of
    /// failed requests per minute (`admin.login_attempts_per_minute`).
    pub fn new(token: Option<SecretString>, failures_per_minute: u32) -> Self {
        Self {
            token,
            throttle: LoginThrottle::per_client_only(failures_per_minute),
        }
    }
}

/// A request that carried the right bearer token; handlers take one to be reachable.
#[derive(Debug)]
pub struct ApiCaller(());

/// Why a request was refused; answered as the API's JSON error.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("send the admin API token as `Authorization: Bearer <token>`")]
    Unauthorized,
    #[error("too many failed requests from this address; try again later")]
    Throttled { retry_after_secs: u64 },
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        match self {
            Refusal::Unauthorized => StatusCode::UNAUTHORIZED,
            Refusal::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = self.to_string();
        match self {
            Refusal::Unauthorized => {
                let mut response =
                    json_error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED, &message);
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"igfeed\""),
                );
                response
            }
            Refusal::Throttled { retry_after_secs } => {
                let mut response = json_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    codes::TOO_MANY_REQUESTS,
                    &message,
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, (*retry_after_secs).into());
                response
            }
        }
    }
}

impl FromRequest for ApiCaller {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(app_state(req).and_then(|state| check(req, state).map_err(Into::into)))
    }
}

/// Counted as a failure first and forgiven when right, so parallel guesses cannot slip
/// past the limit; a refused request never has its token compared.
fn check(req: &HttpRequest, state: &AppState) -> Result<ApiCaller, Refusal> {
    let client = client_ip(req, &state.trusted_proxies);
    let access = &state.api;
    let attempt = access
        .throttle
        .admit(client, state.clock.now())
        .map_err(|throttled| {
            tracing::warn!(client = ?client, "admin API throttled");
            Refusal::Throttled {
                retry_after_secs: throttled.retry_after.as_secs(),
            }
        })?;
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !bearer_matches(authorization, access.token.as_ref()) {
        tracing::warn!(client = ?client, "admin API request without the right token");
        return Err(Refusal::Unauthorized);
    }
    access.throttle.forgive(attempt);
    Ok(ApiCaller(()))
}
