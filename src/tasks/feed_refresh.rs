//! Polls Instagram every `feed.refresh_interval`, or sooner when asked (connect, import,
//! "refresh now"); waits longer when Instagram says it is rate limited. Between refreshes it
//! does the media chores visitors asked for (renewing expired CDN URLs, publishing sizes),
//! so that every Instagram call still comes from this one task.
//!
//! When the next refresh is due is judged against the wall clock (see [`Due`]) at least once
//! per interval, however long the wait, so a machine that slept through a rate-limit wait
//! refreshes soon after it wakes; and a refresh someone else made (the owner's "Refresh
//! feed now") reschedules the loop from that refresh's outcome.

use std::time::Duration;

use super::due::Due;
use crate::clock::SharedClock;
use crate::feed::{FeedError, FeedService, RefreshStatus};
use crate::media::MediaService;

pub use crate::feed::RefreshTrigger;

/// Runs forever: refresh when due, else sleep until then, a trigger or a media chore.
/// `spread` is this account's share of the interval: a stored snapshot too old to serve
/// as fresh is refreshed that long after the start, so accounts restored together do not
/// all call Instagram at the same moment (and stay apart afterwards).
pub async fn run(
    feed: FeedService,
    media: MediaService,
    trigger: RefreshTrigger,
    interval: Duration,
    clock: SharedClock,
    spread: Duration,
) {
    let mut due = Due::after(&clock, first_wait(&feed, interval, &clock, spread));
    let mut seen = feed.status().last_attempt;
    loop {
        let status = feed.status();
        if status.last_attempt != seen {
            // Someone else refreshed: the schedule follows from their outcome.
            seen = status.last_attempt;
            due = Due::since(&clock, seen, wait_after(&status, interval));
        }
        if due.is_due(&clock) {
            let wait = match feed.refresh().await {
                Ok(_) => {
                    media.after_refresh(&feed).await;
                    interval
                }
                Err(FeedError::Unavailable(_)) => wait_after(&feed.status(), interval),
                Err(FeedError::NotConnected | FeedError::NeedsReconnect(_)) => interval,
            };
            // Counted from the attempt's start when there was one (not when the refresh was
            // skipped for want of a usable token).
            let attempt = feed.status().last_attempt;
            let started = if attempt == seen { None } else { attempt };
            seen = attempt;
            due = Due::since(&clock, started, wait);
            continue;
        }
        tokio::select! {
            () = tokio::time::sleep(due.left(&clock).min(interval)) => {}
            () = trigger.requested() => due = Due::now(&clock),
            () = media.woken() => media.maintain(&feed).await,
        }
    }
}

/// The wait after a refresh that ended in `status`: the interval, or longer when Instagram
/// asked for longer (already bounded by the Instagram client).
fn wait_after(status: &RefreshStatus, interval: Duration) -> Duration {
    match (&status.last_error, status.retry_after) {
        (Some(_), Some(retry_after)) => retry_after.max(interval),
        _ => interval,
    }
}

/// A snapshot restored from disk that is still fresh need not be fetched again at startup;
/// one that is not waits for its `spread`. With none, visitors are waiting: at once.
fn first_wait(
    feed: &FeedService,
    interval: Duration,
    clock: &SharedClock,
    spread: Duration,
) -> Duration {
    let Some(current) = feed.peek() else {
        return Duration::ZERO;
    };
    let age = (clock.now() - current.snapshot.fetched_at)
        .to_std()
        .unwrap_or(Duration::ZERO);
    first_wait_for(age, interval, spread)
}

/// [`first_wait`] for a snapshot of `age`.
fn first_wait_for(age: Duration, interval: Duration, spread: Duration) -> Duration {
    if age < interval {
        interval - age
    } else {
        spread.min(interval)
    }
}

/// Account `position`'s share of `interval` when `count` accounts are connected: their
/// refreshes are spaced evenly over the interval.
pub fn spread(interval: Duration, position: usize, count: usize) -> Duration {
    let count = u32::try_from(count.max(1)).unwrap_or(u32::MAX);
    let position = u32::try_from(position).unwrap_or(u32::MAX).min(count - 1);
    interval / count * position
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{first_wait_for, spread};

    const INTERVAL: Duration = Duration::from_secs(900);

    #[test]
    fn accounts_are_spread_evenly_over_the_interval() {
        let shares: Vec<u64> = (0..3).map(|i| spread(INTERVAL, i, 3).as_secs()).collect();
        assert_eq!(shares, [0, 300, 600]);
        assert_eq!(spread(INTERVAL, 0, 1), Duration::ZERO);
        assert_eq!(spread(INTERVAL, 7, 0), Duration::ZERO);
    }

    #[test]
    fn a_fresh_snapshot_waits_out_its_interval_and_a_stale_one_its_share() {
        let share = Duration::from_secs(300);
        assert_eq!(
            first_wait_for(Duration::from_secs(100), INTERVAL, share),
            Duration::from_secs(800)
        );
        assert_eq!(first_wait_for(INTERVAL * 4, INTERVAL, share), share);
        assert_eq!(
            first_wait_for(INTERVAL, INTERVAL, Duration::ZERO),
            Duration::ZERO
        );
    }
}
