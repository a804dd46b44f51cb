//! `GET /admin`: the status page (placeholder until the status page lands).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::pages;
use super::session::AdminSession;
use crate::startup::AppState;
use crate::web::WebError;

#[derive(Template)]
#[template(path = "admin_status.html")]
struct StatusPage {
    csrf_token: String,
}

/// The admin home page.
pub async fn page(
    session: AdminSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let _ = state;
    let page = StatusPage {
        csrf_token: session.csrf_token,
    };
    Ok(pages::html(StatusCode::OK, page.render()))
}
