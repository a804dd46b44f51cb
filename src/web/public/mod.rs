//! Routes for websites and their visitors: everything here is public and read-only.

mod embed;
mod feed_json;
mod feeds;
mod media;
mod prepared_response;
mod syndication;
mod widget;

use actix_web::web;

use super::get_and_head;

/// Rendered `/embed` pages, built once per application and shared by its workers.
pub(crate) fn embed_pages() -> web::Data<embed::EmbedPages> {
    web::Data::new(embed::EmbedPages::new())
}

/// Registers the public routes behind the CORS policy from settings. Each path is one
/// resource taking GET and HEAD, so another method is answered 405 with `Allow` rather than
/// falling through to "not found".
pub(crate) fn configure(
    cfg: &mut web::ServiceConfig,
    allowed_origins: &[String],
    embed_pages: &web::Data<embed::EmbedPages>,
) {
    cfg.service(get_and_head("/feed.json", feed_json::feed_json).wrap(cors(allowed_origins)))
        .service(get_and_head("/rss.xml", syndication::rss).wrap(cors(allowed_origins)))
        .service(
            get_and_head("/jsonfeed.json", syndication::json_feed).wrap(cors(allowed_origins)),
        );
    // Images are embedded with <img>, which needs no CORS; the handler parses the tail.
    cfg.service(get_and_head("/media/{tail:.*}", media::media));
    // Script tags need no CORS; the lightbox module sets its own CORS header.
    widget::prepare();
    cfg.service(get_and_head("/widget.js", widget::widget_js))
        .service(get_and_head("/widget-lightbox.js", widget::lightbox_js));
    // The iframe page and its files; framing is governed by the page's own CSP.
    embed::prepare();
    cfg.service(get_and_head("/embed", embed::embed).app_data(embed_pages.clone()))
        .service(get_and_head("/embed.js", embed::embed_js))
        .service(get_and_head("/embed.css", embed::embed_css));
}

/// Browsers may read the feed from the configured origins (`*` = any); no credentials,
/// since the feed is public and igfeed sets no cookies for visitors.
fn cors(allowed_origins: &[String]) -> actix_cors::Cors {
    let cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "HEAD"])
        .allowed_headers(["If-None-Match", "Accept", "Content-Type"])
        .expose_headers(["ETag", "Retry-After"])
        .max_age(86_400);
    if allowed_origins.iter().any(|o| o == "*") {
        return cors.allow_any_origin().send_wildcard();
    }
    allowed_origins
        .iter()
        .fold(cors, |cors, origin| cors.allowed_origin(origin))
}
