//! `igfeed export`: the /feed.json document for static-site builds.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::TimeDelta;

use crate::clock;
use crate::config::Settings;
use crate::credentials::CredentialStore;
use crate::feed::document::{self, PageRequest};
use crate::feed::domain::Snapshot;
use crate::feed::mapping::map_feed;
use crate::feed::service::SNAPSHOT_FILE;
use crate::storage::StateDir;

/// Writes every kept post, fetched now with the stored token or, with `offline`, taken from
/// the last snapshot igfeed stored.
pub fn run(settings: &Settings, out: Option<PathBuf>, offline: bool) -> anyhow::Result<()> {
    let dir = StateDir::open(&settings.storage)?;
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
        (fetch(settings, dir)?, false)
    };
    let page = PageRequest {
        limit: Some(snapshot.feed.posts.len()),
        after: None,
    };
    let json = document::render(&snapshot, &page, stale);
    match out {
        Some(path) => write_atomically(&path, &json)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout()
            .write_all(&json)
            .context("cannot write to stdout")?,
    }
    Ok(())
}

fn fetch(settings: &Settings, dir: StateDir) -> anyhow::Result<Snapshot> {
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
    runtime
        .block_on(async {
            let token = &credentials.access_token;
            let profile = client.profile(token).await?;
            let media = client.media(token, settings.feed.max_posts).await?;
            // Image links point at igfeed's /media/… like the live feed's (sizes unknown here).
            let links = crate::media::MediaLinks::new(
                &settings.media,
                &settings.public_url(settings.server.port),
            );
            Ok(links.snapshot(map_feed(profile, media), clock::system().now()))
        })
        .map_err(|e: crate::instagram::ApiError| {
            anyhow::anyhow!("{e} (try --offline for the last stored feed)")
        })
}

/// A build script reading the file never sees half of it.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the output path names no file"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".tmp-{}", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let mut file = std::fs::File::create(&temp)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(error) = written.and_then(|()| std::fs::rename(&temp, path)) {
        let _ = std::fs::remove_file(&temp);
        return Err(error);
    }
    Ok(())
}
