//! Polls Instagram every `feed.refresh_interval`, or sooner when asked (connect, import,
//! "refresh now"); waits longer when Instagram says it is rate limited. Between refreshes it
//! does the media chores visitors asked for (renewing expired CDN URLs, publishing sizes),
//! so that every Instagram call still comes from this one task.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::clock::SharedClock;
use crate::feed::{FeedError, FeedService};
use crate::media::MediaService;

/// Wakes the feed refresher ahead of its schedule.
#[derive(Clone, Default)]
pub struct RefreshTrigger(Arc<Notify>);

impl RefreshTrigger {
    /// Asks for a refresh as soon as possible (coalesced with one already pending).
    pub fn refresh_soon(&self) {
        self.0.notify_one();
    }
}

/// Runs forever: refresh, then sleep until the next one is due or a trigger fires.
pub async fn run(
    feed: FeedService,
    media: MediaService,
    trigger: RefreshTrigger,
    interval: Duration,
    clock: SharedClock,
) {
    let mut due = tokio::time::Instant::now() + first_wait(&feed, interval, &clock).await;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(due) => {}
            () = trigger.0.notified() => {}
            () = media.woken() => {
                media.maintain(&feed).await;
                continue;
            }
        }
        let wait = match feed.refresh().await {
            Ok(_) => {
                media.after_refresh(&feed).await;
                interval
            }
            Err(FeedError::Unavailable(_)) => feed
                .status()
                .retry_after
                .map_or(interval, |r| r.max(interval)),
            Err(FeedError::NotConnected | FeedError::NeedsReconnect(_)) => interval,
        };
        due = tokio::time::Instant::now() + wait;
    }
}

/// A snapshot restored from disk that is still fresh need not be fetched again at startup.
async fn first_wait(feed: &FeedService, interval: Duration, clock: &SharedClock) -> Duration {
    let Some(current) = feed.peek() else {
        return Duration::ZERO;
    };
    let age = (clock.now() - current.snapshot.fetched_at)
        .to_std()
        .unwrap_or(Duration::ZERO);
    interval.saturating_sub(age)
}
