//! Rebuild hooks: a static site rebuilt when its feed changes. Each feed's definition may
//! name hooks (`hooks: [{url, secret}]`); when the feed's posts change — added, removed, a
//! caption or media changed, a curation change (hidden, pinned, relinked) — igfeed POSTs
//! `{"event":"feed.changed","feed","added","removed","changed","updated_at"}` to each, signed
//! with `X-Igfeed-Signature: sha256=<hex HMAC-SHA256 of the body>`. Never on an unchanged
//! refresh (likes and comment counts are not changes), never blocking one.
//!
//! [`RebuildHooks::observe`] runs after the `feed_views` task built the documents: it
//! compares each feed's posts with the last seen; the first change opens a window of
//! `hooks.debounce`, and [`RebuildHooks::run`] sends what changed across the window as one
//! call, retried with backoff. The last deliveries of each feed are kept for `/admin`, in
//! [`DELIVERIES_FILE`] too, so they outlive a restart and every replica lists the calls the
//! lease holder made.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::clock::SharedClock;
use crate::config::HookSettings;
use crate::feed::definition::{Hook, signature};
use crate::feed::domain::Post;
use crate::feeds::Feeds;
use crate::instagram::RetryPolicy;
use crate::storage::{StateDir, StorageError};

/// Each feed's posts as last announced (or first seen), in the state directory, so a change
/// made while igfeed was down (or within a debounce window when it stopped) is announced
/// after a restart.
pub const HOOKS_FILE: &str = "hooks.json";

/// The last deliveries of each feed (`{"feeds": {name: [delivery, …]}}`, oldest first).
pub const DELIVERIES_FILE: &str = "hook-deliveries.json";

/// Attempts per call, the first included.
const ATTEMPTS: u32 = 5;
/// No wait between retries is longer.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);
/// Deliveries kept per feed for `/admin`.
const LOG_ENTRIES: usize = 20;

/// Each post of a feed, in order, with a fingerprint of what a site shows of it.
type Posts = Vec<(String, u64)>;

/// The rebuild hooks of every feed; cheap to clone.
#[derive(Clone)]
pub struct RebuildHooks {
    inner: Arc<Inner>,
}

struct Inner {
    feeds: Feeds,
    dir: StateDir,
    clock: SharedClock,
    client: reqwest::Client,
    debounce: Duration,
    retry: RetryPolicy,
    state: Mutex<State>,
    wake: Notify,
    /// Held while this replica stores the delivery log: its writes (each compare-and-set)
    /// take turns rather than retry against each other.
    saving_log: tokio::sync::Mutex<()>,
    /// Held while this replica stores the baselines ([`HOOKS_FILE`]).
    saving_baselines: tokio::sync::Mutex<()>,
}

/// `hooks.json`.
#[derive(Default, Serialize, Deserialize)]
struct Baselines {
    feeds: BTreeMap<String, Posts>,
}

/// [`DELIVERIES_FILE`].
#[derive(Default, Serialize, Deserialize)]
struct Deliveries {
    feeds: HashMap<String, VecDeque<Delivery>>,
}

#[derive(Default)]
struct State {
    /// Each feed's posts when its document was last built.
    seen: HashMap<String, Posts>,
    /// Feeds that changed, with their posts before the first change and when to send.
    pending: HashMap<String, (Posts, Instant)>,
    /// The last deliveries of each feed, newest last.
    log: HashMap<String, VecDeque<Delivery>>,
}

/// One attempt to call one hook, as `/admin` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// When the attempt ended.
    pub at: DateTime<Utc>,
    /// The hook called.
    pub url: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The answer's status, or why there was none.
    pub outcome: String,
    /// Whether the hook took it (a 2xx answer).
    pub delivered: bool,
}

