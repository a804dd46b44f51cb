//! Builds the running application from settings: opens and locks the state directory, loads
//! the token and the last good feed, starts the background tasks, binds the listener (port 0
//! in tests) and returns a server the caller drives.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use secrecy::ExposeSecret;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::connection::import_token;
use crate::credentials::CredentialStore;
use crate::feed::{FeedConfig, FeedService};
use crate::instagram::{ApiError, InstagramClient};
use crate::metrics::Metrics;
use crate::storage::{DirLock, StateDir};
use crate::tasks::Tasks;
use crate::tasks::feed_refresh::{self, RefreshTrigger};
use crate::tasks::token_refresh::TokenKeeper;
use crate::web::request_log::log_requests;

/// What every request handler may read; built once at startup.
pub struct AppState {
    /// Validated settings.
    pub settings: Settings,
    /// The one upstream client.
    pub instagram: InstagramClient,
    /// The process's clock.
    pub clock: SharedClock,
    /// Where visitors reach igfeed.
    pub public_url: url::Url,
    /// Admin login: secret, session cookie, live sessions, throttle.
    pub admin: crate::web::admin::AdminAccess,
    /// `server.trusted_proxies`, parsed once (see `web::client_ip`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The token and account ids.
    pub credentials: CredentialStore,
    /// The feed snapshot and its refreshes.
    pub feed: FeedService,
    /// Images served from igfeed's own origin (`/media/…`).
    pub media: crate::media::MediaService,
    /// Wakes the feed refresher early.
    pub refresh_trigger: RefreshTrigger,
    /// Keeps the token alive.
    pub token_keeper: TokenKeeper,
    /// Meta's data-deletion requests, for their status page.
    pub deletions: crate::meta_callbacks::DeletionLog,
    /// Conditions that need the owner: shown on the status page, sent to the webhook.
    pub alerts: crate::alerts::Alerts,
    /// `Cache-Control` of `/feed.json`, computed once.
    pub feed_cache_control: actix_web::http::header::HeaderValue,
    /// Authorizations the owner started and Instagram has not answered yet.
    pub pending_authorizations: crate::web::oauth::pending::PendingAuthorizations,
    /// This application's counters (per instance: tests run many apps in one process).
    pub metrics: Metrics,
}

/// A bound, not yet running igfeed server.
pub struct Application {
    port: u16,
    public_url: url::Url,
    server: Server,
    state: web::Data<AppState>,
    tasks: Tasks,
    _lock: DirLock,
}

impl Application {
    /// Binds `server.host:server.port` and builds the server.
    pub async fn build(settings: Settings, clock: SharedClock) -> anyhow::Result<Self> {
        let address = (settings.server.host.as_str(), settings.server.port);
        let listener = TcpListener::bind(address).with_context(|| {
            format!(
                "cannot listen on {}:{} (server.host / server.port)",
                settings.server.host, settings.server.port
            )
        })?;
        Self::build_on(listener, settings, clock).await
    }

