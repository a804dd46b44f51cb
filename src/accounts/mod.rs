//! The connected Instagram accounts: [`AccountRegistry`] opens them from the state directory
//! (upgrading a one-account directory in place), adds one when the owner connects it (or
//! replaces the token of one already connected: accounts are matched by Instagram's ids, so
//! there are never twins), removes one with all its data, and finds one by feed name, id or
//! the id a Meta callback names. Each [`Account`] holds its own token, keeper, feed, media
//! and refresh trigger; the tasks layer runs one refresher and one token keeper per account.

mod account;
pub mod layout;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

pub use account::Account;
use layout::{ACCOUNTS_DIR, INDEX_FILE, Index};

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::credentials::{CredentialStore, Credentials};
use crate::feed::FeedError;
use crate::instagram::InstagramClient;
use crate::media::MediaPools;
use crate::storage::{StateDir, StorageError, run_blocking};

/// Longest a visitor waits for a start-up import to produce the first account.
const IMPORT_WAIT: Duration = Duration::from_secs(20);

/// What every account is built from.
#[derive(Clone)]
pub struct Services {
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// The one upstream client.
    pub instagram: InstagramClient,
    /// The process's clock.
    pub clock: SharedClock,
    /// Where visitors reach igfeed (media links).
    pub public_url: url::Url,
    /// Limits all accounts' media share.
    pub media_pools: MediaPools,
}

/// Why an account could not be added.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// `accounts.max` accounts are connected already.
    #[error(
        "{max} accounts are connected already, the most this igfeed allows (accounts.max); \
         disconnect one first"
    )]
    TooMany {
        /// The limit.
        max: usize,
    },
    /// Instagram gave no id for the account.
    #[error("Instagram did not say which account the token belongs to")]
    NoAccountId,
    /// Its files could not be written.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Its services could not be opened.
    #[error("could not open the account: {0}")]
    Open(String),
}

/// The accounts, in the order they were connected, and the default one.
#[derive(Debug, Default)]
pub struct Listing {
    /// First connected first.
    pub accounts: Vec<Arc<Account>>,
    /// Id of the account whose feed is served without a `feed` parameter.
    pub default: Option<String>,
}

impl Listing {
    fn index(&self) -> Index {
        Index {
            order: self.accounts.iter().map(|a| a.id().to_owned()).collect(),
            default: self.default.clone(),
        }
    }
}

/// The connected accounts; cheap to clone.
#[derive(Clone)]
pub struct AccountRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    root: StateDir,
    dirs: StateDir,
    services: Services,
    max: usize,
    /// Replaced whole on every change; readers take an `Arc` and let go at once.
    listing: RwLock<Arc<Listing>>,
    /// One connect or disconnect at a time.
    writer: tokio::sync::Mutex<()>,
    /// Bumped on every change (and when a start-up import attempt ends): the tasks layer
    /// starts and stops loops on it, waiting visitors look again.
    changed: tokio::sync::watch::Sender<u64>,
    importing: AtomicUsize,
}

impl AccountRegistry {
    /// Opens every stored account (after moving a one-account directory into the
    /// per-account layout). Call while holding the state directory's lock. A damaged or
    /// undecryptable credentials file is an error: igfeed refuses to start rather than lose
    /// a token.
    pub async fn open(root: StateDir, services: Services) -> anyhow::Result<Self> {
        let max = services.settings.accounts.max;
        let (dirs, index, mut present) = {
            let root = root.clone();
            tokio::task::spawn_blocking(move || prepare(&root)).await??
        };
        let mut listing = Listing::default();
        for id in &index.order {
            let Some(at) = present.iter().position(|(name, _, _)| name == id) else {
                continue;
            };
            let (id, dir, store) = present.swap_remove(at);
            listing
                .accounts
                .push(Account::open(id, dir, store, &services).await?);
        }
        listing.default = index.default.clone();
        if listing.accounts.len() > max {
            tracing::warn!(
                connected = listing.accounts.len(),
                max,
                "more accounts are stored than accounts.max allows; all are served, none can be added"
            );
        }
        let registry = Self {
            inner: Arc::new(Inner {
                root,
                dirs,
                services,
                max,
                listing: RwLock::new(Arc::new(listing)),
                writer: tokio::sync::Mutex::new(()),
                changed: tokio::sync::watch::channel(0).0,
                importing: AtomicUsize::new(0),
            }),
        };
        Ok(registry)
    }

