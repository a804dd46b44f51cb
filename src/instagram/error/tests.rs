use std::time::Duration;

use secrecy::SecretString;

use super::*;

fn graph(status: u16, code: i64, subcode: Option<i64>) -> Option<ApiError> {
    let body = serde_json::json!({"error": {
        "message": "m", "type": "OAuthException", "code": code,
        "error_subcode": subcode, "fbtrace_id": "A1", "is_transient": false}});
    classify_body(status, body.to_string().as_bytes(), None)
}

#[test]
fn graph_codes_map_to_what_igfeed_must_do() {
    let cases: &[(u16, i64, Option<i64>, &str)] = &[
        (400, 190, Some(463), "token"),
        (400, 190, Some(460), "token"),
        (400, 190, None, "token"),
        (400, 102, None, "token"),
        (403, 10, None, "permission"),
        (400, 200, None, "permission"),
        (400, 299, None, "permission"),
        (400, 4, None, "rate"),
        (400, 17, None, "rate"),
        (400, 32, None, "rate"),
        (400, 613, None, "rate"),
        (429, 80002, None, "rate"),
        (500, 1, None, "transient"),
        (400, 2, None, "transient"),
        (503, 9999, None, "transient"),
        (400, 100, None, "bad"),
        (200, 100, None, "bad"),
        (500, 100, None, "bad"),
    ];
    for &(status, code, subcode, want) in cases {
        let got = graph(status, code, subcode).expect("envelope recognised");
        let kind = match got {
            ApiError::TokenInvalid { subcode: s, .. } => {
                assert_eq!(s, subcode, "subcode kept for code {code}");
                "token"
            }
            ApiError::PermissionMissing { .. } => "permission",
            ApiError::RateLimited { .. } => "rate",
            ApiError::Transient { .. } => "transient",
            ApiError::BadRequest { .. } => "bad",
            other => panic!("code {code}: unexpected {other:?}"),
        };
        assert_eq!(kind, want, "HTTP {status} code {code} classified as {kind}");
    }
}

#[test]
fn oauth_envelope_is_recognised_and_app_mistakes_get_a_hint() {
    let used = br#"{"error_type":"OAuthException","code":400,"error_message":"Matching code was not found or was already used"}"#;
    assert!(matches!(
        classify_body(400, used, None),
        Some(ApiError::BadRequest { code: 400, .. })
    ));
    let platform =
        br#"{"error_type":"OAuthException","code":400,"error_message":"Invalid platform app"}"#;
    let err = classify_body(400, platform, None).expect("recognised");
    assert!(matches!(err, ApiError::AppCredentials { .. }), "{err:?}");
    assert!(err.to_string().contains("Instagram app ID"), "{err}");
    let secret = br#"{"error":{"message":"Error validating client secret.","type":"OAuthException","code":101}}"#;
    assert!(matches!(
        classify_body(400, secret, None),
        Some(ApiError::AppCredentials { .. })
    ));
}

#[test]
fn rate_limit_wait_comes_from_the_usage_header() {
    let body = br#"{"error":{"message":"Application request limit reached","code":4}}"#;
    let header = r#"{"17841405793187218":[{"type":"instagram","call_count":100,"total_cputime":25,"total_time":25,"estimated_time_to_regain_access":7}]}"#;
    match classify_body(400, body, Some(header)) {
        Some(ApiError::RateLimited { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(7 * 60)));
        }
        other => panic!("expected rate limited, got {other:?}"),
    }
    assert_eq!(regain_access_after("not json"), None);
    assert_eq!(
        regain_access_after(r#"{"1":[{"estimated_time_to_regain_access":0}]}"#),
        None
    );
}

#[test]
fn unknown_bodies_fall_back_to_the_status() {
    assert_eq!(classify_body(502, b"<html>Bad gateway</html>", None), None);
    assert!(classify_status(502).is_transient());
    assert!(matches!(classify_status(429), ApiError::RateLimited { .. }));
    assert!(matches!(classify_status(404), ApiError::Malformed { .. }));
}

#[test]
fn scrub_removes_the_token_from_messages() {
    let token = SecretString::from("IGAAsecret123");
    let err = ApiError::BadRequest {
        code: 100,
        message: "bad token IGAAsecret123 here".into(),
    };
    let clean = scrub(err, &[&token]).to_string();
    assert!(!clean.contains("IGAAsecret123"), "{clean}");
    assert!(clean.contains("[redacted]"), "{clean}");
}

#[test]
fn long_messages_are_bounded_to_one_line() {
    let long = format!("line one\nline two {}", "x".repeat(1000));
    let body = serde_json::json!({"error": {"message": long, "code": 100}}).to_string();
    let err = classify_body(400, body.as_bytes(), None).expect("recognised");
    let text = err.to_string();
    assert!(!text.contains('\n'));
    assert!(text.chars().count() < 400, "{} chars", text.chars().count());
}

#[test]
fn a_graph_error_without_a_code_is_read_by_its_status() {
    let body = br#"{"error":{"message":"slow down","type":"OAuthException"}}"#;
    assert!(matches!(
        classify_body(429, body, None),
        Some(ApiError::RateLimited { .. })
    ));
    assert!(matches!(
        classify_body(503, body, None),
        Some(ApiError::Transient { .. })
    ));
    assert!(matches!(
        classify_body(400, body, None),
        Some(ApiError::BadRequest { .. })
    ));
}

#[test]
fn every_api_error_has_its_own_outcome() {
    let errors = [
        ApiError::TokenInvalid {
            code: 190,
            subcode: None,
            message: String::new(),
        },
        ApiError::PermissionMissing {
            code: 10,
            message: String::new(),
        },
        ApiError::RateLimited {
            code: 4,
            retry_after: None,
            message: String::new(),
        },
        ApiError::Transient {
            reason: String::new(),
        },
        ApiError::AppCredentials {
            message: String::new(),
        },
        ApiError::BadRequest {
            code: 100,
            message: String::new(),
        },
        ApiError::Malformed {
            reason: String::new(),
        },
    ];
    let mut outcomes: Vec<&str> = errors
        .into_iter()
        .map(|e| outcome_label::<()>(&Err(e)))
        .collect();
    outcomes.push(outcome_label(&Ok(())));
    let count = outcomes.len();
    outcomes.sort_unstable();
    outcomes.dedup();
    assert_eq!(outcomes.len(), count, "{outcomes:?}");
}
