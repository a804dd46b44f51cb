//! The upstream client: everything igfeed says to Instagram goes through [`InstagramClient`].
//!
//! One `reqwest::Client` with timeouts, built once; no redirects followed (Instagram's API
//! never redirects, and a redirect could carry a token elsewhere); tokens sent in the
//! `Authorization` header wherever Instagram accepts it.

mod error;
mod graph;
mod oauth;
mod retry;
mod transport;
pub mod wire;

use std::time::Duration;

use secrecy::SecretString;

pub use error::{ApiError, MAX_RATE_LIMIT_WAIT};
pub use oauth::authorization_code;
pub use retry::RetryPolicy;
pub use wire::{Media, MediaType, Profile};

use crate::config::InstagramSettings;
use transport::Transport;

/// The longest token lifetime igfeed believes. Instagram's long-lived tokens live 60 days;
/// a larger `expires_in` is not true, and one no date can hold once panicked the token keeper
/// right after Instagram had replaced the token, losing the new value.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// The read scope of the Instagram API with Instagram Login.
pub const SCOPE: &str = "instagram_business_basic";

/// A token Instagram handed out, with what it said about it.
#[derive(Debug)]
pub struct IssuedToken {
    /// The token itself.
    pub access_token: SecretString,
    /// The professional account id, when Instagram named it.
    pub user_id: Option<String>,
    /// Granted permissions, when Instagram listed them.
    pub permissions: Vec<String>,
    /// Remaining lifetime, when Instagram said (long-lived tokens: about 60 days).
    pub expires_in: Option<Duration>,
}

/// The app's identity towards Instagram; needed only for the OAuth steps.
#[derive(Debug, Clone)]
struct AppCredentials {
    app_id: String,
    app_secret: SecretString,
    redirect_uri: url::Url,
}

/// Where each Instagram endpoint lives (all configurable so tests can use the sandbox).
#[derive(Debug, Clone)]
struct Endpoints {
    authorize_url: url::Url,
    api_base: url::Url,
    graph_base: url::Url,
    graph_version: String,
}

/// Why the client could not be built; names the setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum ClientBuildError {
    /// `instagram.extra_ca_file` could not be read or parsed.
    #[error("invalid setting `instagram.extra_ca_file`: {0}")]
    ExtraCa(String),
    /// reqwest refused the configuration.
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

/// Talks to Instagram's OAuth and Graph endpoints.
#[derive(Debug, Clone)]
pub struct InstagramClient {
    transport: Transport,
    endpoints: Endpoints,
    app: Option<AppCredentials>,
}

impl InstagramClient {
    /// Builds the client from settings; `redirect_uri` is the resolved callback URL.
    pub fn from_settings(
        settings: &InstagramSettings,
        redirect_uri: url::Url,
    ) -> Result<Self, ClientBuildError> {
        let builder = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("igfeed/", env!("CARGO_PKG_VERSION")));
        let http = with_extra_ca(builder, settings)?
            .build()
            .map_err(|e| ClientBuildError::Http(e.without_url().to_string()))?;
        let app = match (&settings.app_id, &settings.app_secret) {
            (Some(app_id), Some(app_secret)) => Some(AppCredentials {
                app_id: app_id.clone(),
                app_secret: app_secret.clone(),
                redirect_uri,
            }),
            _ => None,
        };
        Ok(Self {
            transport: Transport {
                http,
                retry: RetryPolicy {
                    attempts: settings.retry_attempts,
                    base_delay: settings.retry_base_delay,
                    max_delay: settings.retry_max_delay,
                },
                metrics: None,
            },
            endpoints: Endpoints {
                authorize_url: settings.authorize_url.clone(),
                api_base: settings.api_base.clone(),
                graph_base: settings.graph_base.clone(),
                graph_version: settings.graph_version.clone(),
            },
            app,
        })
    }

    /// Counts every call attempt into `metrics` (per application, so tests stay apart).
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.transport.metrics = Some(metrics);
        self
    }

    /// Whether the app id and secret are configured (needed to connect an account).
    pub fn can_authorize(&self) -> bool {
        self.app.is_some()
    }

    fn app(&self) -> Result<&AppCredentials, ApiError> {
        self.app.as_ref().ok_or_else(|| ApiError::AppCredentials {
            message: "instagram.app_id and instagram.app_secret are not configured".into(),
        })
    }
}

/// The HTTP client for Instagram's CDN (`media`): a separate client so it can never send the
/// Graph token, without redirects (igfeed downloads only from `media.allowed_hosts`), and
/// without a whole-request timeout so a video can stream; image downloads set their own.
pub fn cdn_http_client(settings: &InstagramSettings) -> Result<reqwest::Client, ClientBuildError> {
    let builder = reqwest::Client::builder()
        .connect_timeout(settings.connect_timeout)
        .read_timeout(settings.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .user_agent(concat!("igfeed/", env!("CARGO_PKG_VERSION")));
    with_extra_ca(builder, settings)?
        .build()
        .map_err(|e| ClientBuildError::Http(e.without_url().to_string()))
}

/// Trusts `instagram.extra_ca_file` too (a TLS-intercepting proxy, or the sandbox).
fn with_extra_ca(
    mut builder: reqwest::ClientBuilder,
    settings: &InstagramSettings,
) -> Result<reqwest::ClientBuilder, ClientBuildError> {
    if let Some(path) = &settings.extra_ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| ClientBuildError::ExtraCa(format!("{}: {e}", path.display())))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| ClientBuildError::ExtraCa(format!("{}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(ClientBuildError::ExtraCa(format!(
                "{}: no PEM certificate found",
                path.display()
            )));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder)
}

/// `base` with `segments` appended as path segments (escaped, never interpreted).
fn join(base: &url::Url, segments: &[&str]) -> url::Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}
