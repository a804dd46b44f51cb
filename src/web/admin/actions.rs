//! The status page's buttons: refresh the feed, refresh the token, disconnect. Each is a POST
//! with the session's CSRF token and ends in a redirect back to `/admin` with a fixed notice.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::advice::Notice;
use super::session::AdminSession;
use crate::web::AppState;
use crate::web::WebError;

/// Every action form carries only the CSRF token.
#[derive(Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    csrf_token: String,
}

fn back(notice: Notice) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/admin?notice={}", notice.code())))
        .finish()
}

/// "Refresh feed now": fetches at once; on failure the last good feed stays.
pub(crate) async fn refresh_feed(
    session: AdminSession,
    form: web::Form<ActionForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    session.check_csrf(&form.csrf_token)?;
    Ok(back(match state.feed.refresh().await {
        Ok(_) => Notice::FeedRefreshed,
        Err(_) => Notice::FeedRefreshFailed,
    }))
}

/// "Refresh token now": asks Instagram to extend the token (it refuses before a day).
pub(crate) async fn refresh_token(
    session: AdminSession,
    form: web::Form<ActionForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    session.check_csrf(&form.csrf_token)?;
    Ok(back(match state.token_keeper.refresh().await {
        Ok(_) => Notice::TokenRefreshed,
        Err(_) => Notice::TokenRefreshFailed,
    }))
}

/// "Disconnect": removes the token and every copy of the feed.
pub(crate) async fn disconnect(
    session: AdminSession,
    form: web::Form<ActionForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    session.check_csrf(&form.csrf_token)?;
    crate::connection::disconnect(&state.credentials, &state.feed, &state.media)
        .await
        .map_err(|e| WebError::Unexpected(e.into()))?;
    Ok(back(Notice::Disconnected))
}
