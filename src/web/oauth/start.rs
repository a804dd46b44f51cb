//! `POST /admin/connect`: the Connect button.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::pages;
use crate::web::AppState;
use crate::web::WebError;
use crate::web::admin::session::AdminSession;

/// The Connect form: just the CSRF token.
#[derive(Deserialize)]
pub(super) struct ConnectForm {
    #[serde(default)]
    csrf_token: String,
}

/// Sends the owner's browser to Instagram's consent screen with a fresh, session-bound state.
pub(super) async fn connect(
    session: AdminSession,
    form: web::Form<ConnectForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    session.check_csrf(&form.csrf_token)?;
    let oauth_state = state
        .pending_authorizations
        .start(&session.sid, state.clock.now())
        .await
        .map_err(|e| WebError::Unexpected(e.into()))?;
    match state.instagram.authorize_url(&oauth_state) {
        Ok(url) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, url.to_string()))
            .finish()),
        Err(error) => Ok(pages::failure(&state, pages::Failure::Upstream(error))),
    }
}
