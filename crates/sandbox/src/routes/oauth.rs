//! The authorize dialog: a consent page and the Allow / Cancel decision.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use url::Url;

use super::{form_pairs, param};
use crate::errors::html_error;
use crate::mode::Mode;
use crate::state::SandboxState;
use crate::stats::Endpoint;
use crate::tokens::Grant;

/// Scopes of the Instagram API with Instagram Login; anything else is refused.
const KNOWN_SCOPES: &[&str] = &[
    "instagram_business_basic",
    "instagram_business_content_publish",
    "instagram_business_manage_messages",
    "instagram_business_manage_comments",
    "instagram_business_manage_insights",
];

/// A validated authorize request.
struct Authorize {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
}

/// The consent screen: the person logged in may hold several accounts and picks the one that
/// approves (the first is preselected).
#[derive(Template)]
#[template(path = "sandbox_consent.html")]
struct Consent<'a> {
    app_id: &'a str,
    usernames: Vec<String>,
    redirect_uri: &'a str,
    scope: &'a str,
    scopes: &'a [String],
    state: Option<&'a str>,
}

/// `GET /oauth/authorize`: validates the request and shows the consent page.
pub(super) async fn dialog(req: HttpRequest, state: web::Data<SandboxState>) -> HttpResponse {
    state.record(Endpoint::Authorize);
    if let Some(down) = outage(&state) {
        return down;
    }
    let pairs = form_pairs(req.query_string().as_bytes());
    let request = match validate(&state, &pairs) {
        Ok(request) => request,
        Err(message) => return html_error(StatusCode::BAD_REQUEST, "Error", &message),
    };
    let scope = request.scopes.join(",");
    let usernames = state
        .lock()
        .accounts
        .iter()
        .map(|a| a.username.clone())
        .collect();
    let page = Consent {
        app_id: &request.client_id,
        usernames,
        redirect_uri: &request.redirect_uri,
        scope: &scope,
        scopes: &request.scopes,
        state: request.state.as_deref(),
    };
    match page.render() {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(_) => html_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Error",
            "The page failed to render.",
        ),
    }
}

/// `POST /oauth/authorize`: the Allow or Cancel button; every hidden field is checked again.
pub(super) async fn decide(body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    if let Some(down) = outage(&state) {
        return down;
    }
    let pairs = form_pairs(&body);
    let request = match validate(&state, &pairs) {
        Ok(request) => request,
        Err(message) => return html_error(StatusCode::BAD_REQUEST, "Error", &message),
    };
    // Registered URIs are absolute, so this parse succeeds; the fallback keeps hostile input safe.
    let Ok(mut target) = Url::parse(&request.redirect_uri) else {
        return html_error(StatusCode::BAD_REQUEST, "Error", "Invalid redirect_uri");
    };
    match param(&pairs, "decision") {
        Some("allow") => {
            let mut inner = state.lock();
            // No choice sent (a client scripted before there were several accounts): the first.
            let account = match param(&pairs, "account") {
                None => inner.accounts.first().index,
                Some(name) => match inner.accounts.by_username(name) {
                    Some(account) => account.index,
                    None => {
                        return html_error(StatusCode::BAD_REQUEST, "Error", "Unknown account.");
                    }
                },
            };
            let code = inner.tokens.issue_code(Grant {
                account,
                client_id: request.client_id,
                redirect_uri: request.redirect_uri.clone(),
                permissions: request.scopes.join(","),
                issued_at: state.now(),
            });
            target.query_pairs_mut().append_pair("code", &code);
            append_state(&mut target, request.state.as_deref());
            // Instagram ends the redirect with "#_"; clients must not take it for part of the code.
            target.set_fragment(Some("_"));
        }
        Some("cancel") => {
            target
                .query_pairs_mut()
                .append_pair("error", "access_denied")
                .append_pair("error_reason", "user_denied")
                .append_pair("error_description", "The user denied your request");
            append_state(&mut target, request.state.as_deref());
        }
        _ => return html_error(StatusCode::BAD_REQUEST, "Error", "Choose Allow or Cancel."),
    }
    HttpResponse::Found()
        .insert_header((LOCATION, target.to_string()))
        .finish()
}

fn append_state(target: &mut Url, state: Option<&str>) {
    if let Some(state) = state {
        target.query_pairs_mut().append_pair("state", state);
    }
}

/// The dialog is a web page, so an outage shows a page rather than JSON.
fn outage(state: &SandboxState) -> Option<HttpResponse> {
    (state.mode() == Mode::Outage).then(|| {
        html_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sorry, something went wrong",
            "We're working on it and we'll get it fixed as soon as we can.",
        )
    })
}

/// Checks the request the way Instagram's dialog does, naming the first problem.
///
/// The error is the message of the error page.
fn validate(state: &SandboxState, pairs: &[(String, String)]) -> Result<Authorize, String> {
    let fail = |message: &str| Err(message.to_owned());
    let client_id = param(pairs, "client_id").unwrap_or_default();
    if client_id != state.config.app_id {
        return fail("Invalid platform app");
    }
    let redirect_uri = param(pairs, "redirect_uri").unwrap_or_default();
    if !state
        .config
        .redirect_uris
        .iter()
        .any(|r| same_redirect(r, redirect_uri))
    {
        return fail("Invalid redirect_uri");
    }
    if param(pairs, "response_type") != Some("code") {
        return fail("Invalid response_type: only response_type=code is supported");
    }
    let scopes: Vec<String> = param(pairs, "scope")
        .unwrap_or_default()
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(unknown) = scopes.iter().find(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
        return fail(&format!("Invalid Scopes: {unknown}"));
    }
    if !scopes.iter().any(|s| s == "instagram_business_basic") {
        return fail("Invalid Scopes: instagram_business_basic is required");
    }
    Ok(Authorize {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: param(pairs, "state").map(str::to_owned),
    })
}

/// Exact match, except that one trailing `/` more or less is tolerated (Meta may add one).
fn same_redirect(registered: &str, given: &str) -> bool {
    registered == given
        || registered.strip_suffix('/') == Some(given)
        || given.strip_suffix('/') == Some(registered)
}
