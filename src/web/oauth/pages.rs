//! The pages an owner lands on after Instagram: what happened and what to do, in plain words —
//! never a stack trace, never a token.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::pending::StateProblem;
use crate::instagram::ApiError;
use crate::web::AppState;

/// Why connecting did not happen.
pub(super) enum Failure {
    /// The owner pressed Cancel on Instagram.
    Denied,
    /// The admin session is gone (logged out, expired, another browser).
    NoSession,
    /// The `state` parameter failed its checks.
    State(StateProblem),
    /// Instagram came back without a code.
    MissingCode,
    /// The code is not one Instagram could have issued (a hand-edited or forged URL).
    MalformedCode,
    /// Instagram refused or failed.
    Upstream(ApiError),
    /// The token could not be stored.
    Storage,
}

#[derive(Template)]
#[template(path = "connect_result.html")]
struct ResultPage<'a> {
    title: &'a str,
    what: String,
    advice: &'a str,
}

/// Renders `failure` with the right status; nothing was stored in any of these cases.
pub(super) fn failure(state: &AppState, failure: Failure) -> HttpResponse {
    let _ = state;
    let (status, title, what, advice) = describe(failure);
    let page = ResultPage {
        title,
        what,
        advice,
    };
    let body = page
        .render()
        .unwrap_or_else(|_| format!("{title}: {advice}"));
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

fn describe(failure: Failure) -> (StatusCode, &'static str, String, &'static str) {
    const AGAIN: &str = "Go back to the admin page and click Connect Instagram again.";
    match failure {
        Failure::Denied => (
            StatusCode::OK,
            "Connection cancelled",
            "You cancelled on Instagram, so igfeed was not given access. Nothing changed.".into(),
            "If that was a mistake, go back to the admin page and click Connect Instagram again.",
        ),
        Failure::NoSession => (
            StatusCode::UNAUTHORIZED,
            "Please log in again",
            "Your admin session ended before Instagram sent you back. Nothing was stored.".into(),
            "Log in to the admin page and click Connect Instagram again.",
        ),
        Failure::State(problem) => (
            StatusCode::BAD_REQUEST,
            "This link cannot be used",
            match problem {
                StateProblem::Missing => "Instagram's answer carried no state, so igfeed cannot tell it was you who asked.",
                StateProblem::Unknown => "This answer does not belong to a Connect click of yours, or it was already used.",
                StateProblem::Expired => "More than ten minutes passed between clicking Connect and approving on Instagram.",
                StateProblem::OtherSession => "This answer belongs to a Connect click from another admin session.",
            }
            .to_owned()
                + " Nothing was stored.",
            AGAIN,
        ),
        Failure::MissingCode => (
            StatusCode::BAD_REQUEST,
            "Instagram sent no authorization code",
            "Instagram came back without a code, so there is nothing to exchange. Nothing was stored.".into(),
            AGAIN,
        ),
        Failure::MalformedCode => (
            StatusCode::BAD_REQUEST,
            "The authorization code is malformed",
            "The address igfeed was sent back to carries a code Instagram could not have issued, so it was not sent to Instagram. Nothing was stored.".into(),
            AGAIN,
        ),
        Failure::Upstream(error) => {
            let advice = match &error {
                ApiError::AppCredentials { .. } => {
                    "Set instagram.app_id and instagram.app_secret to the Instagram app's ID and secret (App Dashboard → Instagram → API setup with Instagram login), restart igfeed, then connect again."
                }
                ApiError::BadRequest { .. } => {
                    "The code may have been used already or expired, or the redirect URI differs from the one registered in the Instagram app. Click Connect Instagram again; if it keeps failing, check instagram.redirect_uri."
                }
                ApiError::TokenInvalid { .. } | ApiError::PermissionMissing { .. } => {
                    "Use an Instagram Business or Creator account and approve access; while the Meta app is in development mode, the account needs a tester role on it."
                }
                ApiError::RateLimited { .. } | ApiError::Transient { .. } => {
                    "Instagram did not answer properly just now. Wait a few minutes, then click Connect Instagram again."
                }
                ApiError::Malformed { .. } => {
                    "Instagram's answer was not understood. Try again; if it persists, report it with igfeed's log."
                }
            };
            (
                StatusCode::BAD_GATEWAY,
                "Instagram did not complete the connection",
                format!("{error}. Nothing was stored; any earlier connection is unchanged."),
                advice,
            )
        }
        Failure::Storage => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "The token could not be saved",
            "Instagram granted access but igfeed could not write its state directory. Nothing changed.".into(),
            "Check that igfeed may write storage.dir (its log names the file), then connect again.",
        ),
    }
}
