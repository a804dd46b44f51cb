//! Refusing stale and replayed `signed_request`s.
//!
//! A signature proves Meta wrote a request, not that Meta is sending it *now*: anyone who once
//! captured a deauthorization (a proxy log, a browser extension, a leaked HAR file) could post
//! it again after every reconnect and disconnect the owner each time. Meta documents no
//! freshness rule, so igfeed sets one: a request counts only within [`MAX_AGE`] of its
//! `issued_at` (and not past its `expires`, when Meta sends one), and igfeed remembers every
//! request it acted on until that window has closed, so the same request is refused the second
//! time. After the window the age check alone refuses it, so memory never needs to hold more
//! than one window's worth.
//!
//! The memory lives in the process only. A replay across a restart needs the attacker to have
//! the request, igfeed to restart, *and* the owner to have reconnected, all within the same
//! [`MAX_AGE`] of Meta issuing it; the replay then only repeats what the owner asked Meta for
//! minutes before. That gap is small enough not to pay for a state-directory write on every
//! callback (and a file that must itself be pruned, locked and migrated).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use igfeed_base::secret::sha256;

use super::Payload;

/// How long after its `issued_at` a request is acted on. Meta posts the callback as the user
/// acts, so a genuine request arrives within seconds; 15 minutes leaves room for a slow
/// delivery, a retry and a restart of igfeed, and keeps the replay memory (and the restart gap)
/// short.
pub const MAX_AGE_SECS: i64 = 15 * 60;
/// How far ahead of igfeed's clock `issued_at` may be: servers kept by NTP agree within
/// seconds; 5 minutes (Kerberos' usual allowance) forgives a badly kept clock without letting
/// a request dated far ahead stretch its own window.
pub const MAX_SKEW_SECS: i64 = 5 * 60;
/// Requests remembered at most. Only requests signed with the app secret are remembered, so
/// only Meta (or someone holding the secret) can fill it; a single-account igfeed sees a few a
/// year. When full, the entry closest to the end of its window makes room.
pub const MAX_REMEMBERED: usize = 1024;

/// Which callback a request was posted to. Meta may send a deauthorization and a deletion
/// request with the very same payload; each must still be acted on once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Callback {
    /// `POST /instagram/deauthorize`.
    Deauthorize,
    /// `POST /instagram/data-deletion`.
    DataDeletion,
}

/// Why a verified request is not acted on. Messages are safe to show to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Issued more than [`MAX_AGE_SECS`] ago, or past its own `expires`.
    #[error(
        "signed_request is too old: igfeed acts only on requests issued within the last 15 minutes and not past their expires"
    )]
    Stale,
    /// Issued more than [`MAX_SKEW_SECS`] ahead of igfeed's clock.
    #[error("signed_request is dated more than 5 minutes in the future; check the server's clock")]
    FromTheFuture,
    /// Already acted on.
    #[error("this signed_request was already handled; igfeed acts on each request once")]
    Replayed,
}

/// Whether `payload` is within its window at `now`.
pub fn check_fresh(payload: &Payload, now: DateTime<Utc>) -> Result<(), Refused> {
    let now = now.timestamp();
    if payload.issued_at > now.saturating_add(MAX_SKEW_SECS) {
        return Err(Refused::FromTheFuture);
    }
    if now.saturating_sub(payload.issued_at) > MAX_AGE_SECS {
        return Err(Refused::Stale);
    }
    if payload
        .expires
        .is_some_and(|expires| now > expires.saturating_add(MAX_SKEW_SECS))
    {
        return Err(Refused::Stale);
    }
    Ok(())
}

type Key = (Callback, [u8; 32]);

/// The requests acted on within their window.
#[derive(Debug, Default)]
pub struct ReplayGuard {
    /// Digest → the Unix second after which the age check refuses the request by itself.
    seen: Mutex<HashMap<Key, i64>>,
}

impl ReplayGuard {
    /// An empty memory (a new process).
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks that `signed_request` (already verified, its payload `payload`) is fresh and new
    /// at `now`, and reserves it: a second call with the same request is refused until the
    /// returned [`Claim`] is dropped without [`Claim::keep`] — so a request whose handling
    /// failed can be retried by Meta, and two copies arriving at once are acted on once.
    pub fn claim(
        &self,
        callback: Callback,
        signed_request: &str,
        payload: &Payload,
        now: DateTime<Utc>,
    ) -> Result<Claim<'_>, Refused> {
        check_fresh(payload, now)?;
        let key = (callback, digest(signed_request));
        let now = now.timestamp();
        let mut seen = self.seen();
        seen.retain(|_, forget_after| *forget_after >= now);
        if seen.contains_key(&key) {
            return Err(Refused::Replayed);
        }
        if seen.len() >= MAX_REMEMBERED
            && let Some(oldest) = seen.iter().min_by_key(|(_, at)| **at).map(|(k, _)| *k)
        {
            seen.remove(&oldest);
        }
        seen.insert(key, payload.issued_at.saturating_add(MAX_AGE_SECS));
        Ok(Claim {
            guard: self,
            key,
            kept: false,
        })
    }

    fn seen(&self) -> MutexGuard<'_, HashMap<Key, i64>> {
        // The map stays consistent whatever panicked while holding it.
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What names request `signed_request` to `callback` among every replica's (a digest, as
/// [`ReplayGuard`] keeps it), and how long it must be remembered from `now`.
pub fn shared_mark(
    callback: Callback,
    signed_request: &str,
    payload: &Payload,
    now: DateTime<Utc>,
) -> (String, std::time::Duration) {
    let key = format!(
        "meta-replay:{callback:?}:{}",
        igfeed_base::secret::hex(&digest(signed_request))
    );
    let left = payload
        .issued_at
        .saturating_add(MAX_AGE_SECS)
        .saturating_sub(now.timestamp())
        .clamp(1, MAX_AGE_SECS);
    (key, std::time::Duration::from_secs(left.unsigned_abs()))
}

