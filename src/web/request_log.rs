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
use tracing::Instrument;

/// Response header carrying the id of the request's log line.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest path written to a log line; hostile clients send megabyte paths.
const MAX_LOGGED_PATH: usize = 200;

/// Middleware body: wraps the request in a span and logs its outcome.
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = format!("{:016x}", rand::rng().random::<u64>());
    let path: String = req.path().chars().take(MAX_LOGGED_PATH).collect();
    let span =
        tracing::info_span!("request", request_id = %id, method = %req.method(), path = %path);
    let started = Instant::now();
    let mut response = next.call(req).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    record_metrics(response.request(), status, elapsed);
    let elapsed_us = elapsed.as_micros() as u64;
    span.in_scope(|| tracing::info!(status, elapsed_us, "request handled"));
    Ok(response)
}

/// Counts the request under its route *pattern*: the raw path is chosen by the client, and
/// every distinct label value would be a time series kept for the life of the process.
fn record_metrics(req: &HttpRequest, status: u16, elapsed: std::time::Duration) {
    if let Some(state) = req.app_data::<web::Data<crate::startup::AppState>>() {
        let route = req.match_pattern();
        let route = route.as_deref().unwrap_or(crate::metrics::UNMATCHED_ROUTE);
        state
            .metrics
            .record_request(route, req.method().as_str(), status, elapsed);
    }
}
