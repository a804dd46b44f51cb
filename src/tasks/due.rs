//! When waiting work comes due, judged both ways: by the monotonic clock, which a clock set
//! back cannot stretch, and by the wall clock (the injectable clock), which keeps counting
//! while a machine is suspended or a VM is saved — a monotonic sleep alone would let work
//! that came due meanwhile wait out the rest of its sleep after the resume.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::time::Instant;

use crate::clock::SharedClock;

/// Far enough to mean "never" for a wait that cannot be represented.
const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A moment work is due; whichever clock reaches it first counts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Due {
    wall: DateTime<Utc>,
    monotonic: Instant,
}

impl Due {
    /// Due `wait` from now. Checked arithmetic: a wait from Instagram too large for either
    /// clock means "as late as can be", never a panic.
    pub(crate) fn after(clock: &SharedClock, wait: Duration) -> Self {
        Self::since(clock, None, wait)
    }

    /// Due `wait` after `start` on the wall clock (now when `None`), and at the latest `wait`
    /// from now on the monotonic clock: the start of the call whose answer asked for the wait,
    /// however long ago that call began.
    pub(crate) fn since(clock: &SharedClock, start: Option<DateTime<Utc>>, wait: Duration) -> Self {
        let now = Instant::now();
        let start = start.unwrap_or_else(|| clock.now());
        Self {
            wall: TimeDelta::from_std(wait)
                .ok()
                .and_then(|wait| start.checked_add_signed(wait))
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            monotonic: now
                .checked_add(wait)
                .unwrap_or_else(|| now.checked_add(FAR).unwrap_or(now)),
        }
    }

    /// Due already.
    pub(crate) fn now(clock: &SharedClock) -> Self {
        Self::after(clock, Duration::ZERO)
    }

    /// Time left until due (zero once it is).
    pub(crate) fn left(&self, clock: &SharedClock) -> Duration {
        let wall = (self.wall - clock.now()).to_std().unwrap_or(Duration::ZERO);
        let monotonic = self.monotonic.saturating_duration_since(Instant::now());
        wall.min(monotonic)
    }

    /// Whether it is due.
    pub(crate) fn is_due(&self, clock: &SharedClock) -> bool {
        self.left(clock).is_zero()
    }

    /// Sleeps until due, looking at the wall clock at least every `nap`.
    pub(crate) async fn wait(&self, clock: &SharedClock, nap: Duration) {
        while !self.is_due(clock) {
            tokio::time::sleep(self.left(clock).min(nap)).await;
        }
    }
}
