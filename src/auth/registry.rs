//! The admin sessions igfeed has issued and not yet ended.
//!
//! The session cookie is self-contained (encrypted and signed), so on its own it would stay
//! valid until it expires even after a logout. Checking its id here makes logout final, and
//! keeping the list in the state directory keeps the owner logged in across a restart. Ids
//! are stored as SHA-256 digests, so the file alone opens no session.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::storage::StateDir;
use igfeed_base::secret::{hex, sha256};

/// File in the state directory.
const FILE: &str = "admin-sessions.json";

/// Digest of a session id → its absolute expiry.
type Sessions = HashMap<String, DateTime<Utc>>;

/// Compare-and-set attempts of one change before it is given up (logged).
const CHANGE_ATTEMPTS: usize = 8;

/// Live sessions: digest of the id → absolute expiry. Cheap to clone.
#[derive(Clone)]
pub struct SessionRegistry {
    dir: StateDir,
    /// Read on every admin request: held only for a lookup or a swap, never across I/O.
    sessions: Arc<Mutex<Sessions>>,
    /// Orders the writers (held across the write, so files land in the order of changes).
    writer: Arc<Mutex<()>>,
    /// Sessions ended here while Redis could not be written: kept ended when the stored
    /// sessions are read again, and removed there at the next write that works.
    ended: Arc<Mutex<HashSet<String>>>,
}

#[derive(Serialize, Deserialize, Default)]
struct Stored {
    sessions: HashMap<String, DateTime<Utc>>,
}

impl SessionRegistry {
    /// Loads the sessions that were live when igfeed last stopped. An unreadable file only
    /// logs the owner out, so it is reported and replaced rather than stopping startup.
    pub fn load(dir: StateDir) -> Self {
        let sessions = match dir.read::<Stored>(FILE) {
            Ok(stored) => stored.unwrap_or_default().sessions,
            Err(error) => {
                tracing::warn!(%error, "admin sessions unreadable; admins must log in again");
                HashMap::new()
            }
        };
        Self {
            dir,
            sessions: Arc::new(Mutex::new(sessions)),
            writer: Arc::default(),
            ended: Arc::default(),
        }
    }

    /// Whether session `sid` was issued, not ended, and has not expired at `now`.
    pub fn is_live(&self, sid: &str, now: DateTime<Utc>) -> bool {
        self.lock()
            .get(&digest(sid))
            .is_some_and(|expires| now < *expires)
    }

    /// Records a new session (and forgets expired ones).
    pub async fn insert(&self, sid: &str, expires: DateTime<Utc>, now: DateTime<Utc>) {
        let key = digest(sid);
        self.change(move |sessions| {
            sessions.retain(|_, e| now < *e);
            sessions.insert(key.clone(), expires);
        })
        .await;
    }

    /// Ends session `sid`.
    pub async fn remove(&self, sid: &str) {
        let key = digest(sid);
        self.change(move |sessions| {
            sessions.remove(&key);
        })
        .await;
    }

    /// Reads the sessions again after another replica changed them (a login, a logout):
    /// a session started there opens this replica's admin too, one ended there no longer
    /// does.
    pub fn reload(&self) {
        let _writer = lock(&self.writer);
        match self.dir.read::<Stored>(FILE) {
            Ok(stored) => {
                let mut stored = stored.unwrap_or_default().sessions;
                stored.retain(|key, _| !lock(&self.ended).contains(key));
                *self.lock() = stored;
            }
            Err(error) => {
                tracing::warn!(%error, "could not read the admin sessions another replica changed")
            }
        }
    }

    /// Applies `edit` and persists the result. Memory is the authority: a failed write is
    /// logged (the change then holds until the next restart) instead of refusing a login or
    /// logout over a full disk.
    ///
    /// With several replicas, `edit` is applied to what is stored now and written only if
    /// no other replica wrote in between (tried again if one did), so two logins on two
    /// replicas at once both hold.
    async fn change(&self, edit: impl Fn(&mut HashMap<String, DateTime<Utc>>) + Send + 'static) {
        let this = self.clone();
        let written = tokio::task::spawn_blocking(move || {
            let _writer = lock(&this.writer);
            if this.dir.is_shared() {
                return match this.change_shared(&edit) {
                    Ok(stored) => {
                        *this.lock() = stored;
                        Ok(())
                    }
                    Err(error) => {
                        // Memory stays the authority when Redis cannot be written; a session
                        // ended now stays ended when the stored ones are read again.
                        let mut sessions = this.lock();
                        let before: HashSet<String> = sessions.keys().cloned().collect();
                        edit(&mut sessions);
                        lock(&this.ended)
                            .extend(before.into_iter().filter(|k| !sessions.contains_key(k)));
                        Err(error)
                    }
                };
            }
            let stored = {
                let mut sessions = this.lock();
                edit(&mut sessions);
                Stored {
                    sessions: sessions.clone(),
                }
            };
            this.dir.write(FILE, &stored)
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "could not persist admin sessions"),
            Err(error) => tracing::error!(%error, "admin session update did not finish"),
        }
    }

    /// Applies `edit` to the stored sessions with compare-and-set writes; the sessions
    /// stored in the end.
    fn change_shared(
        &self,
        edit: &dyn Fn(&mut Sessions),
    ) -> Result<Sessions, crate::storage::StorageError> {
        for _ in 0..CHANGE_ATTEMPTS {
            let (stored, stamp) = self.dir.read_stamped::<Stored>(FILE)?;
            let mut sessions = stored.unwrap_or_default().sessions;
            edit(&mut sessions);
            let ended = lock(&self.ended).clone();
            sessions.retain(|key, _| !ended.contains(key));
            let next = Stored { sessions };
            if self.dir.write_if(FILE, &next, &stamp)?.is_some() {
                lock(&self.ended).retain(|key| !ended.contains(key));
                return Ok(next.sessions);
            }
        }
        Err(crate::storage::StorageError::Changed {
            path: FILE.to_owned(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, DateTime<Utc>>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Takes `mutex`, whatever panicked while holding it (the values stay whole).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn digest(sid: &str) -> String {
    hex(&sha256(sid.as_bytes()))
}
