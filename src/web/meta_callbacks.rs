//! Meta's callbacks: `POST /instagram/deauthorize`, `POST /instagram/data-deletion` and the
//! deletion status page `GET /instagram/data-deletion/{code}`.
//!
//! Anyone can reach these URLs, so nothing happens unless the `signed_request` verifies with
//! the app secret, is fresh and has not been acted on before
//! ([`crate::meta_callbacks::replay`]); a refused request changes nothing and says why in the
//! usual JSON error.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use actix_web::{HttpResponse, ResponseError as _, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::error::{WebError, codes, json_error};
use crate::meta_callbacks::{
    self, Callback, Claim, ConfirmationCode, DeletionRecord, Outcome, Payload, Refused,
};
use crate::web::AppState;

/// Error codes of these routes.
pub mod meta_codes {
    /// The `signed_request` is missing, malformed or wrongly signed.
    pub const BAD_SIGNED_REQUEST: &str = "bad-signed-request";
    /// `instagram.app_secret` is not set, so no request can be verified.
    pub const NOT_CONFIGURED: &str = "app-secret-not-configured";
    /// Correctly signed but issued outside the freshness window (or past its `expires`).
    pub const STALE: &str = "stale-signed-request";
    /// Correctly signed but dated beyond the clock skew allowance.
    pub const FUTURE: &str = "signed-request-from-the-future";
    /// Correctly signed and fresh, but already acted on.
    pub const REPLAYED: &str = "replayed-signed-request";
}

/// Bodies above this are refused before they are read: Meta's are well under 1 KB.
const BODY_LIMIT: usize = 16 * 1024;

/// Registers the three routes.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/instagram/deauthorize")
            .app_data(form_config())
            .route(web::post().to(deauthorize)),
    )
    .service(
        web::resource("/instagram/data-deletion")
            .app_data(form_config())
            .route(web::post().to(data_deletion)),
    )
    .service(web::resource("/instagram/data-deletion/{code}").route(web::get().to(status_page)));
}

/// The form Meta posts.
#[derive(Deserialize)]
struct CallbackForm {
    signed_request: String,
}

/// Small limit; an oversized body is 413, any other unreadable form 400.
fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(BODY_LIMIT)
        .error_handler(|error, _| {
            crate::web::error::form_error(error, BODY_LIMIT, "expected a form with signed_request")
        })
}

/// Verifies the request, or explains why not.
fn verified(state: &AppState, form: &CallbackForm) -> Result<Payload, WebError> {
    let Some(secret) = &state.settings.instagram.app_secret else {
        tracing::error!("a Meta callback arrived but instagram.app_secret is not set");
        return Err(WebError::unavailable(
            meta_codes::NOT_CONFIGURED,
            "igfeed cannot verify Meta's requests: instagram.app_secret is not set",
        ));
    };
    meta_callbacks::verify(&form.signed_request, secret).map_err(|error| {
        tracing::warn!(%error, "refused a Meta callback");
        WebError::client(
            StatusCode::BAD_REQUEST,
            meta_codes::BAD_SIGNED_REQUEST,
            error.to_string(),
        )
    })
}

/// Verifies the request and reserves it against replays, or explains why not — in this
/// process and, with several replicas, on all of them (a mark in Redis: Meta's retry may land
/// on another replica). The reservation is kept by the caller once the request was acted on.
async fn verified_once<'a>(
    state: &'a AppState,
    form: &CallbackForm,
    callback: Callback,
) -> Result<(Payload, Once<'a>), WebError> {
    let payload = verified(state, form)?;
    let now = state.clock.now();
    let claim = state
        .meta_replays
        .claim(callback, &form.signed_request, &payload, now)
        .map_err(|refused| refuse(callback, refused))?;
    let storage = state.accounts.storage();
    let mut shared = None;
    if storage.is_shared() {
        let (key, ttl) =
            meta_callbacks::replay::shared_mark(callback, &form.signed_request, &payload, now);
        let (dir, mark) = (storage.clone(), key.clone());
        let claimed =
            crate::storage::run_blocking("a Meta callback", move || dir.claim_scratch(&mark, ttl))
                .await;
        match claimed {
            Ok(true) => shared = Some((storage.clone(), key)),
            // Acted on (or being acted on) by another replica; the local claim is dropped.
            Ok(false) => return Err(refuse(callback, Refused::Replayed)),
            Err(error) => {
                tracing::warn!(%error, "cannot reach Redis to check a Meta callback for replays; this replica's memory decides");
            }
        }
    }
    Ok((
        payload,
        Once {
            claim: Some(claim),
            shared,
        },
    ))
}

/// The 4xx answer for a refused request (logged).
fn refuse(callback: Callback, refused: Refused) -> WebError {
    tracing::warn!(error = %refused, ?callback, "refused a signed Meta callback");
    let (status, code) = match refused {
        Refused::Stale => (StatusCode::BAD_REQUEST, meta_codes::STALE),
        Refused::FromTheFuture => (StatusCode::BAD_REQUEST, meta_codes::FUTURE),
        Refused::Replayed => (StatusCode::CONFLICT, meta_codes::REPLAYED),
    };
    WebError::client(status, code, refused.to_string())
}

