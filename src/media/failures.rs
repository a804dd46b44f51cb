//! Originals that just failed to download or render, remembered briefly so visitors asking
//! for them again get the same answer at once instead of each costing a CDN download.
//!
//! Keyed by the CDN URL: a URL the refresher renews is a new key, so a renewal is never held
//! back by the failure of the URL it replaced. Expired URLs are not kept here; they wait for
//! renewal in the media service's own set.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

use super::MediaError;

/// How long a failed original is not tried again: short enough that a CDN hiccup heals by
/// itself within a minute, long enough that a broken image costs one download per window
/// instead of one per visitor.
pub const RETRY_AFTER: TimeDelta = TimeDelta::seconds(30);
/// Entries kept at most; the oldest go first. A feed has a few hundred images at most.
const MAX_ENTRIES: usize = 1024;

/// Recent failures by CDN URL.
#[derive(Default)]
pub struct RecentFailures {
    entries: Mutex<HashMap<String, Failure>>,
}

struct Failure {
    at: DateTime<Utc>,
    error: MediaError,
}

impl RecentFailures {
    /// The error `url` failed with less than [`RETRY_AFTER`] before `now`, if it did.
    pub fn get(&self, url: &str, now: DateTime<Utc>) -> Option<MediaError> {
        let entries = self.entries.lock().ok()?;
        let failure = entries.get(url)?;
        // A clock set back makes `now - at` negative: still fresh, and it ages from there.
        (now - failure.at < RETRY_AFTER).then(|| failure.error.clone())
    }

    /// Remembers that `url` failed with `error` at `now`.
    pub fn record(&self, url: &str, error: MediaError, now: DateTime<Utc>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        entries.retain(|_, f| now - f.at < RETRY_AFTER);
        if entries.len() >= MAX_ENTRIES
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, f)| f.at)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(url.to_owned(), Failure { at: now, error });
    }

    /// Forgets everything (disconnect).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_answered_from_memory_until_the_window_passes() {
        let failures = RecentFailures::default();
        let now = Utc::now();
        assert!(failures.get("a", now).is_none());
        failures.record("a", MediaError::Upstream("broken".into()), now);
        let seconds = |n| now + TimeDelta::seconds(n);
        assert!(matches!(
            failures.get("a", seconds(29)),
            Some(MediaError::Upstream(detail)) if detail == "broken"
        ));
        assert!(failures.get("b", seconds(1)).is_none(), "another URL");
        assert!(failures.get("a", seconds(30)).is_none(), "tried again");
    }

    #[test]
    fn the_memory_stays_bounded() {
        let failures = RecentFailures::default();
        let now = Utc::now();
        for i in 0..MAX_ENTRIES + 10 {
            failures.record(&i.to_string(), MediaError::NotFound, now);
        }
        let kept = failures.entries.lock().map(|e| e.len()).unwrap_or(0);
        assert_eq!(kept, MAX_ENTRIES);
        assert!(failures.get(&(MAX_ENTRIES + 9).to_string(), now).is_some());
    }
}
