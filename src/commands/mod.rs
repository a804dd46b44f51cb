//! The work behind each subcommand, kept out of `main.rs` so it stays a thin shell.

pub mod demo;
pub mod export;
pub mod healthcheck;
pub mod sandbox;
pub mod serve;
pub mod status;
pub mod token;

/// A runtime for commands that make a few async calls and exit.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The Instagram client as `serve` would build it.
pub(crate) fn instagram_client(
    settings: &crate::config::Settings,
) -> anyhow::Result<crate::instagram::InstagramClient> {
    Ok(crate::instagram::InstagramClient::from_settings(
        &settings.instagram,
        settings.redirect_uri(settings.server.port),
    )?)
}
