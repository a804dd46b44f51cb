//! `igfeed status` (in progress).

use crate::config::Settings;

/// Prints the state of the token and the feed.
pub fn run(_settings: &Settings, _url: Option<url::Url>) -> anyhow::Result<()> {
    anyhow::bail!("igfeed status is not available yet")
}
