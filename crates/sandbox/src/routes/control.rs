//! `/_sandbox/…`: the control API tests and humans use to steer the sandbox.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::accounts::AccountSpec;
use crate::errors::control_error;
use crate::mode::{ExpiresInRequest, Mode, ModeRequest, ShapeRequest, TokenKind};
use crate::posts::Post;
use crate::state::{Inner, SandboxState};

/// Registers the control routes.
pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/_sandbox/mode", web::post().to(set_mode))
        .route("/_sandbox/shape", web::post().to(set_shape))
        .route("/_sandbox/expires-in", web::post().to(set_expires_in))
        .route("/_sandbox/stats", web::get().to(stats))
        .route("/_sandbox/stats/reset", web::post().to(reset_stats))
        .route("/_sandbox/tokens", web::post().to(issue_token))
        .route("/_sandbox/posts", web::post().to(add_post))
        .route("/_sandbox/revoke", web::post().to(revoke))
        .route("/_sandbox/accounts", web::get().to(list_accounts))
        .route("/_sandbox/accounts", web::post().to(add_account));
}

/// Parses a JSON body; the error is the message of the control API's 400 answer.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("Invalid JSON body: {e}"))
}

/// Like [`parse`], but an empty body means every field's default (the routes that predate
/// several accounts took no body, and still need none).
fn parse_optional<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse(body)
}

/// A body naming the account a control acts on; none means the first account.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AccountChoice {
    account: Option<String>,
}

/// The index of the account `username` names (the first when `None`); the error is the
/// control API's message.
fn account_index(inner: &Inner, username: Option<&str>) -> Result<u64, String> {
    match username {
        None => Ok(inner.accounts.first().index),
        Some(name) => inner
            .accounts
            .by_username(name)
            .map(|a| a.index)
            .ok_or_else(|| format!("Unknown account: {name}")),
    }
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
    /// Whose token (username); the first account when absent.
    #[serde(default)]
    account: Option<String>,
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
    let account = match account_index(&state.lock(), request.account.as_deref()) {
        Ok(account) => account,
        Err(message) => return control_error(&message),
    };
    let age = Duration::from_secs(request.age_secs);
    let token = super::super::issue_token(&state, account, kind, age);
    HttpResponse::Ok().json(json!({ "access_token": token }))
}

/// Publishes a new post on the account the body names (the first without a body).
async fn add_post(body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    let choice: AccountChoice = match parse_optional(&body) {
        Ok(choice) => choice,
        Err(message) => return control_error(&message),
    };
    let now = state.now();
    let mut inner = state.lock();
    let timeline = account_index(&inner, choice.account.as_deref())
        .map(|index| inner.accounts.get_mut(index).map(|a| a.timeline.add(now)));
    match timeline {
        Ok(Some(seed)) => HttpResponse::Ok().json(json!({ "id": Post::build(seed, now).id })),
        Ok(None) => control_error("Unknown account"),
        Err(message) => control_error(&message),
    }
}

/// Revokes every token, or only those of the account the body names.
async fn revoke(body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    let choice: AccountChoice = match parse_optional(&body) {
        Ok(choice) => choice,
        Err(message) => return control_error(&message),
    };
    let mut inner = state.lock();
    match choice.account.as_deref() {
        None => inner.tokens.revoke_all(),
        Some(name) => match account_index(&inner, Some(name)) {
            Ok(index) => inner.tokens.revoke_account(index),
            Err(message) => return control_error(&message),
        },
    }
    HttpResponse::NoContent().finish()
}

async fn list_accounts(state: web::Data<SandboxState>) -> HttpResponse {
    let inner = state.lock();
    let accounts: Vec<_> = inner
        .accounts
        .iter()
        .map(|a| {
            json!({
                "username": a.username,
                "name": a.name,
                "id": a.app_scoped_id(),
                "user_id": a.user_id().to_string(),
                "posts": a.timeline.entries().len(),
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({ "accounts": accounts }))
}

/// The body of `POST /_sandbox/accounts`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    username: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default = "default_posts")]
    posts: usize,
}

fn default_posts() -> usize {
    12
}

/// Most posts a new account can start with (the Graph API pages through them all).
const MAX_NEW_POSTS: usize = 1_000;

/// Adds an account (`201` with its ids); a bad or taken username is a `400` naming it.
async fn add_account(body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    let request: NewAccount = match parse(&body) {
        Ok(request) => request,
        Err(message) => return control_error(&message),
    };
    if request.posts > MAX_NEW_POSTS {
        return control_error(&format!("posts: at most {MAX_NEW_POSTS}"));
    }
    let mut spec = AccountSpec::new(&request.username, request.posts);
    if let Some(name) = request.name {
        spec.name = name;
    }
    let now = state.now();
    match state.lock().accounts.add(&spec, now) {
        Ok(account) => {
            let ids = account.ids();
            HttpResponse::Created().json(json!({
                "username": ids.username,
                "id": ids.app_scoped_id,
                "user_id": ids.user_id,
            }))
        }
        Err(message) => control_error(&message),
    }
}
