//! The admin pages this module renders itself: login, setup, and the shared stylesheet.

use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use askama::Template;

use crate::web::WebError;

/// The stylesheet of every admin page, served from igfeed (the CSP allows no inline style).
const ADMIN_CSS: &str = include_str!("../../../static/admin.css");
/// The feed editor's script (live preview, copy buttons): the only script of the admin pages
/// but the status page's widget preview, served from igfeed (the CSP allows no inline script).
const ADMIN_JS: &str = include_str!("../../../static/admin.js");

#[derive(Template)]
#[template(path = "admin_login.html")]
struct LoginPage<'a> {
    message: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "admin_setup.html")]
struct SetupPage;

/// The login form, with an optional message above it.
pub(crate) fn login(status: StatusCode, message: Option<&str>) -> HttpResponse {
    html(status, LoginPage { message }.render())
}

/// The login form refusing an attempt during a lockout.
pub(crate) fn throttled(retry_after: Duration) -> HttpResponse {
    let seconds = retry_after.as_secs().max(1);
    let message = format!("Too many failed attempts. Try again in {seconds} seconds.");
    let mut response = login(StatusCode::TOO_MANY_REQUESTS, Some(&message));
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    response
}

/// How to configure an admin secret, and nothing else: what every admin URL shows while
/// none is set. 503 because the page exists but cannot be used until the operator acts.
pub(crate) fn setup() -> HttpResponse {
    html(StatusCode::SERVICE_UNAVAILABLE, SetupPage.render())
}

/// `/admin…` without an admin secret.
pub(crate) async fn setup_page() -> HttpResponse {
    setup()
}

/// `GET /admin/static/admin.css`.
pub(crate) async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(ADMIN_CSS)
}

/// `GET /admin/static/admin.js`.
pub(crate) async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(ADMIN_JS)
}

/// Renders a page; a template failure (a bug) becomes a logged 500.
pub(crate) fn html(status: StatusCode, rendered: askama::Result<String>) -> HttpResponse {
    match rendered {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(error) => actix_web::ResponseError::error_response(&WebError::Unexpected(
            anyhow::Error::new(error).context("cannot render an admin page"),
        )),
    }
}
