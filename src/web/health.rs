//! Liveness for orchestrators and `igfeed healthcheck`.

use actix_web::{HttpResponse, web};

/// Registers `GET`/`HEAD /healthz` (monitors often check with HEAD).
pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::get_and_head("/healthz", healthz));
}

/// Answers 200 while the process serves HTTP; it deliberately checks nothing upstream, so an
/// Instagram outage never gets igfeed restarted.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({"status": "ok"}))
}
