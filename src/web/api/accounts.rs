//! `GET /api/v1/accounts`: the connected accounts, their connection and their feed.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ApiCaller;
use crate::accounts::Account;
use crate::credentials::{Credentials, TokenState};
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
        .accounts
        .accounts()
        .iter()
        .filter_map(|account| Some(view(account, &account.credentials.current()?)))
        .collect();
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(AccountList { accounts })
}

fn view(account: &Account, credentials: &Credentials) -> AccountView {
    let feed = &account.feed;
    let current = feed.peek();
    let profile = current.as_ref().map(|c| &c.snapshot.feed.profile);
    let username = account.username();
    AccountView {
        id: account.id().to_owned(),
        name: profile.and_then(|p| p.name.clone()),
        connection: match credentials.state {
            TokenState::Active => "connected",
            TokenState::NeedsReconnect { .. } => "needs-reconnect",
        },
        token_expires_at: credentials.expires_at,
        feed: FeedView {
            name: Some(account.feed_name()),
            updated_at: current.as_ref().map(|c| c.snapshot.fetched_at),
            posts: current.as_ref().map(|c| c.snapshot.feed.posts.len()),
            stale: current.as_ref().map(|c| feed.is_stale(c)),
        },
        username,
    }
}
