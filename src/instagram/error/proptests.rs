//! Properties of error classification over generated answers: any body, status and usage
//! header is classified without a panic into a bounded one-line message and a bounded wait,
//! and a Graph envelope is classified by its code whatever else it carries.

use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// The text of an error, whichever variant.
fn message(error: &ApiError) -> &str {
    match error {
        ApiError::TokenInvalid { message, .. }
        | ApiError::PermissionMissing { message, .. }
        | ApiError::RateLimited { message, .. }
        | ApiError::AppCredentials { message }
        | ApiError::BadRequest { message, .. } => message,
        ApiError::Transient { reason } | ApiError::Malformed { reason } => reason,
    }
}

fn retry_after(error: &ApiError) -> Option<Duration> {
    match error {
        ApiError::RateLimited { retry_after, .. } => *retry_after,
        _ => None,
    }
}

/// Messages as Instagram writes them, and long or multi-line ones.
fn upstream_message() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        "[a-z \n\t]{0,400}",
        Just("Invalid platform app".to_owned()),
    ]
}

/// Bodies: Graph envelopes, OAuth envelopes, other JSON and bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (
            upstream_message(),
            prop::option::of(any::<i64>()),
            prop::option::of(any::<i64>()),
            prop::option::of(any::<bool>())
        )
            .prop_map(|(message, code, subcode, transient)| json!({"error": {
                "message": message, "type": "OAuthException", "code": code,
                "error_subcode": subcode, "is_transient": transient}})
            .to_string()
            .into_bytes()),
        (upstream_message(), prop::option::of(any::<i64>())).prop_map(|(message, code)| {
            json!({"error_type": "OAuthException", "code": code,
                "error_message": message})
            .to_string()
            .into_bytes()
        }),
        "\\PC{0,60}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..60),
        Just(b"{\"error\":{}}".to_vec()),
        Just(b"{\"error\":\"string\"}".to_vec()),
    ]
}

/// `X-Business-Use-Case-Usage` values: well-formed with any minutes, and junk.
fn usage_header() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::collection::vec(any::<u64>(), 0..3), 0..3).prop_map(|accounts| {
            let map: serde_json::Map<String, Value> = accounts
                .into_iter()
                .enumerate()
                .map(|(i, minutes)| {
                    let entries: Vec<Value> = minutes
                        .into_iter()
                        .map(|m| json!({"type": "instagram", "call_count": 100, "estimated_time_to_regain_access": m}))
                        .collect();
                    (format!("1784140{i}"), Value::from(entries))
                })
                .collect();
            Value::Object(map).to_string()
        }),
        "\\PC{0,40}",
        Just(r#"{"1":[{"estimated_time_to_regain_access":-5}]}"#.to_owned()),
        Just(r#"{"1":{"estimated_time_to_regain_access":5}}"#.to_owned()),
    ]
}

proptest! {
    #[test]
    fn any_answer_is_classified_with_a_bounded_message_and_wait(
        status in prop_oneof![400u16..600, any::<u16>()],
        body in body(),
        usage in prop::option::of(usage_header()),
    ) {
        let error = classify_body(status, &body, usage.as_deref())
            .unwrap_or_else(|| classify_status(status));
        let text = message(&error);
        prop_assert!(text.chars().count() <= 301, "{} characters", text.chars().count());
        prop_assert!(!text.contains(['\n', '\r', '\t']), "{:?}", text);
        if let Some(wait) = retry_after(&error) {
            prop_assert!(!wait.is_zero() && wait <= MAX_RATE_LIMIT_WAIT, "{:?}", wait);
        }
        prop_assert!(!error.to_string().is_empty());
    }

    /// The code decides, as Meta advises: the same code gives the same kind of error whatever
    /// the HTTP status (only codes without a fixed meaning fall back to it).
    #[test]
    fn graph_codes_decide_the_kind(
        status in 400u16..600,
        code in prop_oneof![
            prop::sample::select(&[190i64, 102, 2500, 10, 4, 17, 32, 613, 429, 1, 2, 100][..]),
            200i64..300,
            80001i64..80015,
        ],
        message in "[a-z ]{0,30}",
    ) {
        let body = json!({"error": {"message": message, "code": code}}).to_string();
        let error = classify_body(status, body.as_bytes(), None).expect("a Graph envelope");
        let expected = match code {
            190 | 102 | 2500 => "token_invalid",
            10 | 200..=299 => "permission",
            1 | 2 => "transient",
            100 => "bad_request",
            _ => "rate_limited",
        };
        prop_assert_eq!(error.outcome(), expected);
    }

    /// The wait is the largest `estimated_time_to_regain_access` in minutes, capped at a day;
    /// none (or zero) means Instagram did not say.
    #[test]
    fn the_usage_header_gives_the_longest_wait_capped_at_a_day(
        minutes in prop::collection::vec(prop_oneof![0u64..2000, any::<u64>()], 0..4)
    ) {
        let header = json!({"17841400": minutes.iter()
            .map(|m| json!({"type": "instagram", "estimated_time_to_regain_access": m}))
            .collect::<Vec<_>>()}).to_string();
        let expected = minutes
            .iter()
            .max()
            .filter(|m| **m > 0)
            .map(|m| Duration::from_secs(m.saturating_mul(60)).min(MAX_RATE_LIMIT_WAIT));
        prop_assert_eq!(regain_access_after(&header), expected);
    }

    /// Scrubbing removes every copy of the secret, wherever Instagram echoed it.
    #[test]
    fn scrubbed_errors_never_carry_the_secret(
        secret in "[A-Za-z0-9]{8,40}",
        before in "\\PC{0,20}",
        after in "\\PC{0,20}",
        status in 400u16..600,
    ) {
        let body = json!({"error": {"message": format!("{before}{secret}{after}{secret}")}}).to_string();
        let error = classify_body(status, body.as_bytes(), None).expect("a Graph envelope");
        let scrubbed = scrub(error, &[&SecretString::from(secret.clone())]);
        prop_assert!(!scrubbed.to_string().contains(&secret), "{}", scrubbed);
    }
}
