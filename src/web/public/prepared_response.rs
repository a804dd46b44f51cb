//! Answers from a [`PreparedBody`]: the encoding the client accepts, its strong ETag (304 when
//! it matches), and the headers every prepared answer carries. Shared by `/feed.json`,
//! `/embed` and the widget files so their caching behaves the same.
//!
//! This is the path every visitor takes, so headers go straight into the response's map as
//! ready values instead of through the builder, which parses and copies each one.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

use crate::feed::prepared::{PreparedBody, etag_matches, negotiate};

/// `Vary` of every prepared answer; middleware (CORS) may append `Origin`.
const VARY_ENCODING: HeaderValue = HeaderValue::from_static("Accept-Encoding");
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");

/// The negotiated answer, with `extra` headers on both 200 and 304 (CORS-like and security
/// headers must survive revalidation).
pub(super) fn respond(
    req: &HttpRequest,
    body: &PreparedBody,
    content_type: &'static str,
    cache_control: &HeaderValue,
    extra: &[(HeaderName, &str)],
) -> HttpResponse {
    let header_str = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let encoding = negotiate(header_str(header::ACCEPT_ENCODING));
    let (bytes, etag) = body.select(encoding);
    let not_modified = header_str(header::IF_NONE_MATCH)
        .is_some_and(|wanted| etag_matches(Some(wanted), etag.to_str().unwrap_or_default()));
    let mut response = if not_modified {
        HttpResponse::new(StatusCode::NOT_MODIFIED)
    } else {
        HttpResponse::with_body(StatusCode::OK, bytes.clone()).map_into_boxed_body()
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::CACHE_CONTROL, cache_control.clone());
    headers.insert(header::VARY, VARY_ENCODING);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    for (name, value) in extra {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name.clone(), value);
        }
    }
    if !not_modified {
        if let Some(value) = encoding.content_encoding() {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(value));
        }
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}
