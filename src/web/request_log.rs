//! One log line per request, tagged with a request id that is also returned to the caller.
//!
//! Only the path is logged, never the query string: OAuth callbacks carry one-time codes there.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, web};
use rand::RngExt;

/// Response header carrying the id of the request's log line.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest path written to a log line; hostile clients send megabyte paths.
const MAX_LOGGED_PATH: usize = 200;

/// Middleware body: logs the request's outcome once it is answered.
///
/// One event, not a span around the request: this runs for every visitor, and a span costs
/// as much again as the line itself. Lines logged while handling a request therefore do not
/// carry its id; those that matter name what they are about instead.
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let mut response = next.call(req).await?;
    let elapsed = started.elapsed();
    let id = RequestId::random();
    let status = response.status().as_u16();
    let request = response.request();
    record_metrics(request, status, elapsed);
    let path = request.path();
    tracing::info!(
        request_id = %id.as_str(),
        method = %request.method(),
        path = truncated(path, MAX_LOGGED_PATH),
        status,
        elapsed_us = elapsed.as_micros() as u64,
        "request handled"
    );
    if let Ok(value) = HeaderValue::from_bytes(id.as_str().as_bytes()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(response)
}

/// 16 random hex digits, formatted without allocating.
struct RequestId([u8; 16]);

impl RequestId {
    fn random() -> Self {
        let mut digits = [0u8; 16];
        let value = rand::rng().random::<u64>();
        for (i, digit) in digits.iter_mut().enumerate() {
            *digit = b"0123456789abcdef"[((value >> (60 - 4 * i)) & 0xf) as usize];
        }
        Self(digits)
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncated(text: &str, max: usize) -> &str {
    &text[..text.floor_char_boundary(max)]
}

/// Counts the request under its route *pattern*: the raw path is chosen by the client, and
/// every distinct label value would be a time series kept for the life of the process.
fn record_metrics(req: &HttpRequest, status: u16, elapsed: std::time::Duration) {
    if let Some(state) = req.app_data::<web::Data<crate::web::AppState>>() {
        let route = req
            .match_pattern()
            .unwrap_or_else(|| crate::metrics::UNMATCHED_ROUTE.to_owned());
        state
            .metrics
            .record_request(route, req.method().as_str(), status, elapsed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_sixteen_hex_digits_and_differ() {
        let (a, b) = (RequestId::random(), RequestId::random());
        for id in [&a, &b] {
            assert_eq!(id.as_str().len(), 16);
            assert!(id.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        }
        assert_ne!(a.as_str(), b.as_str());
    }

    #[test]
    fn long_paths_are_cut_at_a_character_boundary() {
        assert_eq!(truncated("/feed.json", 200), "/feed.json");
        assert_eq!(truncated("/ééé", 4), "/é");
        assert_eq!(truncated(&"a".repeat(500), 200).len(), 200);
    }
}
