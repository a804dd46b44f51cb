//! Throttling of admin logins, so the password cannot be guessed at speed.
//!
//! Each client address gets `admin.login_attempts_per_minute` failures per rolling minute;
//! every client together gets [`GLOBAL_FAILURES_PER_MINUTE`], which bounds the password
//! checks (argon2 is deliberately expensive) a distributed flood can cause. Being windows of
//! one minute, neither can keep the owner out for longer than a minute after a flood stops.
//!
//! A browser that has logged in before and carries a known-device cookie ([`super::device`])
//! is counted on its own instead: the same per-client limit for that device, and neither its
//! address nor the global cap, so a flood from elsewhere never locks the owner out of it.
//!
//! An attempt is counted as a failure *before* the password is checked and forgiven when it
//! turns out right, so a burst of parallel requests cannot slip past the limit.
//!
//! The admin API uses a throttle of its own without the global cap
//! ([`LoginThrottle::per_client_only`]): its token is long and random and cheap to check, so
//! a cap on everyone together would only let a flood lock the owner's scripts out.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::device::DeviceId;

/// The rolling window the limits apply to.
const WINDOW: TimeDelta = TimeDelta::minutes(1);
/// Failures per minute across all clients (raised to the per-client limit if that is higher).
pub const GLOBAL_FAILURES_PER_MINUTE: usize = 60;

/// Counts failed logins per client and in total.
pub struct LoginThrottle {
    per_client_limit: usize,
    global_limit: usize,
    state: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    per_client: HashMap<ClientKey, VecDeque<DateTime<Utc>>>,
    per_device: HashMap<DeviceId, VecDeque<DateTime<Utc>>>,
    global: VecDeque<DateTime<Utc>>,
}

/// Clients with failures remembered at once when there is no global cap; a new client is
/// refused while this many others failed within the window.
const MAX_TRACKED_CLIENTS: usize = 4096;
/// Known devices whose failures are remembered at once before empty entries are dropped.
/// Only browsers igfeed signed a cookie for are devices, so this is rarely reached.
const MAX_TRACKED_DEVICES: usize = 1024;

/// What an attempt was counted against.
#[derive(Debug)]
enum Counted {
    Client(ClientKey),
    Device(DeviceId),
}

/// Whom failures are counted against: an IPv4 address, or an IPv6 /64 (one subscriber
/// usually holds a whole /64, so single IPv6 addresses cost an attacker nothing).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct ClientKey(IpAddr);

impl ClientKey {
    fn of(ip: Option<IpAddr>) -> Self {
        match ip {
            Some(IpAddr::V6(v6)) => {
                let prefix = u128::from(v6) & (u128::MAX << 64);
                Self(IpAddr::V6(prefix.into()))
            }
            Some(v4) => Self(v4),
            None => Self(IpAddr::from([0, 0, 0, 0])),
        }
    }
}

/// A login attempt admitted by [`LoginThrottle::admit`]; already counted as a failure.
#[derive(Debug)]
pub struct Attempt {
    counted: Counted,
    at: DateTime<Utc>,
}

/// The attempt was refused without checking the password; try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// Whole seconds until an attempt would be admitted (at least 1).
    pub retry_after: Duration,
}

impl LoginThrottle {
    /// Allows `per_client` failures per client per minute.
    pub fn new(per_client: u32) -> Self {
        let per_client_limit = usize::try_from(per_client).unwrap_or(usize::MAX).max(1);
        Self {
            per_client_limit,
            global_limit: GLOBAL_FAILURES_PER_MINUTE.max(per_client_limit),
            state: Mutex::new(Windows::default()),
        }
    }

    /// Allows `per_client` failures per client per minute, with no cap on all clients
    /// together (see the module docs).
    pub fn per_client_only(per_client: u32) -> Self {
        Self {
            global_limit: usize::MAX,
            ..Self::new(per_client)
        }
    }

    /// Admits an attempt from `client` at `now`, counting it as a failure until
    /// [`forgive`](Self::forgive) says otherwise; or refuses it when the client or everyone
    /// together is over the limit. A refused attempt must not have its password checked, so
    /// during a lockout even the right password is refused: otherwise the lockout would
    /// still answer "right or wrong" to a guesser.
    pub fn admit(&self, client: Option<IpAddr>, now: DateTime<Utc>) -> Result<Attempt, Throttled> {
        let key = ClientKey::of(client);
        let mut windows = self.lock();
        let Windows {
            per_client, global, ..
        } = &mut *windows;
        prune(global, now);
        if let Some(failures) = per_client.get_mut(&key) {
            prune(failures, now);
            if failures.len() >= self.per_client_limit {
                return Err(throttled(failures, now));
            }
        }
        if global.len() >= self.global_limit {
            return Err(throttled(global, now));
        }
        // Every live per-client entry is also in `global`, so at most `global_limit` clients
        // have any: dropping the empty ones keeps the map that small. Without a global cap,
        // the map is kept to MAX_TRACKED_CLIENTS by refusing newcomers while it is full.
        let most_clients = self.global_limit.min(MAX_TRACKED_CLIENTS);
        if per_client.len() > most_clients {
            per_client.retain(|_, failures| {
                prune(failures, now);
                !failures.is_empty()
            });
        }
        if per_client.len() >= MAX_TRACKED_CLIENTS && !per_client.contains_key(&key) {
            return Err(Throttled {
                retry_after: Duration::from_secs(1),
            });
        }
        per_client.entry(key).or_default().push_back(now);
        if self.global_limit != usize::MAX {
            global.push_back(now);
        }
        Ok(Attempt {
            counted: Counted::Client(key),
            at: now,
        })
    }

