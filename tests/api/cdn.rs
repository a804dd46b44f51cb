//! The sandbox's CDN behaves like Instagram's: real JPEGs behind signed URLs that expire.

use igfeed_sandbox::{Mode, TokenKind};
use secrecy::SecretString;

use super::helpers::{TestEnv, hours};

async fn first_image_url(env: &TestEnv) -> String {
    let token = SecretString::from(env.sandbox.issue_token(TokenKind::LongLived, hours(0)));
    let posts = env.client().media(&token, 5).await.expect("media");
    posts
        .into_iter()
        .find_map(|p| p.media_url)
        .expect("an image URL")
}

#[tokio::test]
async fn media_urls_serve_jpegs_until_they_expire() {
    let env = TestEnv::start().await;
    let url = first_image_url(&env).await;
    assert!(url.contains("oe="), "signed URL carries its expiry: {url}");
    let response = reqwest::get(&url).await.expect("cdn answers");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let bytes = response.bytes().await.expect("body");
    assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF], "a JPEG");

    env.advance(hours(24 * 6));
    let expired = reqwest::get(&url).await.expect("cdn answers");
    assert_eq!(expired.status(), 403);
    assert!(
        expired
            .text()
            .await
            .expect("text")
            .contains("URL signature expired")
    );
}

#[tokio::test]
async fn cdn_expired_mode_and_tampered_urls_are_refused() {
    let env = TestEnv::start().await;
    let url = first_image_url(&env).await;
    let tampered = url.replace("oe=", "oe=f");
    assert_eq!(
        reqwest::get(&tampered).await.expect("answers").status(),
        403
    );
    env.sandbox.set_mode(Mode::CdnExpired);
    assert_eq!(reqwest::get(&url).await.expect("answers").status(), 403);
}

#[tokio::test]
async fn the_control_api_switches_modes_over_http_and_rejects_bad_input() {
    let env = TestEnv::start().await;
    let base = env.sandbox.base_url().clone();
    let http = reqwest::Client::new();
    let set = |body: &'static str| {
        http.post(base.join("_sandbox/mode").expect("url"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(
        set(r#"{"mode":"outage"}"#).await.expect("answers").status(),
        200
    );
    let token = SecretString::from(env.sandbox.issue_token(TokenKind::LongLived, hours(0)));
    assert!(
        env.client()
            .profile(&token)
            .await
            .expect_err("outage")
            .is_transient()
    );
    for bad in [
        r#"{"mode":"sideways"}"#,
        "not json",
        r#"{"mode":"slow","delay_ms":-1}"#,
    ] {
        let response = set(bad).await.expect("answers");
        assert_eq!(response.status(), 400, "{bad}");
    }
    let stats: serde_json::Value = http
        .get(base.join("_sandbox/stats").expect("url"))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["calls"]["me"], 3, "{stats}");
}
