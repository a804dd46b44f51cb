//! Telling the owner when igfeed needs them: the account must be reconnected, the token is
//! about to expire, or the feed has not updated for a day.
//!
//! [`Alerts::active_warnings`] is what the status page shows; when `alerts.webhook_url` is
//! set, [`Alerts::run`] also posts each warning there once per episode: it is sent when the
//! condition starts, and re-armed only once the condition has cleared. Which alerts were sent
//! is kept in the state directory, so a restart does not repeat them.

mod conditions;
mod webhook;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};

use crate::clock::SharedClock;
use crate::credentials::CredentialStore;
use crate::feed::FeedService;
use crate::storage::StateDir;

pub use conditions::{AlertKind, EXPIRY_WARNING, Inputs, STALE_AFTER, Warning, evaluate};
pub use webhook::Webhook;

/// Which alerts were delivered and still hold, in the state directory.
pub const ALERTS_FILE: &str = "alerts.json";

/// The webhook body; its field names are part of the webhook contract.
#[derive(Serialize)]
struct AlertBody<'a> {
    alert: AlertKind,
    message: &'a str,
    account: Option<&'a str>,
    at: String,
    igfeed: &'a str,
}

#[derive(Default, Serialize, Deserialize)]
struct SentFile {
    sent: BTreeSet<AlertKind>,
}

/// Watches igfeed's state for conditions that need the owner. Cheap to clone.
#[derive(Clone)]
pub struct Alerts {
    inner: Arc<Inner>,
}

struct Inner {
    credentials: CredentialStore,
    feed: FeedService,
    clock: SharedClock,
    dir: StateDir,
    public_url: url::Url,
    webhook: Option<Webhook>,
    /// Delivered alerts whose condition still held at the last check.
    sent: Mutex<BTreeSet<AlertKind>>,
    checks: AtomicU64,
}

impl Alerts {
    /// Builds the watcher; `webhook_url` = `None` means warnings only show on the status page.
    pub fn new(
        webhook_url: Option<url::Url>,
        credentials: CredentialStore,
        feed: FeedService,
        clock: SharedClock,
        dir: StateDir,
        public_url: url::Url,
    ) -> anyhow::Result<Self> {
        let webhook = webhook_url.map(Webhook::new).transpose()?;
        // Losing this file only means an alert may be sent again: not worth refusing to start.
        let sent = match dir.read::<SentFile>(ALERTS_FILE) {
            Ok(file) => file.unwrap_or_default().sent,
            Err(error) => {
                tracing::warn!(%error, "ignoring the unreadable alert state");
                BTreeSet::new()
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                credentials,
                feed,
                clock,
                dir,
                public_url,
                webhook,
                sent: Mutex::new(sent),
                checks: AtomicU64::new(0),
            }),
        })
    }

    /// The conditions that hold now, for the status page (and the webhook).
    pub async fn active_warnings(&self) -> Vec<Warning> {
        let inner = &self.inner;
        let credentials = inner.credentials.current();
        let status = inner.feed.status();
        let fetched = inner.feed.peek().map(|c| c.snapshot.fetched_at);
        let mut admin = inner.public_url.clone();
        admin.set_path("/admin");
        evaluate(&Inputs {
            now: inner.clock.now(),
            credentials: credentials.as_ref(),
            feed_fetched_at: fetched,
            last_success: status.last_success,
            last_error: status.last_error.as_deref(),
            admin_url: admin.as_str(),
        })
    }

    /// Whether a webhook is configured (and [`Alerts::run`] worth spawning).
    pub fn has_webhook(&self) -> bool {
        self.inner.webhook.is_some()
    }

    /// Checks completed so far (tests wait on it).
    pub fn checks(&self) -> u64 {
        self.inner.checks.load(Ordering::SeqCst)
    }

    /// Checks every `interval`, the first after one interval so that a restart gives the
    /// refreshers a chance before a stale snapshot on disk raises an alarm.
    pub async fn run(self, interval: Duration) {
        let interval = interval.max(Duration::from_millis(10));
        loop {
            tokio::time::sleep(interval).await;
            self.check().await;
        }
    }

    /// Re-arms alerts whose condition cleared and sends those that started. An alert that
    /// could not be delivered stays unsent and is tried again at the next check.
    pub async fn check(&self) {
        if let Some(webhook) = &self.inner.webhook {
            let warnings = self.active_warnings().await;
            let mut changed = self.sent_mut(|sent| {
                let before = sent.len();
                sent.retain(|kind| warnings.iter().any(|w| w.kind == *kind));
                before != sent.len()
            });
            for warning in &warnings {
                if self.sent_mut(|sent| sent.contains(&warning.kind)) {
                    continue;
                }
                let body = self.body(warning);
                match webhook.deliver(warning.kind, &body).await {
                    Ok(()) => {
                        tracing::info!(alert = warning.kind.as_str(), "alert sent to the webhook");
                        changed |= self.sent_mut(|sent| sent.insert(warning.kind));
                    }
                    Err(reason) => tracing::error!(
                        alert = warning.kind.as_str(),
                        %reason,
                        "alert not delivered; trying again at the next check"
                    ),
                }
            }
            if changed {
                self.persist().await;
            }
        }
        self.inner.checks.fetch_add(1, Ordering::SeqCst);
    }

    /// The JSON body. The token is nowhere in its inputs; should an upstream error message
    /// ever quote it, it is cut out here, the last step before it leaves the server.
    fn body(&self, warning: &Warning) -> String {
        let credentials = self.inner.credentials.current();
        let body = AlertBody {
            alert: warning.kind,
            message: &warning.message,
            account: credentials.as_ref().and_then(|c| c.username.as_deref()),
            at: self.inner.clock.now().to_rfc3339(),
            igfeed: self.inner.public_url.as_str(),
        };
        let json = serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned());
        match &credentials {
            Some(c) if c.access_token.expose_secret().len() >= 8 => {
                json.replace(c.access_token.expose_secret(), "[redacted]")
            }
            _ => json,
        }
    }

    fn sent_mut<T>(&self, f: impl FnOnce(&mut BTreeSet<AlertKind>) -> T) -> T {
        f(&mut self
            .inner
            .sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner))
    }

    async fn persist(&self) {
        let file = SentFile {
            sent: self.sent_mut(|sent| sent.clone()),
        };
        let dir = self.inner.dir.clone();
        let written = tokio::task::spawn_blocking(move || dir.write(ALERTS_FILE, &file)).await;
        if !matches!(written, Ok(Ok(()))) {
            tracing::warn!("could not store which alerts were sent; a restart may repeat one");
        }
    }
}
