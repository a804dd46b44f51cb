//! The owner's one-time authorization: Connect sends the browser to Instagram with a fresh
//! `state`; Instagram sends it back to the callback, which finishes the exchange.

mod callback;
mod pages;
pub mod pending;
mod start;

use actix_web::web;

/// Registers `POST /admin/connect` and `GET /auth/instagram/callback`.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/admin/connect")
            .wrap(crate::web::admin::admin_headers())
            .route(web::post().to(start::connect)),
    )
    .service(
        web::resource(crate::config::CALLBACK_PATH)
            .wrap(crate::web::admin::admin_headers())
            .route(web::get().to(callback::callback)),
    );
}
