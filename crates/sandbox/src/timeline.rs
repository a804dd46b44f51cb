//! Which posts an account has and when each was published.

use chrono::{DateTime, TimeDelta, Utc};

use super::posts::{ADDED_SEED_BASE, Post, mix};

/// Generated history is spaced this far apart (plus jitter below an hour).
const SPACING: TimeDelta = TimeDelta::hours(3);

/// Which posts exist and when they were published, newest first.
#[derive(Debug)]
pub(crate) struct Timeline {
    epoch: DateTime<Utc>,
    /// Added to every local seed: the account's seed range (see `accounts::SEED_SPAN`).
    base: u64,
    entries: Vec<(u64, DateTime<Utc>)>,
    next_rank: u64,
    added: u64,
}

impl Timeline {
    /// `count` posts published before `epoch`, hours apart, their seeds counted from `base`.
    pub(crate) fn new(epoch: DateTime<Utc>, count: usize, base: u64) -> Timeline {
        let mut timeline = Timeline {
            epoch,
            base,
            entries: Vec::new(),
            next_rank: 1,
            added: 0,
        };
        timeline.resize(count);
        timeline
    }

    /// Trims the oldest posts, or appends older generated history, to hold `count` posts.
    pub(crate) fn resize(&mut self, count: usize) {
        self.entries.truncate(count);
        self.next_rank = self
            .entries
            .iter()
            .map(|(seed, _)| *seed - self.base)
            .filter(|seed| *seed < ADDED_SEED_BASE)
            .max()
            .map_or(1, |seed| seed + 1);
        while self.entries.len() < count && self.next_rank < ADDED_SEED_BASE {
            let rank = self.next_rank;
            let jitter = mix(self.base + rank) >> 24;
            let at = self.epoch - SPACING * rank as i32
                + TimeDelta::minutes((jitter % 50) as i64)
                + TimeDelta::seconds(((jitter >> 8) % 60) as i64);
            self.entries.push((self.base + rank, at));
            self.next_rank += 1;
        }
    }

    /// Publishes a new newest post at `now` and returns its seed.
    pub(crate) fn add(&mut self, now: DateTime<Utc>) -> u64 {
        self.added += 1;
        let seed = self.base + ADDED_SEED_BASE + self.added;
        self.entries.insert(0, (seed, now));
        seed
    }

    /// All posts, newest first.
    pub(crate) fn entries(&self) -> &[(u64, DateTime<Utc>)] {
        &self.entries
    }

    /// The post with this seed, if it is currently published.
    pub(crate) fn find(&self, seed: u64) -> Option<Post> {
        let (seed, at) = self.entries.iter().find(|(s, _)| *s == seed)?;
        Some(Post::build(*seed, *at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_newest_first_and_stable_when_resized() {
        let now = Utc::now();
        let mut timeline = Timeline::new(now, 36, 0);
        let entries = timeline.entries().to_vec();
        assert_eq!(entries.len(), 36);
        assert!(entries.windows(2).all(|w| w[0].1 > w[1].1), "newest first");
        assert!(entries[0].1 < now, "history lies in the past");
        timeline.resize(10);
        timeline.resize(40);
        assert_eq!(
            &timeline.entries()[..36],
            &entries[..],
            "same posts at the same times"
        );
        let added = timeline.add(now);
        assert_eq!(timeline.entries()[0], (added, now));
        assert!(timeline.find(added).is_some() && timeline.find(999).is_none());
    }
}