/// The body of a call: its field names are a contract (README, docs/static-sites.md).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Changes {
    event: &'static str,
    feed: String,
    /// Post ids now in the feed that were not.
    pub added: Vec<String>,
    /// Post ids no longer in the feed.
    pub removed: Vec<String>,
    /// Post ids whose caption, media, link or pin changed.
    pub changed: Vec<String>,
    updated_at: Option<DateTime<Utc>>,
}

impl Changes {
    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// How one attempt ended.
enum Outcome {
    Delivered(String),
    /// Worth trying again (network trouble, 5xx, 408, 429).
    Retry(String),
    /// Trying again cannot help (another 4xx, a redirect).
    GiveUp(String),
}

impl RebuildHooks {
    /// Hooks of the feeds in `feeds`, timed by `settings`, with what was last announced
    /// read from `dir`.
    pub fn new(
        feeds: Feeds,
        clock: SharedClock,
        dir: StateDir,
        settings: &HookSettings,
    ) -> anyhow::Result<Self> {
        let baselines: Baselines = dir.read(HOOKS_FILE)?.unwrap_or_default();
        let deliveries = read_deliveries(&dir);
        // Short timeouts, and no redirects: a redirect could carry the signed body to a host
        // the owner never named.
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("igfeed/", env!("CARGO_PKG_VERSION"), " (hooks)"))
            .build()
            .context("Failed to build the rebuild hooks' client")?;
        Ok(Self {
            inner: Arc::new(Inner {
                feeds,
                dir,
                clock,
                client,
                debounce: settings.debounce,
                retry: RetryPolicy {
                    attempts: ATTEMPTS,
                    base_delay: settings.retry_delay,
                    max_delay: MAX_RETRY_DELAY.max(settings.retry_delay),
                },
                state: Mutex::new(State {
                    seen: baselines.feeds.into_iter().collect(),
                    log: deliveries.feeds,
                    ..State::default()
                }),
                wake: Notify::new(),
                saving_log: tokio::sync::Mutex::new(()),
                saving_baselines: tokio::sync::Mutex::new(()),
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Drops the calls waiting for their debounce window: this replica lost the refresher
    /// lease, and the next holder announces the change from the stored baselines.
    pub fn forget_pending(&self) {
        self.state().pending.clear();
    }

    /// Takes the baselines stored by another replica (which held the refresher lease until
    /// now) as what was last announced; calls still pending here are dropped, being theirs.
    pub async fn adopt_stored(&self) {
        let dir = self.inner.dir.clone();
        let read = tokio::task::spawn_blocking(move || dir.read::<Baselines>(HOOKS_FILE)).await;
        match read {
            Ok(Ok(stored)) => {
                let mut state = self.state();
                state.seen = stored.unwrap_or_default().feeds.into_iter().collect();
                state.pending.clear();
            }
            Ok(Err(error)) => tracing::warn!(%error, "could not read the rebuild hooks' baselines"),
            Err(error) => tracing::warn!(%error, "could not read the rebuild hooks' baselines"),
        }
    }

    /// Notes each feed's posts as last built; a change opens (or joins) a debounce window.
    /// The first document seen of a feed is where it starts: nothing is sent for it.
    pub async fn observe(&self) {
        let names = self.inner.feeds.names();
        let built: Vec<(String, Posts)> = names
            .iter()
            .filter_map(|name| {
                let current = self.inner.feeds.view(name)?.built()?;
                Some((name.clone(), fingerprints(&current.snapshot.feed.posts)))
            })
            .collect();
        let (save, woke) = {
            let mut state = self.state();
            let (mut woke, mut changed) = (false, false);
            for (name, posts) in built {
                match state.seen.insert(name.clone(), posts.clone()) {
                    Some(before) if before != posts => {
                        let due = Instant::now() + self.inner.debounce;
                        state.pending.entry(name).or_insert((before, due));
                        (woke, changed) = (true, true);
                    }
                    Some(_) => {}
                    None => changed = true,
                }
            }
            let known = state.seen.len();
            state.seen.retain(|name, _| names.contains(name));
            state.pending.retain(|name, _| names.contains(name));
            state.log.retain(|name, _| names.contains(name));
            (changed || state.seen.len() != known, woke)
        };
        if save {
            self.save().await;
        }
        if woke {
            self.inner.wake.notify_one();
        }
    }

    /// Writes each feed's baseline: its posts before a pending change, else as last seen.
    /// A failed write costs at most a missed or repeated call after a restart. Off the async
    /// workers (a write may wait on Redis), one at a time, each taking the state as it is
    /// then, so the last write holds the latest baselines.
    async fn save(&self) {
        let _saving = self.inner.saving_baselines.lock().await;
        let baselines = {
            let state = self.state();
            let feeds = state
                .seen
                .iter()
                .map(|(name, seen)| {
                    let baseline = state.pending.get(name).map_or(seen, |(before, _)| before);
                    (name.clone(), baseline.clone())
                })
                .collect();
            Baselines { feeds }
        };
        let dir = self.inner.dir.clone();
        let written = tokio::task::spawn_blocking(move || dir.write(HOOKS_FILE, &baselines)).await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::warn!(%error, "could not store the rebuild hooks' baselines")
            }
            Err(error) => tracing::warn!(%error, "could not store the rebuild hooks' baselines"),
        }
    }

    /// Sends each feed's changes once its debounce window has passed. Runs until stopped.
    pub async fn run(self) {
        loop {
            let next = self.state().pending.values().map(|(_, due)| *due).min();
            let wake = self.inner.wake.notified();
            match next {
                Some(due) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(due) => {}
                        () = wake => {}
                    }
                }
                None => wake.await,
            }
            self.send_due().await;
        }
    }

