//! When to refresh the long-lived token: a pure decision, so every rule is unit-tested.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::Credentials;

/// Instagram refuses to refresh a token younger than this.
pub const MIN_AGE: Duration = Duration::from_secs(24 * 3600);
/// Refresh regardless of age once expiry is this close.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(10 * 24 * 3600);

/// What the refresher should do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Call Instagram's refresh endpoint.
    Refresh,
    /// Nothing is due.
    Wait,
    /// The token is past its expiry: only a new authorization helps.
    Expired,
}

/// Decides for `credentials` at `now`, refreshing once the token is `refresh_after` old.
pub fn plan(credentials: &Credentials, now: DateTime<Utc>, refresh_after: Duration) -> Plan {
    if !credentials.is_active() {
        return Plan::Wait;
    }
    if credentials.expires_at.is_some_and(|expiry| expiry <= now) {
        return Plan::Expired;
    }
    let day = delta(MIN_AGE);
    match credentials.issued_at {
        Some(issued) => {
            let age = now - issued;
            let expiry_close = credentials
                .expires_at
                .is_some_and(|expiry| expiry - now < delta(EXPIRY_MARGIN));
            if age >= day && (age >= delta(refresh_after) || expiry_close) {
                Plan::Refresh
            } else {
                Plan::Wait
            }
        }
        // Imported by hand, age unknown: try, at most once a day, until a refresh succeeds
        // and so establishes the age.
        None => match credentials.last_refresh_attempt {
            Some(attempt) if now - attempt < day => Plan::Wait,
            _ => Plan::Refresh,
        },
    }
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

#[cfg(test)]
mod tests;
