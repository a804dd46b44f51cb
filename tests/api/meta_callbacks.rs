//! Meta's deauthorize and data-deletion callbacks over HTTP: what a verified request deletes,
//! and that a refused one deletes nothing.

mod refused;
mod replayed;

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit as _, Mac as _};
use igfeed::clock::Clock as _;
use sha2::Sha256;

use super::helpers::{TestApp, TestEnv, hours, wait_until};

const SNAPSHOT: &str = "feed-snapshot.json";

/// Sandbox + igfeed with a connected account, its feed served, and a cached image on disk.
async fn connected() -> (TestEnv, TestApp) {
    let env = TestEnv::start().await;
    env.store_credentials(hours(1));
    let app = env.spawn_app().await;
    wait_until("the first feed", 10, || async { app.has_feed() }).await;
    let media = media_dir(&env);
    std::fs::create_dir_all(&media).expect("media dir");
    std::fs::write(media.join("post-1-320.jpg"), b"jpeg").expect("cached image");
    (env, app)
}

/// The connected account's directory (named after its user id).
fn state_dir(env: &TestEnv) -> PathBuf {
    env.settings().storage.dir.join(account_path(env))
}

/// Where the connected account's records are, from the storage root.
fn account_path(env: &TestEnv) -> String {
    let (_, user_id) = env.sandbox.account_ids();
    format!("accounts/{user_id}")
}

/// Whether the connected account's snapshot is stored (in files or Redis).
fn has_snapshot(env: &TestEnv) -> bool {
    env.record(&format!("{}/{SNAPSHOT}", account_path(env)))
        .is_some()
}

fn media_dir(env: &TestEnv) -> PathBuf {
    state_dir(env).join("media")
}

/// A `signed_request` as Meta builds it (unpadded base64url), with `secret`.
pub(super) fn sign_with(secret: &str, json: &str) -> String {
    let payload = URL_SAFE_NO_PAD.encode(json);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(payload.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signature}.{payload}")
}

