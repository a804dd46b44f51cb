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
pub async fn run(
    feed: FeedService,
    media: MediaService,
    trigger: RefreshTrigger,
    interval: Duration,
    clock: SharedClock,
) {
    let mut due = Due::after(&clock, first_wait(&feed, interval, &clock));
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

/// A snapshot restored from disk that is still fresh need not be fetched again at startup.
fn first_wait(feed: &FeedService, interval: Duration, clock: &SharedClock) -> Duration {
    let Some(current) = feed.peek() else {
        return Duration::ZERO;
    };
    let age = (clock.now() - current.snapshot.fetched_at)
        .to_std()
        .unwrap_or(Duration::ZERO);
    interval.saturating_sub(age)
}
