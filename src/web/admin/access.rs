//! [`AdminAccess`]: everything admin login needs, built once at startup.

use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession, TtlExtensionPolicy};
use actix_session::storage::CookieSessionStore;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, Key, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, SET_COOKIE};
use actix_web::middleware::Next;
use actix_web::web;
use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngExt as _;
use serde::{Deserialize, Serialize};

use super::headers::content_security_policy;
use crate::auth::{AdminSecret, DeviceCookies, LoginThrottle, SessionRegistry};
use crate::config::Settings;
use crate::storage::StateDir;
use crate::web::AppState;

/// Name of the admin session cookie.
pub const COOKIE_NAME: &str = "igfeed_admin";
/// Name of the known-device cookie (see `auth::device`), sent only to the login form.
pub const DEVICE_COOKIE_NAME: &str = "igfeed_device";
/// How long a browser stays a known device after its last login (400 days is the longest
/// browsers keep a cookie).
const DEVICE_COOKIE_DAYS: i64 = 400;
/// File in the state directory holding the cookie key.
const KEY_FILE: &str = "session-key.json";
/// Bytes of the cookie master key (signing and encryption keys are derived from it).
const KEY_LEN: usize = 64;

/// The admin secret, the session cookie's key and settings, live sessions and the login
/// throttle.
pub struct AdminAccess {
    pub(crate) secret: AdminSecret,
    pub(crate) sessions: SessionRegistry,
    pub(crate) throttle: LoginThrottle,
    pub(crate) devices: DeviceCookies,
    pub(crate) lifetime: Duration,
    pub(crate) csp: String,
    cookie: SessionCookie,
}

/// What the session cookie layer is built from. The layer itself holds an `Rc` and is built
/// once per server worker; this is what crosses into the workers.
#[derive(Clone)]
pub struct SessionCookie {
    key: Key,
    lifetime: Duration,
    secure: bool,
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    /// Base64 of [`KEY_LEN`] random bytes.
    key: String,
}

impl AdminAccess {
    /// Reads (or creates and stores) the cookie key and the live sessions from `dir`.
    pub fn open(settings: &Settings, public_url: &url::Url, dir: StateDir) -> anyhow::Result<Self> {
        let key = load_or_create_key(&dir)?;
        Ok(Self {
            secret: AdminSecret::new(
                settings.admin.password.as_ref(),
                settings.admin.password_hash.as_ref(),
            ),
            sessions: SessionRegistry::load(dir),
            throttle: LoginThrottle::new(settings.admin.login_attempts_per_minute),
            devices: DeviceCookies::new(key.signing()),
            lifetime: settings.admin.session_lifetime,
            csp: content_security_policy(&settings.instagram.authorize_url),
            cookie: SessionCookie {
                key,
                lifetime: settings.admin.session_lifetime,
                secure: public_url.scheme() == "https",
            },
        })
    }

    /// Whether an admin secret is configured; without one, `/admin` only explains how to
    /// set it.
    pub fn is_configured(&self) -> bool {
        self.secret.is_set()
    }

    /// The known-device cookie for a browser that just logged in: `device` again (its expiry
    /// renewed) if it had a valid one, else a new device. HttpOnly, SameSite=Strict, sent
    /// only to the login form, Secure like the session cookie (also when a trusted proxy says
    /// https: [`secure_behind_https_proxy`]).
    pub(crate) fn device_cookie(&self, known: Option<String>) -> Cookie<'static> {
        let value = known.unwrap_or_else(|| self.devices.issue());
        Cookie::build(DEVICE_COOKIE_NAME, value)
            .path(super::LOGIN_PATH)
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.cookie.secure)
            .max_age(actix_web::cookie::time::Duration::days(DEVICE_COOKIE_DAYS))
            .finish()
    }

    /// Whether every session cookie is `Secure` already (`server.public_url` is https).
    pub(crate) fn cookie_always_secure(&self) -> bool {
        self.cookie.secure
    }

    /// The session cookie's key and settings, for [`SessionCookie::middleware`].
    pub fn session_cookie(&self) -> SessionCookie {
        self.cookie.clone()
    }
}