/// The payload Meta sends about `user_id`, issued at `issued_at` (Unix seconds).
pub(super) fn payload_at(user_id: &str, issued_at: i64) -> String {
    format!(r#"{{"user_id":"{user_id}","algorithm":"HMAC-SHA256","issued_at":{issued_at}}}"#)
}

/// The payload Meta sends about `user_id`, issued just now by the test clock.
fn payload(env: &TestEnv, user_id: &str) -> String {
    payload_at(user_id, env.clock.now().timestamp())
}

fn signed(env: &TestEnv, user_id: &str) -> String {
    sign_with(&env.config.app_secret, &payload(env, user_id))
}

pub(super) async fn post(app: &TestApp, path: &str, signed_request: &str) -> reqwest::Response {
    app.http
        .post(format!("{}{path}", app.address))
        .form(&[("signed_request", signed_request)])
        .send()
        .await
        .expect("igfeed answers")
}

async fn assert_forgotten(env: &TestEnv, app: &TestApp) {
    assert!(env.stored_credentials().is_none(), "token file removed");
    assert!(
        app.state.accounts.accounts().is_empty(),
        "account in memory"
    );
    assert!(!has_snapshot(env), "snapshot stored");
    assert!(!media_dir(env).exists(), "cached images");
    let feed = app.get("/feed.json").await;
    assert_eq!(feed.status(), 503);
    let body: serde_json::Value = feed.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not-connected");
}

async fn assert_intact(env: &TestEnv, app: &TestApp, why: &str) {
    assert!(env.stored_credentials().is_some(), "{why}: token file kept");
    assert!(has_snapshot(env), "{why}: snapshot kept");
    assert!(media_dir(env).exists(), "{why}: cached images kept");
    assert_eq!(
        app.get("/feed.json").await.status(),
        200,
        "{why}: feed served"
    );
}

#[tokio::test]
async fn deauthorize_forgets_the_token_and_every_copy_of_the_feed() {
    let (env, app) = connected().await;
    let (_, user_id) = env.sandbox.account_ids();
    let response = post(&app, "/instagram/deauthorize", &signed(&env, &user_id)).await;
    assert_eq!(response.status(), 200);
    assert_forgotten(&env, &app).await;
}

#[tokio::test]
async fn data_deletion_deletes_and_answers_a_code_with_a_status_page() {
    let (env, app) = connected().await;
    // The app-scoped id names the account as well as the professional account id.
    let (app_scoped_id, _) = env.sandbox.account_ids();
    let response = post(
        &app,
        "/instagram/data-deletion",
        &signed(&env, &app_scoped_id),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    let code = body["confirmation_code"].as_str().expect("a code");
    assert!(code.len() >= 16, "at least 64 random bits: {code}");
    let url = body["url"].as_str().expect("a status url");
    assert_eq!(
        url,
        format!("{}/instagram/data-deletion/{code}", app.address)
    );
    assert_forgotten(&env, &app).await;

    let page = app.http.get(url).send().await.expect("status page");
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        policy.contains("style-src 'self'") && !policy.contains("unsafe-inline"),
        "styled by admin.css, nothing inline: {policy}"
    );
    let html = page.text().await.expect("html");
    assert!(html.contains("<title>Data deletion request · igfeed</title>"));
    assert!(
        !html.contains("<style") && !html.contains("href=\"/admin\""),
        "no inline style, and no link to the owner's pages on this public one: {html}"
    );
    assert!(html.contains(code), "the page shows the code");
    assert!(
        html.contains("were deleted"),
        "the page says what was done: {html}"
    );

    let log = env.record("deletions.json").expect("log");
    assert!(log.contains(code), "the request is recorded");
    assert!(!log.contains(&app_scoped_id), "but not who made it");
}

#[tokio::test]
async fn padded_base64_is_accepted_too() {
    let (env, app) = connected().await;
    let (_, user_id) = env.sandbox.account_ids();
    // Both parts padded, the signature over the padded payload, as a lenient sender might.
    let mut json = payload(&env, &user_id);
    while json.len().is_multiple_of(3) {
        json.push(' ');
    }
    let padded_payload = URL_SAFE.encode(&json);
    assert!(padded_payload.ends_with('='), "{padded_payload}");
    let mut mac = Hmac::<Sha256>::new_from_slice(env.config.app_secret.as_bytes()).expect("key");
    mac.update(padded_payload.as_bytes());
    let padded_sig = URL_SAFE.encode(mac.finalize().into_bytes());
    assert!(padded_sig.ends_with('='), "{padded_sig}");
    let request = format!("{padded_sig}.{padded_payload}");
    let response = post(&app, "/instagram/deauthorize", &request).await;
    assert_eq!(response.status(), 200);
    assert_forgotten(&env, &app).await;
}

#[tokio::test]
async fn requests_about_another_user_delete_nothing() {
    let (env, app) = connected().await;
    let stranger = "17841499999999999";
    let response = post(&app, "/instagram/deauthorize", &signed(&env, stranger)).await;
    assert_eq!(response.status(), 200, "Meta must always get a 200");
    assert_intact(&env, &app, "deauthorize").await;

    let response = post(&app, "/instagram/data-deletion", &signed(&env, stranger)).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    let url = body["url"].as_str().expect("url");
    assert_intact(&env, &app, "data deletion").await;
    let html = app
        .http
        .get(url)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("nothing to delete"), "{html}");
}

#[tokio::test]
async fn unknown_or_malformed_codes_are_not_found() {
    let env = TestEnv::start().await;
    let app = env.spawn_app().await;
    let long = "A".repeat(500);
    for code in [
        "AAAAAAAAAAAAAAAAAAAAAA",
        "%3Cscript%3E",
        "..%2F..%2Fetc",
        long.as_str(),
    ] {
        let response = app.get(&format!("/instagram/data-deletion/{code}")).await;
        assert_eq!(response.status(), 404, "{code}");
    }
}
