//! Liveness for orchestrators and `igfeed healthcheck`.

use actix_web::{HttpResponse, get};

/// Answers 200 while the process serves HTTP; it deliberately checks nothing upstream, so an
/// Instagram outage never gets igfeed restarted.
#[get("/healthz")]
pub(super) async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({"status": "ok"}))
}
