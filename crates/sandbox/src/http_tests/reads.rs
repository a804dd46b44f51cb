//! Graph reads and the CDN over HTTP.

use std::time::Duration;

use super::*;
use crate::{BodyShape, TokenKind};

const ALL: &str = "id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,shortcode,\
timestamp,username,like_count,comments_count,alt_text,children{id,media_type,media_url,thumbnail_url}";

fn token(h: &Harness) -> String {
    h.sandbox.issue_token(TokenKind::LongLived, Duration::ZERO)
}

#[tokio::test]
async fn media_has_the_documented_variety() {
    let h = Harness::start().await;
    let t = token(&h);
    let (status, body) = h
        .get_json(&format!(
            "v23.0/me/media?fields={}&limit=100&access_token={t}",
            urlencode(ALL)
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let data = body["data"].as_array().expect("data");
    assert_eq!(data.len(), 36);
    assert!(
        body["paging"].get("next").is_none(),
        "one page holds everything"
    );
    let has = |pred: &dyn Fn(&Value) -> bool| data.iter().any(pred);
    assert!(has(
        &|m| m["media_type"] == "IMAGE" && m.get("thumbnail_url").is_none()
    ));
    assert!(has(&|m| m["media_type"] == "VIDEO"
        && m.get("media_url").is_none()
        && m.get("thumbnail_url").is_some()));
    assert!(has(&|m| m["media_product_type"] == "REELS"
        && m["permalink"]
            .as_str()
            .is_some_and(|p| p.contains("/reel/"))));
    assert!(has(&|m| m.get("caption").is_none()));
    assert!(has(&|m| m.get("like_count").is_none()));
    assert!(has(
        &|m| m["caption"] == "<script>alert(1)</script> & <b>bold</b>"
    ));
    assert!(has(&|m| m.get("alt_text").is_some()));
    let album = data
        .iter()
        .find(|m| m["media_type"] == "CAROUSEL_ALBUM")
        .expect("an album");
    let children = album["children"]["data"].as_array().expect("children");
    assert!(
        children
            .iter()
            .all(|c| c.get("permalink").is_none() && c["media_url"].is_string())
    );

    // The same children through their own edge, and one child by id.
    let id = album["id"].as_str().expect("id");
    let (_, edge) = h
        .get_json(&format!(
            "{id}/children?fields=id,media_type&access_token={t}"
        ))
        .await;
    assert_eq!(edge["data"].as_array().map(Vec::len), Some(children.len()));
    let child = children[0]["id"].as_str().expect("child id");
    let (status, one) = h
        .get_json(&format!(
            "v21.0/{child}?fields=media_url,permalink&access_token={t}"
        ))
        .await;
    assert_eq!(status, 200, "{one}");
    assert!(one["media_url"].is_string() && one.get("permalink").is_none());
}

#[tokio::test]
async fn bad_fields_and_tokens_get_graph_errors() {
    let h = Harness::start().await;
    let t = token(&h);
    let (status, body) = h
        .get_json(&format!("v23.0/me/media?fields=id,xyz&access_token={t}"))
        .await;
    assert_eq!((status, body["error"]["code"].as_i64()), (400, Some(100)));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Tried accessing nonexisting field (xyz)")
    );
    assert!(body["error"]["fbtrace_id"].is_string() && body["error"]["is_transient"] == false);
    let (_, body) = h.get_json("v23.0/me?fields=id").await;
    assert_eq!(body["error"]["code"], 2500, "{body}");
    let (_, body) = h.get_json("v23.0/me?access_token=IGAAforged").await;
    assert_eq!(body["error"]["code"], 190);
    assert!(body["error"].get("error_subcode").is_none());
    let (_, body) = h
        .get_json(&format!("v23.0/123/feed?access_token={t}"))
        .await;
    assert_eq!(body["error"]["code"], 100, "unknown paths: {body}");
    h.sandbox.revoke_all_tokens();
    let (_, body) = h.get_json(&format!("me?access_token={t}")).await;
    assert_eq!(body["error"]["error_subcode"], 460, "{body}");
}

#[tokio::test]
async fn me_follows_the_body_shape() {
    let h = Harness::start().await;
    let t = token(&h);
    let path = format!("v23.0/me?fields=id,user_id,profile_picture_url&access_token={t}");
    h.sandbox.set_shape(BodyShape::Wrapped);
    let (_, body) = h.get_json(&path).await;
    assert_eq!(body["data"][0]["id"], "26931234567890123", "{body}");
    h.sandbox.set_shape(BodyShape::FlatNumericIds);
    let text = h.get(&path).await.text().await.expect("text");
    assert!(text.contains("\"user_id\":17841405793187218"), "{text}");
    let body: Value = serde_json::from_str(&text).expect("JSON");
    let picture = h
        .client
        .get(body["profile_picture_url"].as_str().expect("url"))
        .send()
        .await
        .expect("sent");
    assert_eq!(picture.status(), 200);
    let bytes = picture.bytes().await.expect("bytes");
    let img = image::load_from_memory(&bytes).expect("a JPEG");
    assert_eq!((img.width(), img.height()), (320, 320));
}

#[tokio::test]
async fn cdn_urls_serve_jpegs_then_expire_and_can_be_healed() {
    let h = Harness::start().await;
    let t = token(&h);
    let (_, body) = h
        .get_json(&format!(
            "v23.0/me/media?fields=media_type,media_url&limit=1&access_token={t}"
        ))
        .await;
    let id = body["data"][0]["id"].as_str().expect("id").to_owned();
    let url = body["data"][0]["media_url"]
        .as_str()
        .expect("the newest post is an image")
        .to_owned();
    assert!(url.contains("oe=") && url.contains("oh="), "{url}");
    let response = h.client.get(&url).send().await.expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let img = image::load_from_memory(&response.bytes().await.expect("bytes")).expect("JPEG");
    assert_eq!((img.width(), img.height()), (1080, 1350), "post 1 is 4:5");

    let tampered = url.replace("_n.jpg", "1_n.jpg");
    let response = h.client.get(&tampered).send().await.expect("sent");
    assert_eq!(response.status(), 403);
    assert_eq!(response.text().await.expect("text"), "Bad URL hash");

    h.clock.advance(Duration::from_secs(6 * 24 * 3600));
    let response = h.client.get(&url).send().await.expect("sent");
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.text().await.expect("text"),
        "URL signature expired"
    );
    let (_, healed) = h
        .get_json(&format!("v23.0/{id}?fields=media_url&access_token={t}"))
        .await;
    let fresh = healed["media_url"].as_str().expect("a new URL");
    assert_eq!(
        h.client.get(fresh).send().await.expect("sent").status(),
        200
    );
}

