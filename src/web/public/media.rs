//! `GET /media/…`: images (and, with `media.proxy_video`, videos) from igfeed's own origin.
//! The path grammar lives in [`crate::media::key`]; anything else is refused with JSON.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::feed::prepared::etag_matches;
use crate::media::key::{self, Variant};
use crate::media::{MediaError, Served, VideoStream};
use crate::web::AppState;
use crate::web::error::json_error;

/// Stable error codes of this endpoint.
pub mod codes {
    /// The path is not a media path igfeed hands out.
    pub const BAD_MEDIA_PATH: &str = "bad-media-path";
    /// The width is not one of `media.sizes`.
    pub const UNKNOWN_SIZE: &str = "unknown-size";
    /// The format is not one of `media.formats`.
    pub const UNKNOWN_FORMAT: &str = "unknown-format";
    /// Not an image of the current feed.
    pub const MEDIA_NOT_FOUND: &str = "media-not-found";
    /// Video streaming is off.
    pub const VIDEO_DISABLED: &str = "video-disabled";
    /// The CDN URL expired and igfeed is renewing it.
    pub const MEDIA_RENEWING: &str = "media-renewing";
    /// Instagram's CDN failed or sent something unacceptable.
    pub const MEDIA_UPSTREAM: &str = "media-upstream";
    /// Every video stream (`media.max_video_streams`) is taken.
    pub const VIDEO_STREAMS_BUSY: &str = "video-streams-busy";
    /// The requested byte range is not within the video.
    pub const RANGE_NOT_SATISFIABLE: &str = "range-not-satisfiable";
}

/// A content-versioned URL is cached for a year; a URL with another version (an old page)
/// or none gets the current bytes briefly, so it can never pin stale content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const UNVERSIONED: &str = "public, max-age=300";
/// An AVIF URL answered with the JPEG while the AVIF is being made: briefly, so the AVIF
/// replaces it (a new ETag) within a minute.
const STAND_IN: &str = "public, max-age=60";
/// Videos are not content-versioned; a day is long enough for a visit.
const VIDEO_CACHE: &str = "public, max-age=86400";
/// Seconds until an image being renewed is worth asking for again.
const RENEWING_RETRY_SECS: u32 = 10;
/// Seconds until a video stream may be free again: players retry on their own.
const BUSY_RETRY_SECS: u32 = 5;

#[derive(Debug, Deserialize)]
pub(super) struct VersionQuery {
    v: Option<String>,
    /// Whose profile picture (an account id); without it, the default account's.
    account: Option<String>,
}

/// Serves `/media/{tail}`.
pub(super) async fn media(
    req: HttpRequest,
    tail: web::Path<String>,
    query: web::Query<VersionQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    // The route's tail is percent-decoded: `%2F` would pass as a separator, giving the same
    // image another URL. Media URLs are plain ASCII, so the raw path must equal the tail.
    if req.path().strip_prefix("/media/") != Some(tail.as_str()) {
        return error(MediaError::BadPath(key::BadPath(
            "media URLs contain no percent-encoded characters",
        )));
    }
    let path = match key::parse(&tail) {
        Ok(path) => path,
        Err(bad) => return error(MediaError::BadPath(bad)),
    };
    let Some(account) = owner(&state, &path.target, query.account.as_deref()) else {
        return error(MediaError::NotFound);
    };
    let media = &account.media;
    match path.variant {
        Variant::Size(size, format) => match media
            .image(&path.target, size, format, query.v.as_deref())
            .await
        {
            Ok(served) => image(&req, served),
            Err(e) => error(e),
        },
        Variant::Video => {
            let range = req
                .headers()
                .get(header::RANGE)
                .and_then(|v| v.to_str().ok());
            match media.video(&path.target, range).await {
                Ok(upstream) => video(upstream),
                Err(e) => error(e),
            }
        }
    }
}

