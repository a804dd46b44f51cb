//! [`AdminSession`]: the extractor every admin handler takes to require a logged-in owner.

use std::future::{Ready, ready};

use actix_session::{Session, SessionExt as _};
use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::{Method, StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{LOGIN_PATH, codes, pages};
use crate::auth::random_hex;
use crate::web::WebError;
use crate::web::{AppState, app_state};
use igfeed_base::secret::secure_eq;

/// Key of the claims inside the session cookie.
const CLAIMS: &str = "admin";

/// What the encrypted cookie carries for a logged-in admin.
#[derive(Serialize, Deserialize)]
struct Claims {
    admin: bool,
    /// Random id (128 bits, hex) that binds OAuth states to this login and lets logout end it.
    sid: String,
    /// Random token (128 bits, hex) every admin POST form must echo.
    csrf: String,
    /// Absolute end of the session by igfeed's clock, whatever the browser does.
    expires: DateTime<Utc>,
}

/// A logged-in admin. As an extractor it answers requests without one itself: with the
/// setup page when no admin secret is configured, else a GET or HEAD with a redirect to the
/// login page and any other method with 403 (a form POST cannot be replayed after login).
pub struct AdminSession {
    /// This login's id (≥128 random bits, hex).
    pub sid: String,
    /// The CSRF token to put in every POST form as `csrf_token`.
    pub csrf_token: String,
}

impl AdminSession {
    /// Checks the `csrf_token` a POST form submitted, in constant time.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), WebError> {
        if !submitted.is_empty() && secure_eq(submitted.as_bytes(), self.csrf_token.as_bytes()) {
            return Ok(());
        }
        Err(WebError::client(
            StatusCode::FORBIDDEN,
            codes::CSRF_FAILED,
            "the form expired; reload the page",
        ))
    }

    /// Starts a session after a correct password: a new cookie id (so a session id planted
    /// before login is worthless), fresh sid and CSRF token, and an absolute expiry.
    pub(crate) async fn start(session: &Session, state: &AppState) -> Result<Self, WebError> {
        let now = state.clock.now();
        let lifetime = TimeDelta::from_std(state.admin.lifetime).unwrap_or(TimeDelta::hours(12));
        let claims = Claims {
            admin: true,
            sid: random_hex(16),
            csrf: random_hex(16),
            expires: now + lifetime,
        };
        state
            .admin
            .sessions
            .insert(&claims.sid, claims.expires, now)
            .await;
        session.renew();
        session
            .insert(CLAIMS, &claims)
            .map_err(|e| WebError::Unexpected(anyhow::anyhow!("cannot store the session: {e}")))?;
        Ok(Self {
            sid: claims.sid,
            csrf_token: claims.csrf,
        })
    }

    /// Ends this login: on the server, so the cookie is worthless even if kept, and in the
    /// browser.
    pub(crate) async fn end(self, session: &Session, state: &AppState) {
        state.admin.sessions.remove(&self.sid).await;
        session.purge();
    }

    /// The logged-in admin of `req`, if any; clears a cookie that is no longer valid.
    pub(crate) fn current(req: &HttpRequest, state: &AppState) -> Option<Self> {
        let session = req.get_session();
        let claims = match session.get::<Claims>(CLAIMS) {
            Ok(Some(claims)) => claims,
            Ok(None) => return None,
            Err(_) => {
                session.purge();
                return None;
            }
        };
        let now = state.clock.now();
        if !claims.admin || now >= claims.expires || !state.admin.sessions.is_live(&claims.sid, now)
        {
            session.purge();
            return None;
        }
        Some(Self {
            sid: claims.sid,
            csrf_token: claims.csrf,
        })
    }
}

impl FromRequest for AdminSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = match app_state(req) {
            Ok(state) => state,
            Err(error) => return ready(Err(error)),
        };
        if !state.admin.is_configured() {
            return ready(Err(InternalError::from_response(
                "no admin secret configured",
                pages::setup(),
            )
            .into()));
        }
        if let Some(admin) = Self::current(req, state) {
            return ready(Ok(admin));
        }
        let refusal = if matches!(*req.method(), Method::GET | Method::HEAD) {
            InternalError::from_response(
                "login required",
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, LOGIN_PATH))
                    .finish(),
            )
            .into()
        } else {
            WebError::client(StatusCode::FORBIDDEN, codes::LOGIN_REQUIRED, "log in first").into()
        };
        ready(Err(refusal))
    }
}
