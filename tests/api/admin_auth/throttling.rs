//! Failed logins are throttled per client address, found through trusted proxies only.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;

use super::{Browser, PASSWORD, app_with, app_with_password};

#[tokio::test]
async fn the_sixth_failure_in_a_minute_is_refused_even_with_the_right_password() {
    let (env, app) = app_with_password().await;
    let browser = Browser::new(&app);
    for attempt in 1..=5 {
        let response = browser.login("guess").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    let locked = browser.login(PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = locked
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(browser.get("/admin").await.status(), StatusCode::SEE_OTHER);

    env.advance(Duration::from_secs(61));
    let later = browser.login(PASSWORD).await;
    assert_eq!(
        later.status(),
        StatusCode::SEE_OTHER,
        "a minute later it works"
    );
}

#[tokio::test]
async fn one_clients_lockout_does_not_lock_out_another_behind_a_trusted_proxy() {
    let (_env, app) = app_with(&[
        ("IGFEED__ADMIN__PASSWORD", PASSWORD),
        ("IGFEED__SERVER__TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let attacker = Browser::new(&app);
    for _ in 0..5 {
        attacker
            .post_from(
                "/admin/login",
                &[("password", "guess")],
                Some("198.51.100.1"),
            )
            .await;
    }
    let locked = attacker
        .post_from(
            "/admin/login",
            &[("password", PASSWORD)],
            Some("198.51.100.1"),
        )
        .await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);

    let owner = Browser::new(&app);
    let response = owner
        .post_from(
            "/admin/login",
            &[("password", PASSWORD)],
            Some("203.0.113.5"),
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the owner gets in"
    );
}

#[tokio::test]
async fn x_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let (_env, app) = app_with_password().await;
    let browser = Browser::new(&app);
    for n in 0..5 {
        let forged = format!("198.51.100.{n}");
        browser
            .post_from("/admin/login", &[("password", "guess")], Some(&forged))
            .await;
    }
    let response = browser
        .post_from(
            "/admin/login",
            &[("password", PASSWORD)],
            Some("203.0.113.5"),
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "all attempts count against the real peer"
    );
}