/// The account whose image `target` is: a post's is found in the feeds (post ids are unique
/// across Instagram), the profile picture's is named by `account` (the default account's
/// without it).
fn owner(
    state: &AppState,
    target: &key::Target,
    account: Option<&str>,
) -> Option<std::sync::Arc<crate::accounts::Account>> {
    match target {
        key::Target::Profile => match account {
            Some(id) => state.accounts.by_id(id),
            None => state.accounts.default_account(),
        },
        key::Target::Item { .. } => {
            let accounts = state.accounts.listing();
            let found = accounts.accounts.iter().find(|a| a.media.holds(target));
            // Not in any feed now: the default account answers (404, or a snapshot still
            // loading), as before there were several.
            found.cloned().or_else(|| state.accounts.default_account())
        }
    }
}

fn image(req: &HttpRequest, served: Served) -> HttpResponse {
    let cache = if served.stand_in {
        STAND_IN
    } else if served.immutable {
        IMMUTABLE
    } else {
        UNVERSIONED
    };
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let mut response = if etag_matches(if_none_match, &served.etag) {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type(served.format.mime())
            .body(served.bytes)
    };
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&served.etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    common_headers(headers);
    response
}

/// Streams the CDN's answer through, chunk by chunk, with the headers a player needs for
/// seeking; nothing is buffered whole.
fn video(upstream: VideoStream) -> HttpResponse {
    let status = StatusCode::from_u16(upstream.status()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = HttpResponse::build(status);
    for name in [
        "content-type",
        "content-length",
        "content-range",
        "accept-ranges",
        "last-modified",
    ] {
        if let Some(value) = upstream.headers().get(name)
            && let Ok(value) = HeaderValue::from_bytes(value.as_bytes())
        {
            response.insert_header((name, value));
        }
    }
    response.insert_header((header::CACHE_CONTROL, VIDEO_CACHE));
    let mut response = response.streaming(upstream.into_body());
    common_headers(response.headers_mut());
    response
}

/// Never sniffed as anything else, and embeddable from any site.
fn common_headers(headers: &mut actix_web::http::header::HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("cross-origin"),
    );
}

fn error(error: MediaError) -> HttpResponse {
    let message = error.to_string();
    let (status, code) = match &error {
        MediaError::BadPath(_) => (StatusCode::BAD_REQUEST, codes::BAD_MEDIA_PATH),
        MediaError::UnknownSize => (StatusCode::NOT_FOUND, codes::UNKNOWN_SIZE),
        MediaError::UnknownFormat => (StatusCode::NOT_FOUND, codes::UNKNOWN_FORMAT),
        MediaError::NotFound => (StatusCode::NOT_FOUND, codes::MEDIA_NOT_FOUND),
        MediaError::VideoOff => (StatusCode::NOT_FOUND, codes::VIDEO_DISABLED),
        MediaError::Renewing => (StatusCode::SERVICE_UNAVAILABLE, codes::MEDIA_RENEWING),
        MediaError::Busy => (StatusCode::SERVICE_UNAVAILABLE, codes::VIDEO_STREAMS_BUSY),
        MediaError::RangeNotSatisfiable(_) => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            codes::RANGE_NOT_SATISFIABLE,
        ),
        MediaError::Upstream(detail) => {
            tracing::warn!(%detail, "media not served");
            (StatusCode::BAD_GATEWAY, codes::MEDIA_UPSTREAM)
        }
        MediaError::Internal(detail) => {
            tracing::error!(%detail, "media request failed");
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                crate::web::error::codes::INTERNAL,
                "igfeed hit an unexpected error; the details are in its log",
            );
        }
    };
    let mut response = json_error(status, code, &message);
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let headers = response.headers_mut();
    match error {
        MediaError::Renewing => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(RENEWING_RETRY_SECS));
        }
        MediaError::Busy => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(BUSY_RETRY_SECS));
        }
        // What RFC 9110 asks of a 416: the length, so a player can ask again within it.
        MediaError::RangeNotSatisfiable(Some(length)) => {
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{length}")) {
                headers.insert(header::CONTENT_RANGE, value);
            }
        }
        _ => {}
    }
    response
}
