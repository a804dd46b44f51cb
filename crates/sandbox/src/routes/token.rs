//! The three token endpoints: code exchange, long-lived exchange, refresh.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use igfeed_base::secret::secure_eq;
use serde_json::{Value, json};

use super::{form_pairs, param, token_of};
use crate::errors::{GraphError, oauth_error};
use crate::gate::{Surface, enter, ok_json};
use crate::mode::BodyShape;
use crate::state::SandboxState;
use crate::stats::Endpoint;
use crate::tokens::{CodeError, Issued, TokenError};

/// `POST /oauth/access_token` (api.instagram.com): an authorization code for a short-lived token.
pub(super) async fn code_exchange(
    body: web::Bytes,
    state: web::Data<SandboxState>,
) -> HttpResponse {
    state.record(Endpoint::OAuthAccessToken);
    let truncate = match enter(&state, Surface::OAuth).await {
        Ok(truncate) => truncate,
        Err(response) => return response,
    };
    let pairs = form_pairs(&body);
    let get = |key| param(&pairs, key).unwrap_or_default();
    let fail = |message: &str| oauth_error(StatusCode::BAD_REQUEST, 400, message);
    if get("client_id") != state.config.app_id {
        return fail("Invalid platform app");
    }
    if !secure_eq(
        get("client_secret").as_bytes(),
        state.config.app_secret.as_bytes(),
    ) {
        return fail("Error validating client secret");
    }
    if get("grant_type") != "authorization_code" {
        return fail("Invalid grant_type");
    }
    let now = state.now();
    let (redeemed, shape) = {
        let mut inner = state.lock();
        let redeemed = inner
            .tokens
            .redeem_code(get("code"), get("client_id"), get("redirect_uri"), now)
            .map(|(issued, grant)| {
                let user_id = inner.accounts.get(grant.account).user_id();
                (issued, grant.permissions, user_id)
            });
        (redeemed, inner.shape)
    };
    let (issued, permissions, user_id) = match redeemed {
        Ok(found) => found,
        Err(CodeError::NotFound) => return fail("Matching code was not found or was already used"),
        Err(CodeError::RedirectMismatch) => {
            return fail(
                "Error validating verification code. Please make sure your redirect_uri is \
                 identical to the one you used in the OAuth dialog request",
            );
        }
    };
    let user_id: Value = match shape {
        BodyShape::FlatNumericIds => user_id.into(),
        BodyShape::Wrapped | BodyShape::Flat => user_id.to_string().into(),
    };
    let grant = json!({
        "access_token": issued.value,
        "user_id": user_id,
        "permissions": permissions,
    });
    let body = match shape {
        BodyShape::Wrapped => json!({ "data": [grant] }),
        BodyShape::Flat | BodyShape::FlatNumericIds => grant,
    };
    ok_json(&body, truncate)
}

/// Which graph.instagram.com token endpoint is being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Grant {
    /// `GET /access_token?grant_type=ig_exchange_token`.
    Exchange,
    /// `GET /refresh_access_token?grant_type=ig_refresh_token`.
    Refresh,
}

/// Serves the exchange or the refresh; both answer `{access_token, token_type, expires_in}`.
pub(super) async fn long_lived(
    req: &HttpRequest,
    state: &SandboxState,
    pairs: &[(String, String)],
    grant: Grant,
) -> HttpResponse {
    state.record(match grant {
        Grant::Exchange => Endpoint::Exchange,
        Grant::Refresh => Endpoint::Refresh,
    });
    let truncate = match enter(state, Surface::Graph).await {
        Ok(truncate) => truncate,
        Err(response) => return response,
    };
    match issue(req, state, pairs, grant) {
        Ok(issued) => {
            let expires_in: Value = match state.lock().announced_expires_in {
                Some(announced) => announced.into(),
                None => issued.expires_in.into(),
            };
            ok_json(
                &json!({
                    "access_token": issued.value,
                    "token_type": "bearer",
                    "expires_in": expires_in,
                }),
                truncate,
            )
        }
        Err(error) => error.response(),
    }
}

fn issue(
    req: &HttpRequest,
    state: &SandboxState,
    pairs: &[(String, String)],
    grant: Grant,
) -> Result<Issued, GraphError> {
    let expected_grant = match grant {
        Grant::Exchange => "ig_exchange_token",
        Grant::Refresh => "ig_refresh_token",
    };
    let given_grant = param(pairs, "grant_type").unwrap_or_default();
    if given_grant != expected_grant {
        return Err(GraphError::invalid(format!(
            "Unsupported grant_type '{given_grant}': expected {expected_grant}"
        )));
    }
    // Only the exchange takes the app secret; the refresh needs nothing but the token.
    if grant == Grant::Exchange {
        let secret = param(pairs, "client_secret").unwrap_or_default();
        if !secure_eq(secret.as_bytes(), state.config.app_secret.as_bytes()) {
            return Err(GraphError::bad_secret());
        }
    }
    let token = token_of(req, pairs).ok_or_else(GraphError::missing_token)?;
    let now = state.now();
    let mut inner = state.lock();
    inner
        .check_token(&token, now)
        .map_err(|e| GraphError::token(&e, now))?;
    let result: Result<Issued, TokenError> = match grant {
        Grant::Exchange => inner.tokens.exchange(&token, now),
        Grant::Refresh => inner.tokens.refresh(&token, now),
    };
    result.map_err(|e| GraphError::token(&e, now))
}
