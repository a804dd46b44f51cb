//! How igfeed writes times and durations for people, in one style everywhere: `igfeed status`,
//! the `/admin` status page, alert messages and the data-deletion page.

use chrono::{DateTime, TimeDelta, Utc};

/// A moment, to the minute: `2026-11-25 19:00 UTC`.
pub fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A coarse duration a person reads at a glance: `56d 19h`, `3h 5m`, `5m`, `42s`. Negative
/// durations read as `0s`.
pub fn duration(span: TimeDelta) -> String {
    let s = span.num_seconds().max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn durations_read_at_a_glance() {
        for (seconds, expected) in [
            (42, "42s"),
            (300, "5m"),
            (3 * 3600 + 300, "3h 5m"),
            (56 * 86_400 + 19 * 3600 + 59, "56d 19h"),
            (-5, "0s"),
        ] {
            assert_eq!(duration(TimeDelta::seconds(seconds)), expected);
        }
    }

    #[test]
    fn times_are_given_to_the_minute_in_utc() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 25, 19, 0, 59)
            .single()
            .expect("valid time");
        assert_eq!(time(at), "2026-11-25 19:00 UTC");
    }
}
