//! The admin sessions igfeed has issued and not yet ended.
//!
//! The session cookie is self-contained (encrypted and signed), so on its own it would stay
//! valid until it expires even after a logout. Checking its id here makes logout final, and
//! keeping the list in the state directory keeps the owner logged in across a restart. Ids
//! are stored as SHA-256 digests, so the file alone opens no session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::storage::StateDir;
use igfeed_base::secret::{hex, sha256};

/// File in the state directory.
const FILE: &str = "admin-sessions.json";

/// Live sessions: digest of the id → absolute expiry. Cheap to clone.
#[derive(Clone)]
pub struct SessionRegistry {
    dir: StateDir,
    sessions: Arc<Mutex<HashMap<String, DateTime<Utc>>>>,
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
            sessions.insert(key, expires);
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

    /// Applies `edit` and persists the result. Memory is the authority: a failed write is
    /// logged (the change then holds until the next restart) instead of refusing a login or
    /// logout over a full disk.
    async fn change(
        &self,
        edit: impl FnOnce(&mut HashMap<String, DateTime<Utc>>) + Send + 'static,
    ) {
        let this = self.clone();
        let written = tokio::task::spawn_blocking(move || {
            // The lock is held across the write so that files land in the order of changes.
            let mut sessions = this.lock();
            edit(&mut sessions);
            let stored = Stored {
                sessions: sessions.clone(),
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

    fn lock(&self) -> MutexGuard<'_, HashMap<String, DateTime<Utc>>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn digest(sid: &str) -> String {
    hex(&sha256(sid.as_bytes()))
}
