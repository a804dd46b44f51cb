//! The owner's one-time authorization: Connect sends the browser to Instagram with a fresh
//! `state`; Instagram sends it back to the callback, which finishes the exchange.

mod callback;
mod pages;
pub mod pending;
mod start;

use actix_web::web;

use crate::web::admin::{SessionCookie, admin_resource};

/// Registers `POST /admin/connect` and `GET /auth/instagram/callback`; both read the admin
/// session. The callback also answers with a trailing slash: Meta may add one to the redirect
/// URI it stores, and the URI igfeed sends must match that one exactly.
pub(crate) fn configure(cfg: &mut web::ServiceConfig, session: &SessionCookie) {
    let with_slash = format!("{}/", crate::config::CALLBACK_PATH);
    cfg.service(admin_resource(&["/admin/connect"], session).route(web::post().to(start::connect)))
        .service(
            admin_resource(&[crate::config::CALLBACK_PATH, &with_slash], session)
                .route(web::get().to(callback::callback)),
        );
}
