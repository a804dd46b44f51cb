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