    /// The storage root the accounts are kept under (the replicas' lease lives there).
    pub fn storage(&self) -> &StateDir {
        &self.inner.root
    }

    /// The accounts now, first connected first.
    pub fn listing(&self) -> Arc<Listing> {
        self.inner
            .listing
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The accounts now, first connected first.
    pub fn accounts(&self) -> Vec<Arc<Account>> {
        self.listing().accounts.clone()
    }

    /// The account served without a `feed` parameter, if any is connected.
    pub fn default_account(&self) -> Option<Arc<Account>> {
        let listing = self.listing();
        let id = listing.default.as_deref()?;
        listing.accounts.iter().find(|a| a.id() == id).cloned()
    }

    /// The account whose feed is called `name` (compared lowercased).
    pub fn by_feed(&self, name: &str) -> Option<Arc<Account>> {
        let name: std::borrow::Cow<'_, str> = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            name.to_ascii_lowercase().into()
        } else {
            name.into()
        };
        self.listing()
            .accounts
            .iter()
            .find(|a| a.is_feed(&name))
            .cloned()
    }

    /// The account with id `id`.
    pub fn by_id(&self, id: &str) -> Option<Arc<Account>> {
        self.listing()
            .accounts
            .iter()
            .find(|a| a.id() == id)
            .cloned()
    }

    /// The account a Meta callback's `user_id` names, by any id Instagram gave for it.
    pub fn named_by(&self, user_id: &str) -> Option<Arc<Account>> {
        self.listing()
            .accounts
            .iter()
            .find(|a| a.is_named_by(user_id))
            .cloned()
    }

    /// The most accounts that may be connected (`accounts.max`).
    pub fn max(&self) -> usize {
        self.inner.max
    }

    /// Counts the changes of the accounts (connects, disconnects, a new default): what was
    /// looked up at one count is still right while the count stays.
    pub fn version(&self) -> u64 {
        *self.inner.changed.borrow()
    }

