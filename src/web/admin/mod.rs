//! `/admin`: the owner's pages, behind the admin secret.
//!
//! - [`AdminAccess`] (in the app state): the secret, the session cookie key and settings, live
//!   sessions, the login throttle. Its [`session_middleware`](AdminAccess::session_middleware)
//!   wraps the whole app, so any route can take an [`AdminSession`].
//! - [`AdminSession`]: the extractor requiring a logged-in admin; `check_csrf` for POST forms.
//! - [`admin_headers`]: the security headers; wrap every admin route (and the OAuth callback).
//! - `admin_base.html`: the page layout (blocks `title`, `content`; its logout form needs a
//!   `csrf_token` field, or override block `nav`).

mod access;
mod actions;
mod advice;
mod headers;
mod login;
mod pages;
mod registry;
mod secret;
pub mod session;
pub mod status;
pub mod throttle;

use actix_web::web;

pub use access::{AdminAccess, COOKIE_NAME};
pub use headers::{AdminHeaders, admin_headers};
pub use secret::password_hash_problem;
pub use session::AdminSession;

/// Where logged-out admins are sent.
pub const LOGIN_PATH: &str = "/admin/login";
/// Where a login lands.
pub const HOME_PATH: &str = "/admin";

/// Error codes of admin access (the `code` of the JSON error body).
pub mod codes {
    /// An admin route was called without a valid session.
    pub const LOGIN_REQUIRED: &str = "login-required";
    /// A POST form's CSRF token was missing or wrong.
    pub const CSRF_FAILED: &str = "csrf-failed";
}

/// Registers the admin routes this module owns. Without an admin secret every `/admin` URL
/// answers the setup page instead (routes registered elsewhere refuse through
/// [`AdminSession`], which answers the same page).
pub fn configure(configured: bool) -> impl Fn(&mut web::ServiceConfig) + Clone + use<> {
    move |cfg| {
        cfg.service(
            web::resource("/admin/static/admin.css")
                .wrap(admin_headers())
                .get(pages::stylesheet),
        );
        if !configured {
            cfg.service(
                web::resource(["/admin", "/admin/{rest:.*}"])
                    .wrap(admin_headers())
                    .to(pages::setup_page),
            );
            return;
        }
        cfg.service(
            web::resource(LOGIN_PATH)
                .wrap(admin_headers())
                .get(login::form)
                .post(login::submit),
        )
        .service(
            web::resource("/admin/logout")
                .wrap(admin_headers())
                .post(login::logout),
        )
        // ── `/admin` itself: the status page (status.rs). ──
        .service(
            web::resource([HOME_PATH, "/admin/"])
                .wrap(admin_headers())
                .get(status::page),
        )
        .service(
            web::resource("/admin/refresh-feed")
                .wrap(admin_headers())
                .post(actions::refresh_feed),
        )
        .service(
            web::resource("/admin/refresh-token")
                .wrap(admin_headers())
                .post(actions::refresh_token),
        )
        .service(
            web::resource("/admin/disconnect")
                .wrap(admin_headers())
                .post(actions::disconnect),
        );
    }
}
