//! The token endpoints over HTTP: code exchange, body shapes, long-lived exchange.

use std::time::Duration;

use super::*;

#[tokio::test]
async fn the_code_exchange_enforces_instagram_rules() {
    let h = Harness::start().await;
    let code = h.authorize("s").await;
    let attempt =
        |client_id: &'static str, secret: &'static str, redirect: &'static str, code: String| {
            let h = &h;
            async move {
                let form = [
                    ("client_id", client_id),
                    ("client_secret", secret),
                    ("grant_type", "authorization_code"),
                    ("redirect_uri", redirect),
                    ("code", code.as_str()),
                ];
                let response = h.post_form("oauth/access_token", &form).await;
                (
                    response.status().as_u16(),
                    response.json::<Value>().await.expect("JSON"),
                )
            }
        };
    let (status, body) = attempt("1", "sandbox-app-secret", REDIRECT, code.clone()).await;
    assert_eq!(
        (status, body["error_message"].as_str()),
        (400, Some("Invalid platform app"))
    );
    assert_eq!(body["error_type"], "OAuthException");
    let (_, body) = attempt("1000000000000001", "nope", REDIRECT, code.clone()).await;
    assert_eq!(body["error_message"], "Error validating client secret");
    let (_, body) = attempt(
        "1000000000000001",
        "sandbox-app-secret",
        REDIRECT,
        format!("{code}#_"),
    )
    .await;
    assert_eq!(
        body["error_message"], "Matching code was not found or was already used",
        "#_ is not part of the code"
    );

    let code = h.authorize("s").await;
    let (_, body) = attempt(
        "1000000000000001",
        "sandbox-app-secret",
        "http://localhost:8080/auth/instagram/callback",
        code.clone(),
    )
    .await;
    assert!(
        body["error_message"]
            .as_str()
            .unwrap_or_default()
            .contains("redirect_uri is identical"),
        "{body}"
    );

    let code = h.authorize("s").await;
    let (status, body) = attempt(
        "1000000000000001",
        "sandbox-app-secret",
        REDIRECT,
        code.clone(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["permissions"], "instagram_business_basic");
    let (_, body) = attempt(
        "1000000000000001",
        "sandbox-app-secret",
        REDIRECT,
        code.clone(),
    )
    .await;
    assert_eq!(
        body["error_message"],
        "Matching code was not found or was already used"
    );

    let code = h.authorize("s").await;
    h.clock.advance(Duration::from_secs(3601));
    let (_, body) = attempt("1000000000000001", "sandbox-app-secret", REDIRECT, code).await;
    assert_eq!(
        body["error_message"], "Matching code was not found or was already used",
        "codes last an hour"
    );
}

#[tokio::test]
async fn body_shapes_change_the_code_exchange_answer() {
    let h = Harness::start().await;
    h.sandbox.set_shape(super::super::BodyShape::Wrapped);
    let code = h.authorize("s").await;
    let form = [
        ("client_id", "1000000000000001"),
        ("client_secret", "sandbox-app-secret"),
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT),
        ("code", code.as_str()),
    ];
    let body: Value = h
        .post_form("oauth/access_token", &form)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(body["data"][0]["user_id"], "17841405793187218", "{body}");

    h.sandbox.set_shape(super::super::BodyShape::FlatNumericIds);
    let code = h.authorize("s").await;
    let form = [
        ("client_id", "1000000000000001"),
        ("client_secret", "sandbox-app-secret"),
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT),
        ("code", code.as_str()),
    ];
    let text = h
        .post_form("oauth/access_token", &form)
        .await
        .text()
        .await
        .expect("text");
    assert!(
        text.contains("\"user_id\":17841405793187218"),
        "a raw number: {text}"
    );
}

#[tokio::test]
async fn the_long_lived_exchange_checks_secret_and_token_kind() {
    let h = Harness::start().await;
    let short = h
        .sandbox
        .issue_token(super::super::TokenKind::ShortLived, Duration::ZERO);
    let (status, body) = h
        .get_json(&format!(
            "access_token?grant_type=ig_exchange_token&client_secret=bad&access_token={short}"
        ))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (400, Some(101)),
        "{body}"
    );
    let long = h
        .sandbox
        .issue_token(super::super::TokenKind::LongLived, Duration::ZERO);
    let (_, body) = h.get_json(&format!("access_token?grant_type=ig_exchange_token&client_secret=sandbox-app-secret&access_token={long}")).await;
    assert_eq!(body["error"]["code"], 190, "{body}");
    let expired = h.sandbox.issue_token(
        super::super::TokenKind::ShortLived,
        Duration::from_secs(3700),
    );
    let (_, body) = h.get_json(&format!("access_token?grant_type=ig_exchange_token&client_secret=sandbox-app-secret&access_token={expired}")).await;
    assert_eq!(
        (
            body["error"]["code"].as_i64(),
            body["error"]["error_subcode"].as_i64()
        ),
        (Some(190), Some(463)),
        "{body}"
    );
    let old = h.sandbox.issue_token(
        super::super::TokenKind::LongLived,
        Duration::from_secs(61 * 24 * 3600),
    );
    let (_, body) = h
        .get_json(&format!(
            "refresh_access_token?grant_type=ig_refresh_token&access_token={old}"
        ))
        .await;
    assert_eq!(
        body["error"]["error_subcode"], 463,
        "an expired token cannot be refreshed: {body}"
    );
}
