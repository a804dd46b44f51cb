//! The embed page's own files, prepared once like the widget's.

use std::sync::LazyLock;

use actix_web::{HttpRequest, HttpResponse};

use crate::feed::prepared::PreparedBody;
use crate::web::public::widget::{self, JAVASCRIPT};

static EMBED_JS: LazyLock<PreparedBody> =
    LazyLock::new(|| PreparedBody::new(include_bytes!("../../../../static/embed.js").to_vec()));
static EMBED_CSS: LazyLock<PreparedBody> =
    LazyLock::new(|| PreparedBody::new(include_bytes!("../../../../static/embed.css").to_vec()));

/// `GET /embed.js`: reports the embed page's height to the parent; on a parent page, fits
/// igfeed's iframes to the heights they report.
pub(crate) async fn embed_js(req: HttpRequest) -> HttpResponse {
    widget::serve(&req, &EMBED_JS, JAVASCRIPT, &[])
}

/// `GET /embed.css`: the widget's stylesheet for the server-rendered page.
pub(crate) async fn embed_css(req: HttpRequest) -> HttpResponse {
    widget::serve(&req, &EMBED_CSS, "text/css; charset=utf-8", &[])
}

/// Compresses the embed's files at startup rather than on the first request.
pub(crate) fn prepare() {
    LazyLock::force(&EMBED_JS);
    LazyLock::force(&EMBED_CSS);
}
