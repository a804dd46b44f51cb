//! Properties of mapping Instagram's JSON to the public feed over generated posts: whatever
//! Instagram sends, every post id appears once, every post shows something, no URL in the
//! feed is anything but http(s) without a token, and hashtags and mentions are read from the
//! caption itself.

use std::collections::HashSet;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::feed::domain::MediaItem;

/// URLs as they may arrive: CDN ones, and everything that must not reach a page.
fn url() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => "[a-z0-9]{1,8}".prop_map(|p| json!(format!("https://scontent.cdninstagram.com/v/{p}.jpg?oe=1"))),
        1 => Just(json!("http://127.0.0.1:4000/cdn/x.jpg")),
        1 => Just(json!("javascript:alert(1)")),
        1 => Just(json!("data:text/html,<script>alert(1)</script>")),
        1 => "(access_token|Access_Token|ACCESS_TOKEN|x%5Faccess_token)=[a-z]{1,5}"
            .prop_map(|q| json!(format!("https://graph.instagram.com/me?{q}"))),
        1 => Just(json!("https://x.example/access_token/y.jpg")),
        1 => Just(json!("/relative/x.jpg")),
        1 => "\\PC{0,20}".prop_map(Value::from),
        1 => Just(Value::Null),
    ]
}

fn media_type() -> impl Strategy<Value = Value> {
    prop_oneof![
        5 => prop::sample::select(&["IMAGE", "VIDEO", "CAROUSEL_ALBUM", "SOMETHING_NEW", ""][..])
            .prop_map(Value::from),
        1 => Just(Value::Null),
    ]
}

/// Captions made of words, tags, mentions, links and e-mail addresses.
fn caption() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => prop::collection::vec(
            prop_oneof![
                "[#@][a-zA-Z0-9_.]{0,12}",
                "[a-z]{1,6}[#@][a-z]{1,6}",
                "https://x.com/[#@]?[a-z]{1,5}",
                "\\PC{0,6}",
                "#[\\p{L}\\p{M}0-9_]{1,6}",
                // The same tag or handle again in another case.
                prop::sample::select(&["#Sunset", "#sunset", "#SUNSET", "@Maria.Lens", "@maria.lens"][..])
                    .prop_map(str::to_owned),
            ],
            0..8,
        )
        .prop_map(|words| json!(words.join(" "))),
        1 => "\\PC{0,40}".prop_map(Value::from),
        1 => Just(json!("   ")),
        1 => Just(Value::Null),
    ]
}

/// One item as Instagram sends it; `children` only on the top level.
fn item(with_children: bool) -> BoxedStrategy<Value> {
    let fields = (
        "[0-9]{1,2}",
        media_type(),
        url(),
        url(),
        url(),
        caption(),
        prop::sample::select(&["FEED", "REELS", "reels", "STORY"][..]),
    );
    let children = if with_children {
        prop::option::of(prop::collection::vec(item(false), 0..4)).boxed()
    } else {
        Just(None).boxed()
    };
    (fields, children)
        .prop_map(
            |((id, kind, media_url, thumbnail_url, permalink, caption, product), children)| {
                let mut item = json!({
                    "id": id, "media_type": kind, "media_url": media_url,
                    "thumbnail_url": thumbnail_url, "permalink": permalink,
                    "caption": caption, "media_product_type": product,
                });
                if let Some(children) = children {
                    item["children"] = json!({ "data": children });
                }
                item
            },
        )
        .boxed()
}

fn profile() -> impl Strategy<Value = wire::Profile> {
    (
        prop_oneof![
            "[a-z0-9._]{0,32}",
            "\\PC{0,12}",
            Just("../admin".to_owned())
        ],
        url(),
        prop_oneof![
            Just(json!("example.com")),
            Just(json!("  https://shop.example/path?q=1 ")),
            Just(json!("javascript:alert(1)")),
            url(),
        ],
        prop::option::of("\\PC{0,12}"),
    )
        .prop_map(|(username, picture, website, account_type)| {
            serde_json::from_value(json!({
                "id": "1", "username": username, "profile_picture_url": picture,
                "website": website, "account_type": account_type,
            }))
            .expect("generated profile parses")
        })
}

/// A URL a public page may carry.
fn is_safe(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        && !url.to_ascii_lowercase().contains("access_token")
}

fn item_urls(item: &MediaItem) -> impl Iterator<Item = &String> {
    [&item.url, &item.video_url, &item.thumbnail_url]
        .into_iter()
        .flatten()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_feed_maps_to_unique_posts_with_safe_urls(
        profile in profile(),
        items in prop::collection::vec(item(true), 0..12),
    ) {
        let media: Vec<wire::Media> = items
            .iter()
            .map(|i| serde_json::from_value(i.clone()))
            .collect::<Result<_, _>>()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut first_seen = Vec::new();
        for m in &media {
            if !first_seen.contains(&m.id) {
                first_seen.push(m.id.clone());
            }
        }
        let feed = map_feed(profile, media.clone());

        let ids: Vec<String> = feed.posts.iter().map(|p| p.id.clone()).collect();
        prop_assert_eq!(ids, first_seen, "each id once, in Instagram's order");

        let profile_urls = [&feed.profile.picture, &feed.profile.website];
        for url in profile_urls.into_iter().flatten() {
            prop_assert!(is_safe(url), "profile URL {:?}", url);
        }
        let handle = &feed.profile.username;
        let expected_profile_url = if text::is_handle(handle) {
            format!("https://www.instagram.com/{handle}/")
        } else {
            "https://www.instagram.com/".to_owned()
        };
        prop_assert_eq!(&feed.profile.profile_url, &expected_profile_url);

        for post in &feed.posts {
            prop_assert!(!post.media.is_empty(), "post {} shows nothing", post.id);
            for url in post.permalink.iter().chain(post.media.iter().flat_map(item_urls)) {
                prop_assert!(is_safe(url), "post {} carries {:?}", post.id, url);
            }
            let source = media.iter().find(|m| m.id == post.id).expect("a source item");
            let children = source.children.as_ref().map_or(0, |c| c.data.len());
            if post.media.len() > 1 {
                prop_assert_eq!(post.media.len(), children);
            }
            prop_assert_eq!(
                post.caption.is_some(),
                source.caption.as_deref().is_some_and(|c| !c.trim().is_empty())
            );
        }
        prop_assert!(serde_json::to_string(&feed).is_ok());
    }

    /// Tags and mentions are read from the caption: each appears there after its sign, once
    /// (ignoring case), and a mention is a handle that can go into a URL.
    #[test]
    fn tags_and_mentions_come_from_the_caption(caption in caption()) {
        let Some(caption) = caption.as_str() else { return Ok(()) };
        let hashtags = text::hashtags(caption);
        let mentions = text::mentions(caption);
        for (sign, found) in [('#', &hashtags), ('@', &mentions)] {
            let mut seen = HashSet::new();
            for tag in found {
                prop_assert!(!tag.is_empty());
                let written = format!("{sign}{tag}");
                prop_assert!(caption.contains(&written), "{} not in {:?}", written, caption);
                prop_assert!(seen.insert(tag.to_lowercase()), "{} twice", tag);
            }
        }
        for mention in &mentions {
            prop_assert!(text::is_handle(mention), "{:?}", mention);
        }
    }
}
