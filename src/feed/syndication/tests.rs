//! RSS read back by a strict XML parser, JSON Feed's required fields, titles from captions.

use chrono::TimeZone as _;
use serde_json::Value;

use super::*;
use crate::feed::domain::{Feed, MediaSize};
use crate::feed::mapping::tests::sample_feed;

const FEED_URL: &str = "https://feed.example.com/rss.xml?feed=shop";

fn snapshot(feed: Feed) -> Snapshot {
    Snapshot {
        feed,
        fetched_at: Utc
            .with_ymd_and_hms(2026, 12, 7, 12, 0, 0)
            .single()
            .expect("date"),
        sources: Default::default(),
        unshared_reels: Default::default(),
    }
}

/// The sample feed as the media service leaves it: igfeed URLs and sizes on the first
/// image, a hostile caption on the first post.
fn hostile() -> Snapshot {
    let mut feed = sample_feed();
    let post = &mut feed.posts[0];
    post.caption = Some("Caf\u{e9} <b>&</b> \"quotes\" \u{0}\u{1b}\u{fffe}\nsecond line".into());
    post.link = Some("https://shop.example/p/1?a=1&b=2".into());
    let item = &mut post.media[0];
    item.url = Some("https://feed.example.com/media/1/640?v=a".into());
    item.sizes = [320, 640, 1080]
        .map(|w| MediaSize {
            url: format!("https://feed.example.com/media/1/{w}?v=a"),
            width: w,
            height: w * 5 / 4,
        })
        .to_vec();
    snapshot(feed)
}

#[test]
fn rss_is_well_formed_xml_with_every_post() {
    let snapshot = hostile();
    let xml = String::from_utf8(Syndication::Rss.render(&snapshot, FEED_URL)).expect("UTF-8");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let rss = doc.root_element();
    assert_eq!(
        (rss.tag_name().name(), rss.attribute("version")),
        ("rss", Some("2.0"))
    );
    let channel = rss.first_element_child().expect("channel");
    let text = |node: roxmltree::Node, name: &str| {
        node.children()
            .find(|c| c.tag_name().name() == name)
            .and_then(|c| c.text())
            .map(str::to_owned)
    };
    assert_eq!(
        text(channel, "title").as_deref(),
        Some("Sandbox Studio (@sandbox.studio) on Instagram")
    );
    assert_eq!(
        text(channel, "link").as_deref(),
        Some("https://www.instagram.com/sandbox.studio/")
    );
    let items: Vec<_> = channel
        .children()
        .filter(|c| c.tag_name().name() == "item")
        .collect();
    assert_eq!(items.len(), snapshot.feed.posts.len());
    let first = items[0];
    assert_eq!(
        text(first, "title").as_deref(),
        Some("Caf\u{e9} <b>&</b> \"quotes\""),
        "the first line, markup as text, forbidden characters gone"
    );
    assert_eq!(
        text(first, "link").as_deref(),
        Some("https://shop.example/p/1?a=1&b=2")
    );
    assert_eq!(text(first, "guid"), Some(snapshot.feed.posts[0].id.clone()));
    assert_eq!(
        text(first, "description").as_deref(),
        Some("Caf\u{e9} &lt;b&gt;&amp;&lt;/b&gt; &quot;quotes&quot; <br>second line"),
        "the caption as HTML text: a reader shows the markup, never runs it"
    );
    let enclosure = first
        .children()
        .find(|c| c.tag_name().name() == "enclosure")
        .expect("enclosure");
    assert_eq!(
        enclosure.attribute("url"),
        Some("https://feed.example.com/media/1/1080?v=a"),
        "the largest image"
    );
    let media = first
        .children()
        .find(|c| {
            c.tag_name().name() == "content"
                && c.tag_name().namespace() == Some("http://search.yahoo.com/mrss/")
        })
        .expect("media:content");
    assert_eq!(media.attribute("width"), Some("1080"));
    let date = text(first, "pubDate").expect("pubDate");
    assert!(DateTime::parse_from_rfc2822(&date).is_ok(), "{date}");
}

#[test]
fn json_feed_has_the_required_fields_and_types() {
    let snapshot = hostile();
    let url = "https://feed.example.com/jsonfeed.json?feed=shop";
    let feed: Value =
        serde_json::from_slice(&Syndication::JsonFeed.render(&snapshot, url)).expect("JSON");
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert!(feed["title"].is_string());
    assert_eq!(feed["feed_url"], url);
    let items = feed["items"].as_array().expect("items");
    assert_eq!(items.len(), snapshot.feed.posts.len());
    for item in items {
        assert!(item["id"].is_string(), "{item}");
        assert!(item["content_text"].is_string(), "{item}");
    }
    let first = &items[0];
    assert_eq!(first["url"], "https://shop.example/p/1?a=1&b=2");
    assert_eq!(
        first["external_url"],
        snapshot.feed.posts[0].permalink.clone().unwrap_or_default()
    );
    assert_eq!(first["image"], "https://feed.example.com/media/1/640?v=a");
    assert_eq!(
        first["attachments"][0]["url"],
        "https://feed.example.com/media/1/1080?v=a"
    );
    assert_eq!(first["attachments"][0]["mime_type"], "image/jpeg");
    let published = first["date_published"].as_str().expect("date");
    assert!(
        DateTime::parse_from_rfc3339(published).is_ok(),
        "{published}"
    );
}

#[test]
fn titles_are_the_captions_first_line_cut_at_a_word() {
    let mut post = sample_feed().posts.remove(0);
    post.caption = Some("\n  \nGolden hour  \nmore".into());
    assert_eq!(post_title(&post), "Golden hour");
    post.caption = Some(format!("{} tail", "word ".repeat(30)));
    let long = post_title(&post);
    assert!(
        long.ends_with('…') && long.chars().count() <= MAX_TITLE_CHARS + 1,
        "{long}"
    );
    assert!(long.trim_end_matches('…').ends_with("word"), "{long}");
    post.caption = None;
    post.kind = PostKind::Reel;
    assert_eq!(post_title(&post), "Reel");
}