    /// Starts the calls of every feed whose window has passed.
    async fn send_due(&self) {
        let now = Instant::now();
        let due: Vec<(String, Posts, Posts)> = {
            let mut state = self.state();
            let names: Vec<String> = state
                .pending
                .iter()
                .filter(|(_, (_, due))| *due <= now)
                .map(|(name, _)| name.clone())
                .collect();
            let due: Vec<(String, Posts, Posts)> = names
                .into_iter()
                .filter_map(|name| {
                    let (before, _) = state.pending.remove(&name)?;
                    let after = state.seen.get(&name)?.clone();
                    Some((name, before, after))
                })
                .collect();
            due
        };
        if !due.is_empty() {
            self.save().await;
        }
        for (name, before, after) in due {
            let Some(view) = self.inner.feeds.view(&name) else {
                continue;
            };
            let hooks = view.definition.hooks.clone();
            let updated_at = view.built().map(|c| c.snapshot.fetched_at);
            let changes = diff(&name, &before, &after, updated_at);
            if hooks.is_empty() || changes.is_empty() {
                continue;
            }
            // Plain data always serialises.
            let body = serde_json::to_vec(&changes).unwrap_or_default();
            tracing::info!(
                feed = %name,
                added = changes.added.len(),
                removed = changes.removed.len(),
                changed = changes.changed.len(),
                hooks = hooks.len(),
                "feed changed; calling its rebuild hooks"
            );
            for hook in hooks {
                let (hooks, name, body) = (self.clone(), name.clone(), body.clone());
                tokio::spawn(async move { hooks.deliver(&name, &hook.url, &body).await });
            }
        }
    }

    /// The hook of `feed` at `url` as its definition has it now (`None` once removed).
    fn current_hook(&self, feed: &str, url: &str) -> Option<Hook> {
        let view = self.inner.feeds.view(feed)?;
        view.definition.hooks.iter().find(|h| h.url == url).cloned()
    }

