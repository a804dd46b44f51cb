//! Routes for websites and their visitors: everything here is public and read-only.

mod feed_json;

use actix_web::web;

/// Registers the public routes behind the CORS policy from settings.
pub(crate) fn configure(cfg: &mut web::ServiceConfig, allowed_origins: &[String]) {
    cfg.service(
        web::resource("/feed.json")
            .wrap(cors(allowed_origins))
            .route(web::get().to(feed_json::feed_json))
            .route(web::head().to(feed_json::feed_json)),
    );
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
