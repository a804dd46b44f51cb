//! The status page's buttons, one set per account: refresh the feed, refresh the token,
//! disconnect, make its feed the default. Each is a POST with the session's CSRF token and
//! the account's id (without it: the default account, as before there were several), and
//! ends in a redirect back to `/admin` with a fixed notice.

use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::advice::Notice;
use super::session::AdminSession;
use crate::accounts::Account;
use crate::web::AppState;
use crate::web::WebError;
use crate::web::error::codes;

/// An action form: the CSRF token and which account.
#[derive(Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    csrf_token: String,
    account: Option<String>,
}

impl ActionForm {
    /// The account the form names, or the default one; 404 when there is none.
    fn account(&self, state: &AppState) -> Result<Arc<Account>, WebError> {
        let account = match self.account.as_deref() {
            Some(id) => state.accounts.by_id(id),
            None => state.accounts.default_account(),
        };
        account.ok_or_else(|| {
            WebError::client(
                StatusCode::NOT_FOUND,
                codes::NOT_FOUND,
                "no such account is connected",
            )
        })
    }
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
    Ok(back(match form.account(&state)?.feed.refresh().await {
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
    Ok(back(match form.account(&state)?.keeper.refresh().await {
        Ok(_) => Notice::TokenRefreshed,
        Err(_) => Notice::TokenRefreshFailed,
    }))
}

/// "Disconnect": removes the account's token and every copy of its feed and images.
pub(crate) async fn disconnect(
    session: AdminSession,
    form: web::Form<ActionForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    session.check_csrf(&form.csrf_token)?;
    let account = form.account(&state)?;
    state
        .accounts
        .disconnect(account.id())
        .await
        .map_err(|e| WebError::Unexpected(e.into()))?;
    Ok(back(Notice::Disconnected))
}

/// "Make default": the account's feed becomes the one served without a `feed` parameter.
pub(crate) async fn make_default(
    session: AdminSession,
    form: web::Form<ActionForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    session.check_csrf(&form.csrf_token)?;
    let account = form.account(&state)?;
    state
        .accounts
        .set_default(account.id())
        .await
        .map_err(|e| WebError::Unexpected(e.into()))?;
    Ok(back(Notice::DefaultChanged))
}
