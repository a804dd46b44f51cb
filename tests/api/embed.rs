//! `/embed`: the server-rendered feed for iframes and pages without JavaScript.

use base64::Engine as _;
use reqwest::StatusCode;

use super::helpers::{TestApp, TestEnv};

async fn text(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = app.get(path).await;
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.text().await.unwrap_or_default())
}

fn csp(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_embed_page_shows_the_posts_as_links_with_hostile_captions_escaped() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    let feed: serde_json::Value = app.get("/feed.json").await.json().await.expect("feed");
    let (status, headers, html) = text(&app, "/embed?limit=6&captions=below").await;
    assert_eq!(status, StatusCode::OK);
    for post in &feed["posts"].as_array().expect("posts")[..6] {
        let permalink = post["permalink"].as_str().expect("permalink");
        assert!(
            html.contains(&format!("href=\"{permalink}\"")),
            "{permalink} is a link"
        );
    }
    assert!(
        !feed["posts"][6]["permalink"]
            .as_str()
            .is_some_and(|p| html.contains(p)),
        "limit=6 shows six posts"
    );
    // The sandbox has a caption that looks like markup: it must arrive as text.
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#60;b&#62;bold"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(!html.contains("<b>bold"));
    let policy = csp(&headers);
    assert!(policy.contains("frame-ancestors *"), "{policy}");
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(
        !policy.contains("https:"),
        "images are proxied: no other image origin is needed ({policy})"
    );
    // The one inline style is allowed by its hash.
    let style = html
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(css, _)| css)
        .expect("a style element");
    let digest = ring::digest::digest(&ring::digest::SHA256, style.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    assert!(policy.contains(&format!("'sha256-{hash}'")), "{policy}");
    assert!(
        headers.get("x-frame-options").is_none(),
        "framing is the CSP's call"
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_options_are_a_400_naming_the_parameter() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    for (query, name) in [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("columns=9", "columns"),
        ("layout=masonry", "layout"),
        ("captions=yes", "captions"),
        ("lightbox=no", "lightbox"),
        ("load-more=1", "load-more"),
        ("header=maybe", "header"),
        ("aspect=wide", "aspect"),
        ("gap=1;color:red", "gap"),
        ("theme=blue", "theme"),
        ("after=nope", "after"),
    ] {
        let response = app.get(&format!("/embed?{query}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: serde_json::Value = response.json().await.expect("json error");
        assert_eq!(body["error"]["code"], "bad-query", "{query}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("`{name}`")), "{query}: {message}");
    }
    app.stop().await;
}

#[tokio::test]
async fn pages_are_cached_per_option_set_and_load_more_continues_with_a_link() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    let (_, first_headers, first) = text(&app, "/embed?limit=3&load-more").await;
    let etag = first_headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag")
        .to_owned();
    let again = app
        .http
        .get(format!("{}/embed?limit=3&load-more", app.address))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("answer");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let (_, other_headers, _) = text(&app, "/embed?limit=3&theme=dark").await;
    assert_ne!(
        other_headers.get("etag"),
        first_headers.get("etag"),
        "another option set"
    );
    let more = first
        .split_once("class=\"foot\"><a class=\"btn\" href=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(href, _)| href.replace("&#38;", "&"))
        .expect("a load-more link");
    assert!(
        more.starts_with("/embed?limit=3&load-more=true&after="),
        "{more}"
    );
    let feed: serde_json::Value = app
        .get("/feed.json?limit=6")
        .await
        .json()
        .await
        .expect("feed");
    let (status, _, next) = text(&app, &more).await;
    assert_eq!(status, StatusCode::OK);
    let fourth = feed["posts"][3]["permalink"].as_str().expect("permalink");
    assert!(next.contains(fourth), "the next page starts at post 4");
    assert!(!next.contains(feed["posts"][2]["permalink"].as_str().expect("permalink")));
    app.stop().await;
}

#[tokio::test]
async fn framing_follows_embed_frame_ancestors() {
    let mut env = TestEnv::start().await;
    env.set(
        "IGFEED__EMBED__FRAME_ANCESTORS",
        "https://www.example.com,https://*.example.org",
    );
    let (app, _) = env.spawn_connected().await;
    let (_, headers, _) = text(&app, "/embed").await;
    assert!(
        csp(&headers).contains("frame-ancestors https://www.example.com https://*.example.org;"),
        "{}",
        csp(&headers)
    );
    app.stop().await;
}

#[tokio::test]
async fn without_a_feed_the_embed_is_an_empty_503_page() {
    let env = TestEnv::start().await;
    let app = env.spawn_app().await;
    let (status, headers, html) = text(&app, "/embed").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(headers.get("retry-after").is_some());
    assert!(html.contains("<body></body>"), "{html}");
    assert!(csp(&headers).contains("frame-ancestors *"));
    app.stop().await;
}

#[tokio::test]
async fn the_embed_script_and_stylesheet_are_served() {
    let env = TestEnv::start().await;
    let app = env.spawn_app().await;
    for (path, kind, file) in [
        (
            "/embed.js",
            "text/javascript; charset=utf-8",
            &include_bytes!("../../static/embed.js")[..],
        ),
        (
            "/embed.css",
            "text/css; charset=utf-8",
            &include_bytes!("../../static/embed.css")[..],
        ),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some(kind),
            "{path}"
        );
        assert_eq!(
            response.bytes().await.expect("body").as_ref(),
            file,
            "{path}"
        );
    }
    app.stop().await;
}

const API_TOKEN: &str = "api-token-0123456789abcdef0123456789";

/// `PUT /api/v1/feeds/{name}` with `definition`; the status.
async fn save_feed(app: &TestApp, name: &str, definition: serde_json::Value) -> u16 {
    let response = app
        .http
        .put(format!("{}/api/v1/feeds/{name}", app.address))
        .bearer_auth(API_TOKEN)
        .json(&definition)
        .send()
        .await
        .expect("igfeed answers");
    let status = response.status().as_u16();
    assert!(
        matches!(status, 200 | 201),
        "{status}: {}",
        response.text().await.unwrap_or_default()
    );
    status
}

/// The page's one inline stylesheet.
fn inline_style(html: &str) -> &str {
    html.split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(css, _)| css)
        .expect("a style element")
}

/// The classes of the page's `<main>`.
fn main_classes(html: &str) -> &str {
    html.split_once("<main class=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(classes, _)| classes)
        .expect("a main element")
}

async fn connected_with_api() -> (TestEnv, TestApp) {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__ADMIN__API_TOKEN", API_TOKEN);
    let (app, _) = env.spawn_connected().await;
    (env, app)
}

#[tokio::test]
async fn a_feeds_display_preset_is_the_default_and_a_parameter_wins() {
    let (_env, app) = connected_with_api().await;
    let created = save_feed(
        &app,
        "shop",
        serde_json::json!({"display": {"columns": 4, "aspect": "portrait", "header": false, "theme": "dark"}}),
    )
    .await;
    assert_eq!(created, 201);

    let (status, headers, html) = text(&app, "/embed?feed=shop").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(main_classes(&html), "w dark l-grid c-none a-portrait");
    assert_eq!(inline_style(&html), ".w{--cols:4}");
    assert!(!html.contains("class=\"head\""), "header: false");
    let digest = ring::digest::digest(&ring::digest::SHA256, inline_style(&html).as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    assert!(csp(&headers).contains(&format!("'sha256-{hash}'")));

    let (_, _, html) = text(&app, "/embed?feed=shop&columns=2&aspect=square&header").await;
    assert_eq!(main_classes(&html), "w dark l-grid c-none a-square");
    assert_eq!(inline_style(&html), ".w{--cols:2}", "the parameter wins");
    assert!(html.contains("class=\"head\""), "header given: shown");

    let (_, _, html) = text(&app, "/embed").await;
    assert_eq!(main_classes(&html), "w light l-grid c-none a-square");
    assert_eq!(
        inline_style(&html),
        ".w{--cols:3}",
        "other feeds keep theirs"
    );

    // Saved again with per-width columns: the next request follows.
    let replaced = save_feed(
        &app,
        "shop",
        serde_json::json!({"display": {"columns": {"0": 2, "600": 3, "1000": 4}, "aspect": "portrait", "gap": "6px"}}),
    )
    .await;
    assert_eq!(replaced, 200);
    let (_, headers, html) = text(&app, "/embed?feed=shop").await;
    assert_eq!(
        inline_style(&html),
        ".w{--cols:2;--gap:6px}@media (min-width:600px){.w{--cols:3}}@media (min-width:1000px){.w{--cols:4}}"
    );
    assert_eq!(main_classes(&html), "w light l-grid c-none a-portrait");
    let digest = ring::digest::digest(&ring::digest::SHA256, inline_style(&html).as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    assert!(csp(&headers).contains(&format!("'sha256-{hash}'")));

    // The query parameter's per-width form, over the preset.
    let (status, _, html) = text(&app, "/embed?feed=shop&columns=1,%20480:2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        inline_style(&html),
        ".w{--cols:1;--gap:6px}@media (min-width:480px){.w{--cols:2}}"
    );
    let (status, _, body) = text(&app, "/embed?feed=shop&columns=2,600:9").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("`columns`"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn load_more_keeps_the_pages_options_over_the_feeds_preset() {
    let (_env, app) = connected_with_api().await;
    save_feed(
        &app,
        "shop",
        serde_json::json!({"display": {"columns": 4, "aspect": "portrait", "load_more": true}}),
    )
    .await;
    let (_, _, first) = text(&app, "/embed?feed=shop&limit=3&aspect=original&columns=4").await;
    assert_eq!(main_classes(&first), "w light l-grid c-none a-original");
    let more = first
        .split_once("class=\"foot\"><a class=\"btn\" href=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(href, _)| href.replace("&#38;", "&"))
        .expect("a load-more link: the preset turns it on");
    assert!(
        more.starts_with("/embed?limit=3&aspect=original&after="),
        "what differs from the preset, and only that: {more}"
    );
    assert!(more.ends_with("&feed=shop"), "{more}");
    let (status, _, second) = text(&app, &more).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        main_classes(&second),
        main_classes(&first),
        "page 2 looks like page 1"
    );
    assert_eq!(inline_style(&second), inline_style(&first));
    let feed: serde_json::Value = app
        .get("/feed.json?feed=shop&limit=6")
        .await
        .json()
        .await
        .expect("feed");
    let fourth = feed["posts"][3]["link"].as_str().expect("link");
    assert!(
        second.contains(&format!("href=\"{fourth}\"")),
        "page 2 starts at post 4"
    );
    app.stop().await;
}

/// Each tile's `<a class="pic …">…</a>` on an /embed page, in order.
fn tiles(html: &str) -> Vec<&str> {
    html.split("<li class=\"tile\">")
        .skip(1)
        .map(|tile| tile.split("</a>").next().unwrap_or_default().trim())
        .collect()
}

/// The value of `name="…"` in the first tag of `html` that has it.
fn attribute<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    html.split_once(&format!(" {name}=\""))
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(value, _)| value)
}

#[tokio::test]
async fn every_image_has_its_box_and_the_first_row_is_fetched_first() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    // Just connected: no image downloaded yet, so no size is known (the fetch-ahead is off in
    // these tests): every box comes from the tile's shape.
    for (query, columns, shape, sizes) in [
        ("limit=9", 3, ("600", "600"), "calc((100vw - 2*4px)/3)"),
        (
            "limit=9&columns=2,600:3,1000:4&aspect=portrait&gap=8",
            4,
            ("600", "800"),
            "(min-width:1000px) calc((100vw - 3*8px)/4), (min-width:600px) calc((100vw - 2*8px)/3), calc((100vw - 1*8px)/2)",
        ),
        (
            "limit=9&layout=carousel&columns=4",
            4,
            ("600", "600"),
            "calc((100vw - 3*4px)/4)",
        ),
    ] {
        let (status, _, html) = text(&app, &format!("/embed?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        let tiles = tiles(&html);
        assert_eq!(tiles.len(), 9, "{query}");
        for (i, tile) in tiles.iter().filter(|t| t.contains("<img")).enumerate() {
            let img = tile
                .split_once("<img")
                .map(|(_, img)| img)
                .unwrap_or_default();
            let box_size = (
                attribute(img, "width").unwrap_or_default(),
                attribute(img, "height").unwrap_or_default(),
            );
            assert_eq!(box_size, shape, "{query}: tile {i} {img}");
            assert_eq!(attribute(img, "decoding"), Some("async"), "{query}: {img}");
            let first_row = i < columns;
            assert_eq!(
                attribute(img, "fetchpriority"),
                first_row.then_some("high"),
                "{query}: tile {i}"
            );
            assert_eq!(
                attribute(img, "loading"),
                (!first_row).then_some("lazy"),
                "{query}: tile {i}"
            );
            if let Some(srcset) = attribute(img, "srcset") {
                assert!(!srcset.is_empty());
                assert_eq!(attribute(img, "sizes"), Some(sizes), "{query}");
            }
            assert!(!tile.contains("<picture"), "no other format yet: {tile}");
        }
    }
    app.stop().await;
}

/// Waits for the first post's AVIF and colour in /feed.json, then finds them on /embed.
#[tokio::test]
async fn embed_offers_avif_in_picture_and_paints_each_tiles_colour() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__MEDIA__PREFETCH_CONCURRENCY", "4");
    env.set("IGFEED__MEDIA__FORMATS", "avif");
    env.set("IGFEED__FEED__MAX_POSTS", "3");
    let (app, _) = env.spawn_connected().await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(90);
    let feed = loop {
        let feed: serde_json::Value = app.get("/feed.json").await.json().await.expect("feed");
        let first = &feed["posts"][0]["media"][0];
        let ready = first["color"].is_string()
            && first["sources"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s["type"] == "image/avif"));
        if ready {
            break feed;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first post never got an AVIF source and a colour: {first}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let item = &feed["posts"][0]["media"][0];
    let avif = item["sources"][0]["srcset"].as_str().expect("srcset");
    let color = item["color"].as_str().expect("colour");
    let (status, headers, html) = text(&app, "/embed?limit=6").await;
    assert_eq!(status, StatusCode::OK);
    let first = tiles(&html)[0];
    let escaped = avif.replace('&', "&#38;");
    assert!(
        first.contains(&format!(
            "<picture><source type=\"image/avif\" srcset=\"{escaped}\" sizes=\"calc((100vw - 2*4px)/3)\"><img "
        )),
        "{first}"
    );
    assert!(first.ends_with("</picture>"), "{first}");
    let jpeg: Vec<String> = item["sizes"]
        .as_array()
        .expect("sizes")
        .iter()
        .map(|s| format!("{} {}w", s["url"].as_str().unwrap_or_default(), s["width"]))
        .collect();
    assert_eq!(
        attribute(first.split_once("<img").expect("an img").1, "srcset"),
        Some(jpeg.join(", ").replace('&', "&#38;").as_str()),
        "the JPEG stays the img's fallback"
    );
    let style = inline_style(&html);
    assert!(
        style.contains(&format!(".tile:nth-child(1)>.pic{{background:{color}}}")),
        "{style}"
    );
    let digest = ring::digest::digest(&ring::digest::SHA256, style.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    assert!(csp(&headers).contains(&format!("'sha256-{hash}'")));
    assert!(
        !html.contains(" style=\""),
        "no style attribute under the policy"
    );
    app.stop().await;
}
