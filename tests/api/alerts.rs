//! Alerts over HTTP: a loopback webhook receiver gets each alert once per episode, retried
//! when it fails, never with the token.

use std::sync::atomic::Ordering;
use std::time::Duration;

use igfeed::clock::Clock as _;
use igfeed::credentials::{CredentialStore, Credentials, TokenSource};
use igfeed::storage::StateDir;
use igfeed_sandbox::{Mode, TokenKind};
use secrecy::SecretString;

use super::helpers::{TestApp, TestEnv, hours, wait_until};
use super::receiver::Receiver;

/// A test environment whose igfeed posts alerts to `receiver` every 50 ms.
async fn env_with(receiver: &Receiver) -> TestEnv {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__ALERTS__WEBHOOK_URL", &receiver.url);
    env.set("IGFEED__ALERTS__CHECK_INTERVAL", "50ms");
    env
}

/// Lets `n` more alert checks run, so a repeated alert would have had its chance.
async fn let_checks_pass(app: &TestApp, n: u64) {
    let start = app.state.alerts.checks();
    wait_until("more alert checks", 10, || async {
        app.state.alerts.checks() >= start + n
    })
    .await;
}

/// Every body has the documented shape and none carries the token.
fn assert_well_formed(receiver: &Receiver, app: &TestApp, token: &str) {
    for body in receiver.bodies() {
        let text = body.to_string();
        assert!(!text.contains(token), "the token leaked: {text}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains("Fix:")),
            "{text}"
        );
        assert!(
            body["account"].is_null() || body["account"].is_string(),
            "{text}"
        );
        let at = body["at"].as_str().expect("at");
        assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
        assert!(
            body["igfeed"]
                .as_str()
                .expect("igfeed")
                .starts_with(&app.address),
            "{text}"
        );
    }
}

/// Credentials for a token issued an hour ago (too young to refresh) that expires soon.
fn store_expiring(env: &TestEnv, expires_in: chrono::TimeDelta) -> String {
    let token = env.sandbox.issue_token(TokenKind::LongLived, hours(1));
    let dir = StateDir::open(&env.settings().storage).expect("storage opens");
    let store = CredentialStore::open(dir).expect("store opens");
    let (app_scoped_id, user_id) = env.sandbox.account_ids();
    let issued = env.clock.now() - chrono::TimeDelta::hours(1);
    let mut credentials = Credentials::new(
        SecretString::from(token.clone()),
        TokenSource::Authorized,
        issued,
    );
    credentials.app_scoped_id = Some(app_scoped_id);
    credentials.user_id = Some(user_id);
    credentials.username = Some("bakery".into());
    credentials.issued_at = Some(issued);
    credentials.expires_at = Some(env.clock.now() + expires_in);
    store.save(credentials).expect("saved");
    token
}

#[tokio::test]
async fn needs_reconnect_is_sent_once_per_episode() {
    let receiver = Receiver::start(0).await;
    let mut env = env_with(&receiver).await;
    env.set("IGFEED__FEED__REFRESH_INTERVAL", "100ms");
    let token = env.store_credentials(hours(1));
    let app = env.spawn_app().await;
    wait_until("the first feed", 10, || async { app.has_feed() }).await;
    let_checks_pass(&app, 3).await;
    assert!(
        receiver.bodies().is_empty(),
        "healthy: {:?}",
        receiver.bodies()
    );

    env.sandbox.set_mode(Mode::TokenRevoked);
    receiver.wait_for("needs-reconnect").await;
    let_checks_pass(&app, 6).await;
    assert_eq!(
        receiver.count("needs-reconnect"),
        1,
        "{:?}",
        receiver.bodies()
    );
    assert_eq!(
        receiver.bodies().len(),
        1,
        "the dead token hides the other alerts"
    );
    let warnings = app.state.alerts.active_warnings().await;
    assert_eq!(warnings.len(), 1, "the status page shows it too");

    // The owner reconnects: the condition clears, and the next revocation alerts again.
    env.sandbox.set_mode(Mode::Healthy);
    let fresh = env.sandbox.issue_token(TokenKind::LongLived, hours(1));
    let mut reconnected = app.account().credentials.current().expect("still stored");
    reconnected.access_token = SecretString::from(fresh.clone());
    reconnected.state = igfeed::credentials::TokenState::Active;
    app.account().credentials.save(reconnected).expect("saved");
    let_checks_pass(&app, 3).await;
    env.sandbox.set_mode(Mode::TokenRevoked);
    wait_until("a second needs-reconnect alert", 10, || async {
        receiver.count("needs-reconnect") == 2
    })
    .await;
    let_checks_pass(&app, 6).await;
    assert_eq!(
        receiver.count("needs-reconnect"),
        2,
        "{:?}",
        receiver.bodies()
    );
    assert_well_formed(&receiver, &app, &token);
    assert_well_formed(&receiver, &app, &fresh);
    receiver.handle.stop(false).await;
}

