//! Misbehaviour modes, the control API and TLS over HTTP.

use std::time::{Duration, Instant};

use super::*;
use crate::{Mode, TokenKind};

async fn post_json(h: &Harness, path: &str, body: &str) -> (u16, Value) {
    let response = h
        .client
        .post(h.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("text");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn each_mode_answers_as_documented() {
    let h = Harness::start().await;
    let t = h.sandbox.issue_token(TokenKind::LongLived, Duration::ZERO);
    let me = format!("v23.0/me?fields=username&access_token={t}");

    h.sandbox.set_mode(Mode::Outage);
    let (status, body) = h.get_json(&me).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (500, Some(2)));
    assert_eq!(body["error"]["is_transient"], true);
    assert_eq!(
        h.get("oauth/authorize").await.status(),
        503,
        "the dialog is down too"
    );

    h.sandbox.set_mode(Mode::RateLimited {
        code: 80002,
        regain_minutes: 7,
    });
    let response = h.get(&me).await;
    assert_eq!(response.status(), 429);
    let usage = response.headers()["x-business-use-case-usage"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    let usage: Value = serde_json::from_str(&usage).expect("JSON header");
    assert_eq!(
        usage["17841405793187218"][0]["estimated_time_to_regain_access"],
        7
    );
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], 80002);

    h.sandbox.set_mode(Mode::TokenRevoked);
    assert_eq!(h.get_json(&me).await.1["error"]["error_subcode"], 460);
    h.sandbox.set_mode(Mode::TokenExpired);
    assert_eq!(h.get_json(&me).await.1["error"]["error_subcode"], 463);

    h.sandbox.set_mode(Mode::Malformed);
    let response = h.get(&me).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("text");
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "truncated: {text}"
    );

    h.sandbox.set_mode(Mode::Slow {
        delay: Duration::from_millis(300),
    });
    let started = Instant::now();
    assert_eq!(h.get_json(&me).await.1["username"], "sandbox.studio");
    assert!(started.elapsed() >= Duration::from_millis(300));

    h.sandbox.set_mode(Mode::Healthy);
    let (_, body) = h
        .get_json(&format!("me?fields=profile_picture_url&access_token={t}"))
        .await;
    let picture = body["profile_picture_url"]
        .as_str()
        .expect("url")
        .to_owned();
    h.sandbox.set_mode(Mode::CdnExpired);
    let response = h.client.get(&picture).send().await.expect("sent");
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.text().await.expect("text"),
        "URL signature expired"
    );
    assert_eq!(h.get_json(&me).await.0, 200, "the API is unaffected");
}

#[tokio::test]
async fn the_control_api_steers_the_sandbox() {
    let h = Harness::start().await;
    let (status, body) = post_json(&h, "_sandbox/mode", "{not json").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad-request"))
    );
    let (status, _) = post_json(&h, "_sandbox/mode", r#"{"mode":"rate-limited","code":17}"#).await;
    assert_eq!(status, 400, "only codes 4 and 80002");
    let (status, _) = post_json(
        &h,
        "_sandbox/mode",
        r#"{"mode":"rate-limited","code":4,"regain_minutes":3}"#,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(h.get("me?access_token=x").await.status(), 429);
    post_json(&h, "_sandbox/mode", r#"{"mode":"healthy"}"#).await;

    let (_, body) = post_json(&h, "_sandbox/tokens", r#"{"kind":"long","age_secs":90000}"#).await;
    let token = body["access_token"].as_str().expect("token").to_owned();
    let (status, _) = h
        .get_json(&format!(
            "refresh_access_token?grant_type=ig_refresh_token&access_token={token}"
        ))
        .await;
    assert_eq!(status, 200, "a 25 h old token refreshes");

    let (_, body) = post_json(&h, "_sandbox/posts", "").await;
    let id = body["id"].as_str().expect("id").to_owned();
    let t = h.sandbox.issue_token(TokenKind::ShortLived, Duration::ZERO);
    let (_, page) = h
        .get_json(&format!("me/media?limit=1&access_token={t}"))
        .await;
    assert_eq!(page["data"][0]["id"], id.as_str());

    post_json(&h, "_sandbox/shape", r#"{"shape":"wrapped"}"#).await;
    assert!(h.get_json(&format!("me?access_token={t}")).await.1["data"].is_array());
    post_json(&h, "_sandbox/revoke", "").await;
    assert_eq!(
        h.get_json(&format!("me?access_token={t}")).await.1["error"]["error_subcode"],
        460
    );

    let (_, stats) = h.get_json("_sandbox/stats").await;
    assert_eq!(stats["calls"]["refresh"], 1);
    assert_eq!(stats["calls"]["me"], 3, "{stats}");
    post_json(&h, "_sandbox/stats/reset", "").await;
    assert_eq!(h.get_json("_sandbox/stats").await.1["graph_total"], 0);
}

#[tokio::test]
async fn tls_is_served_with_a_generated_ca() {
    let config = SandboxConfig {
        tls: true,
        ..SandboxConfig::default()
    };
    let h = Harness::with(config).await;
    assert_eq!(h.sandbox.base_url().scheme(), "https");
    assert_eq!(h.sandbox.base_url().host_str(), Some("localhost"));
    let ca = h.sandbox.ca_pem().expect("a CA when tls is on");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).expect("PEM"))
        .build()
        .expect("client");
    let t = h.sandbox.issue_token(TokenKind::LongLived, Duration::ZERO);
    let body: Value = client
        .get(h.url(&format!("v23.0/me?fields=username&access_token={t}")))
        .send()
        .await
        .expect("a verified TLS connection")
        .json()
        .await
        .expect("JSON");
    assert_eq!(body["username"], "sandbox.studio");
    h.sandbox.stop().await;
}

#[tokio::test]
async fn token_lifetimes_and_regain_times_can_be_absurd() {
    let h = Harness::start().await;
    let (status, _) = post_json(
        &h,
        "_sandbox/expires-in",
        r#"{"expires_in":10000000000000}"#,
    )
    .await;
    assert_eq!(status, 200);
    let token = h
        .sandbox
        .issue_token(TokenKind::LongLived, Duration::from_secs(90_000));
    let (status, body) = h
        .get_json(&format!(
            "refresh_access_token?grant_type=ig_refresh_token&access_token={token}"
        ))
        .await;
    assert_eq!(
        (status, body["expires_in"].as_u64()),
        (200, Some(10_000_000_000_000))
    );
    post_json(&h, "_sandbox/expires-in", r#"{"expires_in":null}"#).await;
    let token = h
        .sandbox
        .issue_token(TokenKind::LongLived, Duration::from_secs(90_000));
    let (_, body) = h
        .get_json(&format!(
            "refresh_access_token?grant_type=ig_refresh_token&access_token={token}"
        ))
        .await;
    assert_eq!(
        body["expires_in"].as_i64(),
        Some(60 * 24 * 3600),
        "the truth again"
    );

    h.sandbox.set_mode(Mode::RateLimited {
        code: 4,
        regain_minutes: u64::MAX,
    });
    let response = h.get(&format!("v23.0/me?access_token={token}")).await;
    let usage: Value = serde_json::from_str(
        response.headers()["x-business-use-case-usage"]
            .to_str()
            .expect("ASCII"),
    )
    .expect("JSON header");
    assert_eq!(
        usage["17841405793187218"][0]["estimated_time_to_regain_access"].as_u64(),
        Some(u64::MAX)
    );
}
