//! Media whose CDN URL died, waiting for the refresher to ask the Graph API for a new one.
//!
//! Visitors only ever add to this queue; the refresher drains it. Each media id is renewed at
//! most once per refresh interval, so Graph calls depend on time and on the number of posts,
//! never on traffic.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

/// The id under which the profile picture is queued (media ids are digits).
pub const PROFILE: &str = "profile";

/// Pending renewals and when each id was last renewed.
pub struct HealQueue {
    interval: TimeDelta,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    pending: BTreeSet<String>,
    /// Taken by the refresher, renewal not finished yet.
    running: BTreeSet<String>,
    last: HashMap<String, DateTime<Utc>>,
}

impl HealQueue {
    /// Renews each id at most once per `interval` (the feed's refresh interval).
    pub fn new(interval: TimeDelta) -> Self {
        Self {
            interval,
            state: Mutex::new(State::default()),
        }
    }

    /// Queues `id`; false when it was renewed less than an interval ago (nothing will happen).
    pub fn queue(&self, id: &str, now: DateTime<Utc>) -> bool {
        let interval = self.interval;
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        if state.pending.contains(id) {
            return true;
        }
        if state.last.get(id).is_some_and(|at| now - *at < interval) {
            return false;
        }
        state.pending.insert(id.to_owned());
        true
    }

    /// Whether `id` waits for renewal or is being renewed right now.
    pub fn is_pending(&self, id: &str) -> bool {
        self.state
            .lock()
            .is_ok_and(|s| s.pending.contains(id) || s.running.contains(id))
    }

    /// Marks the ids of the last [`HealQueue::take`] as finished.
    pub fn finished(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.running.clear();
        }
    }

    /// Takes every pending id, recording `now` as its renewal time.
    pub fn take(&self, now: DateTime<Utc>) -> Vec<String> {
        let Ok(mut state) = self.state.lock() else {
            return Vec::new();
        };
        let ids: Vec<String> = std::mem::take(&mut state.pending).into_iter().collect();
        for id in &ids {
            state.last.insert(id.clone(), now);
            state.running.insert(id.clone());
        }
        // Bounded: renewals older than an interval no longer throttle anything.
        let interval = self.interval;
        state.last.retain(|_, at| now - *at < interval);
        ids
    }

    /// Forgets everything (disconnect).
    pub fn clear(&self) {
        if let Ok(mut state) = self.state.lock() {
            *state = State::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_renewed_at_most_once_per_interval() {
        let queue = HealQueue::new(TimeDelta::minutes(15));
        let now = Utc::now();
        assert!(queue.queue("1", now));
        assert!(queue.queue("1", now), "already pending");
        assert_eq!(queue.take(now), vec!["1".to_owned()]);
        assert!(!queue.queue("1", now + TimeDelta::minutes(5)));
        assert!(queue.take(now).is_empty());
        assert!(queue.queue("1", now + TimeDelta::minutes(15)));
    }
}