    /// Builds the server on an already bound listener.
    pub async fn build_on(
        listener: TcpListener,
        settings: Settings,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let port = listener
            .local_addr()
            .context("listener has no address")?
            .port();
        let public_url = settings.public_url(port);
        let dir = StateDir::open(&settings.storage)?;
        let lock = dir.lock()?;
        let credentials = CredentialStore::open(dir.clone())?;
        let admin = crate::web::admin::AdminAccess::open(&settings, &public_url, dir.clone())?;
        let trusted_proxies = crate::net::parse_trusted_proxies(&settings.server.trusted_proxies)
            .map_err(|problem| {
            anyhow::anyhow!("invalid setting `server.trusted_proxies`: {problem}")
        })?;
        let metrics = Metrics::new();
        let instagram =
            InstagramClient::from_settings(&settings.instagram, settings.redirect_uri(port))?
                .with_metrics(metrics.clone());
        let links = crate::media::MediaLinks::new(&settings.media, &public_url);
        let feed = FeedService::new(
            instagram.clone(),
            credentials.clone(),
            dir.clone(),
            clock.clone(),
            FeedConfig {
                refresh_interval: settings.feed.refresh_interval,
                max_posts: settings.feed.max_posts,
            },
            links.clone(),
        );
        // The disk cache is indexed first, so the stored feed is served with known sizes.
        let media =
            crate::media::MediaService::open(&settings, links, feed.clone(), clock.clone()).await?;
        feed.load_stored().await;
        let token_keeper = TokenKeeper::new(
            instagram.clone(),
            credentials.clone(),
            clock.clone(),
            settings.token.refresh_after,
        );
        let deletions = crate::meta_callbacks::DeletionLog::open(dir.clone());
        let alerts = crate::alerts::Alerts::new(
            settings.alerts.webhook_url.clone(),
            credentials.clone(),
            feed.clone(),
            clock.clone(),
            dir,
            public_url.clone(),
        )?;
        let state = web::Data::new(AppState {
            feed_cache_control: cache_control(&settings),
            settings,
            instagram,
            clock,
            public_url: public_url.clone(),
            admin,
            trusted_proxies,
            credentials,
            feed,
            media,
            refresh_trigger: RefreshTrigger::default(),
            token_keeper,
            deletions,
            alerts,
            metrics,
            pending_authorizations: Default::default(),
        });
        let tasks = start_tasks(&state);
        let shutdown_timeout = state.settings.server.shutdown_timeout.as_secs().max(1);
        let routes = crate::web::configure(&state.settings, state.admin.session_cookie());
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(crate::web::error::json_for_bare_client_errors())
                .wrap(from_fn(log_requests))
                .app_data(app_state.clone())
                .configure(routes.clone())
        })
        .shutdown_timeout(shutdown_timeout)
        .listen(listener)
        .context("cannot start the HTTP server")?
        .run();
        Ok(Self {
            port,
            public_url,
            server,
            state,
            tasks,
            _lock: lock,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The origin visitors reach igfeed at.
    pub fn public_url(&self) -> &url::Url {
        &self.public_url
    }

    /// The shared state (tests inspect the token keeper and the feed through it).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// A handle to stop the server gracefully (SIGTERM/SIGINT do the same).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped; returns once in-flight requests have finished. Background tasks
    /// and the storage lock end with it.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(public_url = %self.public_url, "igfeed is serving");
        let result = self.server.await;
        drop(self.tasks);
        result
    }
}

/// `public, max-age=…, stale-while-revalidate=…`: caches may keep serving a copy while they
/// fetch the next, for as long as one refresh interval. (Only ASCII words and digits, so
/// always a valid header value.)
#[allow(clippy::expect_used)]
fn cache_control(settings: &Settings) -> actix_web::http::header::HeaderValue {
    let value = format!(
        "public, max-age={}, stale-while-revalidate={}",
        settings.feed.cache_max_age.as_secs(),
        settings.feed.refresh_interval.as_secs().max(1)
    );
    actix_web::http::header::HeaderValue::try_from(value).expect("ASCII is a valid header value")
}

fn start_tasks(state: &web::Data<AppState>) -> Tasks {
    let mut tasks = Tasks::default();
    let settings = &state.settings;
    if let Some(token) = settings.instagram.access_token.clone()
        && state.credentials.current().is_none()
    {
        let state = state.clone();
        tasks.spawn(async move { import_configured_token(&state, token).await });
    } else if settings.instagram.access_token.is_some() {
        tracing::info!("a token is already stored; instagram.access_token is ignored");
    }
    tasks.spawn(feed_refresh::run(
        state.feed.clone(),
        state.media.clone(),
        state.refresh_trigger.clone(),
        settings.feed.refresh_interval,
        state.clock.clone(),
    ));
    tasks.spawn(
        state
            .token_keeper
            .clone()
            .run(settings.token.check_interval),
    );
    if state.alerts.has_webhook() {
        tasks.spawn(state.alerts.clone().run(settings.alerts.check_interval));
    }
    tasks
}

/// Imports `instagram.access_token` on first start, retrying while Instagram is unreachable.
async fn import_configured_token(state: &AppState, token: secrecy::SecretString) {
    let retry = state
        .settings
        .token
        .check_interval
        .min(Duration::from_secs(60));
    loop {
        let attempt = import_token(
            &state.instagram,
            &state.credentials,
            &state.clock,
            secrecy::SecretString::from(token.expose_secret().to_owned()),
        )
        .await;
        match attempt {
            Ok(_) => {
                state.refresh_trigger.refresh_soon();
                return;
            }
            Err(crate::connection::ImportError::Rejected(error @ ApiError::Transient { .. })) => {
                tracing::warn!(%error, "cannot import instagram.access_token yet; retrying");
                tokio::time::sleep(retry).await;
            }
            // Instagram said how long to stay away; calling sooner only extends the limit.
            Err(crate::connection::ImportError::Rejected(
                error @ ApiError::RateLimited { retry_after, .. },
            )) => {
                tracing::warn!(%error, "cannot import instagram.access_token yet; retrying");
                tokio::time::sleep(retry_after.unwrap_or_default().max(retry)).await;
            }
            Err(error) => {
                tracing::error!(%error, "instagram.access_token was not imported");
                return;
            }
        }
    }
}
