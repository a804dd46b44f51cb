//! `/_sandbox/…`: the control API tests and humans use to steer the sandbox.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::errors::control_error;
use crate::mode::{ExpiresInRequest, Mode, ModeRequest, ShapeRequest, TokenKind};
use crate::posts::Post;
use crate::state::SandboxState;

/// Registers the control routes.
pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/_sandbox/mode", web::post().to(set_mode))
        .route("/_sandbox/shape", web::post().to(set_shape))
        .route("/_sandbox/expires-in", web::post().to(set_expires_in))
        .route("/_sandbox/stats", web::get().to(stats))
        .route("/_sandbox/stats/reset", web::post().to(reset_stats))
        .route("/_sandbox/tokens", web::post().to(issue_token))
        .route("/_sandbox/posts", web::post().to(add_post))
        .route("/_sandbox/revoke", web::post().to(revoke));
}

/// Parses a JSON body; the error is the message of the control API's 400 answer.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("Invalid JSON body: {e}"))
}

async fn set_mode(body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    let request: ModeRequest = match parse(&body) {
        Ok(request) => request,
        Err(message) => return control_error(&message),
    };
    match Mode::try_from(request) {
        Ok(mode) => {
            state.lock().mode = mode;
            HttpResponse::Ok().json(json!({ "mode": mode.name() }))
        }
        Err(message) => control_error(&message),
    }
}

async fn set_shape(body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    match parse::<ShapeRequest>(&body) {
        Ok(request) => {
            state.lock().shape = request.shape;
            HttpResponse::Ok().json(json!({ "shape": request.shape }))
        }
        Err(message) => control_error(&message),
    }
}

/// Makes the token endpoints misreport `expires_in`, so tests can check what a client does
/// with a lifetime it cannot represent.
async fn set_expires_in(body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    match parse::<ExpiresInRequest>(&body) {
        Ok(request) => {
            state.lock().announced_expires_in = request.expires_in;
            HttpResponse::Ok().json(json!({ "expires_in": request.expires_in }))
        }
        Err(message) => control_error(&message),
    }
}

async fn stats(state: web::Data<SandboxState>) -> HttpResponse {
    let stats = state.lock().stats.clone();
    HttpResponse::Ok().json(stats)
}

async fn reset_stats(state: web::Data<SandboxState>) -> HttpResponse {
    state.lock().stats = Default::default();
    HttpResponse::NoContent().finish()
}

/// The body of `POST /_sandbox/tokens`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    kind: ShortOrLong,
    #[serde(default)]
    age_secs: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum ShortOrLong {
    Short,
    Long,
}

async fn issue_token(body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    let request: TokenRequest = match parse(&body) {
        Ok(request) => request,
        Err(message) => return control_error(&message),
    };
    let kind = match request.kind {
        ShortOrLong::Short => TokenKind::ShortLived,
        ShortOrLong::Long => TokenKind::LongLived,
    };
    let token = super::super::issue_token(&state, kind, Duration::from_secs(request.age_secs));
    HttpResponse::Ok().json(json!({ "access_token": token }))
}

async fn add_post(state: web::Data<SandboxState>) -> HttpResponse {
    let now = state.now();
    let seed = state.lock().timeline.add(now);
    HttpResponse::Ok().json(json!({ "id": Post::build(seed, now).id }))
}

async fn revoke(state: web::Data<SandboxState>) -> HttpResponse {
    state.lock().tokens.revoke_all();
    HttpResponse::NoContent().finish()
}
