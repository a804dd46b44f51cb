//! `GET /feed.json`: ready bytes, negotiated encoding, ETag/304, cache headers.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::feed::FeedError;
use crate::feed::cursor;
use crate::feed::document::{MAX_PAGE, PageRequest};
use crate::web::AppState;
use crate::web::WebError;
use crate::web::error::codes;

/// Query parameters, kept as text so each bad one can be named in the error.
#[derive(Debug, Deserialize)]
pub(super) struct FeedQuery {
    limit: Option<String>,
    after: Option<String>,
}

impl FeedQuery {
    fn page(&self) -> Result<PageRequest, WebError> {
        let limit = match self.limit.as_deref() {
            None => None,
            Some(raw) => Some(
                // Digits only: `parse` would also take `+5`, which `/embed` refuses.
                raw.parse::<usize>()
                    .ok()
                    .filter(|n| {
                        (1..=MAX_PAGE).contains(n) && raw.bytes().all(|b| b.is_ascii_digit())
                    })
                    .ok_or_else(|| {
                        bad_param(
                            "limit",
                            &format!("must be a whole number from 1 to {MAX_PAGE}"),
                        )
                    })?,
            ),
        };
        let after = match self.after.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(cursor::decode(raw).map_err(|_| {
                bad_param(
                    "after",
                    "is not a cursor igfeed handed out (use the `next` value)",
                )
            })?),
        };
        Ok(PageRequest { limit, after })
    }
}

fn bad_param(name: &str, problem: &str) -> WebError {
    WebError::client(
        StatusCode::BAD_REQUEST,
        codes::BAD_QUERY,
        format!("`{name}` {problem}"),
    )
}

/// Answers from the prepared snapshot; never calls Instagram unless the cache is cold.
pub(super) async fn feed_json(
    req: HttpRequest,
    query: web::Query<FeedQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let page = query.page()?;
    // A held snapshot is a cache hit; otherwise the service loads (or explains why not).
    let current = match state.feed.peek() {
        Some(current) => {
            state.metrics.record_feed_cache(true);
            current
        }
        None => {
            state.metrics.record_feed_cache(false);
            state.feed.current().await.map_err(unavailable)?
        }
    };
    let body = state.feed.body(&current, &page).await;
    Ok(super::prepared_response::respond(
        &req,
        &body,
        "application/json",
        &state.feed_cache_control,
        &[],
    ))
}

/// 503 with a reason a site owner can act on; never an empty feed presented as real.
fn unavailable(error: FeedError) -> WebError {
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
mod proptests;
