//! `/media/…`: images from igfeed's own origin, over real HTTP against the sandbox's CDN.

mod budgets;
mod expiry;
mod formats;
mod lifecycle;
mod refusals;
mod video;

use std::time::{Duration, Instant};

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG};
use serde_json::Value;

use crate::helpers::{TestApp, TestEnv};

/// `/feed.json` as a visitor sees it.
pub(crate) async fn feed(app: &TestApp) -> Value {
    let response = app.get("/feed.json").await;
    assert_eq!(response.status(), 200, "feed.json answers");
    response.json().await.expect("feed.json is JSON")
}

/// Every media item that has an image.
pub(crate) fn items(feed: &Value) -> Vec<Value> {
    feed["posts"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["media"].as_array().cloned().unwrap_or_default())
        .filter(|m| m["url"].is_string())
        .collect()
}

/// The image URL of every media item in `/feed.json`, in feed order.
pub(crate) async fn image_urls(app: &TestApp) -> Vec<String> {
    items(&feed(app).await)
        .iter()
        .filter_map(|m| m["url"].as_str().map(str::to_owned))
        .collect()
}

/// GET an absolute igfeed URL: status, content type, the whole body.
pub(crate) async fn load(app: &TestApp, url: &str) -> (u16, String, Vec<u8>) {
    let response = app.http.get(url).send().await.expect("igfeed answers");
    let status = response.status().as_u16();
    let kind = header(&response, CONTENT_TYPE.as_str());
    let body = response.bytes().await.expect("body").to_vec();
    (status, kind, body)
}

pub(crate) fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn dimensions(jpeg: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .expect("a JPEG igfeed encoded");
    (img.width(), img.height())
}

