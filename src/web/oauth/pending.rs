//! Authorizations in flight: each `state` is ≥128 random bits, bound to the admin session that
//! asked for it, usable once, and dead after ten minutes — so a forged, replayed or stale
//! callback cannot connect an account the owner did not choose.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;

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

/// The states igfeed handed out and has not yet seen come back.
#[derive(Default)]
pub struct PendingAuthorizations {
    states: Mutex<HashMap<String, (String, DateTime<Utc>)>>,
}

impl PendingAuthorizations {
    /// A fresh state for the admin session `sid`.
    pub fn issue(&self, sid: &str, now: DateTime<Utc>) -> String {
        let bytes: [u8; 16] = rand::rng().random();
        let state: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
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
