use std::collections::BTreeSet;

use chrono::{TimeZone as _, Utc};
use serde_json::json;

use super::*;
use crate::feed::definition::{Defaults, parse};
use crate::feed::domain::Profile;

fn post(id: &str, kind: PostKind, hour: u32, caption: &str) -> Post {
    let caption = (!caption.is_empty()).then(|| caption.to_owned());
    Post {
        id: id.into(),
        kind,
        hashtags: caption
            .as_deref()
            .map(crate::feed::text::hashtags)
            .unwrap_or_default(),
        caption,
        mentions: vec![],
        permalink: Some(format!("https://www.instagram.com/p/{id}/")),
        link: None,
        pinned: false,
        timestamp: Utc.with_ymd_and_hms(2026, 1, 1, hour, 0, 0).single(),
        alt: None,
        media: vec![],
        like_count: None,
        comments_count: None,
    }
}

fn feed(username: &str, posts: Vec<Post>) -> Feed {
    Feed {
        profile: Profile {
            username: username.into(),
            name: None,
            picture: None,
            picture_color: None,
            followers_count: None,
            follows_count: None,
            media_count: None,
            account_type: None,
            biography: None,
            website: None,
            profile_url: format!("https://www.instagram.com/{username}/"),
        },
        posts,
    }
}

fn studio() -> Feed {
    feed(
        "studio",
        vec![
            post("s5", PostKind::Reel, 15, "new reel #menu"),
            post("s4", PostKind::Image, 13, "lunch #Menu today"),
            post("s3", PostKind::Carousel, 11, "a #giveaway GIVEAWAY time"),
            post("s2", PostKind::Video, 9, "sponsored #ad"),
            post("s1", PostKind::Image, 7, ""),
        ],
    )
}

fn cafe() -> Feed {
    feed(
        "cafe",
        vec![
            post("c2", PostKind::Image, 14, "coffee #menu"),
            post("c1", PostKind::Reel, 8, "trial"),
        ],
    )
}

fn ids(body: serde_json::Value, feeds: &[(&Feed, &[&str])]) -> Vec<String> {
    let definition = parse(
        "shop",
        &body,
        &Defaults {
            accounts: vec!["studio".into()],
            max_posts: 50,
        },
    )
    .expect("valid");
    let unshared: Vec<BTreeSet<String>> = feeds
        .iter()
        .map(|(_, ids)| ids.iter().map(|id| (*id).to_owned()).collect())
        .collect();
    let sources: Vec<Source<'_>> = feeds
        .iter()
        .zip(&unshared)
        .map(|((feed, _), unshared_reels)| Source {
            feed,
            unshared_reels,
            fetched_at: Utc::now(),
        })
        .collect();
    curate(&definition, &sources)
        .expect("a source")
        .posts
        .into_iter()
        .map(|p| p.id)
        .collect()
}

#[test]
fn no_definition_shows_every_post_that_the_profile_grid_shows() {
    let studio = studio();
    assert_eq!(
        ids(json!({}), &[(&studio, &[])]),
        ["s5", "s4", "s3", "s2", "s1"]
    );
    assert_eq!(
        ids(json!({}), &[(&studio, &["s5"])]),
        ["s4", "s3", "s2", "s1"]
    );
    assert_eq!(
        ids(
            json!({"include_unshared_reels":true}),
            &[(&studio, &["s5"])]
        ),
        ["s5", "s4", "s3", "s2", "s1"]
    );
}

#[test]
fn each_filter_on_its_own() {
    let s = studio();
    let one = |body| ids(body, &[(&s, &[])]);
    assert_eq!(one(json!({"types":["image"]})), ["s4", "s1"]);
    assert_eq!(one(json!({"types":["reel","video"]})), ["s5", "s2"]);
    assert_eq!(one(json!({"hashtags_any":["MENU"]})), ["s5", "s4"]);
    assert_eq!(
        one(json!({"hashtags_none":["ad"]})),
        ["s5", "s4", "s3", "s1"]
    );
    // Whole words, any case: "giveaway" matches "GIVEAWAY" and "#giveaway", not "give".
    assert_eq!(
        one(json!({"words_none":["giveaway"]})),
        ["s5", "s4", "s2", "s1"]
    );
    assert_eq!(
        one(json!({"words_none":["give"]})),
        ["s5", "s4", "s3", "s2", "s1"]
    );
    assert_eq!(one(json!({"hidden":["s4","s1"]})), ["s5", "s3", "s2"]);
    assert_eq!(one(json!({"max_posts":2})), ["s5", "s4"]);
}

#[test]
fn filters_combine() {
    let s = studio();
    assert_eq!(
        ids(
            json!({"types":["image","carousel","reel"],"hashtags_any":["menu","giveaway"],
                   "words_none":["lunch"],"hidden":["s5"]}),
            &[(&s, &[])]
        ),
        ["s3"]
    );
}

#[test]
fn pinned_posts_come_first_in_the_owners_order_even_past_a_filter() {
    let s = studio();
    let definition = json!({"pinned":["s1","missing","s3"],"types":["reel","image"],"max_posts":4});
    assert_eq!(ids(definition, &[(&s, &[])]), ["s1", "s3", "s5", "s4"]);
}

#[test]
fn links_and_pins_are_marked_on_the_posts() {
    let s = studio();
    let definition = parse(
        "shop",
        &json!({"pinned":["s2"],"links":{"s4":"https://shop.example/p/1"}}),
        &Defaults {
            accounts: vec!["studio".into()],
            max_posts: 50,
        },
    )
    .expect("valid");
    let none = BTreeSet::new();
    let sources = [Source {
        feed: &s,
        unshared_reels: &none,
        fetched_at: Utc::now(),
    }];
    let curated = curate(&definition, &sources).expect("a source");
    let by_id = |id: &str| curated.posts.iter().find(|p| p.id == id).expect("present");
    assert!(by_id("s2").pinned && !by_id("s4").pinned);
    assert_eq!(
        by_id("s4").link.as_deref(),
        Some("https://shop.example/p/1")
    );
    assert_eq!(by_id("s5").link, by_id("s5").permalink);
    assert_eq!(curated.posts[0].id, "s2");
}

#[test]
fn accounts_merge_newest_first_with_the_first_accounts_profile() {
    let (s, c) = (studio(), cafe());
    assert_eq!(
        ids(json!({}), &[(&s, &[]), (&c, &["c1"])]),
        ["s5", "c2", "s4", "s3", "s2", "s1"]
    );
    assert_eq!(
        ids(
            json!({"include_unshared_reels":true}),
            &[(&c, &["c1"]), (&s, &[])]
        ),
        ["s5", "c2", "s4", "s3", "s2", "c1", "s1"]
    );
    let none = BTreeSet::new();
    let sources = [
        Source {
            feed: &c,
            unshared_reels: &none,
            fetched_at: Utc::now(),
        },
        Source {
            feed: &s,
            unshared_reels: &none,
            fetched_at: Utc::now(),
        },
    ];
    let definition = parse(
        "x",
        &json!({}),
        &Defaults {
            accounts: vec![],
            max_posts: 5,
        },
    )
    .expect("valid");
    assert_eq!(
        curate(&definition, &sources)
            .expect("merged")
            .profile
            .username,
        "cafe"
    );
    assert!(curate(&definition, &[]).is_none());
}