/// A request reserved here and (with replicas) in Redis; both let go on drop unless kept.
struct Once<'a> {
    claim: Option<Claim<'a>>,
    shared: Option<(crate::storage::StateDir, String)>,
}

impl Once<'_> {
    /// The request was acted on: remember it everywhere for the rest of its window.
    fn keep(mut self) {
        if let Some(claim) = self.claim.take() {
            claim.keep();
        }
        self.shared = None;
    }
}

impl Drop for Once<'_> {
    fn drop(&mut self) {
        if let Some((dir, key)) = self.shared.take() {
            // Meta retries a request that failed; the mark must not refuse the retry.
            drop(tokio::task::spawn_blocking(move || dir.take_scratch(&key)));
        }
    }
}

/// Forgets the connected account the request names, if there is one; returns whether it
/// did. Every other account stays as it is.
async fn forget_if_connected(state: &AppState, payload: &Payload) -> Result<bool, WebError> {
    let forgotten = meta_callbacks::forget_account(&state.accounts, &payload.user_id)
        .await
        .map_err(|e| {
            WebError::Unexpected(anyhow::Error::new(e).context("Failed to forget the account"))
        })?;
    if let Some(id) = &forgotten {
        tracing::warn!(account = %id, "Meta asked igfeed to forget an account; it did");
    }
    Ok(forgotten.is_some())
}

/// The owner removed igfeed from their Instagram settings: Meta needs a 200, igfeed forgets
/// the token (and the feed it can no longer keep legitimately).
async fn deauthorize(
    state: web::Data<AppState>,
    form: web::Form<CallbackForm>,
) -> Result<HttpResponse, WebError> {
    let (payload, claim) = verified_once(&state, &form, Callback::Deauthorize).await?;
    let status = if forget_if_connected(&state, &payload).await? {
        tracing::warn!("Instagram access was removed by the account owner; igfeed disconnected");
        "disconnected"
    } else {
        tracing::info!("deauthorization for an account igfeed does not hold; nothing to do");
        "nothing-stored"
    };
    claim.keep();
    Ok(no_store(HttpResponse::Ok()).json(json!({ "status": status })))
}

/// A user asked Meta to delete their data: delete it, record the request, and give Meta the
/// code and the page where the user can check on it.
async fn data_deletion(
    state: web::Data<AppState>,
    form: web::Form<CallbackForm>,
) -> Result<HttpResponse, WebError> {
    let (payload, claim) = verified_once(&state, &form, Callback::DataDeletion).await?;
    let requested_at = state.clock.now();
    let outcome = if forget_if_connected(&state, &payload).await? {
        tracing::warn!("data deletion requested: the connected account's data was deleted");
        Outcome::Deleted
    } else {
        tracing::info!("data deletion for an account igfeed does not hold; nothing to delete");
        Outcome::NothingStored
    };
    // Kept once the data is gone: a failure to record it below does not undo the deletion.
    claim.keep();
    let record = DeletionRecord {
        code: ConfirmationCode::generate(),
        requested_at,
        completed_at: state.clock.now(),
        outcome,
    };
    let code = record.code.clone();
    if let Err(error) = state.deletions.record(record).await {
        // The deletion itself happened; only the status page is at risk after a restart.
        tracing::error!(%error, "could not store the data-deletion record");
    }
    let mut url = state.public_url.clone();
    url.set_path(&format!("/instagram/data-deletion/{}", code.as_str()));
    url.set_query(None);
    url.set_fragment(None);
    Ok(no_store(HttpResponse::Ok()).json(json!({
        "url": url.as_str(),
        "confirmation_code": code.as_str(),
    })))
}

/// The page behind the status URL.
#[derive(Template)]
#[template(path = "deletion_status.html")]
struct StatusPage<'a> {
    code: &'a str,
    requested_at: String,
    completed_at: String,
    deleted: bool,
}

/// `GET /instagram/data-deletion/{code}`: what became of the request. Codes are 128 random
/// bits, so the page needs no login; a malformed or unknown code is simply not found.
async fn status_page(state: web::Data<AppState>, code: web::Path<String>) -> HttpResponse {
    let Some(code) = ConfirmationCode::parse(&code) else {
        return not_found();
    };
    let Some(record) = state.deletions.find(&code).await else {
        return not_found();
    };
    let page = StatusPage {
        code: record.code.as_str(),
        requested_at: crate::human::time(record.requested_at),
        completed_at: crate::human::time(record.completed_at),
        deleted: record.outcome == Outcome::Deleted,
    };
    match page.render() {
        Ok(html) => no_store(HttpResponse::Ok())
            .insert_header((
                CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; frame-ancestors 'none'",
            ))
            .insert_header(("Referrer-Policy", "no-referrer"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(error) => WebError::Unexpected(anyhow::Error::new(error)).error_response(),
    }
}

fn not_found() -> HttpResponse {
    json_error(
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
        "no data-deletion request has this confirmation code",
    )
}

fn no_store(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder.insert_header((CACHE_CONTROL, "no-store"));
    builder
}
