//! `GET /api/v1/accounts`: the connected accounts, their connection and their feed.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ApiCaller;
use crate::credentials::{Credentials, TokenState};
use crate::feed::FeedService;
use crate::web::AppState;

/// The answer (a contract: DESIGN.md, "Admin API").
#[derive(Debug, Serialize)]
struct AccountList {
    accounts: Vec<AccountView>,
}

/// One account, built field by field: never from [`Credentials`] wholesale, so the token
/// cannot slip in.
#[derive(Debug, Serialize)]
struct AccountView {
    /// The Instagram user id, as a string (ids exceed 2^53).
    id: String,
    username: Option<String>,
    /// The display name, from the latest fetch.
    name: Option<String>,
    /// `connected` or `needs-reconnect`.
    connection: &'static str,
    token_expires_at: Option<DateTime<Utc>>,
    feed: FeedView,
}

/// The account's own feed.
#[derive(Debug, Serialize)]
struct FeedView {
    /// The feed's public name (`?feed=`): the username, lowercased.
    name: Option<String>,
    updated_at: Option<DateTime<Utc>>,
    posts: Option<usize>,
    stale: Option<bool>,
}

pub(super) async fn list(_: ApiCaller, state: web::Data<AppState>) -> HttpResponse {
    let accounts = state
        .credentials
        .current()
        .map(|credentials| view(&credentials, &state.feed))
        .into_iter()
        .collect();
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(AccountList { accounts })
}

fn view(credentials: &Credentials, feed: &FeedService) -> AccountView {
    let current = feed.peek();
    let profile = current.as_ref().map(|c| &c.snapshot.feed.profile);
    let username = credentials
        .username
        .clone()
        .or_else(|| profile.map(|p| p.username.clone()))
        .filter(|name| !name.is_empty());
    AccountView {
        id: credentials.account_id().unwrap_or_default().to_owned(),
        name: profile.and_then(|p| p.name.clone()),
        connection: match credentials.state {
            TokenState::Active => "connected",
            TokenState::NeedsReconnect { .. } => "needs-reconnect",
        },
        token_expires_at: credentials.expires_at,
        feed: FeedView {
            name: username.as_ref().map(|name| name.to_lowercase()),
            updated_at: current.as_ref().map(|c| c.snapshot.fetched_at),
            posts: current.as_ref().map(|c| c.snapshot.feed.posts.len()),
            stale: current.as_ref().map(|c| feed.is_stale(c)),
        },
        username,
    }
}
