//! Failed logins are throttled per client address, found through trusted proxies only.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;

use super::{Browser, PASSWORD, app_with, app_with_password, device_cookie};

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
        attacker.login_from("guess", "198.51.100.1").await;
    }
    let locked = attacker.login_from(PASSWORD, "198.51.100.1").await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);

    let owner = Browser::new(&app);
    let response = owner.login_from(PASSWORD, "203.0.113.5").await;
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
        browser.login_from("guess", &forged).await;
    }
    let response = browser.login_from(PASSWORD, "203.0.113.5").await;
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "all attempts count against the real peer"
    );
}

/// The attack: 60 wrong passwords from 12 addresses fill the global cap, which used to
/// refuse even the owner's right password for as long as the attacker kept going.
#[tokio::test]
async fn a_browser_that_logged_in_before_gets_in_during_a_distributed_flood() {
    let (_env, app) = app_with(&[
        ("IGFEED__ADMIN__PASSWORD", PASSWORD),
        ("IGFEED__SERVER__TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let owner = Browser::new(&app);
    let first = owner.login_from(PASSWORD, "203.0.113.9").await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let device_cookie = device_cookie(first.headers());
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin/login"] {
        assert!(device_cookie.contains(attribute), "{device_cookie}");
    }
    let csrf = owner.csrf_token().await;
    owner.post("/admin/logout", &[("csrf_token", &csrf)]).await;

    let attacker = Browser::new(&app);
    for n in 0..60 {
        attacker
            .login_from("guess", &format!("198.51.100.{}", n % 12 + 1))
            .await;
    }
    let stranger = Browser::new(&app);
    let refused = stranger.login_from(PASSWORD, "203.0.113.5").await;
    assert_eq!(
        refused.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the global cap still stops new browsers"
    );
    let forged = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("{}/admin/login", app.address))
        .header("X-Forwarded-For", "203.0.113.6")
        .header(
            "Cookie",
            format!("igfeed_device={}.{}", "a".repeat(32), "b".repeat(64)),
        )
        .form(&[("password", PASSWORD)])
        .send()
        .await
        .expect("igfeed answers");
    assert_eq!(
        forged.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "an unsigned device cookie is no device"
    );

    let back = owner.login_from(PASSWORD, "203.0.113.9").await;
    assert_eq!(
        back.status(),
        StatusCode::SEE_OTHER,
        "the owner's known browser is never locked out by others"
    );
    assert_eq!(owner.get("/admin").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_known_browser_still_has_a_small_limit_of_its_own() {
    let (_env, app) = app_with_password().await;
    let browser = Browser::new(&app);
    assert_eq!(
        browser.login(PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let csrf = browser.csrf_token().await;
    browser
        .post("/admin/logout", &[("csrf_token", &csrf)])
        .await;
    for attempt in 1..=5 {
        assert_eq!(
            browser.login("guess").await.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    assert_eq!(
        browser.login(PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a stolen device cookie buys five guesses a minute, no more"
    );
}
