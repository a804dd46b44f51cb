//! `GET /auth/instagram/callback`: where Instagram sends the owner's browser back.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::pages::{self, Failure};
use crate::accounts::ConnectError;
use crate::connection::{ImportError, connect_with_code};
use crate::web::AppState;
use crate::web::admin::session::AdminSession;

/// Instagram's redirect parameters (all optional: a hostile caller may send anything).
#[derive(Deserialize)]
pub(super) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Checks the state, then exchanges the code and stores the account; every failure ends on
/// a page saying what happened, and stores nothing.
pub(super) async fn callback(
    session: Option<AdminSession>,
    query: web::Query<CallbackQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(session) = session else {
        return pages::failure(&state, Failure::NoSession);
    };
    let redeemed = state
        .pending_authorizations
        .finish(query.state.as_deref(), &session.sid, state.clock.now())
        .await;
    if let Err(problem) = redeemed {
        return pages::failure(&state, Failure::State(problem));
    }
    if query.error.is_some() {
        return pages::failure(&state, Failure::Denied);
    }
    let Some(code) = query.code.as_deref().filter(|c| !c.is_empty()) else {
        return pages::failure(&state, Failure::MissingCode);
    };
    if crate::instagram::authorization_code(code).is_none() {
        return pages::failure(&state, Failure::MalformedCode);
    }
    // The account approved becomes a new account, or the new token of the same account
    // connected before (matched by Instagram's ids): never a twin.
    match connect_with_code(&state.instagram, &state.accounts, &state.clock, code).await {
        Ok(_) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/admin?connected=1"))
            .finish(),
        Err(ImportError::Rejected(error)) => pages::failure(&state, Failure::Upstream(error)),
        Err(ImportError::Account(ConnectError::TooMany { max })) => {
            tracing::warn!(max, "an account was not added: accounts.max are connected");
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/admin?notice=too-many-accounts"))
                .finish()
        }
        Err(ImportError::Account(error)) => {
            tracing::error!(%error, "could not store the new token");
            pages::failure(&state, Failure::Storage)
        }
    }
}
