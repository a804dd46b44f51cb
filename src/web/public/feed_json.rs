//! `GET /feed.json`: ready bytes, negotiated encoding, ETag/304, cache headers.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError as _, web};
use serde::Deserialize;

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
    feed: Option<String>,
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
    let name = super::feeds::param(query.feed.as_deref())?;
    let view = match super::feeds::view_for(&state, name.as_deref()).await {
        Ok(view) => view,
        Err(error) => {
            if error.status_code().is_server_error() {
                // No feed held to answer from: a miss, as when the snapshot is cold.
                state.metrics.record_feed_cache(false);
            }
            return Err(error);
        }
    };
    // A built document is a cache hit; otherwise it is built (or the reason it cannot be).
    let served = super::feeds::served(&state, &view).await;
    state
        .metrics
        .record_feed_cache(served.as_ref().is_ok_and(|(_, hit)| *hit));
    let (served, _) = served.map_err(super::feeds::unavailable)?;
    let body = view.pages.body(&served.current, &page, served.stale).await;
    Ok(super::prepared_response::respond(
        &req,
        &body,
        "application/json",
        &state.feed_cache_control,
        &[],
    ))
}

#[cfg(test)]
mod proptests;
