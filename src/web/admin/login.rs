//! `GET/POST /admin/login` and `POST /admin/logout`.

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use super::access::DEVICE_COOKIE_NAME;
use super::pages;
use super::session::AdminSession;
use super::{HOME_PATH, LOGIN_PATH};
use crate::auth::shared_throttle;
use crate::storage::run_blocking;
use crate::web::AppState;
use crate::web::WebError;
use crate::web::client_ip::client_ip;

/// The login form.
#[derive(Deserialize)]
pub(crate) struct LoginForm {
    password: Option<SecretString>,
}

/// Any admin POST form: at least the CSRF token.
#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// `GET /admin/login`: the form, or straight to `/admin` when already logged in.
pub(crate) async fn form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if AdminSession::current(&req, &state).is_some() {
        return see_other(HOME_PATH);
    }
    pages::login(StatusCode::OK, None)
}

/// `POST /admin/login`: throttled first (a refused attempt never has its password checked,
/// so during a lockout even the right password is refused), then checked against the
/// admin secret; success starts a fresh session and lands on `/admin`.
pub(crate) async fn submit(
    req: HttpRequest,
    session: Session,
    form: web::Form<LoginForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let client = client_ip(&req, &state.trusted_proxies);
    let now = state.clock.now();
    let device = req.cookie(DEVICE_COOKIE_NAME).and_then(|cookie| {
        state
            .admin
            .devices
            .verify(cookie.value())
            .map(|id| (id, cookie))
    });
    let admitted = match &device {
        Some((id, _)) => state.admin.throttle.admit_device(id, now),
        None => state.admin.throttle.admit(client, now),
    };
    let attempt = match admitted {
        Ok(attempt) => attempt,
        Err(throttled) => {
            tracing::warn!(client = ?client, known_device = device.is_some(), "admin login throttled");
            return Ok(pages::throttled(throttled.retry_after));
        }
    };
    // With several replicas, the same limit over all of them.
    let storage = state.accounts.storage().clone();
    let subject = shared_throttle::subject(client, device.as_ref().map(|(id, _)| id));
    if storage.is_shared() {
        let (dir, who, limit) = (
            storage.clone(),
            subject.clone(),
            state.settings.admin.login_attempts_per_minute,
        );
        let known = device.is_some();
        let shared = run_blocking("the login throttle", move || {
            shared_throttle::admit(&dir, &who, known, limit, now)
        })
        .await;
        match shared {
            Ok(Ok(())) => {}
            Ok(Err(throttled)) => {
                tracing::warn!(client = ?client, known_device = device.is_some(), "admin login throttled (all replicas)");
                return Ok(pages::throttled(throttled.retry_after));
            }
            Err(error) => {
                tracing::warn!(%error, "cannot count the login attempt in Redis; this replica's throttle decides")
            }
        }
    }
    let candidate = form
        .into_inner()
        .password
        .unwrap_or_else(|| SecretString::from(""));
    if !state.admin.secret.verify(candidate).await {
        tracing::warn!(client = ?client, "admin login failed");
        return Ok(pages::login(
            StatusCode::UNAUTHORIZED,
            Some("That password is not right."),
        ));
    }
    state.admin.throttle.forgive(attempt);
    if storage.is_shared() {
        let forgiven = run_blocking("the login throttle", move || {
            shared_throttle::forgive(&storage, &subject, now)
        })
        .await;
        if let Err(error) = forgiven {
            tracing::warn!(%error, "could not clear the failed logins counted in Redis");
        }
    }
    AdminSession::start(&session, &state).await?;
    tracing::info!(client = ?client, known_device = device.is_some(), "admin logged in");
    let known = device.map(|(_, cookie)| cookie.value().to_owned());
    let mut response = see_other(HOME_PATH);
    response
        .add_cookie(&state.admin.device_cookie(known))
        .map_err(|e| WebError::Unexpected(anyhow::anyhow!("cannot set the device cookie: {e}")))?;
    Ok(response)
}

/// `POST /admin/logout`: ends the session on the server and in the browser.
pub(crate) async fn logout(
    admin: AdminSession,
    session: Session,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    admin.check_csrf(&form.csrf_token)?;
    admin.end(&session, &state).await;
    Ok(see_other(LOGIN_PATH))
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
