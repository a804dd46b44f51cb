//! What happens around the images: restarts, disconnects, new posts, videos.

use igfeed_sandbox::Mode;

use std::time::{Duration, Instant};

use super::{dimensions, feed, feed_until, has_sizes, header, image_urls, items, load};
use crate::helpers::TestEnv;

#[tokio::test]
async fn a_restart_serves_from_the_disk_cache_while_instagram_is_down() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    let urls: Vec<String> = items(&feed(&app).await)
        .iter()
        .take(5)
        .filter_map(|m| m["url"].as_str().map(str::to_owned))
        .collect();
    let mut before = Vec::new();
    for url in &urls {
        before.push(load(&app, url).await.2);
    }
    let old_origin = app.address.clone();
    app.stop().await;
    env.sandbox.set_mode(Mode::Outage);
    env.sandbox.reset_stats();
    let app = env.spawn_app().await;
    let feed = feed(&app).await;
    for (url, bytes) in urls.iter().zip(&before) {
        // The restarted igfeed listens on another port (public_url follows it in tests).
        let url = url.replace(&old_origin, &app.address);
        let same = url.split('?').next().expect("path");
        let (status, kind, body) = load(&app, &url).await;
        assert_eq!((status, kind.as_str()), (200, "image/jpeg"), "{same}");
        assert_eq!(&body, bytes, "{same}: the stored bytes");
    }
    assert_eq!(env.sandbox.stats().calls.cdn, 0, "nothing downloaded");
    let with_sizes = items(&feed)
        .iter()
        .filter(|m| m["sizes"].as_array().is_some_and(|s| !s.is_empty()))
        .count();
    assert!(
        with_sizes >= 5,
        "sizes known from the disk cache are published at once"
    );
    app.stop().await;
}

/// An upgrade that adds a width to `media.sizes` (as the default ladder gained 480): the
/// cached files keep being served at their URLs, the new width is listed at once and stood
/// in for by the next wider file until fetch-ahead makes it; nothing cached is lost when
/// Instagram is down meanwhile, and the files that were there are kept byte for byte.
#[tokio::test]
async fn a_width_added_to_media_sizes_is_made_at_fetch_ahead_keeping_the_cached_files() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__FEED__MAX_POSTS", "2");
    env.set("IGFEED__MEDIA__PREFETCH_CONCURRENCY", "2");
    env.set("IGFEED__MEDIA__SIZES", "120,240");
    env.set("IGFEED__MEDIA__DEFAULT_SIZE", "240");
    let (app, _) = env.spawn_connected().await;
    let before = feed_until(&app, "every image's sizes", |f| {
        items(f).iter().all(has_sizes)
    })
    .await;
    let mut files = Vec::new();
    for size in items(&before)
        .iter()
        .flat_map(|m| m["sizes"].as_array().cloned().unwrap_or_default())
    {
        let url = size["url"].as_str().expect("url").to_owned();
        files.push((load(&app, &url).await.2, url));
    }
    let old_origin = app.address.clone();
    app.stop().await;

    env.set("IGFEED__MEDIA__SIZES", "120,180,240");
    env.sandbox.set_mode(Mode::Outage);
    let app = env.spawn_app().await;
    let moved = |url: &str| url.replace(&old_origin, &app.address);
    let listed = feed(&app).await;
    let item = &items(&listed)[0];
    let widths: Vec<u64> = item["sizes"]
        .as_array()
        .expect("sizes")
        .iter()
        .filter_map(|s| s["width"].as_u64())
        .collect();
    assert_eq!(widths, [120, 180, 240], "the new width is listed at once");
    let new_url = item["sizes"][1]["url"].as_str().expect("url").to_owned();
    assert_eq!(
        new_url.split("?v=").nth(1),
        files[0].1.split("?v=").nth(1),
        "same content version"
    );
    let stand_in = app.http.get(&new_url).send().await.expect("answers");
    assert_eq!(stand_in.status(), 200, "never a broken image");
    assert_eq!(header(&stand_in, "cache-control"), "public, max-age=60");
    let body = stand_in.bytes().await.expect("body");
    assert_eq!(dimensions(&body).0, 240, "the next wider file stands in");
    for (bytes, url) in &files {
        let (status, _, body) = load(&app, &moved(url)).await;
        assert_eq!(
            (status, &body),
            (200, bytes),
            "{url}: served from the cache"
        );
    }

    env.sandbox.set_mode(Mode::Healthy);
    app.account().trigger.refresh_soon();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = app.http.get(&new_url).send().await.expect("answers");
        if header(&answer, "cache-control").contains("immutable") {
            let body = answer.bytes().await.expect("body");
            assert_eq!(dimensions(&body).0, 180, "the new width, made");
            break;
        }
        assert!(Instant::now() < deadline, "180 px never made");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (bytes, url) in &files {
        let (status, _, body) = load(&app, &moved(url)).await;
        assert_eq!((status, &body), (200, bytes), "{url}: kept");
    }
    app.stop().await;
}

