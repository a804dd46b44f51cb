//! igfeed's own HTTP basics: liveness, the JSON error shape, request ids.

use super::helpers::TestEnv;

#[tokio::test]
async fn healthz_answers_ok() {
    let app = TestEnv::start().await.spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().contains_key("x-request-id"),
        "request id returned"
    );
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn unknown_routes_get_the_json_error_shape() {
    let app = TestEnv::start().await.spawn_app().await;
    for path in ["/nope", "/healthz/extra", "/%00", "/admin/../../etc/passwd"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: serde_json::Value = response.json().await.expect("json body");
        assert_eq!(body["error"]["code"], "not-found", "{path}: {body}");
        assert!(body["error"]["message"].is_string(), "{path}: {body}");
    }
}

#[tokio::test]
async fn graceful_stop_finishes() {
    let app = TestEnv::start().await.spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    tokio::time::timeout(std::time::Duration::from_secs(10), app.handle.stop(true))
        .await
        .expect("stops within the deadline");
    let after = reqwest::get(format!("{}/healthz", app.address)).await;
    assert!(after.is_err(), "no longer listening");
}

/// An app with the admin pages configured (without a secret they all show the setup page).
async fn app_with_admin() -> (TestEnv, super::helpers::TestApp) {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__ADMIN__PASSWORD", "correct horse battery");
    let app = env.spawn_app().await;
    (env, app)
}

#[tokio::test]
async fn a_method_a_route_does_not_take_is_405_json_with_allow() {
    let (_env, app) = app_with_admin().await;
    let cases = [
        ("POST", "/feed.json"),
        ("DELETE", "/feed.json"),
        ("POST", "/healthz"),
        ("PUT", "/widget.js"),
        ("DELETE", "/media/1/640"),
        ("POST", "/embed"),
        ("POST", "/readyz"),
        ("GET", "/admin/logout"),
        ("GET", "/instagram/deauthorize"),
        ("PATCH", "/admin/login"),
    ];
    for (method, path) in cases {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = app
            .http
            .request(method.clone(), format!("{}{path}", app.address))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 405, "{method} {path}");
        let allow = response.headers().get("allow").cloned();
        assert!(allow.is_some(), "{method} {path}: Allow lists the methods");
        let body: serde_json::Value = response.json().await.expect("a JSON body");
        assert_eq!(
            body["error"]["code"], "method-not-allowed",
            "{method} {path}: {body}"
        );
    }
}

#[tokio::test]
async fn monitors_may_check_with_head() {
    let app = TestEnv::start().await.spawn_app().await;
    for path in ["/healthz", "/readyz", "/widget.js", "/embed.css"] {
        let response = app
            .http
            .head(format!("{}{path}", app.address))
            .send()
            .await
            .expect("answers");
        assert_ne!(response.status(), 404, "HEAD {path}");
        assert_ne!(response.status(), 405, "HEAD {path}");
    }
}

#[tokio::test]
async fn an_oversized_form_is_413_json() {
    let (_env, app) = app_with_admin().await;
    let huge = format!("password={}", "a".repeat(100 * 1024));
    for path in ["/admin/login", "/instagram/deauthorize"] {
        let response = app
            .http
            .post(format!("{}{path}", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge.clone())
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 413, "{path}");
        let body: serde_json::Value = response.json().await.expect("a JSON body");
        assert_eq!(body["error"]["code"], "payload-too-large", "{path}: {body}");
    }
}
