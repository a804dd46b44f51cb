//! The sandbox's shared state: settings, the clock, and everything that changes behind a lock.

use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, TimeDelta, Utc};
use igfeed_base::clock::SharedClock;
use url::Url;

use super::SandboxConfig;
use super::accounts::Accounts;
use super::cdn::Signer;
use super::mode::{BodyShape, Mode};
use super::picture::Pictures;
use super::stats::{Endpoint, Stats};
use super::tokens::{TokenError, TokenRecord, TokenStore};

/// One sandbox instance, shared by its workers and its [`super::RunningSandbox`] handle.
pub(crate) struct SandboxState {
    pub(crate) config: SandboxConfig,
    pub(crate) clock: SharedClock,
    /// Where the sandbox is reached; next links and CDN URLs are built on it.
    pub(crate) base_url: Url,
    pub(crate) signer: Signer,
    pub(crate) pictures: Pictures,
    inner: Mutex<Inner>,
}

/// What changes while the sandbox runs. Never held across an `.await`.
pub(crate) struct Inner {
    pub(crate) mode: Mode,
    pub(crate) shape: BodyShape,
    pub(crate) tokens: TokenStore,
    /// Every account with its posts; never empty.
    pub(crate) accounts: Accounts,
    pub(crate) stats: Stats,
    /// `expires_in` the token endpoints announce instead of the truth, when set.
    pub(crate) announced_expires_in: Option<u64>,
}

impl SandboxState {
    /// A fresh sandbox whose history ends at the clock's "now".
    pub(crate) fn new(
        config: SandboxConfig,
        clock: SharedClock,
        base_url: Url,
        pictures: Pictures,
    ) -> SandboxState {
        let accounts = Accounts::new(&config.account_specs(), clock.now());
        SandboxState {
            config,
            clock,
            base_url,
            signer: Signer::new(),
            pictures,
            inner: Mutex::new(Inner {
                mode: Mode::Healthy,
                shape: BodyShape::default(),
                tokens: TokenStore::default(),
                accounts,
                stats: Stats::default(),
                announced_expires_in: None,
            }),
        }
    }

    /// The shared clock's current time.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Exclusive access to the changing state.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update leaves the state consistent, so a panic elsewhere does not poison it.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current misbehaviour mode.
    pub(crate) fn mode(&self) -> Mode {
        self.lock().mode
    }

    /// Counts a call to `endpoint`, plus the Graph total for Graph endpoints.
    pub(crate) fn record(&self, endpoint: Endpoint) {
        self.lock().stats.record(endpoint);
    }

    /// Counts a request that reached the Graph host.
    pub(crate) fn record_graph(&self) {
        self.lock().stats.graph_total += 1;
    }

    /// When CDN URLs built now stop working.
    pub(crate) fn cdn_expiry(&self) -> DateTime<Utc> {
        let now = self.now();
        let ttl = TimeDelta::from_std(self.config.cdn_url_ttl).unwrap_or(TimeDelta::MAX);
        // An absurd TTL means "never expires", not a panic.
        now.checked_add_signed(ttl)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

impl Inner {
    /// The published post with this seed, whichever account it belongs to.
    pub(crate) fn find_post(&self, seed: u64) -> Option<super::posts::Post> {
        self.accounts.owner_of(seed)?.timeline.find(seed)
    }

    /// Checks a token for a read, letting the token modes override a valid answer.
    pub(crate) fn check_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenRecord, TokenError> {
        match self.mode {
            Mode::TokenRevoked => Err(TokenError::Revoked),
            Mode::TokenExpired => Err(TokenError::Expired {
                at: now - TimeDelta::seconds(1),
            }),
            _ => self.tokens.check(token, now).cloned(),
        }
    }
}
