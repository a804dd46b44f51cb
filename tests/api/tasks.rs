//! The background tasks under stress: absurd durations from Instagram, clock jumps, and
//! visitors arriving while a configured token is still being imported.

use std::time::Duration;

use igfeed_sandbox::{Mode, TokenKind};
use secrecy::ExposeSecret;

use super::helpers::{TestEnv, hours, wait_until};

/// The most igfeed believes about a token's lifetime, with a day of slack for the test.
const A_YEAR_AND_A_DAY: Duration = Duration::from_secs(366 * 24 * 3600);

/// `estimated_time_to_regain_access` of 2^64-1 minutes once made the refresher panic and
/// never come back: the feed stayed stale for good while `/healthz` said ok.
#[tokio::test]
async fn an_absurd_rate_limit_wait_does_not_stop_the_refresher() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__FEED__REFRESH_INTERVAL", "200ms");
    let (app, _) = env.spawn_connected().await;
    env.sandbox.set_mode(Mode::RateLimited {
        code: 4,
        regain_minutes: u64::MAX,
    });
    wait_until("the refresher hit the limit", 10, || async {
        app.account().feed.status().last_error.is_some()
    })
    .await;
    env.sandbox.set_mode(Mode::Healthy);
    // However long Instagram asks for, igfeed waits at most a day.
    env.advance(hours(25));
    wait_until("a successful refresh after the wait", 10, || async {
        app.account().feed.status().last_error.is_none()
    })
    .await;
}

/// An `expires_in` no date can hold once made the token keeper panic after Instagram had
/// already replaced the token, so the new value was lost with the old one dead.
#[tokio::test]
async fn an_absurd_token_lifetime_is_stored_bounded_and_the_keeper_keeps_checking() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__TOKEN__CHECK_INTERVAL", "20ms");
    let original = env.store_credentials(hours(24 * 8));
    env.sandbox
        .set_announced_expires_in(Some(10_000_000_000_000));
    let app = env.spawn_app().await;
    wait_until("the refreshed token on disk", 10, || async {
        env.stored_credentials()
            .is_some_and(|c| c.access_token.expose_secret() != original)
    })
    .await;
    let stored = env.stored_credentials().expect("stored");
    let bound = igfeed::clock::Clock::now(env.clock.as_ref())
        + chrono::TimeDelta::from_std(A_YEAR_AND_A_DAY).expect("fits");
    assert!(
        stored.expires_at.is_some_and(|at| at <= bound),
        "expiry bounded: {:?}",
        stored.expires_at
    );
    env.client()
        .profile(&stored.access_token)
        .await
        .expect("the stored token works");
    let checks = app.account().keeper.checks();
    wait_until("the keeper still checking", 10, || async {
        app.account().keeper.checks() >= checks + 3
    })
    .await;
}

/// A machine that resumed from suspend, or a VM restored days later: the wall clock jumps
/// while igfeed runs. The token that came due meanwhile is refreshed within one
/// `token.check_interval`, and a feed whose rate-limit wait ended meanwhile is fetched, both
/// without a restart.
#[tokio::test]
async fn work_that_came_due_during_a_clock_jump_is_done_without_a_restart() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__TOKEN__CHECK_INTERVAL", "50ms");
    env.set("IGFEED__FEED__REFRESH_INTERVAL", "200ms");
    let original = env.store_credentials(hours(1));
    env.sandbox.set_mode(Mode::RateLimited {
        code: 4,
        regain_minutes: 6 * 60,
    });
    let app = env.spawn_app().await;
    wait_until("the first load hit the limit", 10, || async {
        app.account().feed.status().last_error.is_some()
    })
    .await;
    env.sandbox.set_mode(Mode::Healthy);
    let checks = app.account().keeper.checks();
    wait_until("a check before the jump", 10, || async {
        app.account().keeper.checks() > checks
    })
    .await;
    assert_eq!(env.sandbox.stats().calls.refresh, 0, "nothing due yet");

    env.advance(hours(24 * 8));
    wait_until("the token refreshed after the jump", 10, || async {
        env.stored_credentials()
            .is_some_and(|c| c.access_token.expose_secret() != original)
    })
    .await;
    wait_until("the feed fetched after the jump", 10, || async {
        app.has_feed()
    })
    .await;
}

/// With `instagram.access_token` set and Instagram slow, the first visitors once all heard
/// `503 not-connected` while the token was still being imported. They wait like on any cold
/// cache instead.
#[tokio::test]
async fn visitors_during_the_start_up_import_wait_for_the_feed() {
    let mut env = TestEnv::start().await;
    let token = env.sandbox.issue_token(TokenKind::LongLived, hours(1));
    env.set("IGFEED__INSTAGRAM__ACCESS_TOKEN", &token);
    env.sandbox.set_mode(Mode::Slow {
        delay: Duration::from_millis(300),
    });
    let app = env.spawn_app().await;
    let requests = (0..300).map(|_| {
        let (http, url) = (app.http.clone(), format!("{}/feed.json", app.address));
        tokio::spawn(async move {
            let response = http.get(url).send().await.expect("answered");
            (response.status(), response.text().await.unwrap_or_default())
        })
    });
    for visitor in futures_util::future::join_all(requests).await {
        let (status, body) = visitor.expect("joined");
        assert_eq!(status, 200, "{body}");
    }
}

/// Operators see every supervised task's restart counter from the start, and `/readyz`
/// details list the tasks in trouble (none here).
#[tokio::test]
async fn supervised_tasks_are_listed_in_metrics_and_readyz() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    let metrics = app.get("/metrics").await.text().await.expect("text");
    for task in ["feed_refresh", "token_refresh"] {
        let series = format!("igfeed_task_restarts_total{{task=\"{task}\"}} 0");
        assert!(metrics.contains(&series), "{series} in\n{metrics}");
    }
    assert!(
        !metrics.contains("task=\"alerts\""),
        "only tasks that run are listed"
    );
    let readyz: serde_json::Value = app.get("/readyz").await.json().await.expect("JSON");
    assert_eq!(readyz["tasks"], serde_json::json!([]), "{readyz}");
}
