//! The HTTP surface, grouped by audience. [`configure`] is the one route table shared by the
//! binary and the tests, so tests exercise exactly what production serves.

pub mod admin;
pub mod api;
pub mod client_ip;
pub mod error;
mod health;
pub mod limits;
mod meta_callbacks;
pub(crate) mod oauth;
pub(crate) mod ops;
mod public;
pub mod request_log;
mod state;

use actix_web::dev::Handler;
use actix_web::{FromRequest, Resource, Responder, web};

use crate::config::Settings;

pub use error::WebError;
pub(crate) use state::app_state;
pub use state::{AppState, feed_cache_control};

/// Registers every route plus the JSON error handling for extractor failures and 404s.
pub fn configure(
    settings: &Settings,
    cookie: admin::SessionCookie,
) -> impl Fn(&mut web::ServiceConfig) + Clone + use<> {
    let origins = settings.cors.allowed_origins.clone();
    let embed_pages = public::embed_pages();
    let configured = settings.admin.password.is_some() || settings.admin.password_hash.is_some();
    let api_enabled = settings.admin.api_token.is_some();
    move |cfg| {
        public::configure(cfg, &origins, &embed_pages);
        admin::configure(cfg, configured, &cookie);
        api::configure(cfg, api_enabled);
        oauth::configure(cfg, &cookie);
        common(cfg);
    }
}

fn common(cfg: &mut web::ServiceConfig) {
    cfg.app_data(error::query_config())
        .app_data(error::json_config())
        .app_data(error::form_config())
        .app_data(error::path_config())
        .configure(health::configure)
        .configure(ops::configure)
        .configure(meta_callbacks::configure)
        .default_service(web::to(error::not_found));
}

/// A resource answering GET and HEAD with `handler`; any other method gets 405 with `Allow`
/// (a route registered per method would fall through to "not found" instead).
pub(crate) fn get_and_head<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args> + Clone,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path).get(handler.clone()).head(handler)
}
