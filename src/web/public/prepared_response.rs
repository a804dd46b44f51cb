//! Answers from a [`PreparedBody`]: the encoding the client accepts, its strong ETag (304 when
//! it matches), and the headers every prepared answer carries. Shared by `/feed.json`,
//! `/embed` and the widget files so their caching behaves the same.

use actix_web::http::header::{self, HeaderName};
use actix_web::{HttpRequest, HttpResponse};

use crate::feed::prepared::{PreparedBody, etag_matches, negotiate};

/// The negotiated answer, with `extra` headers on both 200 and 304 (CORS-like and security
/// headers must survive revalidation).
pub(super) fn respond(
    req: &HttpRequest,
    body: &PreparedBody,
    content_type: &str,
    cache_control: &str,
    extra: &[(HeaderName, &str)],
) -> HttpResponse {
    let header_str = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let encoding = negotiate(header_str(header::ACCEPT_ENCODING));
    let (bytes, etag) = body.select(encoding);
    let not_modified = etag_matches(header_str(header::IF_NONE_MATCH), etag);
    let mut response = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag.to_owned()))
        .insert_header((header::CACHE_CONTROL, cache_control.to_owned()))
        // Middleware (CORS) may append `Origin` to Vary.
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    for (name, value) in extra {
        response.insert_header((name.clone(), *value));
    }
    if not_modified {
        return response.finish();
    }
    if let Some(value) = encoding.content_encoding() {
        response.insert_header((header::CONTENT_ENCODING, value));
    }
    response
        .insert_header((header::CONTENT_TYPE, content_type.to_owned()))
        .body(bytes.clone())
}
