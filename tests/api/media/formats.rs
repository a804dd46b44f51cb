//! AVIF beside JPEG: made in the background after the JPEG, listed in `sources` only once it
//! exists, served at its own immutable URL, and the JPEG answering for it until then.
//! Small widths keep the AV1 encoder's seconds per image out of the suite's time.

use serde_json::Value;

use super::{feed, feed_until, has_sizes, header, items, load};
use crate::helpers::{TestApp, TestEnv};

/// Widths small enough for AV1 in a test build; the default width is the larger.
const SIZES: &str = "120,240";

async fn env(formats: &str) -> TestEnv {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__FEED__MAX_POSTS", "2");
    env.set("IGFEED__MEDIA__SIZES", SIZES);
    env.set("IGFEED__MEDIA__DEFAULT_SIZE", "240");
    env.set("IGFEED__MEDIA__FORMATS", formats);
    env
}

fn is_color(value: &Value) -> bool {
    value.as_str().is_some_and(|c| {
        c.len() == 7
            && c.starts_with('#')
            && c[1..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The width and height an AVIF file's header states (its `ispe` box).
fn avif_size(bytes: &[u8]) -> (u64, u64) {
    assert_eq!(bytes.get(4..12), Some(&b"ftypavif"[..]), "an AVIF file");
    let at = bytes
        .windows(4)
        .position(|w| w == b"ispe")
        .expect("ispe box");
    let field = |i: usize| u64::from(u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4")));
    (field(at + 8), field(at + 12))
}

fn avif_url(jpeg: &str) -> String {
    let (path, query) = jpeg.split_once('?').expect("a versioned URL");
    format!("{path}.avif?{query}")
}

async fn response(app: &TestApp, url: &str) -> reqwest::Response {
    app.http.get(url).send().await.expect("igfeed answers")
}

#[tokio::test]
async fn avif_follows_the_jpeg_and_is_listed_once_made() {
    let env = env("avif").await;
    let (app, _) = env.spawn_connected().await;
    let first = feed(&app).await;
    let item = items(&first).remove(0);
    assert_eq!(item["sources"], serde_json::json!([]), "nothing made yet");
    let jpeg = item["url"].as_str().expect("url").to_owned();

    // Asked for AVIF first: the JPEG stands in (never a broken <picture>), briefly cached.
    let stand_in = response(&app, &avif_url(&jpeg)).await;
    assert_eq!(stand_in.status(), 200);
    assert_eq!(header(&stand_in, "content-type"), "image/jpeg");
    assert_eq!(header(&stand_in, "cache-control"), "public, max-age=60");
    let stand_in_etag = header(&stand_in, "etag");

    let id = item["id"].clone();
    let made = feed_until(&app, "the AVIF listed", |f| {
        items(f)
            .iter()
            .any(|m| m["id"] == id && m["sources"].as_array().is_some_and(|s| !s.is_empty()))
    })
    .await;
    let item = items(&made)
        .into_iter()
        .find(|m| m["id"] == id)
        .expect("the item");
    assert!(is_color(&item["color"]), "{}", item["color"]);
    let sources = item["sources"].as_array().expect("sources");
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0]["type"], "image/avif");
    let srcset = sources[0]["srcset"].as_str().expect("srcset");
    let candidates: Vec<(&str, &str)> = srcset
        .split(", ")
        .map(|c| c.split_once(' ').expect("URL and width"))
        .collect();
    let sizes = item["sizes"].as_array().expect("sizes");
    assert_eq!(candidates.len(), sizes.len(), "one AVIF per JPEG width");
    for ((url, descriptor), jpeg) in candidates.iter().zip(sizes) {
        assert_eq!(
            *url,
            avif_url(jpeg["url"].as_str().expect("url")),
            "same version"
        );
        assert_eq!(*descriptor, format!("{}w", jpeg["width"]));
        let answer = response(&app, url).await;
        assert_eq!(answer.status(), 200, "{url}");
        assert_eq!(header(&answer, "content-type"), "image/avif");
        assert_eq!(
            header(&answer, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert!(
            !header(&answer, "vary").contains("Accept"),
            "no Vary: Accept"
        );
        let etag = header(&answer, "etag");
        let body = answer.bytes().await.expect("body");
        let expected = (
            jpeg["width"].as_u64().unwrap_or(0),
            jpeg["height"].as_u64().unwrap_or(0),
        );
        assert_eq!(avif_size(&body), expected, "{url}");
        let (_, _, jpeg_bytes) = load(&app, jpeg["url"].as_str().expect("url")).await;
        assert!(
            body.len() < jpeg_bytes.len(),
            "{url}: AVIF {} bytes, JPEG {}",
            body.len(),
            jpeg_bytes.len()
        );
        assert_ne!(etag, stand_in_etag, "the AVIF replaces the stand-in");
    }

    // The profile picture gets its colour once downloaded; it stays JPEG only.
    let picture = made["profile"]["picture"]
        .as_str()
        .expect("picture")
        .to_owned();
    assert_eq!(load(&app, &picture).await.0, 200);
    let with_color = feed_until(&app, "the picture's colour", |f| {
        is_color(&f["profile"]["picture_color"])
    })
    .await;
    assert!(is_color(&with_color["profile"]["picture_color"]));
    let (path, query) = picture.split_once('?').expect("query");
    let refused = response(&app, &format!("{path}.avif?{query}")).await;
    assert_eq!(refused.status(), 400, "profile pictures are JPEG only");
    app.stop().await;
}

#[tokio::test]
async fn jpeg_only_lists_no_sources_and_refuses_avif_urls() {
    let env = env("").await;
    let (app, _) = env.spawn_connected().await;
    let jpeg = items(&feed(&app).await)[0]["url"]
        .as_str()
        .expect("url")
        .to_owned();
    assert_eq!(load(&app, &jpeg).await.0, 200);
    let loaded = feed_until(&app, "the sizes", |f| has_sizes(&items(f)[0])).await;
    let item = &items(&loaded)[0];
    assert_eq!(item["sources"], serde_json::json!([]));
    assert!(is_color(&item["color"]), "colours do not need AVIF");
    let refused = response(&app, &avif_url(&jpeg)).await;
    assert_eq!(refused.status(), 404);
    let body: Value = refused.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "unknown-format", "{body}");
    app.stop().await;
}

/// A cache written before AVIF (or with `media.formats = []`) keeps its URLs after the
/// upgrade, and fetch-ahead adds AVIF to every image without a visitor asking.
#[tokio::test]
async fn jpeg_cached_before_gains_avif_at_fetch_ahead_with_the_same_urls() {
    let mut env = env("").await;
    env.set("IGFEED__MEDIA__PREFETCH_CONCURRENCY", "2");
    let (app, _) = env.spawn_connected().await;
    let before = feed_until(&app, "every image's sizes", |f| {
        items(f).iter().all(has_sizes)
    })
    .await;
    let old_origin = app.address.clone();
    app.stop().await;

    env.set("IGFEED__MEDIA__FORMATS", "avif");
    let app = env.spawn_app().await;
    // The next refresh (due at once here) fetches ahead.
    app.account().trigger.refresh_soon();
    let after = feed_until(&app, "AVIF for every image", |f| {
        items(f)
            .iter()
            .all(|m| m["sources"].as_array().is_some_and(|s| s.len() == 1))
    })
    .await;
    for (old, new) in items(&before).iter().zip(items(&after)) {
        let old_url = old["url"]
            .as_str()
            .expect("url")
            .replace(&old_origin, &app.address);
        assert_eq!(
            new["url"].as_str(),
            Some(old_url.as_str()),
            "JPEG URLs kept"
        );
        assert_eq!(new["color"], old["color"]);
        let srcset = new["sources"][0]["srcset"].as_str().expect("srcset");
        assert!(srcset.contains(&avif_url(&old_url)), "{srcset}");
    }
    app.stop().await;
}

/// The disk budget counts every format: with AVIF made for every image, the files on disk
/// stay within it and the index matches them.
#[tokio::test]
async fn the_disk_budget_holds_for_all_formats_together() {
    let mut env = env("avif").await;
    env.set("IGFEED__FEED__MAX_POSTS", "8");
    env.set("IGFEED__MEDIA__PREFETCH_CONCURRENCY", "2");
    env.set("IGFEED__MEDIA__DISK_BUDGET", "40KB");
    let (app, _) = env.spawn_connected().await;
    feed_until(&app, "AVIF for every image", |f| {
        items(f)
            .iter()
            .all(|m| m["sources"].as_array().is_some_and(|s| s.len() == 1))
    })
    .await;
    let media = &app.account().media;
    let dir = app.account().dir().path().join("media");
    let files: Vec<std::fs::Metadata> = std::fs::read_dir(&dir)
        .expect("media dir")
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .collect();
    let on_disk: u64 = files.iter().map(std::fs::Metadata::len).sum();
    assert!(on_disk <= 40 * 1024, "disk: {on_disk} bytes");
    assert_eq!(on_disk, media.disk_bytes(), "the index matches the files");
    assert!(
        files.len() >= 2,
        "the cache was used: {} files",
        files.len()
    );
    app.stop().await;
}
