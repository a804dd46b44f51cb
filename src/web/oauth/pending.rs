//! Authorizations in flight: each `state` is ≥128 random bits, bound to the admin session that
//! asked for it, usable once, and dead after ten minutes — so a forged, replayed or stale
//! callback cannot connect an account the owner did not choose.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};
use igfeed_base::secret::{hex, sha256};
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::storage::{StateDir, StorageError, run_blocking};

/// How long the owner has to approve on Instagram.
pub const STATE_LIFETIME: TimeDelta = TimeDelta::minutes(10);
/// Only admins create states; this bounds memory even if one clicks Connect all day.
const MAX_PENDING: usize = 64;

/// Why a callback's `state` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateProblem {
    /// No `state` in the callback.
    Missing,
    /// Not one igfeed issued, or already used.
    Unknown,
    /// Issued more than ten minutes ago.
    Expired,
    /// Issued to another admin session.
    OtherSession,
}

/// The states igfeed handed out and has not yet seen come back: in this process's memory,
/// or, with several replicas, in Redis, so the callback may land on any of them.
#[derive(Default)]
pub struct PendingAuthorizations {
    states: Mutex<HashMap<String, (String, DateTime<Utc>)>>,
    shared: Option<StateDir>,
}

/// A state in Redis: digests only (of the state, the key; of the session id, here), so what
/// Redis holds opens nothing.
#[derive(Serialize, Deserialize)]
struct SharedState {
    session: String,
    issued: DateTime<Utc>,
}

impl PendingAuthorizations {
    /// States kept where `storage` keeps short-lived values when it is shared by replicas,
    /// else in memory.
    pub fn new(storage: &StateDir) -> Self {
        Self {
            states: Mutex::default(),
            shared: storage.is_shared().then(|| storage.clone()),
        }
    }

    /// [`PendingAuthorizations::issue`], in Redis with several replicas.
    pub async fn start(&self, sid: &str, now: DateTime<Utc>) -> Result<String, StorageError> {
        let Some(storage) = &self.shared else {
            return Ok(self.issue(sid, now));
        };
        let state = fresh_state();
        let value = serde_json::to_vec(&SharedState {
            session: digest(sid),
            issued: now,
        })
        .map_err(|e| StorageError::Encode {
            path: "an OAuth state".into(),
            reason: e.to_string(),
        })?;
        let (storage, key) = (storage.clone(), scratch_key(&state));
        let ttl = STATE_LIFETIME.to_std().unwrap_or_default();
        run_blocking("an OAuth state", move || {
            storage.put_scratch(&key, &value, ttl)
        })
        .await?;
        Ok(state)
    }

    /// [`PendingAuthorizations::redeem`], from Redis with several replicas: whichever
    /// replica Instagram's redirect lands on, the state works there, once.
    pub async fn finish(
        &self,
        state: Option<&str>,
        sid: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StateProblem> {
        let Some(storage) = &self.shared else {
            return self.redeem(state, sid, now);
        };
        let state = state
            .filter(|s| !s.is_empty())
            .ok_or(StateProblem::Missing)?;
        let (storage, key) = (storage.clone(), scratch_key(state));
        let taken = run_blocking("an OAuth state", move || storage.take_scratch(&key)).await;
        let stored = match taken {
            Ok(Some(bytes)) => serde_json::from_slice::<SharedState>(&bytes).ok(),
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(%error, "could not read an OAuth state");
                None
            }
        };
        let stored = stored.ok_or(StateProblem::Unknown)?;
        if now - stored.issued >= STATE_LIFETIME {
            return Err(StateProblem::Expired);
        }
        if stored.session != digest(sid) {
            return Err(StateProblem::OtherSession);
        }
        Ok(())
    }

    /// A fresh state for the admin session `sid`.
    pub fn issue(&self, sid: &str, now: DateTime<Utc>) -> String {
        let state = fresh_state();
        if let Ok(mut states) = self.states.lock() {
            states.retain(|_, (_, issued)| now - *issued < STATE_LIFETIME);
            if states.len() >= MAX_PENDING
                && let Some(oldest) = states
                    .iter()
                    .min_by_key(|(_, (_, t))| *t)
                    .map(|(k, _)| k.clone())
            {
                states.remove(&oldest);
            }
            states.insert(state.clone(), (sid.to_owned(), now));
        }
        state
    }

    /// Consumes `state` (whatever the outcome, it cannot be used again) and checks it.
    pub fn redeem(
        &self,
        state: Option<&str>,
        sid: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StateProblem> {
        let state = state
            .filter(|s| !s.is_empty())
            .ok_or(StateProblem::Missing)?;
        let entry = self
            .states
            .lock()
            .ok()
            .and_then(|mut states| states.remove(state))
            .ok_or(StateProblem::Unknown)?;
        let (owner, issued) = entry;
        if now - issued >= STATE_LIFETIME {
            return Err(StateProblem::Expired);
        }
        if owner != sid {
            return Err(StateProblem::OtherSession);
        }
        Ok(())
    }
}

/// 128 random bits in hex.
fn fresh_state() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a state is kept in shared storage.
fn scratch_key(state: &str) -> String {
    format!("oauth-state:{}", digest(state))
}

fn digest(secret: &str) -> String {
    hex(&sha256(secret.as_bytes()))
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_works_once_for_its_session_within_ten_minutes() {
        let pending = PendingAuthorizations::default();
        let t0 = Utc::now();
        let state = pending.issue("sid-a", t0);
        assert_eq!(state.len(), 32, "128 bits in hex");
        assert_eq!(pending.redeem(Some(&state), "sid-a", t0), Ok(()));
        assert_eq!(
            pending.redeem(Some(&state), "sid-a", t0),
            Err(StateProblem::Unknown),
            "single use"
        );

        let other = pending.issue("sid-a", t0);
        assert_eq!(
            pending.redeem(Some(&other), "sid-b", t0),
            Err(StateProblem::OtherSession)
        );
        assert_eq!(
            pending.redeem(Some(&other), "sid-a", t0),
            Err(StateProblem::Unknown),
            "burnt by the attempt"
        );

        let late = pending.issue("sid-a", t0);
        let later = t0 + STATE_LIFETIME + TimeDelta::seconds(1);
        assert_eq!(
            pending.redeem(Some(&late), "sid-a", later),
            Err(StateProblem::Expired)
        );
        assert_eq!(
            pending.redeem(None, "sid-a", t0),
            Err(StateProblem::Missing)
        );
        assert_eq!(
            pending.redeem(Some("forged"), "sid-a", t0),
            Err(StateProblem::Unknown)
        );
    }

    #[test]
    fn pending_states_are_bounded() {
        let pending = PendingAuthorizations::default();
        let t0 = Utc::now();
        let first = pending.issue("sid", t0);
        for i in 0..MAX_PENDING {
            pending.issue("sid", t0 + TimeDelta::milliseconds(i as i64 + 1));
        }
        assert_eq!(
            pending.redeem(Some(&first), "sid", t0),
            Err(StateProblem::Unknown),
            "oldest evicted"
        );
    }
}
