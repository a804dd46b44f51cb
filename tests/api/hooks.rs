//! Rebuild hooks over HTTP: a post added in the sandbox fires one signed call to a loopback
//! receiver; changes within the debounce window are one call; a failing receiver is retried;
//! a curation change fires; secrets are write-only, kept when a definition is sent back, and
//! kept across a restart.

use std::time::Duration;

use hmac::{KeyInit as _, Mac as _};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::helpers::{TestApp, TestEnv, wait_until};
use super::receiver::{Received, Receiver};

const TOKEN: &str = "api-token-0123456789abcdef0123456789";
const SECRET: &str = "hook-secret-0123456789";
const FEED: &str = "sandbox.studio";

async fn env(debounce: &str) -> TestEnv {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__ADMIN__API_TOKEN", TOKEN);
    env.set("IGFEED__HOOKS__DEBOUNCE", debounce);
    env.set("IGFEED__HOOKS__RETRY_DELAY", "50ms");
    env
}

async fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, String) {
    let mut request = app
        .http
        .request(method, format!("{}/api/v1{path}", app.address))
        .bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the API answers");
    let status = response.status();
    (status, response.text().await.expect("a body"))
}

async fn put_hooks(app: &TestApp, hooks: Value, extra: Value) -> (StatusCode, String) {
    let mut body = json!({ "hooks": hooks });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    api(
        app,
        reqwest::Method::PUT,
        &format!("/feeds/{FEED}"),
        Some(body),
    )
    .await
}