    /// A receiver that sees every change of the accounts.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changed.subscribe()
    }

    fn announce(&self) {
        self.inner.changed.send_modify(|n| *n += 1);
    }

    /// Stores `credentials`: as a new token of the account they belong to when it is
    /// connected already (matched by any of Instagram's ids), else as a new account (the
    /// default one if it is the first). Asks for the account's feed to be refreshed.
    pub async fn connect(&self, credentials: Credentials) -> Result<Arc<Account>, ConnectError> {
        let _writer = self.inner.writer.lock().await;
        let listing = self.listing();
        if let Some(account) = listing.accounts.iter().find(|a| a.owns(&credentials)) {
            let store = account.credentials.clone();
            run_blocking(crate::credentials::CREDENTIALS_FILE, move || {
                store.save(credentials)
            })
            .await?;
            account.trigger.refresh_soon();
            self.announce();
            return Ok(account.clone());
        }
        if listing.accounts.len() >= self.inner.max {
            return Err(ConnectError::TooMany {
                max: self.inner.max,
            });
        }
        let id = account::dir_name(credentials.account_id().ok_or(ConnectError::NoAccountId)?);
        let dirs = self.inner.dirs.clone();
        let dir_id = id.clone();
        let (dir, store) = run_blocking(crate::credentials::CREDENTIALS_FILE, move || {
            let dir = dirs.subdir(&dir_id)?;
            // A directory left by an interrupted disconnect holds nothing to keep.
            let store = CredentialStore::open(dir.clone())?;
            store.save(credentials)?;
            Ok((dir, store))
        })
        .await?;
        let account = Account::open(id.clone(), dir, store, &self.inner.services)
            .await
            .map_err(|e| ConnectError::Open(e.to_string()))?;
        let mut accounts = listing.accounts.clone();
        accounts.push(account.clone());
        let default = listing.default.clone().or(Some(id));
        self.install(Listing { accounts, default }).await?;
        account.trigger.refresh_soon();
        Ok(account)
    }

    /// Makes account `id` the default one; `false` when there is no such account.
    pub async fn set_default(&self, id: &str) -> Result<bool, StorageError> {
        let _writer = self.inner.writer.lock().await;
        let listing = self.listing();
        if !listing.accounts.iter().any(|a| a.id() == id) {
            return Ok(false);
        }
        let accounts = listing.accounts.clone();
        self.install(Listing {
            accounts,
            default: Some(id.to_owned()),
        })
        .await?;
        Ok(true)
    }

    /// Forgets account `id`: the token first (so nothing can call Instagram with it any
    /// more), then every copy of its data — the snapshot in memory and on disk, the prepared
    /// pages, the cached images and its directory. The next account becomes the default if
    /// this one was. Returns the account removed, if there was one.
    pub async fn disconnect(&self, id: &str) -> Result<Option<Arc<Account>>, StorageError> {
        let _writer = self.inner.writer.lock().await;
        let listing = self.listing();
        let Some(account) = listing.accounts.iter().find(|a| a.id() == id).cloned() else {
            return Ok(None);
        };
        let store = account.credentials.clone();
        run_blocking(crate::credentials::CREDENTIALS_FILE, move || store.clear()).await?;
        let accounts: Vec<Arc<Account>> = listing
            .accounts
            .iter()
            .filter(|a| a.id() != id)
            .cloned()
            .collect();
        let default = listing
            .default
            .clone()
            .filter(|d| d != id)
            .or_else(|| accounts.first().map(|a| a.id().to_owned()));
        self.install(Listing { accounts, default }).await?;
        account.feed.purge().await?;
        account.media.purge().await;
        let (dirs, name) = (self.inner.dirs.clone(), id.to_owned());
        run_blocking(ACCOUNTS_DIR, move || dirs.remove_subdir(&name)).await?;
        tracing::info!(account = %id, "Instagram account disconnected; its data was removed");
        Ok(Some(account))
    }

    /// Writes the index for `listing`, then serves it and tells the tasks.
    async fn install(&self, listing: Listing) -> Result<(), StorageError> {
        let (root, index) = (self.inner.root.clone(), listing.index());
        run_blocking(INDEX_FILE, move || root.write(INDEX_FILE, &index)).await?;
        *self
            .inner
            .listing
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(listing);
        self.announce();
        Ok(())
    }

    /// Reads the accounts again after another replica changed them (a connect, a
    /// disconnect, a new default, a refreshed token, a new snapshot): opens the new ones,
    /// lets the gone ones go (their snapshot in memory and their local images with them),
    /// and reloads the others' credentials and snapshots. Writes nothing shared.
    pub async fn follow_stored(&self) -> anyhow::Result<()> {
        let _writer = self.inner.writer.lock().await;
        let (root, dirs) = (self.inner.root.clone(), self.inner.dirs.clone());
        let (index, present) =
            tokio::task::spawn_blocking(move || stored_accounts(&root, &dirs)).await??;
        let listing = self.listing();
        let mut accounts = Vec::with_capacity(index.order.len());
        let mut changed = listing.default != index.default;
        for id in &index.order {
            let Some(dir) = present.iter().find(|(name, _)| name == id).map(|(_, d)| d) else {
                continue;
            };
            if let Some(known) = listing.accounts.iter().find(|a| a.id() == id) {
                let before = known.credentials.current();
                let store = known.credentials.clone();
                run_blocking(crate::credentials::CREDENTIALS_FILE, move || store.reload()).await?;
                if token_replaced(before.as_ref(), known.credentials.current().as_ref()) {
                    // Reconnected on another replica: refresh now (on the lease holder;
                    // elsewhere the trigger goes unheard).
                    known.trigger.refresh_soon();
                }
                if known.feed.follow_stored().await {
                    // Perhaps with URLs renewed for this replica's visitors.
                    known.media.renewed_elsewhere();
                }
                accounts.push(known.clone());
                continue;
            }
            let store = {
                let dir = dir.clone();
                run_blocking(crate::credentials::CREDENTIALS_FILE, move || {
                    CredentialStore::open(dir)
                })
                .await?
            };
            let account =
                Account::open(id.clone(), dir.clone(), store, &self.inner.services).await?;
            tracing::info!(account = %id, "an account connected on another replica is served here too");
            accounts.push(account);
            changed = true;
        }
        for gone in listing
            .accounts
            .iter()
            .filter(|a| !accounts.iter().any(|kept| kept.id() == a.id()))
        {
            changed = true;
            // Memory only: the records are the disconnecting replica's to remove.
            gone.feed.forget();
            gone.media.purge().await;
            tracing::info!(account = %gone.id(), "an account disconnected on another replica is gone here too");
        }
        if changed {
            *self
                .inner
                .listing
                .write()
                .unwrap_or_else(PoisonError::into_inner) = Arc::new(Listing {
                accounts,
                default: index.default,
            });
            self.announce();
        }
        Ok(())
    }

    /// Marks an attempt to import a configured token as running until the guard is dropped:
    /// visitors asking for the default feed while no account exists wait for it (see
    /// [`AccountRegistry::default_waiting`]).
    pub fn importing(&self) -> Importing {
        self.inner.importing.fetch_add(1, Ordering::SeqCst);
        Importing(self.clone())
    }

    /// The default account; while a start-up import is running and none is connected yet,
    /// waits for it (up to 20 seconds).
    pub async fn default_waiting(&self) -> Result<Arc<Account>, FeedError> {
        let mut changes = self.changes();
        let deadline = tokio::time::Instant::now() + IMPORT_WAIT;
        loop {
            if let Some(account) = self.default_account() {
                return Ok(account);
            }
            if self.inner.importing.load(Ordering::SeqCst) == 0 {
                return Err(FeedError::NotConnected);
            }
            let news = tokio::time::timeout_at(deadline, changes.changed()).await;
            if !matches!(news, Ok(Ok(()))) {
                return Err(FeedError::Unavailable(
                    "the first fetch from Instagram has not finished yet".into(),
                ));
            }
        }
    }
}

