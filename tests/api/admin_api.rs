//! The admin API's read side over HTTP: off without `admin.api_token`, one 401 for a missing
//! or wrong token, throttled per address, and `GET /api/v1/accounts` in its contract shape
//! without ever a token in it.

use serde_json::Value;

use crate::helpers::{TestApp, TestEnv};

const API_TOKEN: &str = "api-token-0123456789abcdef0123456789";

/// `GET /api/v1/accounts` with `authorization` as the header's value (none: no header).
async fn accounts(app: &TestApp, authorization: Option<&str>) -> reqwest::Response {
    let mut request = app.http.get(format!("{}/api/v1/accounts", app.address));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    request.send().await.expect("igfeed answers")
}

/// [`accounts`], read as status and JSON (`null` for a body that is not JSON).
async fn call(app: &TestApp, authorization: Option<&str>) -> (u16, Value) {
    let response = accounts(app, authorization).await;
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The right `Authorization` value.
fn bearer() -> String {
    format!("Bearer {API_TOKEN}")
}

fn with_api(env: &mut TestEnv) {
    env.set("IGFEED__ADMIN__API_TOKEN", API_TOKEN);
}

#[tokio::test]
async fn without_a_token_setting_the_api_is_off() {
    let env = TestEnv::start().await;
    let app = env.spawn_app().await;
    let (status, body) = call(&app, Some(&bearer())).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not-found");
    app.stop().await;
}

#[tokio::test]
async fn a_missing_or_wrong_token_gets_the_same_401() {
    let mut env = TestEnv::start().await;
    with_api(&mut env);
    let app = env.spawn_app().await;
    let basic = format!("Basic {API_TOKEN}");
    let longer = format!("Bearer {API_TOKEN}x");
    let mut answers = Vec::new();
    // Four failures: under the per-address limit (5 a minute) for the rest of the test.
    for authorization in [
        None,
        Some("Bearer wrong-token-0123456789abcdef"),
        Some(&*basic),
        Some(&*longer),
    ] {
        let response = accounts(&app, authorization).await;
        assert_eq!(response.status(), 401, "{authorization:?}");
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"igfeed\""
        );
        answers.push(response.text().await.expect("body"));
    }
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "no hint whether or what token was sent"
    );
    let body: Value = serde_json::from_str(&answers[0]).expect("JSON");
    assert_eq!(body["error"]["code"], "unauthorized");

    let (status, body) = call(&app, Some(&format!("bearer  {API_TOKEN} "))).await;
    assert_eq!(status, 200, "scheme case and spacing do not matter: {body}");
    assert_eq!(
        body,
        serde_json::json!({"accounts": []}),
        "nothing connected yet"
    );
    app.stop().await;
}

#[tokio::test]
async fn failures_are_throttled_per_address_and_a_refusal_skips_the_check() {
    let mut env = TestEnv::start().await;
    with_api(&mut env);
    let app = env.spawn_app().await;
    for _ in 0..5 {
        let (status, _) = call(&app, Some("Bearer nope")).await;
        assert_eq!(status, 401);
    }
    let response = accounts(&app, Some(&bearer())).await;
    assert_eq!(
        response.status(),
        429,
        "over the limit, even the right token waits"
    );
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "too-many-requests");
    env.advance(std::time::Duration::from_secs(61));
    let (status, _) = call(&app, Some(&bearer())).await;
    assert_eq!(status, 200, "a minute later the owner's script gets in");
    app.stop().await;
}

#[tokio::test]
async fn accounts_lists_the_connected_account_in_the_contract_shape() {
    let mut env = TestEnv::start().await;
    with_api(&mut env);
    let (app, token) = env.spawn_connected().await;
    let response = accounts(&app, Some(&bearer())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let text = response.text().await.expect("body");
    assert!(!text.contains(&token), "never the token");
    assert!(!text.contains(API_TOKEN), "nor the API token");
    let body: Value = serde_json::from_str(&text).expect("JSON");
    let accounts = body["accounts"].as_array().expect("a list");
    assert_eq!(accounts.len(), 1, "{body}");
    let account = &accounts[0];
    let (_, user_id) = env.sandbox.account_ids();
    assert_eq!(account["id"], user_id, "the id as a string");
    assert_eq!(account["username"], "sandbox.studio");
    assert_eq!(account["name"], "Sandbox Studio");
    assert_eq!(account["connection"], "connected");
    assert!(account["token_expires_at"].is_string(), "{account}");
    let feed = &account["feed"];
    assert_eq!(feed["name"], "sandbox.studio");
    assert_eq!(feed["posts"], 36);
    assert_eq!(feed["stale"], false);
    assert!(feed["updated_at"].is_string());
    let mut keys: Vec<&str> = account
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "connection",
            "feed",
            "id",
            "name",
            "token_expires_at",
            "username"
        ]
    );

    env.sandbox.revoke_all_tokens();
    assert!(
        app.account().feed.refresh().await.is_err(),
        "the token is dead"
    );
    let (_, body) = call(&app, Some(&bearer())).await;
    assert_eq!(
        body["accounts"][0]["connection"], "needs-reconnect",
        "{body}"
    );
    assert_eq!(
        body["accounts"][0]["feed"]["posts"], 36,
        "the last feed is kept"
    );
    app.stop().await;
}
