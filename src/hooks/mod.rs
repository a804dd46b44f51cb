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
//! call, retried with backoff. The last deliveries of each feed are kept for `/admin`.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash as _, Hasher as _};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde::Serialize;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::clock::SharedClock;
use crate::config::HookSettings;
use crate::feed::definition::{Hook, signature};
use crate::feed::domain::Post;
use crate::feeds::Feeds;
use crate::instagram::RetryPolicy;

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
    clock: SharedClock,
    client: reqwest::Client,
    debounce: Duration,
    retry: RetryPolicy,
    state: Mutex<State>,
    wake: Notify,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// Hooks of the feeds in `feeds`, timed by `settings`.
    pub fn new(feeds: Feeds, clock: SharedClock, settings: &HookSettings) -> anyhow::Result<Self> {
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
                clock,
                client,
                debounce: settings.debounce,
                retry: RetryPolicy {
                    attempts: ATTEMPTS,
                    base_delay: settings.retry_delay,
                    max_delay: MAX_RETRY_DELAY.max(settings.retry_delay),
                },
                state: Mutex::new(State::default()),
                wake: Notify::new(),
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes each feed's posts as last built; a change opens (or joins) a debounce window.
    /// The first document seen of a feed is where it starts: nothing is sent for it.
    pub fn observe(&self) {
        let names = self.inner.feeds.names();
        let built: Vec<(String, Posts)> = names
            .iter()
            .filter_map(|name| {
                let current = self.inner.feeds.view(name)?.built()?;
                Some((name.clone(), fingerprints(&current.snapshot.feed.posts)))
            })
            .collect();
        let mut state = self.state();
        let mut woke = false;
        for (name, posts) in built {
            match state.seen.insert(name.clone(), posts.clone()) {
                Some(before) if before != posts => {
                    let due = Instant::now() + self.inner.debounce;
                    state.pending.entry(name).or_insert((before, due));
                    woke = true;
                }
                _ => {}
            }
        }
        state.seen.retain(|name, _| names.contains(name));
        state.pending.retain(|name, _| names.contains(name));
        state.log.retain(|name, _| names.contains(name));
        drop(state);
        if woke {
            self.inner.wake.notify_one();
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
            self.send_due();
        }
    }

    /// Starts the calls of every feed whose window has passed.
    fn send_due(&self) {
        let now = Instant::now();
        let due: Vec<(String, Posts, Posts)> = {
            let mut state = self.state();
            let names: Vec<String> = state
                .pending
                .iter()
                .filter(|(_, (_, due))| *due <= now)
                .map(|(name, _)| name.clone())
                .collect();
            names
                .into_iter()
                .filter_map(|name| {
                    let (before, _) = state.pending.remove(&name)?;
                    let after = state.seen.get(&name)?.clone();
                    Some((name, before, after))
                })
                .collect()
        };
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
                tokio::spawn(async move { hooks.deliver(&name, &hook, &body).await });
            }
        }
    }

    /// Calls `hook` with `body` until it takes it, it refuses for good, or the attempts run
    /// out; each attempt goes in the feed's log.
    async fn deliver(&self, feed: &str, hook: &Hook, body: &[u8]) {
        let host = url::Url::parse(&hook.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        for attempt in 1..=self.inner.retry.attempts {
            let outcome = self.attempt(hook, body).await;
            let (text, delivered, again) = match &outcome {
                Outcome::Delivered(text) => (text.clone(), true, false),
                Outcome::Retry(text) => (text.clone(), false, true),
                Outcome::GiveUp(text) => (text.clone(), false, false),
            };
            self.record(
                feed,
                Delivery {
                    at: self.inner.clock.now(),
                    url: hook.url.clone(),
                    attempt,
                    outcome: text.clone(),
                    delivered,
                },
            );
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

    async fn attempt(&self, hook: &Hook, body: &[u8]) -> Outcome {
        let mut request = self
            .inner
            .client
            .post(&hook.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned());
        if let Some(signed) = hook.secret.as_ref().and_then(|s| signature(s, body)) {
            request = request.header("X-Igfeed-Signature", signed);
        }
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

    fn record(&self, feed: &str, delivery: Delivery) {
        let mut state = self.state();
        let log = state.log.entry(feed.to_owned()).or_default();
        if log.len() == LOG_ENTRIES {
            log.pop_front();
        }
        log.push_back(delivery);
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

/// Each post's id and a fingerprint of what a site shows of it: caption, type, link,
/// permalink, pin, time, alt text and its media (ids and types). Counts and image sizes
/// (filled in as images are downloaded) are left out: they are not changes to rebuild for.
fn fingerprints(posts: &[Post]) -> Posts {
    posts
        .iter()
        .map(|post| {
            let mut hash = DefaultHasher::new();
            post.caption.hash(&mut hash);
            crate::feed::definition::kind_name(post.kind).hash(&mut hash);
            post.link.hash(&mut hash);
            post.permalink.hash(&mut hash);
            post.pinned.hash(&mut hash);
            post.timestamp.map(|t| t.timestamp()).hash(&mut hash);
            post.alt.hash(&mut hash);
            for item in &post.media {
                item.id.hash(&mut hash);
                (item.kind as u8).hash(&mut hash);
            }
            (post.id.clone(), hash.finish())
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
