//! `GET /widget.js` and `GET /widget-lightbox.js`: the embeddable widget, built from
//! `widget-js/` and committed to `static/`, so the binary serves it without node. Like
//! `/feed.json`, each file is prepared once (gzip, brotli, an ETag per encoding) and every
//! request only picks ready bytes.

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

use crate::feed::prepared::PreparedBody;

/// Short enough that a new igfeed version reaches every site within minutes; browsers keep
/// using their copy for a day while they revalidate it (a 304 in the usual case).
pub(super) const ASSET_CACHE_CONTROL: HeaderValue =
    HeaderValue::from_static("public, max-age=300, stale-while-revalidate=86400");

/// JavaScript's registered media type (RFC 9239).
pub(super) const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

static WIDGET: LazyLock<PreparedBody> =
    LazyLock::new(|| PreparedBody::new(include_bytes!("../../../static/widget.js").to_vec()));

static LIGHTBOX: LazyLock<PreparedBody> = LazyLock::new(|| {
    PreparedBody::new(include_bytes!("../../../static/widget-lightbox.js").to_vec())
});

/// Compresses the widget files now, so the first visitor does not pay for brotli's densest
/// setting (a few milliseconds, once per process).
pub(super) fn prepare() {
    LazyLock::force(&WIDGET);
    LazyLock::force(&LIGHTBOX);
}

/// The widget, for `<script src=".../widget.js" async>` on any site.
pub(super) async fn widget_js(req: HttpRequest) -> HttpResponse {
    serve(&req, &WIDGET, JAVASCRIPT, &[])
}

/// The lightbox, which the widget loads with `import()` on first use. Module scripts are
/// fetched with CORS, so any origin may read it (it is public and involves no credentials).
pub(super) async fn lightbox_js(req: HttpRequest) -> HttpResponse {
    serve(
        &req,
        &LIGHTBOX,
        JAVASCRIPT,
        &[(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
    )
}

/// A prepared static file with its negotiated encoding, ETag/304 and cache headers.
/// `Cross-Origin-Resource-Policy: cross-origin` lets sites that isolate themselves
/// (`Cross-Origin-Embedder-Policy`) still load it.
pub(super) fn serve(
    req: &HttpRequest,
    body: &PreparedBody,
    content_type: &'static str,
    extra: &[(HeaderName, &str)],
) -> HttpResponse {
    let mut headers = vec![(
        HeaderName::from_static("cross-origin-resource-policy"),
        "cross-origin",
    )];
    headers.extend(extra.iter().cloned());
    super::prepared_response::respond(req, body, content_type, &ASSET_CACHE_CONTROL, &headers)
}
