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

/// A client for asking an igfeed server about itself. A server on this machine is reached
/// directly: a proxy from the environment (Docker copies `HTTP_PROXY` into containers)
/// cannot reach the caller's loopback, so a health probe sent through it would fail.
pub(crate) fn probe_client(
    url: &url::Url,
    timeout: std::time::Duration,
) -> anyhow::Result<reqwest::Client> {
    use anyhow::Context;
    let local = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    let builder = reqwest::Client::builder().timeout(timeout);
    let builder = if local { builder.no_proxy() } else { builder };
    builder.build().context("cannot build the HTTP client")
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
