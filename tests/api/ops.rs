//! Operator endpoints over HTTP: `/readyz` (public status, details for operators) and
//! `/metrics`. Tests connect from loopback, which counts as an operator; a forwarding header
//! turns a loopback caller into a stranger, which is how the public answer is tested here (the
//! non-loopback peer itself is covered by the access unit tests).

use std::time::Duration;

use igfeed::clock::Clock;
use igfeed::credentials::{CredentialStore, Credentials, TokenSource};
use igfeed::sandbox::{Mode, TokenKind};
use igfeed::storage::StateDir;
use secrecy::SecretString;
use serde_json::Value;

use super::helpers::{TestApp, TestEnv, hours, wait_until};

const OPS_TOKEN: &str = "ops-token-for-tests-5b1e";

async fn connected(interval: &str) -> (TestEnv, TestApp, String) {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__FEED__REFRESH_INTERVAL", interval);
    env.set("IGFEED__OPS__TOKEN", OPS_TOKEN);
    let token = env.store_credentials(hours(1));
    let app = env.spawn_app().await;
    wait_until("the first feed", 10, || async {
        app.state.feed.peek().await.is_some()
    })
    .await;
    (env, app, token)
}

/// GET with optional extra headers; returns status and body text.
async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = app.http.get(format!("{}{path}", app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("igfeed answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn readyz(app: &TestApp, headers: &[(&str, &str)]) -> (u16, Value) {
    let (status, body) = get(app, "/readyz", headers).await;
    (status, serde_json::from_str(&body).expect("JSON body"))
}

/// The value of the one sample whose line starts with `series` (name plus labels).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

const STRANGER: (&str, &str) = ("X-Forwarded-For", "203.0.113.9");

#[tokio::test]
async fn readyz_is_503_before_the_first_feed_and_200_after() {
    let env = TestEnv::start().await;
    let app = env.spawn_app().await;
    let (status, body) = readyz(&app, &[]).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not-ready");
    assert_eq!(body["connection"], "not-connected", "{body}");
    app.stop().await;

    env.store_credentials(hours(1));
    let app = env.spawn_app().await;
    wait_until("readyz 200", 10, || async {
        readyz(&app, &[]).await.0 == 200
    })
    .await;
    let (_, body) = readyz(&app, &[]).await;
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn operators_see_the_account_token_and_feed_and_never_the_token() {
    let (env, app, token) = connected("15m").await;
    let (status, body) = readyz(&app, &[]).await;
    assert_eq!(status, 200);
    let (app_scoped_id, user_id) = env.sandbox.account_ids();
    assert_eq!(body["account"]["user_id"], user_id.as_str(), "{body}");
    assert_eq!(body["account"]["app_scoped_id"], app_scoped_id.as_str());
    assert!(body["account"]["username"].is_string(), "{body}");
    assert_eq!(body["connection"], "connected");
    assert!(body.get("reconnect").is_none(), "{body}");
    let t = &body["token"];
    assert_eq!(t["source"], "authorized");
    assert_eq!(t["age_known"], true);
    assert_eq!(t["age_seconds"].as_i64().map(|s| s / 60), Some(60), "{t}");
    let left = t["seconds_until_expiry"].as_i64().expect("expiry known");
    // Issued an hour ago with a 60-day lifetime.
    let expected = 60 * 86_400 - 3600;
    assert!((expected - 60..=expected).contains(&left), "{left}");
    let f = &body["feed"];
    assert_eq!(f["posts"], env.config.post_count, "{f}");
    assert_eq!(f["stale"], false);
    assert_eq!(f["consecutive_failures"], 0);
    assert!(
        f["updated_at"].as_str().is_some_and(|s| s.ends_with('Z')),
        "{f}"
    );
    assert!(!body.to_string().contains(&token), "the token never leaves");

    // Times follow the injectable clock: two hours later the feed is old and stale.
    env.advance(hours(2));
    let (_, body) = readyz(&app, &[]).await;
    assert!(body["feed"]["age_seconds"].as_i64() >= Some(7200), "{body}");
    assert_eq!(body["feed"]["stale"], true);
}

#[tokio::test]
async fn strangers_get_only_the_status_and_the_ops_token_unlocks_details() {
    let (_env, app, token) = connected("15m").await;
    let bearer = format!("Bearer {OPS_TOKEN}");
    let cases: [(&[(&str, &str)], bool, &str); 5] = [
        (&[STRANGER], false, "no token"),
        (
            &[STRANGER, ("Authorization", "Bearer wrong-token")],
            false,
            "wrong token",
        ),
        (
            &[STRANGER, ("Authorization", &bearer[..bearer.len() - 1])],
            false,
            "truncated",
        ),
        (&[STRANGER, ("Authorization", &bearer)], true, "ops token"),
        (&[], true, "loopback"),
    ];
    for (headers, details, what) in cases {
        let (status, body) = readyz(&app, headers).await;
        assert_eq!(status, 200, "{what}");
        if details {
            assert_eq!(body["connection"], "connected", "{what}: {body}");
        } else {
            assert_eq!(body, serde_json::json!({"status": "ready"}), "{what}");
        }
        let (status, text) = get(&app, "/metrics", headers).await;
        assert_eq!(status, if details { 200 } else { 404 }, "{what}: {text}");
        assert!(!text.contains(&token), "{what}: no token in /metrics");
        if !details {
            let body: Value = serde_json::from_str(&text).expect("JSON error");
            assert_eq!(body["error"]["code"], "not-found", "{what}");
        }
    }
}

#[tokio::test]
async fn a_revoked_token_shows_as_needs_reconnect_with_the_reason() {
    let (env, app, _) = connected("20ms").await;
    env.sandbox.set_mode(Mode::TokenRevoked);
    wait_until("needs-reconnect in readyz", 10, || async {
        readyz(&app, &[]).await.1["connection"] == "needs-reconnect"
    })
    .await;
    let (status, body) = readyz(&app, &[]).await;
    assert_eq!(status, 200, "the last good feed can still be served");
    let reconnect = &body["reconnect"];
    assert!(
        reconnect["reason"]
            .as_str()
            .is_some_and(|r| r.contains("190")),
        "{body}"
    );
    assert!(reconnect["since"].is_string(), "{body}");
    assert_eq!(reconnect["fix"], "open /admin and click Reconnect");
    let (_, metrics) = get(&app, "/metrics", &[]).await;
    assert_eq!(
        sample(&metrics, "igfeed_token_needs_reconnect"),
        Some(1.0),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_imported_token_reports_its_age_as_unknown() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__FEED__REFRESH_INTERVAL", "15m");
    let token = env.sandbox.issue_token(TokenKind::LongLived, hours(1));
    let dir = StateDir::open(&env.settings().storage).expect("storage");
    let store = CredentialStore::open(dir).expect("store");
    let credentials = Credentials::new(
        SecretString::from(token.clone()),
        TokenSource::Imported,
        env.clock.now(),
    );
    store.save(credentials).expect("saved");
    let app = env.spawn_app().await;
    let (_, body) = readyz(&app, &[]).await;
    let t = &body["token"];
    assert_eq!(t["source"], "imported", "{body}");
    assert_eq!(t["age_known"], false);
    assert!(t["issued_at"].is_null() && t["expires_at"].is_null(), "{t}");
    assert!(t["seconds_until_expiry"].is_null(), "{t}");
    let (_, metrics) = get(&app, "/metrics", &[]).await;
    assert!(
        !metrics.contains("igfeed_token_expiry_seconds "),
        "absent while unknown"
    );
    assert!(!metrics.contains(&token));
}

#[tokio::test]
async fn metrics_label_requests_by_route_pattern_never_by_raw_path() {
    let (_env, app, _) = connected("15m").await;
    assert_eq!(get(&app, "/feed.json?limit=3", &[]).await.0, 200);
    assert_eq!(get(&app, "/feed.json", &[]).await.0, 200);
    let hostile = "/probe-7f3a9c/..%2F..%2Fetc%2Fpasswd";
    assert_eq!(get(&app, hostile, &[]).await.0, 404);
    let brew = reqwest::Method::from_bytes(b"BREW").expect("method");
    let response = app
        .http
        .request(brew, format!("{}/feed.json", app.address))
        .send();
    let _ = response.await.expect("answers");

    let (status, text) = get(&app, "/metrics", &[]).await;
    assert_eq!(status, 200);
    for family in [
        "# TYPE igfeed_http_requests_total counter",
        "# TYPE igfeed_http_request_duration_seconds histogram",
        "# TYPE igfeed_instagram_calls_total counter",
        "# TYPE igfeed_feed_cache_hits_total counter",
        "# TYPE igfeed_feed_cache_misses_total counter",
        "# TYPE igfeed_token_expiry_seconds gauge",
        "# TYPE igfeed_feed_age_seconds gauge",
        "# TYPE igfeed_feed_stale gauge",
    ] {
        assert!(text.contains(family), "{family} in\n{text}");
    }
    let ok = r#"igfeed_http_requests_total{route="/feed.json",method="GET",status="200"}"#;
    assert_eq!(sample(&text, ok), Some(2.0), "{text}");
    let unmatched = r#"igfeed_http_requests_total{route="unmatched",method="GET",status="404"}"#;
    assert_eq!(sample(&text, unmatched), Some(1.0), "{text}");
    assert!(
        text.contains(r#"method="other""#),
        "odd methods folded: {text}"
    );
    for raw in ["probe-7f3a9c", "limit=3", "passwd", "%2F", "BREW"] {
        assert!(
            !text.contains(raw),
            "raw request text {raw:?} leaked into\n{text}"
        );
    }
    assert_eq!(
        sample(&text, "igfeed_feed_cache_hits_total"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(sample(&text, "igfeed_feed_stale"), Some(0.0));
    let expiry = sample(&text, "igfeed_token_expiry_seconds").expect("expiry");
    assert!(expiry > 58.0 * 86_400.0, "{expiry}");
}

#[tokio::test]
async fn instagram_calls_are_counted_per_attempt_by_endpoint_and_outcome() {
    let (env, app, _) = connected("15m").await;
    let count = |text: &str, endpoint: &str, outcome: &str| {
        let series =
            format!(r#"igfeed_instagram_calls_total{{endpoint="{endpoint}",outcome="{outcome}"}}"#);
        sample(text, &series).unwrap_or(0.0) as u64
    };
    let (_, text) = get(&app, "/metrics", &[]).await;
    let stats = env.sandbox.stats();
    assert!(stats.calls.me >= 1);
    assert_eq!(count(&text, "me", "ok"), stats.calls.me, "{text}");
    assert_eq!(count(&text, "media_list", "ok"), stats.calls.media_list);

    env.sandbox.set_mode(Mode::Outage);
    let _ = app.state.feed.refresh().await;
    let (_, text) = get(&app, "/metrics", &[]).await;
    let failed = env.sandbox.stats().calls.me - stats.calls.me;
    assert_eq!(failed, 3, "IGFEED__INSTAGRAM__RETRY_ATTEMPTS = 3");
    assert_eq!(
        count(&text, "me", "transient"),
        failed,
        "every attempt counted: {text}"
    );
    assert_eq!(count(&text, "me", "ok"), stats.calls.me, "no new success");
}

#[tokio::test]
async fn a_cold_feed_counts_a_cache_miss() {
    let app = TestEnv::start().await.spawn_app().await;
    assert_eq!(get(&app, "/feed.json", &[]).await.0, 503);
    let (_, text) = get(&app, "/metrics", &[]).await;
    assert_eq!(
        sample(&text, "igfeed_feed_cache_misses_total"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "igfeed_feed_cache_hits_total"), Some(0.0));
    assert!(
        !text.contains("igfeed_feed_age_seconds "),
        "no snapshot, no age"
    );
    tokio::time::sleep(Duration::from_millis(1)).await;
}
