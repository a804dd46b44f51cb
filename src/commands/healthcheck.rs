//! `igfeed healthcheck`: a container HEALTHCHECK without curl in the image.

use std::time::Duration;

use anyhow::{Context, bail};

use crate::config::Settings;

/// How long the check waits; a healthy igfeed answers in milliseconds.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Exits successfully when `/healthz` on the local server (or `url`) answers 200.
pub fn run(settings: &Settings, url: Option<url::Url>) -> anyhow::Result<()> {
    let url = match url {
        Some(url) => url,
        None => local_health_url(settings)?,
    };
    let runtime = super::runtime()?;
    runtime.block_on(async move {
        let client = super::probe_client(&url, TIMEOUT)?;
        let response = client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{url} did not answer: {}", e.without_url()))?;
        if !response.status().is_success() {
            bail!("{url} answered {}", response.status());
        }
        println!("ok: {url}");
        Ok(())
    })
}

/// The server's own loopback address: a wildcard bind address is not a place to connect to.
pub(crate) fn local_health_url(settings: &Settings) -> anyhow::Result<url::Url> {
    let host = match settings.server.host.as_str() {
        "0.0.0.0" | "" => "127.0.0.1".to_owned(),
        "::" | "[::]" => "[::1]".to_owned(),
        h if h.contains(':') && !h.starts_with('[') => format!("[{h}]"),
        h => h.to_owned(),
    };
    let raw = format!("http://{host}:{}/healthz", settings.server.port);
    url::Url::parse(&raw).with_context(|| format!("cannot build a health URL from {raw}"))
}