/// An import attempt in progress ([`AccountRegistry::importing`]); dropping it wakes the
/// waiting visitors, who then wait for the new account's first load, or hear why there is
/// none.
pub struct Importing(AccountRegistry);

impl Drop for Importing {
    fn drop(&mut self) {
        self.0.inner.importing.fetch_sub(1, Ordering::SeqCst);
        self.0.announce();
    }
}

/// Whether the stored token changed from `before` to `after` (a reconnect, or a dead
/// token made usable again), which calls for a refresh at once.
fn token_replaced(before: Option<&Credentials>, after: Option<&Credentials>) -> bool {
    use secrecy::ExposeSecret as _;
    match (before, after) {
        (Some(before), Some(after)) => {
            after.is_active()
                && (before.access_token.expose_secret() != after.access_token.expose_secret()
                    || !before.is_active())
        }
        (None, Some(after)) => after.is_active(),
        _ => false,
    }
}

/// The index and the account directories that hold credentials, read without changing
/// anything (another replica may be in the middle of a connect or a disconnect).
#[allow(clippy::type_complexity)]
fn stored_accounts(
    root: &StateDir,
    dirs: &StateDir,
) -> Result<(Index, Vec<(String, StateDir)>), StorageError> {
    let mut present = Vec::new();
    for name in dirs.subdirs()? {
        if let Some(dir) = dirs.existing_subdir(&name)?
            && dir.try_contains(crate::credentials::CREDENTIALS_FILE)?
        {
            present.push((name, dir));
        }
    }
    let names: Vec<String> = present.iter().map(|(name, _)| name.clone()).collect();
    let index = root
        .read::<Index>(INDEX_FILE)?
        .unwrap_or_default()
        .reconciled(&names);
    Ok((index, present))
}

/// Upgrades a one-account directory, then reads the index and the account directories
/// present (removing those an interrupted disconnect left without credentials) and stores
/// the reconciled index.
/// Each account's credentials are read here, before the index, so that a wrong key is
/// reported on the file that matters.
#[allow(clippy::type_complexity)]
fn prepare(
    root: &StateDir,
) -> Result<(StateDir, Index, Vec<(String, StateDir, CredentialStore)>), StorageError> {
    let dirs = root.subdir(ACCOUNTS_DIR)?;
    let upgraded = layout::upgrade_single_account(root, &dirs)?;
    let mut present = Vec::new();
    for name in dirs.subdirs()? {
        let dir = dirs.subdir(&name)?;
        dir.remove_stale_temps()?;
        if dir.try_contains(crate::credentials::CREDENTIALS_FILE)? {
            let store = CredentialStore::open(dir.clone())?;
            present.push((name, dir, store));
        } else if !root.is_shared() {
            tracing::info!(account = %name, "removing what an interrupted disconnect left");
            dirs.remove_subdir(&name)?;
        }
        // With replicas, a directory without credentials may be another replica's connect
        // in progress: it is left alone (and not served).
    }
    let names: Vec<String> = present.iter().map(|(name, _, _)| name.clone()).collect();
    let stored: Index = root.read(INDEX_FILE)?.unwrap_or_default();
    let mut index = stored.reconciled(&names);
    if let Some(id) = upgraded.filter(|id| index.order.first() != Some(id)) {
        // The account of a one-account directory was connected first.
        index.order.retain(|other| other != &id);
        index.order.insert(0, id);
    }
    index = index.reconciled(&names);
    if index != stored {
        root.write(INDEX_FILE, &index)?;
    }
    Ok((dirs, index, present))
}