#[tokio::test]
async fn new_posts_come_first_and_the_count_can_change() {
    let h = Harness::start().await;
    let t = token(&h);
    let id = h.sandbox.add_post();
    let (_, body) = h
        .get_json(&format!("me/media?fields=caption&limit=2&access_token={t}"))
        .await;
    assert_eq!(body["data"][0]["id"], id.as_str());
    h.sandbox.set_post_count(300);
    let (_, me) = h
        .get_json(&format!("me?fields=media_count&access_token={t}"))
        .await;
    assert_eq!(me["media_count"], 300);
    let (_, page) = h
        .get_json(&format!("me/media?limit=500&access_token={t}"))
        .await;
    assert_eq!(
        page["data"].as_array().map(Vec::len),
        Some(100),
        "limit is clamped to 100"
    );
    let stats = h.sandbox.stats();
    assert_eq!(
        (stats.calls.me, stats.calls.media_list, stats.graph_total),
        (1, 2, 3)
    );
}

/// A photo directory with two solid-colour JPEGs (and a file that is not a photo).
fn photo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, colour, (w, h)) in [
        ("red.jpg", [230, 20, 20], (300, 200)),
        ("blue.jpeg", [20, 20, 230], (200, 300)),
    ] {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb(colour));
        img.save(dir.path().join(name)).expect("a JPEG written");
    }
    std::fs::write(dir.path().join("notes.txt"), "not a photo").expect("written");
    dir
}

#[tokio::test]
async fn photo_mode_serves_the_photos_at_each_posts_size() {
    let dir = photo_dir();
    let h = Harness::with(SandboxConfig {
        photos_dir: Some(dir.path().to_owned()),
        ..SandboxConfig::default()
    })
    .await;
    let t = token(&h);
    let (_, body) = h
        .get_json(&format!(
            "v23.0/me/media?fields=media_type,media_url&limit=12&access_token={t}"
        ))
        .await;
    let mut colours = Vec::new();
    let mut sizes = Vec::new();
    for url in body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|m| m["media_type"] == "IMAGE")
        .filter_map(|m| m["media_url"].as_str())
    {
        let response = h.client.get(url).send().await.expect("sent");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        let img = image::load_from_memory(&response.bytes().await.expect("bytes"))
            .expect("a JPEG")
            .into_rgb8();
        // Instagram's three shapes, whatever the photo's own.
        let size = img.dimensions();
        assert!(
            [(1080, 1080), (1080, 1350), (1080, 566)].contains(&size),
            "{size:?}"
        );
        // A photo, whole: the same colour in the middle and at the corners, no gradient and
        // no number drawn on it.
        let (w, h) = (size.0 - 1, size.1 - 1);
        let at = |x, y| img.get_pixel(x, y).0;
        let centre = at(w / 2, h / 2);
        for corner in [at(0, 0), at(w, 0), at(0, h), at(w, h)] {
            let diff = (0..3).map(|i| centre[i].abs_diff(corner[i])).max();
            assert!(diff < Some(12), "{centre:?} vs {corner:?}");
        }
        colours.push(if centre[0] > centre[2] { "red" } else { "blue" });
        sizes.push(size);
    }
    assert!(sizes.len() >= 4, "enough image posts: {sizes:?}");
    for colour in ["red", "blue"] {
        assert!(colours.contains(&colour), "each photo is used: {colours:?}");
    }
}

#[tokio::test]
async fn a_photo_dir_without_photos_stops_the_start() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let config = SandboxConfig {
        photos_dir: Some(dir.path().join("missing")),
        ..SandboxConfig::default()
    };
    let error = spawn(config, OffsetClock::new(), listener)
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("missing"), "{error:#}");
    std::fs::write(dir.path().join("a.png"), "not a JPEG").expect("written");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let config = SandboxConfig {
        photos_dir: Some(dir.path().to_owned()),
        ..SandboxConfig::default()
    };
    let error = spawn(config, OffsetClock::new(), listener)
        .await
        .err()
        .expect("refused");
    assert!(format!("{error:#}").contains("no JPEG"), "{error:#}");
}
