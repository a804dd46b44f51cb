//! `/rss.xml` and `/jsonfeed.json` over HTTP: parsed by a strict XML parser and checked
//! for JSON Feed 1.1's required fields, the same posts and links as `/feed.json`, images
//! only from igfeed's origin, ETag/304, a curated feed's choices, and clear errors.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::helpers::{TestApp, TestEnv};

const TOKEN: &str = "api-token-0123456789abcdef0123456789";

async fn setup() -> (TestEnv, TestApp, String) {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__ADMIN__API_TOKEN", TOKEN);
    let (app, token) = env.spawn_connected().await;
    (env, app, token)
}

async fn body(app: &TestApp, path: &str) -> (reqwest::header::HeaderMap, String) {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let headers = response.headers().clone();
    (headers, response.text().await.expect("a body"))
}

async fn feed_json(app: &TestApp, query: &str) -> Value {
    let (_, text) = body(app, &format!("/feed.json{query}")).await;
    serde_json::from_str(&text).expect("JSON")
}

/// Every `src`-like URL in `text` is on igfeed's origin (never Instagram's CDN).
fn assert_first_party(app: &TestApp, text: &str, token: &str) {
    assert!(!text.contains(token), "the token never leaves");
    assert!(
        !text.contains("cdninstagram") && !text.contains("fbcdn"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}/media/", app.address)),
        "igfeed's images"
    );
}

#[tokio::test]
async fn rss_is_valid_xml_with_the_feeds_posts_and_first_party_images() {
    let (_env, app, token) = setup().await;
    let feed = feed_json(&app, "").await;
    let (headers, xml) = body(&app, "/rss.xml").await;
    assert_eq!(
        headers["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    assert_first_party(&app, &xml, &token);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let channel = doc
        .root_element()
        .children()
        .find(|c| c.has_tag_name("channel"))
        .expect("channel");
    let child_text = |node: roxmltree::Node, name: &str| {
        node.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(child_text(channel, "title").contains("@sandbox.studio"));
    let self_link = channel
        .children()
        .find(|c| c.tag_name().name() == "link" && c.attribute("rel") == Some("self"))
        .and_then(|c| c.attribute("href"))
        .expect("atom:link rel=self");
    assert_eq!(
        self_link,
        format!("{}/rss.xml?feed=sandbox.studio", app.address)
    );
    let items: Vec<_> = channel
        .children()
        .filter(|c| c.has_tag_name("item"))
        .collect();
    let posts = feed["posts"].as_array().expect("posts");
    assert_eq!(items.len(), posts.len());
    for (item, post) in items.iter().zip(posts) {
        assert_eq!(child_text(*item, "guid"), post["id"].as_str().expect("id"));
        assert_eq!(
            child_text(*item, "link"),
            post["link"].as_str().expect("link")
        );
        assert!(
            !child_text(*item, "title").is_empty(),
            "every item has a title"
        );
    }
    // The same document answers 304 to its ETag.
    let etag = headers["etag"].to_str().expect("etag").to_owned();
    let again = app
        .http
        .get(format!("{}/rss.xml", app.address))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("answers");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    app.stop().await;
}

#[tokio::test]
async fn json_feed_has_the_required_fields_and_follows_a_curated_feed() {
    let (_env, app, token) = setup().await;
    let all = feed_json(&app, "").await;
    let first = all["posts"][0]["id"].as_str().expect("id").to_owned();
    let second = all["posts"][1]["id"].as_str().expect("id").to_owned();
    let response = app
        .http
        .put(format!("{}/api/v1/feeds/shop", app.address))
        .bearer_auth(TOKEN)
        .json(&json!({"name": "shop", "hidden": [first], "links": {second.clone(): "https://shop.example/p/2"}}))
        .send()
        .await
        .expect("the API answers");
    assert_eq!(response.status(), StatusCode::CREATED);
    let (headers, text) = body(&app, "/jsonfeed.json?feed=shop").await;
    assert_eq!(headers["content-type"], "application/feed+json");
    assert_first_party(&app, &text, &token);
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(doc["version"], "https://jsonfeed.org/version/1.1");
    assert!(doc["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(
        doc["feed_url"],
        format!("{}/jsonfeed.json?feed=shop", app.address)
    );
    let items = doc["items"].as_array().expect("items");
    assert_eq!(
        items.len(),
        all["posts"].as_array().map_or(0, Vec::len) - 1,
        "one hidden"
    );
    for item in items {
        assert!(
            item["id"].is_string() && item["content_text"].is_string(),
            "{item}"
        );
        assert_ne!(item["id"], first.as_str(), "the hidden post is left out");
        for attachment in item["attachments"].as_array().into_iter().flatten() {
            assert!(attachment["url"].is_string() && attachment["mime_type"].is_string());
        }
    }
    let linked = items
        .iter()
        .find(|i| i["id"] == second.as_str())
        .expect("linked post");
    assert_eq!(
        linked["url"], "https://shop.example/p/2",
        "the owner's link"
    );
    assert!(
        linked["external_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://www.instagram.com/")),
        "the permalink beside it"
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_feed_names_and_methods_get_clear_errors() {
    let (_env, app, _) = setup().await;
    for path in ["/rss.xml", "/jsonfeed.json"] {
        let unknown = app.get(&format!("{path}?feed=nope")).await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND, "{path}");
        let error: Value = unknown.json().await.expect("JSON error");
        assert_eq!(error["error"]["code"], "unknown-feed");
        let bad = app.get(&format!("{path}?feed=%3Cx%3E")).await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "{path}");
        let post = app
            .http
            .post(format!("{}{path}", app.address))
            .send()
            .await
            .expect("answers");
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        let head = app
            .http
            .head(format!("{}{path}", app.address))
            .send()
            .await
            .expect("answers");
        assert_eq!(head.status(), StatusCode::OK, "{path}");
    }
    app.stop().await;
}
