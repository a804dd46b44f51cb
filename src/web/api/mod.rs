//! The admin API (`/api/v1/…`): what the owner does in `/admin`, for the owner's scripts.
//!
//! - [`auth`]: who may call it (`admin.api_token` as a bearer token, failures throttled per
//!   address) as an extractor, so a handler cannot forget the check: taking an [`ApiCaller`]
//!   argument is the only way to be reachable;
//! - one file per resource: [`accounts`] (read side) and [`feeds`] (the feed definitions,
//!   read and written).
//!
//! Answers are JSON, never cached (`Cache-Control: no-store`), and errors use the shape of
//! every other route (`{"error":{"code","message"}}`). Nothing here ever holds a token: the
//! answers are built field by field.

mod accounts;
mod auth;
mod feeds;

use actix_web::web;

pub use auth::ApiAccess;
use auth::ApiCaller;

/// Where the API lives.
const PREFIX: &str = "/api/v1";

/// Error codes of the admin API (the `code` of the JSON error body).
pub mod codes {
    /// No bearer token, or not the configured one (the same answer for both).
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// Too many failed requests from this address within a minute.
    pub const TOO_MANY_REQUESTS: &str = "too-many-requests";
}

/// Registers the API's routes when `enabled` (`admin.api_token` is set); otherwise nothing,
/// so every path answers the ordinary 404.
pub(crate) fn configure(cfg: &mut web::ServiceConfig, enabled: bool) {
    if !enabled {
        return;
    }
    cfg.service(
        web::scope(PREFIX)
            .service(super::get_and_head("/accounts", accounts::list))
            .service(super::get_and_head("/feeds", feeds::list))
            .service(
                web::resource("/feeds/{name}")
                    // JSON whatever the Content-Type says (`curl -d` sends a form type): the
                    // bearer token already rules out a browser's cross-site form post.
                    .app_data(
                        crate::web::error::json_config_with(feeds::BODY_LIMIT)
                            .content_type_required(false),
                    )
                    .get(feeds::get)
                    .head(feeds::get)
                    .put(feeds::put)
                    .delete(feeds::delete),
            ),
    );
}
