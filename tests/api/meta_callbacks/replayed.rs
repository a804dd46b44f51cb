//! Correctly signed requests that must still not act: captured long ago, dated ahead of the
//! clock, or posted a second time. Each answers a JSON error and deletes nothing.

use std::time::Duration;

use igfeed::clock::Clock as _;

use super::super::helpers::TestEnv;
use super::{assert_forgotten, assert_intact, connected, payload_at, post, sign_with, signed};

const STRANGER: &str = "17841499999999999";
const PATHS: [&str; 2] = ["/instagram/deauthorize", "/instagram/data-deletion"];

async fn error_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.expect("json error");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "{body}");
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn signed_at(env: &TestEnv, user_id: &str, issued_at: i64) -> String {
    sign_with(&env.config.app_secret, &payload_at(user_id, issued_at))
}

#[tokio::test]
async fn meta_callbacks_a_signed_request_captured_in_2001_is_refused() {
    let (env, app) = connected().await;
    let (_, user_id) = env.sandbox.account_ids();
    let captured = signed_at(&env, &user_id, 978_307_200);
    for path in PATHS {
        let (status, code) = error_code(post(&app, path, &captured).await).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "stale-signed-request"),
            "{path}"
        );
        assert_intact(&env, &app, path).await;
    }
    assert!(env.record("deletions.json").is_none(), "nothing recorded");
}

#[tokio::test]
async fn meta_callbacks_freshness_follows_the_clock_and_expires() {
    let (env, app) = connected().await;
    let (_, user_id) = env.sandbox.account_ids();
    let now = env.clock.now().timestamp();
    // Beyond the 5-minute skew allowance: refused; within it: accepted.
    let ahead = signed_at(&env, &user_id, now + 6 * 60);
    let (status, code) = error_code(post(&app, PATHS[0], &ahead).await).await;
    assert_eq!(
        (status, code.as_str()),
        (400, "signed-request-from-the-future")
    );
    let expired = sign_with(
        &env.config.app_secret,
        &format!(
            r#"{{"user_id":"{user_id}","algorithm":"HMAC-SHA256","issued_at":{now},"expires":{}}}"#,
            now - 6 * 60
        ),
    );
    let (status, code) = error_code(post(&app, PATHS[1], &expired).await).await;
    assert_eq!(
        (status, code.as_str()),
        (400, "stale-signed-request"),
        "past expires"
    );
    assert_intact(&env, &app, "refused").await;
    let slightly_ahead = signed_at(&env, STRANGER, now + 4 * 60);
    assert_eq!(post(&app, PATHS[0], &slightly_ahead).await.status(), 200);

    // A request issued now is good for 15 minutes of igfeed's clock, then refused.
    let request = signed(&env, &user_id);
    env.advance(Duration::from_secs(15 * 60 + 5));
    for path in PATHS {
        let (status, code) = error_code(post(&app, path, &request).await).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "stale-signed-request"),
            "{path}"
        );
    }
    assert_intact(&env, &app, "stale").await;
}

#[tokio::test]
async fn meta_callbacks_the_same_request_acts_once() {
    let (env, app) = connected().await;
    let (_, user_id) = env.sandbox.account_ids();
    let connected_account = env.stored_credentials().expect("connected");
    let request = signed(&env, &user_id);
    assert_eq!(post(&app, PATHS[0], &request).await.status(), 200);
    assert_forgotten(&env, &app).await;

    // The owner reconnects; the captured request, replayed, must not disconnect them again.
    app.state
        .accounts
        .connect(connected_account)
        .await
        .expect("reconnected");
    let (status, code) = error_code(post(&app, PATHS[0], &request).await).await;
    assert_eq!((status, code.as_str()), (409, "replayed-signed-request"));
    assert!(env.stored_credentials().is_some(), "token file kept");
    assert!(app.account().credentials.current().is_some(), "token kept");

    // Data deletion: one request, one record; the replay is refused.
    let about_a_stranger = signed(&env, STRANGER);
    assert_eq!(post(&app, PATHS[1], &about_a_stranger).await.status(), 200);
    let (status, code) = error_code(post(&app, PATHS[1], &about_a_stranger).await).await;
    assert_eq!((status, code.as_str()), (409, "replayed-signed-request"));
    let log = env.record("deletions.json").expect("log");
    assert_eq!(log.matches("\"outcome\"").count(), 1, "one record: {log}");
}
