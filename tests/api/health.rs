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
