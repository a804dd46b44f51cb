//! Properties of `Retry-After` handling over generated header values: any value leaves a
//! bounded wait or none, whole seconds are taken as they are up to a day, and a wait the
//! usage header already gave is never replaced.

use std::time::Duration;

use proptest::prelude::*;
use reqwest::header::HeaderValue;

use super::*;
use crate::instagram::error::MAX_RATE_LIMIT_WAIT;

fn rate_limited(retry_after: Option<Duration>) -> ApiError {
    ApiError::RateLimited {
        code: 4,
        retry_after,
        message: "slow down".into(),
    }
}

fn with_header(error: ApiError, value: &[u8]) -> ApiError {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(value) {
        headers.insert(RETRY_AFTER, value);
    }
    with_retry_after(error, &headers)
}

fn wait(error: &ApiError) -> Option<Duration> {
    match error {
        ApiError::RateLimited { retry_after, .. } => *retry_after,
        _ => None,
    }
}

proptest! {
    #[test]
    fn whole_seconds_are_taken_up_to_a_day(seconds in prop_oneof![0u64..200_000, any::<u64>()], pad in "[ ]{0,2}") {
        let error = with_header(rate_limited(None), format!("{pad}{seconds}{pad}").as_bytes());
        prop_assert_eq!(wait(&error), Some(Duration::from_secs(seconds).min(MAX_RATE_LIMIT_WAIT)));
    }

    #[test]
    fn any_value_leaves_a_bounded_wait_or_none(value in prop::collection::vec(any::<u8>(), 0..40)) {
        let error = with_header(rate_limited(None), &value);
        if let Some(wait) = wait(&error) {
            prop_assert!(wait <= MAX_RATE_LIMIT_WAIT);
            let text = std::str::from_utf8(&value).map(str::trim);
            prop_assert!(text.is_ok_and(|t| t.bytes().all(|b| b.is_ascii_digit())), "{:?}", value);
        }
    }

    /// The usage header's wait is more precise (per account) and stays; other errors are left
    /// as they are.
    #[test]
    fn a_known_wait_and_other_errors_are_left_alone(known in 1u64..86_400, seconds in any::<u64>()) {
        let known = rate_limited(Some(Duration::from_secs(known)));
        let header = seconds.to_string();
        prop_assert_eq!(with_header(known.clone(), header.as_bytes()), known);
        let transient = ApiError::Transient { reason: "outage".into() };
        prop_assert_eq!(with_header(transient.clone(), header.as_bytes()), transient);
    }
}
