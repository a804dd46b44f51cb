//! Properties of `verify` over generated requests: whatever arrives is answered without a
//! panic, only a request signed with the app secret is ever accepted, a correctly signed one
//! gives back exactly what was signed, and any one-character change is refused.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use proptest::prelude::*;
use serde_json::{Value, json};
use sha2::Sha256;

use super::*;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn secret() -> SecretString {
    SecretString::from(SECRET)
}

/// `payload` encoded and signed the way Meta does it, with `key`.
fn signed(key: &str, payload: &Value) -> String {
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(payload.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signature}.{payload}")
}

/// A user id as Meta may send it: a string (possibly padded with spaces) or a number.
fn user_id() -> impl Strategy<Value = (Value, String)> {
    prop_oneof![
        "[ ]{0,2}[0-9A-Za-z_]{1,30}[ ]{0,2}".prop_map(|raw| {
            let expected = raw.trim().to_owned();
            (json!(raw), expected)
        }),
        any::<u64>().prop_map(|n| (json!(n), n.to_string())),
    ]
}

/// The algorithm name in any letter case.
fn algorithm() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<bool>(), 11).prop_map(|upper| {
        "hmac-sha256"
            .chars()
            .zip(upper)
            .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
            .collect()
    })
}

/// A payload Meta could sign, and what `verify` must return for it.
fn meta_payload() -> impl Strategy<Value = (Value, Payload)> {
    (
        user_id(),
        algorithm(),
        any::<i64>(),
        prop::option::of(any::<i64>()),
        prop::option::of("[a-z_]{1,10}"),
    )
        .prop_map(
            |((raw_id, user_id), algorithm, issued_at, expires, extra)| {
                let mut payload = json!({
                    "algorithm": algorithm,
                    "user_id": raw_id,
                    "issued_at": issued_at,
                });
                if let Some(expires) = expires {
                    payload["expires"] = json!(expires);
                }
                // Fields Meta may add later are ignored, whatever they are called.
                if let Some(extra) = extra.filter(|name| {
                    !["algorithm", "user_id", "issued_at", "expires"].contains(&name.as_str())
                }) {
                    payload[extra] = json!({ "nested": [1, "two"] });
                }
                (
                    payload,
                    Payload {
                        user_id,
                        issued_at,
                        expires,
                    },
                )
            },
        )
}

proptest! {
    #[test]
    fn a_request_signed_with_the_app_secret_gives_back_what_was_signed(
        (payload, expected) in meta_payload()
    ) {
        prop_assert_eq!(verify(&signed(SECRET, &payload), &secret()), Ok(expected));
    }

    #[test]
    fn a_request_signed_with_another_key_is_refused(
        (payload, _) in meta_payload(),
        key in "[ -~]{0,64}",
    ) {
        prop_assume!(key != SECRET);
        prop_assert_eq!(
            verify(&signed(&key, &payload), &secret()),
            Err(SignedRequestError::BadSignature)
        );
    }

    #[test]
    fn any_changed_character_is_refused(
        (payload, _) in meta_payload(),
        position in any::<prop::sample::Index>(),
        replacement in "[A-Za-z0-9_=.-]",
    ) {
        let request = signed(SECRET, &payload);
        let at = position.index(request.len());
        prop_assume!(request[at..=at] != replacement);
        let tampered = format!("{}{replacement}{}", &request[..at], &request[at + 1..]);
        prop_assert!(verify(&tampered, &secret()).is_err(), "{} was accepted", tampered);
    }

    /// Nothing a caller writes without the secret gets through, and the bound holds before
    /// any decoding.
    #[test]
    fn unsigned_text_is_always_refused(
        request in prop_oneof![
            "\\PC{0,200}",
            "[A-Za-z0-9_=-]{0,90}\\.[A-Za-z0-9_=-]{0,200}",
            "[A-Za-z0-9_-]{43}\\.[A-Za-z0-9_-]{0,200}",
        ]
    ) {
        prop_assert!(verify(&request, &secret()).is_err());
    }

    #[test]
    fn requests_over_the_bound_are_refused_before_decoding(
        (payload, _) in meta_payload(),
        padding in (MAX_LEN..MAX_LEN + 64),
    ) {
        let request = format!("{}{}", signed(SECRET, &payload), "A".repeat(padding));
        prop_assert_eq!(verify(&request, &secret()), Err(SignedRequestError::TooLarge));
    }

    /// A correctly signed payload that is not what Meta sends (any JSON at all) is refused
    /// with a short reason, or read as the payload it spells; never a panic. (serde also reads
    /// a struct from an array in field order; only Meta can sign one, so that is harmless.)
    #[test]
    fn signed_junk_payloads_are_refused(json in any_json()) {
        let result = verify(&signed(SECRET, &json), &secret());
        let lacks_fields = match &json {
            Value::Object(fields) => !fields.contains_key("algorithm") || !fields.contains_key("issued_at"),
            Value::Array(_) => false,
            _ => true,
        };
        if lacks_fields {
            prop_assert!(
                matches!(result, Err(SignedRequestError::BadPayload(ref m)) if m.chars().count() <= 120),
                "{:?}", result
            );
        }
        if let Ok(payload) = result {
            prop_assert!(!payload.user_id.is_empty() && payload.user_id.trim() == payload.user_id);
        }
    }
}

/// Small arbitrary JSON values, objects with the fields Meta uses among them.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("algorithm".to_owned()),
                    Just("user_id".to_owned()),
                    Just("issued_at".to_owned()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