    /// Admits an attempt from a known `device` at `now`: only the device's own failures in
    /// the window count (the per-client limit), not its address's nor everyone's.
    pub fn admit_device(
        &self,
        device: &DeviceId,
        now: DateTime<Utc>,
    ) -> Result<Attempt, Throttled> {
        let mut windows = self.lock();
        let per_device = &mut windows.per_device;
        if let Some(failures) = per_device.get_mut(device) {
            prune(failures, now);
            if failures.len() >= self.per_client_limit {
                return Err(throttled(failures, now));
            }
        }
        if per_device.len() > MAX_TRACKED_DEVICES {
            per_device.retain(|_, failures| {
                prune(failures, now);
                !failures.is_empty()
            });
        }
        per_device.entry(device.clone()).or_default().push_back(now);
        Ok(Attempt {
            counted: Counted::Device(device.clone()),
            at: now,
        })
    }

    /// The attempt had the right password: it and the client's earlier failures no longer
    /// count.
    pub fn forgive(&self, attempt: Attempt) {
        let mut windows = self.lock();
        match attempt.counted {
            Counted::Client(key) => {
                windows.per_client.remove(&key);
                if let Some(position) = windows.global.iter().rposition(|at| *at == attempt.at) {
                    windows.global.remove(position);
                }
            }
            Counted::Device(device) => {
                windows.per_device.remove(&device);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Windows> {
        // The counters stay consistent even if a holder panicked: use them as they are.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Drops failures older than the window (the deque is in time order).
fn prune(failures: &mut VecDeque<DateTime<Utc>>, now: DateTime<Utc>) {
    while failures.front().is_some_and(|at| now - *at >= WINDOW) {
        failures.pop_front();
    }
}

/// When the oldest failure in a full window leaves it.
fn throttled(failures: &VecDeque<DateTime<Utc>>, now: DateTime<Utc>) -> Throttled {
    let wait = failures
        .front()
        .map(|oldest| *oldest + WINDOW - now)
        .unwrap_or(WINDOW);
    let millis = u64::try_from(wait.num_milliseconds()).unwrap_or(0);
    Throttled {
        retry_after: Duration::from_secs(millis.div_ceil(1000).max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn without_a_global_cap_a_flood_from_many_addresses_refuses_only_them() {
        let (capped, uncapped) = (LoginThrottle::new(2), LoginThrottle::per_client_only(2));
        let now = Utc::now();
        for n in 0..200u32 {
            let client = ip(&format!("10.0.{}.{}", n / 256, n % 256));
            let _ = capped.admit(client, now);
            for _ in 0..2 {
                assert!(uncapped.admit(client, now).is_ok(), "client {n}");
            }
            assert!(
                uncapped.admit(client, now).is_err(),
                "client {n} over its limit"
            );
        }
        assert!(
            capped.admit(ip("192.0.2.9"), now).is_err(),
            "the login throttle's global cap is reached"
        );
        assert!(
            uncapped.admit(ip("192.0.2.9"), now).is_ok(),
            "the owner's address is not refused for the others' failures"
        );
    }

    #[test]
    fn a_client_over_its_limit_waits_for_its_oldest_failure_to_age_out() {
        let throttle = LoginThrottle::new(3);
        let start = Utc::now();
        for second in 0..3 {
            let at = start + TimeDelta::seconds(second * 10);
            assert!(
                throttle.admit(ip("192.0.2.1"), at).is_ok(),
                "attempt {second}"
            );
        }
        let refused = throttle.admit(ip("192.0.2.1"), start + TimeDelta::seconds(30));
        assert_eq!(
            refused.map(|_| ()),
            Err(Throttled {
                retry_after: Duration::from_secs(30)
            })
        );
        assert!(
            throttle.admit(ip("192.0.2.2"), start).is_ok(),
            "another client is unaffected"
        );
        assert!(
            throttle
                .admit(ip("192.0.2.1"), start + TimeDelta::seconds(60))
                .is_ok()
        );
    }

    #[test]
    fn a_successful_login_forgives_the_clients_failures() {
        let throttle = LoginThrottle::new(2);
        let now = Utc::now();
        assert!(throttle.admit(ip("192.0.2.1"), now).is_ok());
        let attempt = throttle
            .admit(ip("192.0.2.1"), now)
            .expect("second attempt");
        throttle.forgive(attempt);
        assert!(throttle.admit(ip("192.0.2.1"), now).is_ok());
    }

    #[test]
    fn the_global_cap_stops_a_distributed_flood_for_a_minute_at_most() {
        let throttle = LoginThrottle::new(5);
        let now = Utc::now();
        for n in 0..GLOBAL_FAILURES_PER_MINUTE {
            let client = IpAddr::from([198, 51, 100, u8::try_from(n % 250).unwrap_or(0)]);
            let _ = throttle.admit(Some(client), now);
        }
        let refused = throttle.admit(ip("203.0.113.7"), now + TimeDelta::seconds(1));
        assert_eq!(
            refused.map(|_| ()),
            Err(Throttled {
                retry_after: Duration::from_secs(59)
            })
        );
        assert!(throttle.admit(ip("203.0.113.7"), now + WINDOW).is_ok());
    }

    #[test]
    fn a_known_device_passes_a_flood_that_fills_the_global_cap_within_its_own_limit() {
        let throttle = LoginThrottle::new(3);
        let devices = super::super::DeviceCookies::new(&[1; 32]);
        let device = devices.verify(&devices.issue()).expect("device");
        let now = Utc::now();
        for n in 0..GLOBAL_FAILURES_PER_MINUTE {
            let client = IpAddr::from([198, 51, 100, u8::try_from(n % 250).unwrap_or(0)]);
            let _ = throttle.admit(Some(client), now);
        }
        assert!(
            throttle.admit(ip("203.0.113.7"), now).is_err(),
            "strangers wait"
        );
        for attempt in 0..3 {
            assert!(
                throttle.admit_device(&device, now).is_ok(),
                "device attempt {attempt}"
            );
        }
        assert!(
            throttle.admit_device(&device, now).is_err(),
            "the device has its own small limit"
        );
        let other = devices.verify(&devices.issue()).expect("device");
        let attempt = throttle.admit_device(&other, now).expect("another device");
        throttle.forgive(attempt);
        assert!(throttle.admit_device(&device, now + WINDOW).is_ok());
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_a_budget() {
        let throttle = LoginThrottle::new(1);
        let now = Utc::now();
        assert!(throttle.admit(ip("2001:db8:1:2::1"), now).is_ok());
        assert!(throttle.admit(ip("2001:db8:1:2::ffff"), now).is_err());
        assert!(throttle.admit(ip("2001:db8:1:3::1"), now).is_ok());
    }
}

/// The failed-login limit across replicas sharing Redis: each process's [`LoginThrottle`]
/// only sees the attempts sent to it, so an attacker spreading guesses over N replicas would
/// get N times the limit. Attempts are also counted in one-minute windows in shared storage.
pub mod shared {
    use std::net::IpAddr;
    use std::time::Duration;

    use chrono::{DateTime, Utc};
    use igfeed_base::secret::{hex, sha256};

    use super::{ClientKey, DeviceId, GLOBAL_FAILURES_PER_MINUTE, Throttled};
    use crate::storage::{StateDir, StorageError};

    /// Who an attempt counts against: a digest of the known device, else of the client's
    /// address (an IPv6 /64 as one), grouped as the per-process throttle groups them.
    pub fn subject(client: Option<IpAddr>, device: Option<&DeviceId>) -> String {
        let who = match device {
            Some(device) => format!("device:{}", device.as_str()),
            None => format!("ip:{}", ClientKey::of(client).0),
        };
        hex(&sha256(who.as_bytes()))
    }

    /// Counts an attempt by `subject` in the current minute on every replica; refused once
    /// it passes `per_client` (or, for clients without a known device, once all such
    /// attempts pass [`GLOBAL_FAILURES_PER_MINUTE`]).
    pub fn admit(
        storage: &StateDir,
        subject: &str,
        known_device: bool,
        per_client: u32,
        now: DateTime<Utc>,
    ) -> Result<Result<(), Throttled>, StorageError> {
        let (minute, left) = window(now);
        let count = storage.count_scratch(&key(subject, minute), KEEP)?;
        if count > u64::from(per_client.max(1)) {
            return Ok(Err(Throttled { retry_after: left }));
        }
        if !known_device {
            let all = storage.count_scratch(&key("all", minute), KEEP)?;
            let limit = u64::try_from(GLOBAL_FAILURES_PER_MINUTE).unwrap_or(u64::MAX);
            if all > limit.max(u64::from(per_client)) {
                return Ok(Err(Throttled { retry_after: left }));
            }
        }
        Ok(Ok(()))
    }

    /// The right password: `subject`'s attempts of this minute no longer count.
    pub fn forgive(
        storage: &StateDir,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        storage.take_scratch(&key(subject, window(now).0)).map(drop)
    }

    /// How long a window's count is kept: past its minute, for clocks a little apart.
    const KEEP: Duration = Duration::from_secs(120);

    /// The minute `now` is in, and the time left in it.
    fn window(now: DateTime<Utc>) -> (i64, Duration) {
        let second = now.timestamp();
        let left = 60 - second.rem_euclid(60);
        (
            second.div_euclid(60),
            Duration::from_secs(left.unsigned_abs()),
        )
    }

    fn key(subject: &str, minute: i64) -> String {
        format!("login-attempts:{subject}:{minute}")
    }
}