impl SessionCookie {
    /// The session cookie layer: encrypted and signed, HttpOnly, SameSite=Lax, Secure when
    /// `server.public_url` is https (and, per request, behind a trusted TLS-terminating proxy:
    /// [`secure_behind_https_proxy`]), and kept by the browser for `admin.session_lifetime`.
    /// The lifetime is also enforced on the server (see `session.rs`): a browser's max-age
    /// is only advice to the browser, not to someone who copied the cookie.
    ///
    /// Only the routes that take an [`AdminSession`](super::AdminSession) are wrapped in it
    /// (see [`admin_resource`](super::admin_resource)): visitors' requests never pay for
    /// cookie parsing and decryption.
    pub fn middleware(&self) -> SessionMiddleware<CookieSessionStore> {
        let ttl = actix_web::cookie::time::Duration::try_from(self.lifetime)
            .unwrap_or(actix_web::cookie::time::Duration::DAY);
        SessionMiddleware::builder(CookieSessionStore::default(), self.key.clone())
            .cookie_name(COOKIE_NAME.to_owned())
            .cookie_path("/".to_owned())
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_secure(self.secure)
            .cookie_content_security(CookieContentSecurity::Private)
            .session_lifecycle(
                PersistentSession::default()
                    .session_ttl(ttl)
                    .session_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
            )
            .build()
    }
}

/// Marks the session cookie `Secure` on responses to requests a trusted proxy says arrived
/// over https (see [`crate::web::client_ip::forwarded_https`]), when `server.public_url` did
/// not already make it so. An operator who puts igfeed behind a TLS proxy but leaves
/// `public_url` at its http default would otherwise hand out a cookie the browser may later
/// send over plain http. Wraps the session layer (see `admin_resource`), whose cookie
/// settings are fixed when it is built, so it can only add the attribute afterwards.
pub async fn secure_behind_https_proxy(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let upgrade = req.app_data::<web::Data<AppState>>().is_some_and(|state| {
        !state.admin.cookie_always_secure()
            && crate::web::client_ip::forwarded_https(req.request(), &state.trusted_proxies)
    });
    let mut response = next.call(req).await?;
    if upgrade {
        let headers = response.headers_mut();
        let cookies: Vec<HeaderValue> = headers.get_all(SET_COOKIE).cloned().collect();
        headers.remove(SET_COOKIE);
        for cookie in cookies {
            headers.append(SET_COOKIE, made_secure(cookie));
        }
    }
    Ok(response)
}

/// `value` with `; Secure` added when it sets the session or the known-device cookie without
/// it; any other header is returned untouched.
fn made_secure(value: HeaderValue) -> HeaderValue {
    let Ok(text) = value.to_str() else {
        return value;
    };
    match Cookie::parse(text) {
        Ok(cookie)
            if matches!(cookie.name(), COOKIE_NAME | DEVICE_COOKIE_NAME)
                && cookie.secure() != Some(true) =>
        {
            HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(value)
        }
        _ => value,
    }
}

/// The key persisted in the state directory, so a restart does not log the owner out; a
/// fresh one when there is none or it cannot be read (which only logs the owner out).
fn load_or_create_key(dir: &StateDir) -> anyhow::Result<Key> {
    match dir.read::<StoredKey>(KEY_FILE) {
        Ok(Some(stored)) => match STANDARD.decode(stored.key.as_bytes()) {
            Ok(bytes) if bytes.len() == KEY_LEN => {
                let key = Key::try_from(bytes.as_slice());
                if let Ok(key) = key {
                    return Ok(key);
                }
                tracing::warn!("session key unusable; admins must log in again");
            }
            _ => tracing::warn!("session key malformed; admins must log in again"),
        },
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "session key unreadable; admins must log in again"),
    }
    let mut bytes = zeroize::Zeroizing::new([0u8; KEY_LEN]);
    rand::rng().fill(&mut bytes[..]);
    let stored = StoredKey {
        key: STANDARD.encode(bytes.as_slice()),
    };
    if dir.is_shared() {
        // Replicas starting together: the first key stored is everyone's, or a session
        // signed on one replica would be refused by the others.
        let written = dir
            .write_if(KEY_FILE, &stored, &crate::storage::Stamp::ABSENT)
            .context("cannot store the admin session key")?;
        if written.is_none()
            && let Some(theirs) = dir
                .read::<StoredKey>(KEY_FILE)
                .context("cannot read the admin session key")?
            && let Ok(decoded) = STANDARD.decode(theirs.key.as_bytes())
        {
            return Key::try_from(decoded.as_slice())
                .context("cannot derive the admin session key");
        }
    } else {
        dir.write(KEY_FILE, &stored)
            .context("cannot store the admin session key")?;
    }
    Key::try_from(bytes.as_slice()).context("cannot derive the admin session key")
}
