//! `verify` against requests built the way Meta builds them, and against every way one can
//! be broken.

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

use super::*;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn secret() -> SecretString {
    SecretString::from(SECRET)
}

fn sign(key: &str, encoded_payload: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(encoded_payload.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// A request as Meta sends it: unpadded base64url on both sides.
fn signed(json: &str) -> String {
    let payload = URL_SAFE_NO_PAD.encode(json);
    let signature = URL_SAFE_NO_PAD.encode(sign(SECRET, &payload));
    format!("{signature}.{payload}")
}

const GOOD: &str =
    r#"{"user_id":"17841400000000001","algorithm":"HMAC-SHA256","issued_at":1634206592}"#;

#[test]
fn a_request_signed_by_meta_is_accepted() {
    let payload = verify(&signed(GOOD), &secret()).expect("valid");
    assert_eq!(
        payload,
        Payload {
            user_id: "17841400000000001".into(),
            issued_at: 1_634_206_592,
            expires: None,
        }
    );
}

#[test]
fn numeric_user_ids_and_expires_are_read_digit_for_digit() {
    let json = r#"{"user_id":17841400000000001,"algorithm":"hmac-sha256","issued_at":1,"expires":2,"extra":true}"#;
    let payload = verify(&signed(json), &secret()).expect("valid");
    assert_eq!(payload.user_id, "17841400000000001");
    assert_eq!(payload.expires, Some(2));
}

#[test]
fn padded_base64_is_accepted_and_signed_over_what_was_sent() {
    // 83 bytes of JSON: the padded encoding really ends in '='.
    let json = r#"{"user_id":"1784140000000000","algorithm":"HMAC-SHA256","issued_at":1634206592}"#;
    let payload = URL_SAFE.encode(json);
    assert!(payload.ends_with('='), "{payload}");
    let signature = URL_SAFE.encode(sign(SECRET, &payload));
    assert!(signature.ends_with('='), "{signature}");
    let request = format!("{signature}.{payload}");
    assert_eq!(
        verify(&request, &secret()).expect("padded").user_id,
        "1784140000000000"
    );
}

#[test]
fn broken_requests_are_refused_with_the_reason() {
    use SignedRequestError::*;
    let good = signed(GOOD);
    let (sig, payload) = good.split_once('.').expect("dot");
    let other_secret = {
        let p = URL_SAFE_NO_PAD.encode(GOOD);
        format!("{}.{p}", URL_SAFE_NO_PAD.encode(sign("another secret", &p)))
    };
    let mut flipped = sig.to_owned();
    flipped.replace_range(0..1, if sig.starts_with('A') { "B" } else { "A" });
    let huge = signed(&format!(
        r#"{{"user_id":"1","algorithm":"HMAC-SHA256","issued_at":1,"pad":"{}"}}"#,
        "x".repeat(MAX_LEN)
    ));
    let cases: Vec<(String, SignedRequestError)> = vec![
        (String::new(), Malformed),
        ("garbage".into(), Malformed),
        (format!(".{payload}"), Malformed),
        (format!("{sig}."), Malformed),
        (format!("{sig}.{payload}.{payload}"), Malformed),
        (format!("{sig}!.{payload}"), BadEncoding),
        (format!("{flipped}.{payload}"), BadSignature),
        (format!("{}.{payload}", &sig[..20]), BadSignature),
        (other_secret, BadSignature),
        (
            format!("{sig}.{}", URL_SAFE_NO_PAD.encode("{}")),
            BadSignature,
        ),
        (signed("not json"), BadPayload(String::new())),
        (
            signed(r#"{"user_id":"1","issued_at":1}"#),
            BadPayload(String::new()),
        ),
        (
            signed(r#"{"user_id":"1","algorithm":"HMAC-SHA1","issued_at":1}"#),
            UnsupportedAlgorithm,
        ),
        (
            signed(r#"{"algorithm":"HMAC-SHA256","issued_at":1}"#),
            MissingUserId,
        ),
        (
            signed(r#"{"user_id":"  ","algorithm":"HMAC-SHA256","issued_at":1}"#),
            MissingUserId,
        ),
        (
            signed(r#"{"user_id":-1,"algorithm":"HMAC-SHA256","issued_at":1}"#),
            MissingUserId,
        ),
        (
            signed(r#"{"user_id":null,"algorithm":"HMAC-SHA256","issued_at":1}"#),
            MissingUserId,
        ),
        (huge, TooLarge),
    ];
    for (request, expected) in cases {
        let got = verify(&request, &secret());
        let same = match (&got, &expected) {
            (Err(BadPayload(_)), BadPayload(_)) => true,
            (Err(e), expected) => e == expected,
            (Ok(_), _) => false,
        };
        let shown: String = request.chars().take(60).collect();
        assert!(same, "{shown:?}: expected {expected:?}, got {got:?}");
    }
}

#[test]
fn the_payload_is_not_parsed_before_the_signature_checks_out() {
    // Bad JSON under a wrong signature reports the signature, not the JSON.
    let payload = URL_SAFE_NO_PAD.encode("not json");
    let request = format!("{}.{payload}", URL_SAFE_NO_PAD.encode([0u8; 32]));
    assert_eq!(
        verify(&request, &secret()),
        Err(SignedRequestError::BadSignature)
    );
}