    /// Calls the hook at `url` with `body` until it takes it, it refuses for good, or the
    /// attempts run out; each attempt goes in the feed's log. Each attempt signs with the
    /// hook's secret as stored then, and a hook removed meanwhile is called no more.
    async fn deliver(&self, feed: &str, url: &str, body: &[u8]) {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        for attempt in 1..=self.inner.retry.attempts {
            let Some(hook) = self.current_hook(feed, url) else {
                return;
            };
            let Some(signed) = hook.secret.as_ref().and_then(|s| signature(s, body)) else {
                // Every call is signed; a hook without a secret (a hand-edited state file)
                // is not called.
                tracing::warn!(feed, %host, "rebuild hook has no secret; not called");
                return;
            };
            let outcome = self.attempt(url, &signed, body).await;
            let (text, delivered, again) = match &outcome {
                Outcome::Delivered(text) => (text.clone(), true, false),
                Outcome::Retry(text) => (text.clone(), false, true),
                Outcome::GiveUp(text) => (text.clone(), false, false),
            };
            self.record(
                feed,
                Delivery {
                    at: self.inner.clock.now(),
                    url: url.to_owned(),
                    attempt,
                    outcome: text.clone(),
                    delivered,
                },
            )
            .await;
            if !again || attempt == self.inner.retry.attempts {
                if !delivered {
                    // The host only: a build hook's path is often its secret.
                    tracing::warn!(feed, %host, attempt, reason = %text, "rebuild hook not delivered");
                }
                return;
            }
            tokio::time::sleep(self.inner.retry.delay(attempt)).await;
        }
    }

    async fn attempt(&self, url: &str, signed: &str, body: &[u8]) -> Outcome {
        let request = self
            .inner
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Igfeed-Signature", signed)
            .body(body.to_owned());
        let status = match request.send().await {
            Ok(response) => response.status(),
            // Without the URL: its path may be the receiver's secret.
            Err(error) => return Outcome::Retry(error.without_url().to_string()),
        };
        let text = status.to_string();
        if status.is_success() {
            Outcome::Delivered(text)
        } else if status.is_server_error()
            || status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::REQUEST_TIMEOUT
        {
            Outcome::Retry(text)
        } else {
            Outcome::GiveUp(text)
        }
    }

    /// Adds `delivery` to the log of `feed` and stores the log. A failed write costs the
    /// other replicas (and the next start) a line of the list, nothing else.
    async fn record(&self, feed: &str, delivery: Delivery) {
        {
            let mut state = self.state();
            let log = state.log.entry(feed.to_owned()).or_default();
            if log.len() == LOG_ENTRIES {
                log.pop_front();
            }
            log.push_back(delivery);
        }
        let _saving = self.inner.saving_log.lock().await;
        let hooks = self.clone();
        let stored = tokio::task::spawn_blocking(move || hooks.store_log()).await;
        if !matches!(stored, Ok(Ok(true))) {
            tracing::warn!(feed, "could not store the rebuild hooks' last calls");
        }
    }

