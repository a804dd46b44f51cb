//! `media.proxy_video`: a bounded number of streams, each with a deadline, and igfeed's own
//! answers where the CDN refuses.

use std::time::{Duration, Instant};

use igfeed_sandbox::Mode;
use serde_json::Value;

use super::{feed, header, items};
use crate::helpers::{TestApp, TestEnv, wait_until};

/// An environment proxying videos, with extra settings.
fn proxying(settings: &[(&str, &str)]) -> impl std::future::Future<Output = TestEnv> {
    let settings: Vec<(String, String)> = settings
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    async move {
        let mut env = TestEnv::start().await;
        env.set("IGFEED__MEDIA__PROXY_VIDEO", "true");
        for (key, value) in &settings {
            env.set(key, value);
        }
        env
    }
}

async fn video_url(app: &TestApp) -> String {
    items(&feed(app).await)
        .into_iter()
        .find_map(|m| m["video_url"].as_str().map(str::to_owned))
        .expect("a video with video_url")
}

async fn get(app: &TestApp, url: &str, range: Option<&str>) -> reqwest::Response {
    let mut request = app.http.get(url);
    if let Some(range) = range {
        request = request.header("Range", range);
    }
    request.send().await.expect("igfeed answers")
}

#[tokio::test]
async fn streams_beyond_the_cap_are_told_to_retry_until_a_place_frees() {
    let env = proxying(&[
        ("IGFEED__MEDIA__MAX_VIDEO_STREAMS", "2"),
        ("IGFEED__MEDIA__VIDEO_STREAM_TIMEOUT", "2s"),
    ])
    .await;
    let (app, _) = env.spawn_connected().await;
    let url = video_url(&app).await;
    env.sandbox.set_mode(Mode::CdnStalled);
    // Two streams whose bodies hang: they hold both places.
    let held = [get(&app, &url, None).await, get(&app, &url, None).await];
    for stream in &held {
        assert_eq!(stream.status(), 200, "the stream started");
    }
    // Queued, it would have waited for a held stream's deadline and then been a 200.
    let busy = get(&app, &url, None).await;
    assert_eq!(busy.status(), 503);
    assert_eq!(header(&busy, "retry-after"), "5");
    let body: Value = busy.json().await.expect("a JSON error");
    assert_eq!(body["error"]["code"], "video-streams-busy", "{body}");
    // Once the held streams reach their deadline, their places serve again.
    wait_until("a free stream", 20, || async {
        get(&app, &url, None).await.status() == 200
    })
    .await;
    drop(held);
    app.stop().await;
}

#[tokio::test]
async fn a_stalled_cdn_stream_is_ended_by_its_deadline() {
    let env = proxying(&[
        ("IGFEED__MEDIA__VIDEO_STREAM_TIMEOUT", "500ms"),
        // Reads that never finish would otherwise be cut only by this, after 30 s.
        ("IGFEED__INSTAGRAM__REQUEST_TIMEOUT", "30s"),
    ])
    .await;
    let (app, _) = env.spawn_connected().await;
    let url = video_url(&app).await;
    env.sandbox.set_mode(Mode::CdnStalled);
    let started = Instant::now();
    let response = get(&app, &url, None).await;
    assert_eq!(response.status(), 200);
    let body = tokio::time::timeout(Duration::from_secs(10), response.bytes())
        .await
        .expect("the stream ended long before the CDN's read timeout");
    assert!(
        body.is_err(),
        "ended as broken, not passed off as a whole file"
    );
    assert!(started.elapsed() >= Duration::from_millis(500));
    app.stop().await;
}

#[tokio::test]
async fn a_range_beyond_the_video_gets_igfeeds_own_416() {
    let env = proxying(&[]).await;
    let (app, _) = env.spawn_connected().await;
    let url = video_url(&app).await;
    let beyond = get(&app, &url, Some("bytes=1000-")).await;
    assert_eq!(beyond.status(), 416);
    assert_eq!(header(&beyond, "content-range"), "bytes */28");
    assert_eq!(header(&beyond, "content-type"), "application/json");
    let text = beyond.text().await.expect("body");
    assert!(!text.contains("<html"), "never the CDN's body: {text}");
    let body: Value = serde_json::from_str(&text).expect("a JSON error");
    assert_eq!(body["error"]["code"], "range-not-satisfiable", "{body}");
    // A range within the file is the CDN's 206, passed through.
    let part = get(&app, &url, Some("bytes=4-7")).await;
    assert_eq!(part.status(), 206);
    assert_eq!(header(&part, "content-range"), "bytes 4-7/28");
    assert_eq!(&part.bytes().await.expect("body")[..], b"ftyp");
    app.stop().await;
}
