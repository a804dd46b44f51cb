//! Pages visitors choose (`/feed.json?limit=&after=`, `/embed?…`) are cached within a byte
//! budget, and options cannot be made long enough to weigh on memory.

use igfeed::feed::service::PAGE_CACHE_BYTES;
use igfeed_sandbox::SandboxConfig;
use reqwest::StatusCode;

use super::helpers::TestEnv;

#[tokio::test]
async fn visitor_chosen_feed_pages_stay_within_the_byte_budget() {
    let mut env = TestEnv::with_config(SandboxConfig {
        post_count: 500,
        ..SandboxConfig::default()
    })
    .await;
    env.set("IGFEED__FEED__MAX_POSTS", "500");
    let (app, _) = env.spawn_connected().await;
    let mut requested: u64 = 0;
    for limit in 40..=100 {
        let mut path = format!("/feed.json?limit={limit}");
        for _ in 0..4 {
            let response = app.get(&path).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let body: serde_json::Value = response.json().await.expect("JSON");
            let json_bytes = serde_json::to_vec(&body).expect("serialises").len();
            requested += u64::try_from(json_bytes).expect("fits");
            let Some(next) = body["next"].as_str() else {
                break;
            };
            path = format!("/feed.json?limit={limit}&after={next}");
        }
    }
    assert!(
        requested > PAGE_CACHE_BYTES,
        "the test asks for more than the budget ({requested} bytes of JSON alone)"
    );
    let kept = app
        .default_view()
        .expect("the default feed")
        .pages
        .cache_bytes()
        .await;
    assert!(
        kept <= PAGE_CACHE_BYTES,
        "{kept} bytes kept, budget {PAGE_CACHE_BYTES}"
    );
    assert!(kept > 0, "pages are cached at all");
    app.stop().await;
}

#[tokio::test]
async fn an_embed_gap_with_endless_decimals_is_refused_not_echoed() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    let long = format!("1.{}px", "0".repeat(60_000));
    let response = app.get(&format!("/embed?gap={long}")).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = response.text().await.expect("body");
    assert!(body.contains("gap"), "names the parameter: {body}");
    assert!(
        body.len() < 1_000,
        "the value is not echoed: {} bytes",
        body.len()
    );
    assert_eq!(
        app.get("/embed?gap=1.25rem").await.status(),
        StatusCode::OK,
        "two decimals are fine"
    );
    app.stop().await;
}
