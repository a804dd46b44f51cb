//! `/admin`: the owner's pages, behind the admin secret.
//!
//! - [`AdminAccess`] (in the app state): the secret, the session cookie key and settings, live
//!   sessions, the login throttle.
//! - [`AdminSession`]: the extractor requiring a logged-in admin; `check_csrf` for POST forms.
//! - [`admin_resource`]: every admin route (and the OAuth callback) is one: the security
//!   headers and the session cookie layer, which only these routes pay for.
//! - `feeds.rs`: the feed editor (`/admin/feeds…`): list, create, edit, delete feeds.
//! - `admin_base.html`: the page layout (blocks `title`, `content`; its logout form needs a
//!   `csrf_token` field, or override block `nav`; override `header` for a page that is not the
//!   owner's, e.g. the public data-deletion status).

mod access;
mod actions;
mod advice;
mod feeds;
mod headers;
mod login;
mod pages;
pub mod session;
pub mod status;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{Resource, web};

pub use access::{AdminAccess, COOKIE_NAME, SessionCookie};
pub use headers::{AdminHeaders, admin_headers};
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

/// A route for the owner at one or more paths: admin security headers, and the session layer
/// so its handlers can take an [`AdminSession`]. Without the layer an `AdminSession` is simply
/// never found.
pub fn admin_resource(
    paths: &[&str],
    session: &SessionCookie,
) -> Resource<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + use<>>,
        Error = actix_web::Error,
        InitError = (),
    > + use<>,
> {
    web::resource(paths.to_vec())
        .wrap(admin_headers())
        .wrap(session.middleware())
        // Outside the session layer, so it sees the cookie that layer sets.
        .wrap(actix_web::middleware::from_fn(
            access::secure_behind_https_proxy,
        ))
}

/// Registers the admin routes this module owns. Without an admin secret every `/admin` URL
/// answers the setup page instead (routes registered elsewhere refuse through
/// [`AdminSession`], which answers the same page).
pub fn configure(cfg: &mut web::ServiceConfig, configured: bool, session: &SessionCookie) {
    cfg.service(
        web::resource("/admin/static/admin.css")
            .wrap(admin_headers())
            .get(pages::stylesheet),
    )
    .service(
        web::resource("/admin/static/admin.js")
            .wrap(admin_headers())
            .get(pages::script),
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
        admin_resource(&[LOGIN_PATH], session)
            .get(login::form)
            .post(login::submit),
    )
    .service(admin_resource(&["/admin/logout"], session).post(login::logout))
    // ── `/admin` itself (and `/admin/`): the status page (status.rs). ──
    .service(admin_resource(&[HOME_PATH, "/admin/"], session).get(status::page))
    .service(admin_resource(&["/admin/refresh-feed"], session).post(actions::refresh_feed))
    .service(admin_resource(&["/admin/refresh-token"], session).post(actions::refresh_token))
    .service(admin_resource(&["/admin/disconnect"], session).post(actions::disconnect))
    .service(admin_resource(&["/admin/make-default"], session).post(actions::make_default))
    // ── The feed editor (feeds.rs). ──
    .service(
        admin_resource(&["/admin/feeds"], session)
            .app_data(feeds::form_config())
            .get(feeds::index)
            .post(feeds::create),
    )
    .service(
        admin_resource(&["/admin/feeds/{name}"], session)
            .app_data(feeds::form_config())
            .get(feeds::editor)
            .post(feeds::save),
    )
    .service(admin_resource(&["/admin/feeds/{name}/delete"], session).post(feeds::delete));
}
