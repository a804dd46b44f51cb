//! `igfeed export`: the /feed.json document for static-site builds, and with `--with-media`
//! the images it names beside it ([`media`], written by [`files`]), so a site can be deployed
//! with its feed and never ask igfeed (or Instagram) at all.

mod files;
mod media;

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::TimeDelta;

use crate::accounts::layout::find_stored;
use crate::clock;
use crate::config::Settings;
use crate::credentials::CredentialStore;
use crate::feed::curate::{self, Source};
use crate::feed::definition::{self, Defaults, FeedDefinition};
use crate::feed::document::{self, PageRequest};
use crate::feed::domain::Snapshot;
use crate::feed::fetch_snapshot;
use crate::feed::service::SNAPSHOT_FILE;
use crate::storage::{StateDir, write_file_atomically};

/// The exported document is public: readable by the web server that publishes it.
const PUBLIC_FILE_MODE: u32 = 0o644;

/// What `igfeed export` was asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The feed (the default feed without it).
    pub feed: Option<String>,
    /// The file to write (stdout without it); with `with_media`, the directory.
    pub out: Option<PathBuf>,
    /// Take the stored snapshots (and, with `with_media`, only cached images).
    pub offline: bool,
    /// Write `feed.json` and every image it names under `out`.
    pub with_media: bool,
    /// With `with_media`: image URLs under this base instead of relative to the document.
    pub base_url: Option<String>,
}

/// Writes every post of feed `feed` (the default feed without it) as visitors get it (its
/// definition applied), fetched now with the stored tokens or, with `offline`, taken from
/// the last snapshots igfeed stored.
pub fn run(settings: &Settings, options: Options) -> anyhow::Result<()> {
    let Options {
        feed,
        out,
        offline,
        with_media,
        base_url,
    } = options;
    let feed = feed.as_deref();
    // Refused before asking Instagram for anything.
    let media_out = match (with_media, &out) {
        (false, _) => None,
        (true, None) => bail!("--with-media needs --out DIR: the directory to write into"),
        (true, Some(dir)) => Some((
            files::check_out_dir(dir)?,
            media::url_prefix(base_url.as_deref())?,
        )),
    };
    let root = StateDir::open(&settings.storage)?;
    let owners = match feed {
        // A feed the owner defined (not an account's own): its accounts, in its order.
        Some(name) if find_stored(&root, Some(name))?.is_none() => {
            let Some(definition) = crate::feeds::find_stored(&root, name)? else {
                bail!("no feed is called `{name}`: /admin (Feeds) and GET /api/v1/feeds list them");
            };
            let accounts = definition.accounts.clone();
            (Some(definition), accounts.into_iter().map(Some).collect())
        }
        _ => (None, vec![feed.map(str::to_owned)]),
    };
    let (definition, accounts) = owners;
    let mut snapshots = Vec::new();
    let mut media_dirs = Vec::new();
    let mut stale = false;
    for account in &accounts {
        let (snapshot, account_stale, media_dir) =
            snapshot_of(settings, &root, account.as_deref(), offline)?;
        stale |= account_stale;
        snapshots.push(snapshot);
        media_dirs.push(media_dir);
    }
    let definition = match definition {
        Some(definition) => definition,
        None => {
            // An account's own feed: the owner's curation of it, else the defaults.
            let name = snapshots
                .first()
                .map(|s| s.feed.profile.username.to_lowercase())
                .unwrap_or_default();
            match crate::feeds::find_stored(&root, &name)? {
                Some(stored) => FeedDefinition {
                    accounts: vec![name],
                    ..stored
                },
                None => definition::parse(
                    &name,
                    &serde_json::json!({}),
                    &Defaults {
                        accounts: vec![name.clone()],
                        max_posts: settings.feed.max_posts,
                    },
                )?,
            }
        }
    };
    let sources: Vec<Source<'_>> = snapshots
        .iter()
        .map(|s| Source {
            feed: &s.feed,
            unshared_reels: &s.unshared_reels,
            fetched_at: s.fetched_at,
        })
        .collect();
    let (Some(curated), Some(fetched_at)) = (
        curate::curate(&definition, &sources),
        curate::fetched_at(&sources),
    ) else {
        bail!("the feed has no connected account to take posts from");
    };
    if let Some((dir, prefix)) = media_out {
        let accounts: Vec<media::Account<'_>> = snapshots
            .iter()
            .zip(&media_dirs)
            .map(|(snapshot, media_dir)| media::Account {
                snapshot,
                media_dir,
            })
            .collect();
        let export = media::Export {
            settings,
            accounts: &accounts,
            offline,
            prefix: &prefix,
        };
        let report = export.write(curated, fetched_at, &definition.display, stale, &dir)?;
        println!("{report}");
        return Ok(());
    }
    let snapshot = Snapshot {
        feed: curated,
        fetched_at,
        sources: Default::default(),
        unshared_reels: Default::default(),
    };
    let page = PageRequest {
        limit: Some(snapshot.feed.posts.len()),
        after: None,
    };
    let json = document::render(&snapshot, &definition.display, &page, stale);
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

/// The snapshot of the account whose feed is `feed` (the default account without it),
/// whether it is stale, and the account's media cache directory.
fn snapshot_of(
    settings: &Settings,
    root: &StateDir,
    feed: Option<&str>,
    offline: bool,
) -> anyhow::Result<(Snapshot, bool, PathBuf)> {
    let Some(stored) = find_stored(root, feed)? else {
        match feed {
            Some(name) => {
                bail!(
                    "no connected account's feed is called `{name}`: `igfeed status` lists the accounts"
                )
            }
            None if offline => bail!(
                "no stored feed yet: connect an account and run igfeed until it has fetched the feed once"
            ),
            None => bail!(
                "no Instagram account is connected: connect one in /admin or with `igfeed token import`"
            ),
        }
    };
    let dir = stored.dir;
    let media_dir = dir.path().join(crate::media::MEDIA_DIR);
    if offline {
        let snapshot: Snapshot = dir
            .read(SNAPSHOT_FILE)?
            .context("no stored feed yet: run igfeed until it has fetched the feed once, or export without --offline")?;
        let age = clock::system().now() - snapshot.fetched_at;
        let limit =
            TimeDelta::from_std(settings.feed.refresh_interval * 2).unwrap_or(TimeDelta::MAX);
        Ok((snapshot, age > limit, media_dir))
    } else {
        let snapshot = fetch(settings, dir, stored.id.as_deref())?;
        Ok((snapshot, false, media_dir))
    }
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