#[tokio::test]
async fn token_expiring_is_sent_once_even_across_a_restart() {
    let receiver = Receiver::start(0).await;
    let env = env_with(&receiver).await;
    let token = store_expiring(&env, chrono::TimeDelta::days(3));
    let app = env.spawn_app().await;
    receiver.wait_for("token-expiring").await;
    let_checks_pass(&app, 6).await;
    assert_eq!(receiver.bodies().len(), 1, "{:?}", receiver.bodies());
    let body = &receiver.bodies()[0];
    assert_eq!(body["account"], "bakery");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("expires on"),
        "{body}"
    );
    assert_well_formed(&receiver, &app, &token);
    app.stop().await;

    let app = env.spawn_app().await;
    let_checks_pass(&app, 6).await;
    assert_eq!(receiver.bodies().len(), 1, "not repeated after a restart");
    receiver.handle.stop(false).await;
}

#[tokio::test]
async fn feed_stale_is_sent_after_24_hours_without_a_refresh() {
    let receiver = Receiver::start(0).await;
    let env = env_with(&receiver).await;
    let token = env.store_credentials(hours(1));
    let app = env.spawn_app().await;
    wait_until("the first feed", 10, || async { app.has_feed() }).await;
    env.sandbox.set_mode(Mode::Outage);
    env.advance(hours(23));
    let_checks_pass(&app, 3).await;
    assert!(receiver.bodies().is_empty(), "23 h is not stale yet");

    env.advance(hours(2));
    receiver.wait_for("feed-stale").await;
    let_checks_pass(&app, 6).await;
    assert_eq!(receiver.bodies().len(), 1, "{:?}", receiver.bodies());
    let message = receiver.bodies()[0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("25 hours"), "{message}");
    assert_well_formed(&receiver, &app, &token);
    receiver.handle.stop(false).await;
}

#[tokio::test]
async fn a_failing_receiver_gets_the_alert_retried_and_delivered_once() {
    let receiver = Receiver::start(1).await;
    let env = env_with(&receiver).await;
    let token = store_expiring(&env, chrono::TimeDelta::days(2));
    let app = env.spawn_app().await;
    receiver.wait_for("token-expiring").await;
    let_checks_pass(&app, 6).await;
    assert_eq!(
        receiver.attempts.load(Ordering::SeqCst),
        2,
        "one failure, one retry"
    );
    assert_eq!(receiver.bodies().len(), 1, "{:?}", receiver.bodies());
    assert_well_formed(&receiver, &app, &token);
    receiver.handle.stop(false).await;
}

#[tokio::test]
async fn without_a_webhook_warnings_still_show_and_nothing_is_sent() {
    let env = TestEnv::start().await;
    store_expiring(&env, chrono::TimeDelta::days(3));
    let app = env.spawn_app().await;
    let warnings = app.state.alerts.active_warnings().await;
    let kinds: Vec<_> = warnings.iter().map(|w| w.warning.kind.as_str()).collect();
    assert_eq!(kinds, ["token-expiring"]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        app.state.alerts.checks(),
        0,
        "no alert task without a webhook"
    );
}

#[tokio::test]
async fn an_alert_names_the_account_it_is_about_and_the_others_stay_quiet() {
    let receiver = Receiver::start(0).await;
    let mut env = env_with(&receiver).await;
    env.set("IGFEED__FEED__REFRESH_INTERVAL", "100ms");
    env.store_credentials(hours(1));
    let app = env.spawn_app().await;
    let second = env
        .sandbox
        .issue_token_for(
            igfeed_sandbox::SECOND_USERNAME,
            TokenKind::LongLived,
            hours(1),
        )
        .expect("a second account");
    igfeed::connection::import_token(
        &app.state.instagram,
        &app.state.accounts,
        &app.state.clock,
        SecretString::from(second.clone()),
    )
    .await
    .expect("imported");
    wait_until("both feeds", 10, || async {
        let accounts = app.state.accounts.accounts();
        accounts.len() == 2 && accounts.iter().all(|a| a.feed.peek().is_some())
    })
    .await;
    env.sandbox
        .revoke_tokens_of(igfeed_sandbox::SECOND_USERNAME);
    receiver.wait_for("needs-reconnect").await;
    let_checks_pass(&app, 6).await;
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "only the dead account alerts: {bodies:?}");
    assert_eq!(bodies[0]["account"], igfeed_sandbox::SECOND_USERNAME);
    assert!(
        bodies[0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("@harness.cafe: ")),
        "{bodies:?}"
    );
    assert_well_formed(&receiver, &app, &second);
    receiver.handle.stop(false).await;
}

#[tokio::test]
async fn alerts_sent_by_a_release_before_several_accounts_are_not_sent_again() {
    let receiver = Receiver::start(0).await;
    let env = env_with(&receiver).await;
    store_expiring(&env, chrono::TimeDelta::days(3));
    // What that release wrote once it had sent the alert: the kinds, for its one account.
    #[derive(serde::Serialize)]
    struct Legacy {
        sent: Vec<&'static str>,
    }
    let dir = StateDir::open(&env.settings().storage).expect("storage opens");
    dir.write(
        "alerts.json",
        &Legacy {
            sent: vec!["token-expiring"],
        },
    )
    .expect("written");
    let app = env.spawn_app().await;
    let_checks_pass(&app, 6).await;
    assert!(receiver.bodies().is_empty(), "{:?}", receiver.bodies());
    assert_eq!(
        app.state.alerts.active_warnings().await.len(),
        1,
        "it still holds"
    );
    app.stop().await;
    receiver.handle.stop(false).await;
}
