//! Wiring only: [`Application::build`] opens the services from settings ([`open_services`]:
//! the state directory and its lock, the token, the admin access, the Instagram client, the
//! feed, media and alerts), starts the background tasks and serves the routes on a bound
//! listener (port 0 in tests). What each piece does lives in its own module.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::accounts::{AccountRegistry, Services};
use crate::alerts::Alerts;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::instagram::InstagramClient;
use crate::media::MediaPools;
use crate::meta_callbacks::DeletionLog;
use crate::metrics::Metrics;
use crate::storage::{DirLock, StateDir};
use crate::tasks::Tasks;
use crate::tasks::accounts::Loops;
use crate::tasks::replicas;
use crate::tasks::supervisor::{TaskHealth, TaskName};
use crate::tasks::token_import::{self, Import};
use crate::web::AppState;
use crate::web::admin::AdminAccess;
use crate::web::api::ApiAccess;
use crate::web::limits::enforce_request_limits;
use crate::web::oauth::pending::PendingAuthorizations;
use crate::web::request_log::log_requests;

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
        let (state, lock) = open_services(settings, clock, port).await?;
        let state = web::Data::new(state);
        let tasks = start_tasks(&state);
        let server = serve(listener, state.clone())?;
        Ok(Self {
            port,
            public_url: state.public_url.clone(),
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

/// Opens every service igfeed runs on, for a server on `port`, and the state directory's lock
/// (held for as long as the services run, so no second process writes the same files).
pub async fn open_services(
    settings: Settings,
    clock: SharedClock,
    port: u16,
) -> anyhow::Result<(AppState, DirLock)> {
    let public_url = settings.public_url(port);
    let dir = StateDir::open_serving(&settings.storage)?;
    let lock = dir.lock()?;
    let admin = AdminAccess::open(&settings, &public_url, dir.clone())?;
    let trusted_proxies = crate::net::parse_trusted_proxies(&settings.server.trusted_proxies)
        .map_err(|problem| {
            anyhow::anyhow!("invalid setting `server.trusted_proxies`: {problem}")
        })?;
    let metrics = Metrics::new();
    let instagram =
        InstagramClient::from_settings(&settings.instagram, settings.redirect_uri(port))?
            .with_metrics(metrics.clone());
    let accounts = AccountRegistry::open(
        dir.clone(),
        Services {
            settings: std::sync::Arc::new(settings.clone()),
            instagram: instagram.clone(),
            clock: clock.clone(),
            public_url: public_url.clone(),
            media_pools: MediaPools::new(&settings)?,
        },
    )
    .await?;
    let feeds = crate::feeds::Feeds::open(dir.clone(), accounts.clone(), settings.feed.max_posts)?;
    let deletions = DeletionLog::open(dir.clone());
    let alerts = Alerts::new(
        settings.alerts.webhook_url.clone(),
        accounts.clone(),
        clock.clone(),
        dir.clone(),
        public_url.clone(),
    )?;
    let hooks = crate::hooks::RebuildHooks::new(
        feeds.clone(),
        clock.clone(),
        dir.clone(),
        &settings.hooks,
    )?;
    let task_health = TaskHealth::new(metrics.clone(), clock.clone());
    let api = ApiAccess::new(
        settings.admin.api_token.clone(),
        settings.admin.login_attempts_per_minute,
    );
    let state = AppState {
        feed_cache_control: crate::web::feed_cache_control(&settings),
        settings,
        instagram,
        clock,
        public_url,
        admin,
        api,
        trusted_proxies,
        accounts,
        feeds,
        deletions,
        meta_replays: Default::default(),
        alerts,
        hooks,
        metrics,
        task_health,
        pending_authorizations: PendingAuthorizations::new(&dir),
        // Alone on files, this process holds the lease from the start; a replica waits.
        refresher_lease: tokio::sync::watch::channel(!dir.is_shared()).0,
    };
    Ok((state, lock))
}

/// Serves the routes on `listener` with the request log, the request limits and the JSON
/// error shape around them.
fn serve(listener: TcpListener, state: web::Data<AppState>) -> anyhow::Result<Server> {
    let shutdown_timeout = state.settings.server.shutdown_timeout.as_secs().max(1);
    let (workers, per_worker) = connection_limits(state.settings.server.max_connections);
    let routes = crate::web::configure(&state.settings, state.admin.session_cookie());
    let server = HttpServer::new(move || {
        App::new()
            .wrap(crate::web::error::json_for_bare_client_errors())
            .wrap(from_fn(enforce_request_limits))
            .wrap(from_fn(log_requests))
            .app_data(state.clone())
            .configure(routes.clone())
    })
    .workers(workers)
    .max_connections(per_worker)
    .shutdown_timeout(shutdown_timeout)
    .listen(listener)
    .context("cannot start the HTTP server")?
    .run();
    Ok(server)
}

/// Worker threads and connections per worker for `server.max_connections` in all: actix's
/// limit is per worker (each stops accepting when full, and the listener pauses once all
/// are), so the total is split, rounded up. There are never more workers than connections,
/// or a small limit would be multiplied by the core count.
fn connection_limits(max_connections: usize) -> (usize, usize) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cores.min(max_connections).max(1);
    (workers, max_connections.div_ceil(workers))
}

/// Starts the background tasks, each supervised: a panic restarts it (see
/// [`crate::tasks::supervisor`]). Each account's refresher and token keeper are started by
/// the `accounts` task, as accounts come and go.
fn start_tasks(state: &web::Data<AppState>) -> Tasks {
    let mut tasks = Tasks::new(state.task_health.clone());
    let settings = &state.settings;
    if let Some(token) = settings.instagram.access_token.clone()
        && state.accounts.accounts().is_empty()
    {
        let import = Import {
            instagram: state.instagram.clone(),
            accounts: state.accounts.clone(),
            clock: state.clock.clone(),
            token,
            retry: settings.token.check_interval.min(Duration::from_secs(60)),
        };
        tasks.spawn(TaskName::TokenImport, move || {
            token_import::import_configured(import.clone())
        });
    } else if settings.instagram.access_token.is_some() {
        tracing::info!("an account is already connected; instagram.access_token is ignored");
    }
    let storage = state.accounts.storage().clone();
    let (leader, is_leader) = (
        state.refresher_lease.clone(),
        state.refresher_lease.subscribe(),
    );
    let leader_view = is_leader.clone();
    let ttl = settings.storage.lease_ttl;
    let (lease_storage, lease_leader) = (storage.clone(), leader);
    tasks.spawn(TaskName::RefresherLease, move || {
        replicas::hold_lease(lease_storage.clone(), ttl, lease_leader.clone())
    });
    if let Some(changes) = storage.changes() {
        let (accounts, feeds) = (state.accounts.clone(), state.feeds.clone());
        let (sessions, follow_leader) = (state.admin.sessions.clone(), leader_view.clone());
        let hooks = state.hooks.clone();
        tasks.spawn(TaskName::ReplicaFollow, move || {
            replicas::follow(
                accounts.clone(),
                feeds.clone(),
                sessions.clone(),
                hooks.clone(),
                follow_leader.clone(),
                changes.resubscribe(),
            )
        });
        let (accounts, renew_leader) = (state.accounts.clone(), leader_view.clone());
        tasks.spawn(TaskName::RenewalForwarding, move || {
            replicas::forward_renewals(accounts.clone(), renew_leader.clone())
        });
    }
    let loops = Loops {
        accounts: state.accounts.clone(),
        health: state.task_health.clone(),
        refresh_interval: settings.feed.refresh_interval,
        check_interval: settings.token.check_interval,
        clock: state.clock.clone(),
        leader: is_leader,
    };
    tasks.spawn(TaskName::Accounts, move || {
        crate::tasks::accounts::run(loops.clone())
    });
    let (feeds, hooks, views_leader) = (
        state.feeds.clone(),
        state.hooks.clone(),
        leader_view.clone(),
    );
    tasks.spawn(TaskName::FeedViews, move || {
        crate::tasks::feed_views::run(feeds.clone(), hooks.clone(), views_leader.clone())
    });
    // Work one replica does: the lease holder's.
    let (hooks, hooks_leader) = (state.hooks.clone(), leader_view.clone());
    tasks.spawn(TaskName::FeedHooks, move || {
        let hooks = hooks.clone();
        replicas::while_leading(hooks_leader.clone(), move || hooks.clone().run())
    });
    if state.alerts.has_webhook() {
        let (alerts, interval) = (state.alerts.clone(), settings.alerts.check_interval);
        let alerts_leader = leader_view.clone();
        tasks.spawn(TaskName::Alerts, move || {
            let alerts = alerts.clone();
            replicas::while_leading(alerts_leader.clone(), move || alerts.clone().run(interval))
        });
    }
    tasks
}
