//! Requests igfeed must refuse: each answers a JSON error and deletes nothing.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::super::helpers::{TestEnv, hours};
use super::{assert_intact, connected, payload, post, sign_with, signed};

#[tokio::test]
async fn refused_requests_answer_400_or_413_and_delete_nothing() {
    let (env, app) = connected().await;
    let (_, user_id) = env.sandbox.account_ids();
    let good = signed(&env, &user_id);
    let (sig, payload_part) = good.split_once('.').expect("dot");
    let sha1 = format!(r#"{{"user_id":"{user_id}","algorithm":"HMAC-SHA1","issued_at":1}}"#);
    let no_user = r#"{"algorithm":"HMAC-SHA256","issued_at":1}"#;
    let oversized = format!("{good}{}", "A".repeat(9 * 1024));
    let cases: Vec<(&str, String, u16)> = vec![
        (
            "wrong secret",
            sign_with("not the app secret", &payload(&env, &user_id)),
            400,
        ),
        (
            "signature of another payload",
            format!("{sig}.{}", URL_SAFE_NO_PAD.encode("{}")),
            400,
        ),
        ("unsigned", format!(".{payload_part}"), 400),
        ("payload only", payload_part.to_owned(), 400),
        (
            "wrong algorithm",
            sign_with(&env.config.app_secret, &sha1),
            400,
        ),
        (
            "no user_id",
            sign_with(&env.config.app_secret, no_user),
            400,
        ),
        ("garbage", "%%%garbage%%%".to_owned(), 400),
        ("empty", String::new(), 400),
        ("three parts", format!("{good}.{payload_part}"), 400),
        ("signed_request over 8 KB", oversized, 400),
    ];
    for path in ["/instagram/deauthorize", "/instagram/data-deletion"] {
        for (why, request, status) in &cases {
            let response = post(&app, path, request).await;
            assert_eq!(response.status().as_u16(), *status, "{path}: {why}");
            let body: serde_json::Value = response.json().await.expect("json error");
            assert!(body["error"]["code"].is_string(), "{path}: {why}: {body}");
        }
        let url = format!("{}{path}", app.address);
        let no_field = app
            .http
            .post(&url)
            .form(&[("other", "x")])
            .send()
            .await
            .expect("answer");
        assert_eq!(no_field.status(), 400, "{path}: missing field");
        let as_json = app
            .http
            .post(&url)
            .json(&serde_json::json!({"signed_request": good}));
        assert_eq!(
            as_json.send().await.expect("answer").status(),
            400,
            "{path}: JSON body"
        );
        let huge = format!("signed_request={}", "A".repeat(64 * 1024));
        let huge = app
            .http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge)
            .send()
            .await
            .expect("answer");
        assert_eq!(huge.status(), 413, "{path}: huge body");
        assert_intact(&env, &app, path).await;
    }
    assert!(env.record("deletions.json").is_none(), "nothing recorded");
}

#[tokio::test]
async fn without_the_app_secret_requests_cannot_be_verified() {
    let mut env = TestEnv::start().await;
    env.env.remove("IGFEED__INSTAGRAM__APP_SECRET");
    env.store_credentials(hours(1));
    let app = env.spawn_app().await;
    let (_, user_id) = env.sandbox.account_ids();
    for path in ["/instagram/deauthorize", "/instagram/data-deletion"] {
        let response = post(&app, path, &signed(&env, &user_id)).await;
        assert_eq!(response.status(), 503, "{path}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], "app-secret-not-configured");
    }
    assert!(env.stored_credentials().is_some(), "nothing deleted");
}
