//! `/readyz`: the public status code and the operators' details.

use igfeed::clock::Clock;
use igfeed::credentials::{CredentialStore, Credentials, TokenSource};
use igfeed::storage::StateDir;
use igfeed_sandbox::{Mode, TokenKind};
use secrecy::SecretString;
use serde_json::Value;

use super::super::helpers::{TestEnv, hours, wait_until};
use super::{AccessCase, OPS_TOKEN, STRANGER, connected, get, readyz, sample};

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
    let cases: [AccessCase; 5] = [
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
        sample(
            &metrics,
            r#"igfeed_token_needs_reconnect{account="sandbox.studio"}"#
        ),
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
        !metrics.contains("igfeed_token_expiry_seconds"),
        "absent while unknown"
    );
    assert!(!metrics.contains(&token));
}
