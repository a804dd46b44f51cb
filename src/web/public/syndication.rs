//! `GET /rss.xml` and `GET /jsonfeed.json`: a feed for feed readers and automations, made
//! once per document, with the same ETag/304 and cache headers as `/feed.json`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::feeds::FeedParam;
use crate::feed::syndication::Syndication;
use crate::web::{AppState, WebError};

pub(super) async fn rss(
    req: HttpRequest,
    query: web::Query<FeedParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    syndicated(req, &query, &state, Syndication::Rss).await
}

pub(super) async fn json_feed(
    req: HttpRequest,
    query: web::Query<FeedParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    syndicated(req, &query, &state, Syndication::JsonFeed).await
}

async fn syndicated(
    req: HttpRequest,
    query: &FeedParam,
    state: &AppState,
    format: Syndication,
) -> Result<HttpResponse, WebError> {
    let name = query.name()?;
    let view = super::feeds::view_for(state, name.as_deref()).await?;
    let (served, _) = super::feeds::served(state, &view)
        .await
        .map_err(super::feeds::unavailable)?;
    // Its own address names the feed, whichever way it was asked for (the default feed
    // without `?feed=` included), so a reader that follows it stays on this feed.
    // (Feed names are made of URL-safe characters.)
    let feed_url = format!(
        "{}{}?feed={}",
        state.public_url.as_str().trim_end_matches('/'),
        format.path(),
        view.definition.name
    );
    let body = served.current.syndicated(format, feed_url).await;
    Ok(super::prepared_response::respond(
        &req,
        &body,
        format.content_type(),
        &state.feed_cache_control,
        &[],
    ))
}
