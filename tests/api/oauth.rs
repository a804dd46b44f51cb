//! The OAuth chain against the sandbox: consent, code exchange in every body shape, the
//! long-lived exchange and refresh, and each rule Instagram enforces on them.

use igfeed::instagram::{ApiError, SCOPE};
use igfeed_sandbox::{BodyShape, TokenKind};
use secrecy::ExposeSecret;

use super::consent::{approve, decide, query};
use super::helpers::{REDIRECT_URI, TestEnv, hours};

#[tokio::test]
async fn authorize_url_carries_every_parameter_instagram_needs() {
    let env = TestEnv::start().await;
    let url = env.client().authorize_url("st4te").expect("configured");
    assert!(
        url.as_str().starts_with(env.sandbox.base_url().as_str()),
        "{url}"
    );
    assert_eq!(url.path(), "/oauth/authorize");
    let expect = [
        ("client_id", env.config.app_id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("response_type", "code"),
        ("scope", SCOPE),
        ("state", "st4te"),
    ];
    for (key, want) in expect {
        assert_eq!(query(&url, key).as_deref(), Some(want), "{key} in {url}");
    }
}

#[tokio::test]
async fn code_exchange_accepts_wrapped_flat_and_numeric_id_bodies() {
    for shape in [
        BodyShape::Wrapped,
        BodyShape::Flat,
        BodyShape::FlatNumericIds,
    ] {
        let env = TestEnv::start().await;
        env.sandbox.set_shape(shape);
        let code = approve(&env, "s").await;
        let token = env
            .client()
            .exchange_code(&format!("{code}#_"))
            .await
            .unwrap_or_else(|e| panic!("{shape:?}: {e}"));
        let (_, user_id) = env.sandbox.account_ids();
        assert_eq!(
            token.user_id.as_deref(),
            Some(user_id.as_str()),
            "{shape:?} keeps the id exact"
        );
        assert!(
            token.permissions.iter().any(|p| p == SCOPE),
            "{shape:?}: {:?}",
            token.permissions
        );
        assert!(!token.access_token.expose_secret().is_empty());
    }
}

#[tokio::test]
async fn a_code_works_once() {
    let env = TestEnv::start().await;
    let client = env.client();
    let code = approve(&env, "s").await;
    client.exchange_code(&code).await.expect("first use works");
    let second = client
        .exchange_code(&code)
        .await
        .expect_err("second use must fail");
    assert!(matches!(second, ApiError::BadRequest { .. }), "{second:?}");
    assert!(second.to_string().contains("already used"), "{second}");
}

#[tokio::test]
async fn a_code_expires_after_an_hour() {
    let env = TestEnv::start().await;
    let code = approve(&env, "s").await;
    env.advance(hours(1) + std::time::Duration::from_secs(60));
    let err = env
        .client()
        .exchange_code(&code)
        .await
        .expect_err("expired code");
    assert!(matches!(err, ApiError::BadRequest { .. }), "{err:?}");
}

#[tokio::test]
async fn a_different_redirect_uri_at_exchange_is_rejected() {
    let mut env = TestEnv::start().await;
    let code = approve(&env, "s").await;
    env.set(
        "IGFEED__INSTAGRAM__REDIRECT_URI",
        "http://localhost:8080/auth/instagram/callback",
    );
    let err = env
        .client()
        .exchange_code(&code)
        .await
        .expect_err("redirect mismatch");
    assert!(err.to_string().contains("redirect_uri"), "{err}");
}

#[tokio::test]
async fn a_wrong_app_secret_is_reported_with_the_instagram_app_hint() {
    let mut env = TestEnv::start().await;
    let code = approve(&env, "s").await;
    env.set("IGFEED__INSTAGRAM__APP_SECRET", "the-meta-app-secret");
    let err = env
        .client()
        .exchange_code(&code)
        .await
        .expect_err("bad secret");
    assert!(matches!(err, ApiError::AppCredentials { .. }), "{err:?}");
    assert!(err.to_string().contains("Instagram app ID"), "{err}");
}

#[tokio::test]
async fn cancel_redirects_with_access_denied() {
    let env = TestEnv::start().await;
    let url = env.client().authorize_url("xyz").expect("url");
    let redirect = decide(&url, "Cancel").await;
    assert_eq!(query(&redirect, "error").as_deref(), Some("access_denied"));
    assert_eq!(
        query(&redirect, "error_reason").as_deref(),
        Some("user_denied")
    );
    assert_eq!(query(&redirect, "state").as_deref(), Some("xyz"));
    assert_eq!(query(&redirect, "code"), None);
}

#[tokio::test]
async fn short_lived_becomes_long_lived_and_is_refreshed_only_after_a_day() {
    let env = TestEnv::start().await;
    let client = env.client();
    let code = approve(&env, "s").await;
    let short = client.exchange_code(&code).await.expect("short-lived");
    let long = client
        .exchange_for_long_lived(&short.access_token)
        .await
        .expect("long-lived");
    let lifetime = long.expires_in.expect("expires_in given");
    assert!(
        lifetime > hours(24 * 59) && lifetime <= hours(24 * 61),
        "{lifetime:?}"
    );

    let early = client
        .refresh(&long.access_token)
        .await
        .expect_err("too young");
    assert!(
        matches!(early, ApiError::BadRequest { .. }),
        "a young token is not dead: {early:?}"
    );

    env.advance(hours(25));
    let refreshed = client
        .refresh(&long.access_token)
        .await
        .expect("refresh after 25 h");
    assert!(refreshed.expires_in.expect("expires_in") > hours(24 * 59));
    client
        .profile(&refreshed.access_token)
        .await
        .expect("the refreshed token works");
}

#[tokio::test]
async fn short_lived_tokens_cannot_be_refreshed_and_die_after_an_hour() {
    let env = TestEnv::start().await;
    let client = env.client();
    let short =
        secrecy::SecretString::from(env.sandbox.issue_token(TokenKind::ShortLived, hours(0)));
    client
        .profile(&short)
        .await
        .expect("fresh short-lived token reads");
    assert!(
        client.refresh(&short).await.is_err(),
        "short-lived tokens are not refreshable"
    );
    env.advance(hours(1) + std::time::Duration::from_secs(1));
    let err = client.profile(&short).await.expect_err("expired");
    assert!(
        matches!(err, ApiError::TokenInvalid { code: 190, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_expired_long_lived_token_cannot_be_refreshed() {
    let env = TestEnv::start().await;
    let token = secrecy::SecretString::from(
        env.sandbox
            .issue_token(TokenKind::LongLived, hours(24 * 61)),
    );
    let err = env.client().refresh(&token).await.expect_err("dead token");
    assert!(
        matches!(
            err,
            ApiError::TokenInvalid {
                code: 190,
                subcode: Some(463),
                ..
            }
        ),
        "{err:?}"
    );
}
