//! [`CredentialStore`]: the token in memory, backed by `credentials.json` in the state dir.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret as _, SecretString};

use super::record::Record;
use super::{Credentials, TokenState};
use crate::storage::{StateDir, StorageError};

/// The file that holds the token.
pub const CREDENTIALS_FILE: &str = "credentials.json";

/// The lease (in the account's directory) held by a call that may change the token.
const CALLS_LEASE: &str = "calls";
/// How long it outlives a replica that died holding it.
const CALLS_TTL: Duration = Duration::from_secs(120);
/// How long a call waits for another replica's; then it goes on (compare-and-set still
/// keeps the newest token).
const CALLS_WAIT: Duration = Duration::from_secs(150);
/// How often a waiting replica asks again.
const CALLS_POLL: Duration = Duration::from_millis(50);

/// Held by a call that may change the token ([`CredentialStore::lock_calls`]).
pub struct CallsGuard {
    local: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// With Redis: the directory whose lease to let go.
    shared: Option<StateDir>,
}

impl Drop for CallsGuard {
    fn drop(&mut self) {
        let local = self.local.take();
        let Some(dir) = self.shared.take() else {
            return;
        };
        // The local lock goes only after the lease: the lease belongs to the process, so a
        // next call here taking (renewing) it first would have it let go under its feet.
        let release = move || {
            if let Err(error) = dir.release(CALLS_LEASE) {
                tracing::warn!(%error, "could not let the token's lease go; it expires by itself");
            }
            drop(local);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(release)),
            Err(_) => release(),
        }
    }
}

/// The one place the token lives: an in-memory copy plus its file. Cheap to clone.
///
/// Writes are synchronous (a small file, fsynced: milliseconds) and rare (connect, refresh,
/// disconnect); async callers run them in `spawn_blocking`. Reads never touch the disk.
#[derive(Clone)]
pub struct CredentialStore {
    inner: Arc<Inner>,
}

struct Inner {
    dir: StateDir,
    /// Serialises writers, so a read-modify-write never loses a concurrent change. Kept
    /// apart from `current` so readers are not held up by a writer's fsync.
    writer: Mutex<()>,
    /// Always what the file holds: it is replaced only after the file was written.
    current: RwLock<Option<Credentials>>,
    /// Held by each use of the token that may end in changing it (a feed fetch, which marks
    /// a rejected token dead; a refresh, which replaces it): one at a time per account, so
    /// a fetch never judges a token the keeper is replacing at that moment.
    calls: Arc<tokio::sync::Mutex<()>>,
}

impl CredentialStore {
    /// Loads the stored credentials, if any. A damaged or undecryptable file is an error:
    /// igfeed refuses to start rather than lose (or overwrite) the only token.
    pub fn open(dir: StateDir) -> Result<Self, StorageError> {
        let current = dir.read::<Record>(CREDENTIALS_FILE)?.map(Credentials::from);
        Ok(Self {
            inner: Arc::new(Inner {
                dir,
                writer: Mutex::new(()),
                current: RwLock::new(current),
                calls: Arc::new(tokio::sync::Mutex::new(())),
            }),
        })
    }

