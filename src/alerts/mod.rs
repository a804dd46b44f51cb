//! Telling the owner when igfeed needs them: an account must be reconnected, its token is
//! about to expire, or its feed has not updated for a day. Each account is judged on its
//! own, and each alert names the account it is about.
//!
//! [`Alerts::active_warnings`] is what the status page shows; when `alerts.webhook_url` is
//! set, [`Alerts::run`] also posts each warning there once per episode: it is sent when the
//! condition starts, and re-armed only once the condition has cleared. Which alerts were sent
//! is kept in the state directory, so a restart does not repeat them.

mod conditions;
mod webhook;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};

use crate::accounts::AccountRegistry;
use crate::clock::SharedClock;
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

/// `alerts.json`. Releases before several accounts wrote only `sent` (the one account's);
/// those count as the default account's.
#[derive(Default, Serialize, Deserialize)]
struct SentFile {
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    sent: BTreeSet<AlertKind>,
    /// Account id → the alerts delivered for it that still hold.
    #[serde(default)]
    accounts: BTreeMap<String, BTreeSet<AlertKind>>,
}

/// Delivered alerts, per account id.
type Sent = BTreeMap<String, BTreeSet<AlertKind>>;

/// A warning about one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountWarning {
    /// The account's id.
    pub account: String,
    /// Its username, when known.
    pub username: Option<String>,
    /// What holds.
    pub warning: Warning,
}

/// Watches igfeed's state for conditions that need the owner. Cheap to clone.
#[derive(Clone)]
pub struct Alerts {
    inner: Arc<Inner>,
}

struct Inner {
    accounts: AccountRegistry,
    clock: SharedClock,
    dir: StateDir,
    public_url: url::Url,
    webhook: Option<Webhook>,
    /// Delivered alerts whose condition still held at the last check.
    sent: Mutex<Sent>,
    checks: AtomicU64,
}

impl Alerts {
    /// Builds the watcher; `webhook_url` = `None` means warnings only show on the status page.
    pub fn new(
        webhook_url: Option<url::Url>,
        accounts: AccountRegistry,
        clock: SharedClock,
        dir: StateDir,
        public_url: url::Url,
    ) -> anyhow::Result<Self> {
        let webhook = webhook_url.map(Webhook::new).transpose()?;
        // Losing this file only means an alert may be sent again: not worth refusing to start.
        let mut sent = match dir.read::<SentFile>(ALERTS_FILE) {
            Ok(file) => file.unwrap_or_default(),
            Err(error) => {
                tracing::warn!(%error, "ignoring the unreadable alert state");
                SentFile::default()
            }
        };
        if let Some(account) = accounts.default_account() {
            let legacy = std::mem::take(&mut sent.sent);
            sent.accounts
                .entry(account.id().to_owned())
                .or_default()
                .extend(legacy);
        }
        let sent = sent.accounts;
        Ok(Self {
            inner: Arc::new(Inner {
                accounts,
                clock,
                dir,
                public_url,
                webhook,
                sent: Mutex::new(sent),
                checks: AtomicU64::new(0),
            }),
        })
    }

    /// The conditions that hold now, account by account.
    pub async fn active_warnings(&self) -> Vec<AccountWarning> {
        let inner = &self.inner;
        let mut admin = inner.public_url.clone();
        admin.set_path("/admin");
        let now = inner.clock.now();
        let mut all = Vec::new();
        for account in inner.accounts.accounts() {
            let credentials = account.credentials.current();
            let status = account.feed.status();
            let fetched = account.feed.peek().map(|c| c.snapshot.fetched_at);
            let warnings = evaluate(&Inputs {
                now,
                credentials: credentials.as_ref(),
                feed_fetched_at: fetched,
                last_success: status.last_success,
                last_error: status.last_error.as_deref(),
                admin_url: admin.as_str(),
            });
            let username = account.username();
            all.extend(warnings.into_iter().map(|mut warning| {
                if let Some(name) = &username {
                    warning.message = format!("@{name}: {}", warning.message);
                }
                AccountWarning {
                    account: account.id().to_owned(),
                    username: username.clone(),
                    warning,
                }
            }));
        }
        all
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
            let holds = |account: &str, kind: AlertKind| {
                warnings
                    .iter()
                    .any(|w| w.account == account && w.warning.kind == kind)
            };
            let mut changed = self.sent_mut(|sent| {
                let before: usize = sent.values().map(BTreeSet::len).sum();
                for (account, kinds) in sent.iter_mut() {
                    kinds.retain(|kind| holds(account, *kind));
                }
                sent.retain(|_, kinds| !kinds.is_empty());
                before != sent.values().map(BTreeSet::len).sum::<usize>()
            });
            for item in &warnings {
                let kind = item.warning.kind;
                if self.sent_mut(|sent| sent.get(&item.account).is_some_and(|k| k.contains(&kind)))
                {
                    continue;
                }
                let body = self.body(item);
                match webhook.deliver(kind, &body).await {
                    Ok(()) => {
                        tracing::info!(alert = kind.as_str(), account = %item.account, "alert sent to the webhook");
                        changed |= self.sent_mut(|sent| {
                            sent.entry(item.account.clone()).or_default().insert(kind)
                        });
                    }
                    Err(reason) => tracing::error!(
                        alert = kind.as_str(),
                        account = %item.account,
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
    fn body(&self, item: &AccountWarning) -> String {
        let credentials = self
            .inner
            .accounts
            .by_id(&item.account)
            .and_then(|a| a.credentials.current());
        let body = AlertBody {
            alert: item.warning.kind,
            message: &item.warning.message,
            account: item.username.as_deref(),
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

    fn sent_mut<T>(&self, f: impl FnOnce(&mut Sent) -> T) -> T {
        f(&mut self
            .inner
            .sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner))
    }

    async fn persist(&self) {
        let file = SentFile {
            sent: BTreeSet::new(),
            accounts: self.sent_mut(|sent| sent.clone()),
        };
        let dir = self.inner.dir.clone();
        let written = tokio::task::spawn_blocking(move || dir.write(ALERTS_FILE, &file)).await;
        if !matches!(written, Ok(Ok(()))) {
            tracing::warn!("could not store which alerts were sent; a restart may repeat one");
        }
    }
}