#[tokio::test]
async fn disconnect_purges_the_media_caches() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    let url = image_urls(&app).await.swap_remove(0);
    assert_eq!(load(&app, &url).await.0, 200);
    let account = app.account();
    let dir = account.dir().path().join("media");
    assert!(std::fs::read_dir(&dir).expect("media dir").count() > 0);
    app.state
        .accounts
        .disconnect(account.id())
        .await
        .expect("disconnects");
    assert_eq!(account.media.memory_bytes().await, 0);
    assert_eq!(account.media.disk_bytes(), 0);
    let left = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "no image left on disk");
    assert!(
        !account.dir().path().exists(),
        "the account's directory is gone"
    );
    assert_eq!(load(&app, &url).await.0, 404);
    app.stop().await;
}

#[tokio::test]
async fn videos_stream_through_igfeed_when_enabled() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__MEDIA__PROXY_VIDEO", "true");
    let (app, _) = env.spawn_connected().await;
    let feed = feed(&app).await;
    let video = items(&feed)
        .into_iter()
        .find_map(|m| m["video_url"].as_str().map(str::to_owned))
        .expect("a video with video_url");
    assert!(
        video.starts_with(&format!("{}/media/", app.address)) && video.contains("/video?v="),
        "{video}"
    );
    let response = app
        .http
        .get(&video)
        .header("Range", "bytes=0-9")
        .send()
        .await
        .expect("answers");
    assert!(
        matches!(response.status().as_u16(), 200 | 206),
        "{}",
        response.status()
    );
    assert_eq!(header(&response, "content-type"), "video/mp4");
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    let body = response.bytes().await.expect("body");
    assert!(
        body.windows(4).any(|w| w == b"ftyp"),
        "the CDN's bytes pass through"
    );
    app.stop().await;
}

#[tokio::test]
async fn new_posts_are_fetched_ahead_once() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__MEDIA__PREFETCH_CONCURRENCY", "4");
    env.set("IGFEED__FEED__MAX_POSTS", "6");
    let (app, _) = env.spawn_connected().await;
    feed_until(&app, "every image's sizes", |f| {
        items(f).iter().all(has_sizes)
    })
    .await;
    env.sandbox.reset_stats();
    let id = env.sandbox.add_post();
    app.account().trigger.refresh_soon();
    let feed = feed_until(&app, "the new post's sizes", |f| {
        f["posts"][0]["id"] == id.as_str() && items(f).iter().all(has_sizes)
    })
    .await;
    assert_eq!(
        env.sandbox.stats().calls.cdn,
        1,
        "only the new post's image was downloaded"
    );
    let url = feed["posts"][0]["media"][0]["url"]
        .as_str()
        .expect("url")
        .to_owned();
    assert_eq!(load(&app, &url).await.0, 200);
    assert_eq!(env.sandbox.stats().calls.cdn, 1, "served from the cache");
    app.stop().await;
}