/// Polls `/feed.json` until `done` holds for it, and returns it.
pub(crate) async fn feed_until(app: &TestApp, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let latest = feed(app).await;
        if done(&latest) {
            return latest;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn has_sizes(item: &Value) -> bool {
    item["sizes"].as_array().is_some_and(|s| !s.is_empty())
}

#[tokio::test]
async fn every_shape_is_served_at_every_width_without_upscaling() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__MEDIA__PREFETCH_CONCURRENCY", "4");
    // Enough posts for all three shapes; every image costs a download and three encodes.
    env.set("IGFEED__FEED__MAX_POSTS", "12");
    let (app, _) = env.spawn_connected().await;
    let feed = feed_until(&app, "every image's sizes", |f| {
        items(f).iter().all(has_sizes)
    })
    .await;
    let public = &app.address;
    assert!(
        feed["profile"]["picture"].as_str().is_some_and(|p| p
            .starts_with(&format!("{public}/media/profile/320?account="))
            && p.contains("&v=")),
        "{}",
        feed["profile"]["picture"]
    );
    let mut ratios = std::collections::BTreeSet::new();
    for item in items(&feed) {
        let cover = if item["type"] == "video" {
            &item["url"]
        } else {
            &Value::Null
        };
        assert_eq!(&item["thumbnail_url"], cover);
        assert_eq!(
            item["video_url"],
            Value::Null,
            "videos are not proxied by default"
        );
        let sizes = item["sizes"].as_array().expect("sizes");
        let widths: Vec<u64> = sizes.iter().filter_map(|s| s["width"].as_u64()).collect();
        assert_eq!(
            widths,
            [320, 480, 640, 1080],
            "ascending, never wider than the 1080 original"
        );
        assert_eq!(item["width"], 640, "url is the 640 size");
        assert_eq!(item["url"], sizes[2]["url"]);
        let (w, h) = (
            sizes[3]["width"].as_u64().unwrap_or(0),
            sizes[3]["height"].as_u64().unwrap_or(0),
        );
        ratios.insert((w, h));
        for size in sizes {
            let url = size["url"].as_str().expect("url");
            assert!(
                url.starts_with(&format!("{public}/media/")) && url.contains("?v="),
                "{url}"
            );
            let (status, kind, body) = load(&app, url).await;
            assert_eq!((status, kind.as_str()), (200, "image/jpeg"), "{url}");
            let expected = (
                size["width"].as_u64().unwrap_or(0) as u32,
                size["height"].as_u64().unwrap_or(0) as u32,
            );
            assert_eq!(dimensions(&body), expected, "{url}");
        }
    }
    let shapes: Vec<(u64, u64)> = ratios.into_iter().collect();
    for shape in [(1080, 1080), (1080, 1350), (1080, 566)] {
        assert!(
            shapes.contains(&shape),
            "the sandbox feed has a {shape:?} original: {shapes:?}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn responses_are_long_cached_versioned_jpegs() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    let url = image_urls(&app).await.swap_remove(0);
    let response = app.http.get(&url).send().await.expect("answers");
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "image/jpeg");
    assert_eq!(
        header(&response, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    let etag = header(&response, ETAG.as_str());
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong ETag: {etag}"
    );
    let again = app
        .http
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("answers");
    assert_eq!(again.status(), 304);
    let unversioned = url.split('?').next().expect("path").to_owned();
    let loose = app.http.get(&unversioned).send().await.expect("answers");
    assert_eq!(loose.status(), 200);
    assert_eq!(
        header(&loose, CACHE_CONTROL.as_str()),
        "public, max-age=300"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_hundred_concurrent_requests_cause_one_download() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    let url = image_urls(&app).await.swap_remove(0);
    env.sandbox.reset_stats();
    let requests = (0..100).map(|_| load(&app, &url));
    let answers = futures_util::future::join_all(requests).await;
    let first = &answers[0].2;
    for (status, kind, body) in &answers {
        assert_eq!((*status, kind.as_str()), (200, "image/jpeg"));
        assert_eq!(body, first, "everyone gets the same bytes");
    }
    assert_eq!(env.sandbox.stats().calls.cdn, 1, "one CDN download");
    app.stop().await;
}

/// Not an assertion-heavy test: prints the numbers the closing note asks for
/// (`cargo test --test api media::reports -- --nocapture`).
#[tokio::test]
async fn reports_sizes_and_cold_and_warm_times() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    let feed = feed(&app).await;
    let item = items(&feed)
        .into_iter()
        .find(|m| m["type"] == "image")
        .expect("an image");
    let url = item["url"].as_str().expect("url").to_owned();
    let started = Instant::now();
    let (status, _, _) = load(&app, &url).await;
    let cold = started.elapsed();
    let started = Instant::now();
    let _ = load(&app, &url).await;
    let warm = started.elapsed();
    assert_eq!(status, 200);
    let id = item["id"].clone();
    let feed = feed_until(&app, "the image's sizes", |f| {
        items(f).iter().any(|m| m["id"] == id && has_sizes(m))
    })
    .await;
    let item = items(&feed)
        .into_iter()
        .find(|m| m["id"] == id)
        .expect("same item");
    let current = app.account().feed.peek().expect("a snapshot");
    let id = item["id"].as_str().expect("id");
    let original = current.snapshot.sources.items[id]
        .image
        .clone()
        .expect("a CDN URL");
    let original = reqwest::get(&original)
        .await
        .expect("CDN answers")
        .bytes()
        .await
        .expect("body");
    let mut report = format!(
        "cold {cold:?}, warm {warm:?}; original 1080 px: {} bytes;",
        original.len()
    );
    for size in item["sizes"].as_array().into_iter().flatten() {
        let (_, _, body) = load(&app, size["url"].as_str().unwrap_or_default()).await;
        report.push_str(&format!(
            " {}x{}: {} bytes;",
            size["width"],
            size["height"],
            body.len()
        ));
    }
    println!("media report: {report}");
    assert!(warm < cold + Duration::from_secs(1));
    app.stop().await;
}
