//! Which feed a public request is for: `?feed=NAME` (an account's username lowercased, or a
//! feed the owner defined), or the default feed without it, so snippets pasted before
//! accounts existed keep working.

use std::sync::Arc;

use actix_web::http::StatusCode;
use serde::Deserialize;

use crate::feed::FeedError;
use crate::feeds::{Served, View};
use crate::web::error::codes;
use crate::web::{AppState, WebError};

/// The `feed` query parameter, read on its own so each route's other parameters stay its
/// own business.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FeedParam {
    feed: Option<String>,
}

impl FeedParam {
    /// The name asked for, lowercased; `None` for the default feed.
    pub(crate) fn name(&self) -> Result<Option<String>, WebError> {
        param(self.feed.as_deref())
    }
}

/// The `feed` parameter's value (`raw`) as a name, lowercased; `None` for the default feed,
/// 400 `bad-query` for a value that cannot be a feed's name.
pub(crate) fn param(raw: Option<&str>) -> Result<Option<String>, WebError> {
    match raw {
        None | Some("") => Ok(None),
        Some(raw) => parse_name(raw).map(Some).ok_or_else(|| {
            WebError::client(
                StatusCode::BAD_REQUEST,
                codes::BAD_QUERY,
                "`feed` must be a feed name: 1 to 64 letters, digits, `.`, `_` or `-`",
            )
        }),
    }
}

pub(crate) use crate::feed::definition::parse_name;

/// The feed `name` names; the default account's (waiting for a start-up import) without a
/// name. Unknown → 404 `unknown-feed`; nothing connected → 503 as for the feed.
pub(crate) async fn view_for(state: &AppState, name: Option<&str>) -> Result<Arc<View>, WebError> {
    let name = match name {
        Some(name) => name.to_owned(),
        None => match state.accounts.default_account() {
            Some(account) => account.feed_name(),
            None => state
                .accounts
                .default_waiting()
                .await
                .map_err(unavailable)?
                .feed_name(),
        },
    };
    state.feeds.view(&name).ok_or_else(|| unknown(&name))
}

/// The document to serve of `view`: a built one at once (`true`: a cache hit), else built
/// now, waiting for a first load when no account has a snapshot yet.
pub(crate) async fn served(state: &AppState, view: &View) -> Result<(Served, bool), FeedError> {
    match view.peek(&state.accounts) {
        Some(served) => Ok((served, true)),
        None => Ok((view.current(&state.accounts).await?, false)),
    }
}

/// 404 for a feed nobody defined and no account provides.
pub(crate) fn unknown(name: &str) -> WebError {
    WebError::client(
        StatusCode::NOT_FOUND,
        codes::UNKNOWN_FEED,
        format!("no feed is called `{name}`"),
    )
}

/// 503 with a reason a site owner can act on; never an empty feed presented as real.
pub(crate) fn unavailable(error: FeedError) -> WebError {
    let (code, message) = match &error {
        FeedError::NotConnected => (codes::NOT_CONNECTED, error.to_string()),
        FeedError::NeedsReconnect(_) => (
            codes::NEEDS_RECONNECT,
            "the Instagram account must be reconnected in /admin".to_owned(),
        ),
        FeedError::Unavailable(_) => (
            codes::FEED_UNAVAILABLE,
            "the feed has not been fetched yet; try again shortly".to_owned(),
        ),
    };
    WebError::unavailable(code, message)
}

#[cfg(test)]
mod tests {
    use super::parse_name;

    #[test]
    fn feed_names_are_lowercased_and_bounded() {
        assert_eq!(parse_name("Harness.Cafe").as_deref(), Some("harness.cafe"));
        assert_eq!(parse_name("a_b-c.9").as_deref(), Some("a_b-c.9"));
        assert_eq!(parse_name(&"x".repeat(64)).map(|n| n.len()), Some(64));
        for bad in [
            "",
            "a b",
            "a/b",
            "caf\u{e9}",
            "a%2F",
            "<x>",
            &"x".repeat(65),
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
    }
}
