//! Builds the running application from settings: binds the listener (port 0 in tests), wires
//! shared state and returns a server the caller drives.

use std::net::TcpListener;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::instagram::InstagramClient;
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
}

/// A bound, not yet running igfeed server.
pub struct Application {
    port: u16,
    public_url: url::Url,
    server: Server,
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
        Self::build_on(listener, settings, clock)
    }

    /// Builds the server on an already bound listener.
    pub fn build_on(
        listener: TcpListener,
        settings: Settings,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let port = listener
            .local_addr()
            .context("listener has no address")?
            .port();
        let public_url = settings.public_url(port);
        let instagram =
            InstagramClient::from_settings(&settings.instagram, settings.redirect_uri(port))?;
        let shutdown_timeout = settings.server.shutdown_timeout.as_secs().max(1);
        let state = web::Data::new(AppState {
            settings,
            instagram,
            clock,
            public_url: public_url.clone(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(log_requests))
                .app_data(state.clone())
                .configure(crate::web::configure)
        })
        .shutdown_timeout(shutdown_timeout)
        .listen(listener)
        .context("cannot start the HTTP server")?
        .run();
        Ok(Self {
            port,
            public_url,
            server,
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

    /// A handle to stop the server gracefully (SIGTERM/SIGINT do the same).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped; returns once in-flight requests have finished.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(public_url = %self.public_url, "igfeed is serving");
        self.server.await
    }
}