    /// A copy of the current credentials; `None` when igfeed is not connected.
    pub fn current(&self) -> Option<Credentials> {
        self.inner
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The username of the current credentials, copied without the rest (the token among
    /// it): `?feed=` looks accounts up by it on every request.
    pub fn username(&self) -> Option<String> {
        self.inner
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .and_then(|c| c.username.clone())
    }

    /// `f` of the stored username, read in place (no copy at all: `?feed=` compares it on
    /// every request).
    pub fn with_username<R>(&self, f: impl FnOnce(Option<&str>) -> R) -> R {
        let current = self
            .inner
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        f(current.as_ref().and_then(|c| c.username.as_deref()))
    }

    /// Waits for the token to be free of other calls that may change it (see `calls`): in
    /// this process, and with Redis on every replica (a lease in the account's directory),
    /// then reads the credentials again, since another replica may have changed them while
    /// this one waited. Two replicas never both call Instagram to refresh one token.
    pub async fn lock_calls(&self) -> CallsGuard {
        let local = Some(Arc::clone(&self.inner.calls).lock_owned().await);
        if !self.inner.dir.is_shared() {
            return CallsGuard {
                local,
                shared: None,
            };
        }
        let deadline = tokio::time::Instant::now() + CALLS_WAIT;
        loop {
            let dir = self.inner.dir.clone();
            let held = tokio::task::spawn_blocking(move || dir.lease(CALLS_LEASE, CALLS_TTL)).await;
            match held {
                Ok(Ok(Some(_))) => break,
                Ok(Ok(None)) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(CALLS_POLL).await;
                }
                // Redis unreachable, or waited long enough: go on under the local lock;
                // the compare-and-set writes still keep the newest token.
                Ok(Ok(None)) | Ok(Err(_)) | Err(_) => {
                    return CallsGuard {
                        local,
                        shared: None,
                    };
                }
            }
        }
        let store = self.clone();
        let reloaded = tokio::task::spawn_blocking(move || store.reload()).await;
        if !matches!(reloaded, Ok(Ok(()))) {
            tracing::warn!("could not read the credentials again before a call to Instagram");
        }
        CallsGuard {
            local,
            shared: Some(self.inner.dir.clone()),
        }
    }

    /// Replaces the credentials: the file first, then memory, so nothing ever uses a token
    /// that a crash could lose.
    pub fn save(&self, credentials: Credentials) -> Result<(), StorageError> {
        let _writer = self.writer();
        self.persist(credentials)
    }

    /// Changes the stored credentials with `f` as one step with respect to other writers —
    /// in this process and, with Redis, on other replicas: `f` sees what is stored now, and
    /// the result is written only if nobody wrote in between (compare-and-set), so an older
    /// token never overwrites a newer one. Returns the new value, or `None` (and does
    /// nothing) when there are none.
    pub fn update(
        &self,
        f: impl FnOnce(&mut Credentials),
    ) -> Result<Option<Credentials>, StorageError> {
        let _writer = self.writer();
        let (stored, stamp) = self.inner.dir.read_stamped::<Record>(CREDENTIALS_FILE)?;
        let Some(mut credentials) = stored.map(Credentials::from) else {
            *self.current_mut() = None;
            return Ok(None);
        };
        f(&mut credentials);
        let record = Record::from(credentials.clone());
        match self.inner.dir.write_if(CREDENTIALS_FILE, &record, &stamp)? {
            Some(_) => {
                *self.current_mut() = Some(credentials.clone());
                Ok(Some(credentials))
            }
            None => {
                // Another replica wrote between the read and the write: keep its value.
                self.reload_locked()?;
                Err(StorageError::Changed {
                    path: CREDENTIALS_FILE.to_owned(),
                })
            }
        }
    }

    /// Reads the stored credentials again, after another replica changed them (a refresh
    /// on the lease holder, a connect on another replica); `None` stored means gone.
    pub fn reload(&self) -> Result<(), StorageError> {
        let _writer = self.writer();
        self.reload_locked()
    }

    /// [`CredentialStore::reload`] with the writer lock held.
    fn reload_locked(&self) -> Result<(), StorageError> {
        let stored = self
            .inner
            .dir
            .read::<Record>(CREDENTIALS_FILE)?
            .map(Credentials::from);
        *self.current_mut() = stored;
        Ok(())
    }

    /// Forgets the credentials: the file first, then memory.
    pub fn clear(&self) -> Result<(), StorageError> {
        let _writer = self.writer();
        self.inner.dir.remove(CREDENTIALS_FILE)?;
        *self.current_mut() = None;
        Ok(())
    }

    /// Writes, then swaps memory; the caller holds the writer lock.
    fn persist(&self, credentials: Credentials) -> Result<(), StorageError> {
        let record = Record::from(credentials.clone());
        self.inner.dir.write(CREDENTIALS_FILE, &record)?;
        *self.current_mut() = Some(credentials);
        Ok(())
    }

    // Poisoning is recoverable here: the value is only ever replaced whole, after the file
    // was written, so a panic elsewhere cannot leave it half-changed.
    fn writer(&self) -> MutexGuard<'_, ()> {
        self.inner
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn current_mut(&self) -> std::sync::RwLockWriteGuard<'_, Option<Credentials>> {
        self.inner
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl CredentialStore {
    /// Records that only a new authorization can help, so no one calls Instagram with this
    /// token again; the reason is kept for the owner. Only if `failed` is still the stored
    /// token: the owner may have reconnected (or disconnected) while the failing call was in
    /// flight. A failure to write is logged: the caller has nothing better to do with it.
    pub async fn mark_needs_reconnect(
        &self,
        failed: &SecretString,
        reason: &str,
        now: DateTime<Utc>,
    ) {
        let store = self.clone();
        let reason = reason.to_owned();
        let failed = failed.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut marked = false;
            store
                .update(|c| {
                    if c.access_token.expose_secret() == failed.expose_secret() {
                        c.state = TokenState::NeedsReconnect { reason, since: now };
                        marked = true;
                    }
                })
                .map(|_| marked)
        })
        .await;
        match result {
            Ok(Ok(true)) => {
                tracing::warn!("Instagram access must be renewed: the owner has to reconnect")
            }
            Ok(Ok(false)) => tracing::info!(
                "a call failed with a token that was replaced meanwhile; the new one is kept"
            ),
            Ok(Err(error)) => tracing::error!(%error, "could not record that the token is dead"),
            Err(error) => tracing::error!(%error, "could not record that the token is dead"),
        }
    }
}

impl std::fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialStore")
            .field("dir", &self.inner.dir)
            .field("connected", &self.current().is_some())
            .finish()
    }
}