/// The digest that identifies a request: of its payload part exactly as sent. That is the
/// string Meta signed, so nobody without the app secret can make a second one carrying the
/// same request; the signature part is not included because it can be re-encoded (with or
/// without padding) and still verify.
fn digest(signed_request: &str) -> [u8; 32] {
    let payload = signed_request
        .split_once('.')
        .map_or(signed_request, |(_, payload)| payload);
    sha256(payload.as_bytes())
}

/// A request reserved by [`ReplayGuard::claim`]; released on drop unless kept.
#[must_use = "a claim dropped without keep() lets the same request through again"]
pub struct Claim<'a> {
    guard: &'a ReplayGuard,
    key: Key,
    kept: bool,
}

impl Claim<'_> {
    /// The request was acted on: remember it for the rest of its window.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if !self.kept {
            self.guard.seen().remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn payload(issued_at: i64, expires: Option<i64>) -> Payload {
        Payload {
            user_id: "17841400000000001".into(),
            issued_at,
            expires,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("valid")
    }

    #[test]
    fn meta_callbacks_freshness_window_and_skew() {
        let t = now().timestamp();
        for (issued_at, expires, expected) in [
            (t, None, Ok(())),
            (t - MAX_AGE_SECS, None, Ok(())),
            (t - MAX_AGE_SECS - 1, None, Err(Refused::Stale)),
            (978_307_200, None, Err(Refused::Stale)), // 2001
            (i64::MIN, None, Err(Refused::Stale)),
            (t + MAX_SKEW_SECS, None, Ok(())),
            (t + MAX_SKEW_SECS + 1, None, Err(Refused::FromTheFuture)),
            (i64::MAX, None, Err(Refused::FromTheFuture)),
            (t - 60, Some(t + 60), Ok(())),
            (t - 60, Some(t - MAX_SKEW_SECS), Ok(())),
            (t - 60, Some(t - MAX_SKEW_SECS - 1), Err(Refused::Stale)),
            (t - 60, Some(i64::MIN), Err(Refused::Stale)),
        ] {
            assert_eq!(
                check_fresh(&payload(issued_at, expires), now()),
                expected,
                "issued_at {issued_at}, expires {expires:?}"
            );
        }
    }

    #[test]
    fn meta_callbacks_replays_are_refused_until_the_window_closes() {
        let guard = ReplayGuard::new();
        let p = payload(now().timestamp(), None);
        guard
            .claim(Callback::Deauthorize, "sig.payload", &p, now())
            .expect("first")
            .keep();
        for request in ["sig.payload", "other-sig.payload"] {
            assert_eq!(
                guard.claim(Callback::Deauthorize, request, &p, now()).err(),
                Some(Refused::Replayed),
                "{request}"
            );
        }
        // The other callback is a different request.
        guard
            .claim(Callback::DataDeletion, "sig.payload", &p, now())
            .expect("other callback")
            .keep();
        // After the window the age check refuses it, and the memory lets it go.
        let later = now() + TimeDelta::seconds(MAX_AGE_SECS + 1);
        assert_eq!(
            guard
                .claim(Callback::Deauthorize, "sig.payload", &p, later)
                .err(),
            Some(Refused::Stale)
        );
        let fresh = payload(later.timestamp(), None);
        guard
            .claim(Callback::Deauthorize, "sig.new", &fresh, later)
            .expect("new")
            .keep();
        assert_eq!(guard.seen().len(), 1, "expired entries pruned");
    }

    #[test]
    fn meta_callbacks_a_claim_dropped_unkept_is_released() {
        let guard = ReplayGuard::new();
        let p = payload(now().timestamp(), None);
        let claim = guard
            .claim(Callback::DataDeletion, "s.p", &p, now())
            .expect("first");
        assert_eq!(
            guard.claim(Callback::DataDeletion, "s.p", &p, now()).err(),
            Some(Refused::Replayed),
            "a concurrent copy waits for the outcome"
        );
        drop(claim);
        guard
            .claim(Callback::DataDeletion, "s.p", &p, now())
            .expect("retry after a failure")
            .keep();
    }

    #[test]
    fn meta_callbacks_memory_is_bounded() {
        let guard = ReplayGuard::new();
        let t = now().timestamp();
        for i in 0..(MAX_REMEMBERED + 10) {
            // Issued over the last minutes, so none has left its window.
            let p = payload(t - 120 + (i % 100) as i64, None);
            guard
                .claim(Callback::Deauthorize, &format!("s.{i}"), &p, now())
                .expect("fresh")
                .keep();
        }
        assert_eq!(guard.seen().len(), MAX_REMEMBERED);
    }
}