    /// Stores the log merged with the stored one, compare-and-set: calls another replica
    /// stored meanwhile (a holder's retries outliving its lease) are kept, not overwritten.
    /// A damaged stored log is replaced (it is only a log). Whether it was stored.
    fn store_log(&self) -> Result<bool, StorageError> {
        let dir = &self.inner.dir;
        for _ in 0..5 {
            let (stored, stamp) = match dir.read_stamped::<Deliveries>(DELIVERIES_FILE) {
                Ok(read) => read,
                Err(error @ StorageError::Redis { .. }) => return Err(error),
                Err(error) => {
                    tracing::warn!(%error, "replacing the rebuild hooks' unreadable last calls");
                    let feeds = self.state().log.clone();
                    return dir
                        .write(DELIVERIES_FILE, &Deliveries { feeds })
                        .map(|()| true);
                }
            };
            let merged = self.merge_log(stored.unwrap_or_default());
            if dir
                .write_if(DELIVERIES_FILE, &Deliveries { feeds: merged }, &stamp)?
                .is_some()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Adds the calls in `stored` to this replica's log; the merged log.
    fn merge_log(&self, stored: Deliveries) -> HashMap<String, VecDeque<Delivery>> {
        let names = self.inner.feeds.names();
        let mut state = self.state();
        for (feed, calls) in stored.feeds {
            if !names.contains(&feed) {
                continue;
            }
            let log = state.log.entry(feed).or_default();
            let mut all: Vec<Delivery> = log.drain(..).chain(calls).collect();
            all.sort_by(|a, b| (a.at, &a.url, a.attempt).cmp(&(b.at, &b.url, b.attempt)));
            all.dedup();
            let skip = all.len().saturating_sub(LOG_ENTRIES);
            log.extend(all.into_iter().skip(skip));
        }
        state.log.clone()
    }

    /// Adds the calls another replica stored to this one's log (a damaged or unreachable
    /// stored log changes nothing).
    pub fn reload_log(&self) {
        match self.inner.dir.read::<Deliveries>(DELIVERIES_FILE) {
            Ok(Some(stored)) => {
                self.merge_log(stored);
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "could not read the rebuild hooks' last calls"),
        }
    }

    /// The last deliveries of `feed`, newest first.
    pub fn log(&self, feed: &str) -> Vec<Delivery> {
        self.state()
            .log
            .get(feed)
            .map(|log| log.iter().rev().cloned().collect())
            .unwrap_or_default()
    }
}

/// The stored delivery log; an unreadable one is only a log, and starts empty.
fn read_deliveries(dir: &StateDir) -> Deliveries {
    dir.read(DELIVERIES_FILE)
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "could not read the rebuild hooks' last calls; the list starts empty");
            None
        })
        .unwrap_or_default()
}

/// Each post's id and a fingerprint of what a site shows of it: caption, type, link,
/// permalink, pin, time, alt text and its media (ids and types). Counts and image sizes
/// (filled in as images are downloaded) are left out: they are not changes to rebuild for.
/// SHA-256 of length-prefixed fields, so the fingerprints stored in [`HOOKS_FILE`] mean the
/// same in the next release.
fn fingerprints(posts: &[Post]) -> Posts {
    posts
        .iter()
        .map(|post| {
            let mut hash = Sha256::new();
            let mut field = |value: Option<&str>| {
                let value = value.unwrap_or("\u{0}none");
                hash.update((value.len() as u64).to_le_bytes());
                hash.update(value.as_bytes());
            };
            field(post.caption.as_deref());
            field(Some(crate::feed::definition::kind_name(post.kind)));
            field(post.link.as_deref());
            field(post.permalink.as_deref());
            field(Some(if post.pinned { "pinned" } else { "" }));
            field(post.timestamp.map(|t| t.to_rfc3339()).as_deref());
            field(post.alt.as_deref());
            for item in &post.media {
                field(Some(&item.id));
                field(Some(match item.kind {
                    crate::feed::domain::MediaKind::Image => "image",
                    crate::feed::domain::MediaKind::Video => "video",
                }));
            }
            let digest = hash.finalize();
            let mut first = [0u8; 8];
            first.copy_from_slice(&digest[..8]);
            (post.id.clone(), u64::from_le_bytes(first))
        })
        .collect()
}

/// What changed from `before` to `after`, in `after`'s order (removed ones in `before`'s).
fn diff(feed: &str, before: &Posts, after: &Posts, updated_at: Option<DateTime<Utc>>) -> Changes {
    let old: HashMap<&str, u64> = before.iter().map(|(id, f)| (id.as_str(), *f)).collect();
    let new: HashMap<&str, u64> = after.iter().map(|(id, f)| (id.as_str(), *f)).collect();
    let mut changes = Changes {
        event: "feed.changed",
        feed: feed.to_owned(),
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        updated_at,
    };
    for (id, fingerprint) in after {
        match old.get(id.as_str()) {
            None => changes.added.push(id.clone()),
            Some(was) if was != fingerprint => changes.changed.push(id.clone()),
            Some(_) => {}
        }
    }
    changes.removed = before
        .iter()
        .filter(|(id, _)| !new.contains_key(id.as_str()))
        .map(|(id, _)| id.clone())
        .collect();
    changes
}

#[cfg(test)]
mod tests;
