//! The one source of "now" for igfeed and its sandbox.
//!
//! Token ages, code lifetimes and CDN expiries all hinge on wall-clock time. Reading it through
//! a shared [`Clock`] lets a test make a token "eight days old" in a test that lasts a second,
//! by moving an [`OffsetClock`] that igfeed and the in-process sandbox both read.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// Wall-clock time as igfeed sees it.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// A clock shared between every component of one process.
pub type SharedClock = Arc<dyn Clock>;

/// Production time: the operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system clock shifted by an adjustable offset; tests move it forward to age things.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset_ms: AtomicI64,
}

impl OffsetClock {
    /// A clock that starts at the system time.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Moves time forward (never backward: elapsed intervals must stay non-negative).
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// How far this clock runs ahead of the system clock.
    pub fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::SeqCst).max(0) as u64)
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + TimeDelta::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
}

/// A clock for production code paths.
pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_clock_moves_forward_by_the_requested_amount() {
        let clock = OffsetClock::new();
        let before = clock.now();
        clock.advance(Duration::from_secs(8 * 24 * 3600));
        let moved = clock.now() - before;
        assert!(moved >= TimeDelta::days(8), "moved only {moved}");
        assert!(
            moved < TimeDelta::days(8) + TimeDelta::minutes(1),
            "moved {moved}"
        );
    }
}