/// A connected igfeed whose account's feed has one hook (with [`SECRET`]) to a receiver that
/// refuses its first `fail_first` calls.
async fn with_hook(debounce: &str, fail_first: usize) -> (TestEnv, TestApp, Receiver) {
    let env = env(debounce).await;
    let (app, _) = env.spawn_connected().await;
    let receiver = Receiver::start(fail_first).await;
    let hook = json!([{"url": receiver.url, "secret": SECRET}]);
    let (status, body) = put_hooks(&app, hook, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (env, app, receiver)
}

/// The id of the feed's post at `index` (newest first).
async fn post_id(app: &TestApp, index: usize) -> String {
    let feed: Value = app.get("/feed.json").await.json().await.expect("JSON");
    feed["posts"][index]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// The signature igfeed must have sent for `received`.
fn assert_signed(received: &Received) {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("a key");
    mac.update(&received.raw);
    let expected = format!("sha256={}", hex(&mac.finalize().into_bytes()));
    assert_eq!(received.signature.as_deref(), Some(expected.as_str()));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn calls(receiver: &Receiver, n: usize) -> Vec<Received> {
    wait_until(&format!("{n} hook call(s)"), 20, || async {
        receiver.received().len() >= n
    })
    .await;
    receiver.received()
}

#[tokio::test]
async fn a_new_post_fires_one_signed_call_and_an_unchanged_refresh_none() {
    let env = env("300ms").await;
    let (app, token) = env.spawn_connected().await;
    let receiver = Receiver::start(0).await;
    let (status, saved) = put_hooks(
        &app,
        json!([{"url": receiver.url, "secret": SECRET}]),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert!(!saved.contains(SECRET), "the secret is write-only: {saved}");
    let saved: Value = serde_json::from_str(&saved).expect("JSON");
    assert_eq!(saved["hooks"], json!([{"url": receiver.url}]));
    let (_, listed) = api(&app, reqwest::Method::GET, "/feeds", None).await;
    assert!(!listed.contains(SECRET));

    // An unchanged refresh: nothing to rebuild for.
    let before = env.sandbox.stats().calls.media_list;
    app.account().trigger.refresh_soon();
    wait_until("the unchanged refresh", 10, || async {
        env.sandbox.stats().calls.media_list > before
    })
    .await;
    let id = env.sandbox.add_post();
    let refreshed = std::time::Instant::now();
    app.account().trigger.refresh_soon();
    let received = calls(&receiver, 1).await;
    // The closing note's "hook latency": refresh to delivery, the 300-ms window included.
    println!(
        "hook latency: {:?} from the refresh (debounce 300 ms)",
        refreshed.elapsed()
    );
    let call = &received[0];
    assert_eq!(call.body["event"], "feed.changed");
    assert_eq!(call.body["feed"], FEED);
    assert_eq!(call.body["added"], json!([id]));
    assert!(
        call.body["changed"].as_array().is_some_and(Vec::is_empty),
        "{}",
        call.body
    );
    assert!(call.body["updated_at"].is_string());
    assert_signed(call);
    let raw = String::from_utf8_lossy(&call.raw);
    assert!(!raw.contains(&token), "the token never leaves");

    // One call only, and none for a refresh that changes nothing.
    let before = env.sandbox.stats().calls.media_list;
    app.account().trigger.refresh_soon();
    wait_until("another refresh", 10, || async {
        env.sandbox.stats().calls.media_list > before
    })
    .await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(receiver.received().len(), 1, "{:?}", receiver.bodies());
    app.stop().await;
}

#[tokio::test]
async fn changes_within_the_window_are_one_call_and_a_failing_receiver_is_retried() {
    let (env, app, receiver) = with_hook("3s", 2).await;
    let added = env.sandbox.add_post();
    app.account().trigger.refresh_soon();
    wait_until("the new post in the feed", 10, || async {
        app.get("/feed.json")
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains(&added)
    })
    .await;
    // A second change in the same window: a post hidden (built before the API answers).
    let hidden = post_id(&app, 2).await;
    let (status, _) = put_hooks(
        &app,
        json!([{"url": receiver.url}]),
        json!({"hidden": [hidden]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let received = calls(&receiver, 1).await;
    assert_eq!(
        received[0].body["added"],
        json!([added]),
        "{}",
        received[0].body
    );
    assert_eq!(
        received[0].body["removed"],
        json!([hidden]),
        "both changes in one call"
    );
    assert_eq!(
        receiver.attempts.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "two refusals, then delivered"
    );
    assert_signed(&received[0]);
    app.stop().await;
}

/// A change still in its debounce window when igfeed stops is announced after the restart:
/// what was last announced is kept in the state directory.
#[tokio::test]
async fn a_change_pending_when_igfeed_stops_is_announced_after_the_restart() {
    let (env, app, receiver) = with_hook("3s", 0).await;
    let hidden = post_id(&app, 0).await;
    let (status, _) = put_hooks(
        &app,
        json!([{"url": receiver.url}]),
        json!({"hidden": [hidden]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
    assert!(receiver.received().is_empty(), "stopped within the window");
    let app = env.spawn_app().await;
    let received = calls(&receiver, 1).await;
    assert_eq!(received[0].body["removed"], json!([hidden]));
    assert_signed(&received[0]);
    app.stop().await;
}

#[tokio::test]
async fn a_curation_change_fires_and_secrets_survive_a_round_trip_and_a_restart() {
    let (env, app, receiver) = with_hook("200ms", 0).await;
    let hidden = post_id(&app, 1).await;

    // The definition as read (no secret), sent back with a post hidden: the secret stays.
    let (_, read) = api(&app, reqwest::Method::GET, &format!("/feeds/{FEED}"), None).await;
    let mut definition: Value = serde_json::from_str(&read).expect("JSON");
    definition["hidden"] = json!([hidden]);
    let (status, body) = api(
        &app,
        reqwest::Method::PUT,
        &format!("/feeds/{FEED}"),
        Some(definition.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let received = calls(&receiver, 1).await;
    assert_eq!(received[0].body["removed"], json!([hidden]));
    assert_signed(&received[0]);

    // A new hook must bring its secret.
    definition["hooks"] =
        json!([{"url": receiver.url}, {"url": "https://api.netlify.com/build_hooks/x"}]);
    let (status, body) = api(
        &app,
        reqwest::Method::PUT,
        &format!("/feeds/{FEED}"),
        Some(definition),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let error: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(error["error"]["field"], "hooks.1.secret");

    // Kept across a restart, and never stored in the clear beside the definitions' text.
    app.stop().await;
    let app = env.spawn_app().await;
    wait_until("the stored feed served", 10, || async {
        app.get("/feed.json").await.status() == StatusCode::OK
    })
    .await;
    let id = env.sandbox.add_post();
    app.account().trigger.refresh_soon();
    let received = calls(&receiver, 2).await;
    assert_eq!(received[1].body["added"], json!([id]));
    assert_signed(&received[1]);
    app.stop().await;
}
