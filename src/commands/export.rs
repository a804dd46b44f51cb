//! `igfeed export`: the /feed.json document for static-site builds.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::TimeDelta;

use crate::accounts::layout::find_stored;
use crate::clock;
use crate::config::Settings;
use crate::credentials::CredentialStore;
use crate::feed::document::{self, PageRequest};
use crate::feed::domain::Snapshot;
use crate::feed::fetch_snapshot;
use crate::feed::service::SNAPSHOT_FILE;
use crate::storage::{StateDir, write_file_atomically};

/// The exported document is public: readable by the web server that publishes it.
const PUBLIC_FILE_MODE: u32 = 0o644;

/// Writes every kept post of feed `feed` (the default feed without it), fetched now with the
/// stored token or, with `offline`, taken from the last snapshot igfeed stored.
pub fn run(
    settings: &Settings,
    feed: Option<&str>,
    out: Option<PathBuf>,
    offline: bool,
) -> anyhow::Result<()> {
    let root = StateDir::open(&settings.storage)?;
    let Some(stored) = find_stored(&root, feed)? else {
        match feed {
            Some(name) => bail!("no feed is called `{name}`: `igfeed status` lists the feeds"),
            None if offline => bail!(
                "no stored feed yet: connect an account and run igfeed until it has fetched the feed once"
            ),
            None => bail!(
                "no Instagram account is connected: connect one in /admin or with `igfeed token import`"
            ),
        }
    };
    let dir = stored.dir;
    let clock = clock::system();
    let (snapshot, stale) = if offline {
        let snapshot: Snapshot = dir
            .read(SNAPSHOT_FILE)?
            .context("no stored feed yet: run igfeed until it has fetched the feed once, or export without --offline")?;
        let age = clock.now() - snapshot.fetched_at;
        let limit =
            TimeDelta::from_std(settings.feed.refresh_interval * 2).unwrap_or(TimeDelta::MAX);
        (snapshot, age > limit)
    } else {
        (fetch(settings, dir, stored.id.as_deref())?, false)
    };
    let page = PageRequest {
        limit: Some(snapshot.feed.posts.len()),
        after: None,
    };
    let json = document::render(
        &snapshot,
        &crate::feed::display::Display::default(),
        &page,
        stale,
    );
    match out {
        // A build script reading the file never sees half of it; a web server may read it.
        Some(path) => write_file_atomically(&path, &json, PUBLIC_FILE_MODE)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout()
            .write_all(&json)
            .context("cannot write to stdout")?,
    }
    Ok(())
}

fn fetch(settings: &Settings, dir: StateDir, id: Option<&str>) -> anyhow::Result<Snapshot> {
    let store = CredentialStore::open(dir)?;
    let Some(credentials) = store.current() else {
        bail!(
            "no Instagram account is connected: connect one in /admin or with `igfeed token import`"
        );
    };
    if !credentials.is_active() {
        bail!(
            "Instagram access must be renewed: open /admin and click Reconnect (or use --offline)"
        );
    }
    let client = super::instagram_client(settings)?;
    let runtime = super::runtime()?;
    // Image links point at igfeed's /media/… like the live feed's (sizes unknown here).
    let links =
        crate::media::MediaLinks::new(&settings.media, &settings.public_url(settings.server.port));
    let links = match id {
        Some(id) => links.for_account(id),
        None => links,
    };
    runtime
        .block_on(fetch_snapshot(
            &client,
            &credentials.access_token,
            settings.feed.max_posts,
            &links,
            &clock::system(),
        ))
        .map_err(|e| anyhow::anyhow!("{e} (try --offline for the last stored feed)"))
}
