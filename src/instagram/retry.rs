//! Bounded retries with capped exponential backoff and jitter for transient failures.
//!
//! Jitter keeps many igfeed instances (or one after a restart) from hammering Instagram in
//! lockstep when it comes back from an outage.

use std::time::Duration;

use rand::RngExt;

/// How often and how patiently a transient failure is retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Total attempts, the first included (1 = no retry).
    pub attempts: u32,
    /// Delay before the first retry, doubled for each further one.
    pub base_delay: Duration,
    /// Cap on any single delay.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// The delay before retry number `retry` (1-based): half fixed, half random ("equal jitter"),
    /// so it never collapses to zero yet never synchronises.
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let random = if jitter_ms == 0 {
            0
        } else {
            rand::rng().random_range(0..=jitter_ms)
        };
        half + Duration::from_millis(random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_within_jitter_and_respect_the_cap() {
        let policy = RetryPolicy {
            attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        for _ in 0..50 {
            for (retry, full) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (9, 1000)] {
                let d = policy.delay(retry).as_millis();
                assert!(
                    (full / 2..=full).contains(&d),
                    "retry {retry}: {d} ms not within [{}, {full}]",
                    full / 2
                );
            }
        }
    }
}
