//! What counts as a change to rebuild for, and the body a hook gets.

use chrono::TimeZone as _;

use super::*;
use crate::feed::mapping::tests::sample_feed;

#[test]
fn likes_and_image_sizes_are_not_changes_but_captions_links_and_pins_are() {
    let feed = sample_feed();
    let before = fingerprints(&feed.posts);
    let mut after = feed.clone();
    after.posts[0].like_count = Some(9999);
    after.posts[0].comments_count = Some(42);
    after.posts[0].media[0].width = Some(640);
    let changes = diff("shop", &before, &fingerprints(&after.posts), None);
    assert!(changes.is_empty(), "{changes:?}");

    after.posts[0].caption = Some("edited".into());
    after.posts[1].link = Some("https://shop.example/p/1".into());
    after.posts[2].pinned = true;
    let gone = after.posts.remove(3);
    let changes = diff("shop", &before, &fingerprints(&after.posts), None);
    let ids = |range: std::ops::Range<usize>| -> Vec<String> {
        after.posts[range].iter().map(|p| p.id.clone()).collect()
    };
    assert_eq!(changes.changed, ids(0..3));
    assert_eq!(changes.removed, vec![gone.id.clone()]);
    assert!(changes.added.is_empty());

    let back = diff("shop", &fingerprints(&after.posts), &before, None);
    assert_eq!(back.added, vec![gone.id]);
}

#[test]
fn the_body_is_the_documented_shape() {
    let before: Posts = vec![("1".into(), 1), ("2".into(), 2)];
    let after: Posts = vec![("3".into(), 3), ("1".into(), 9)];
    let at = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).single();
    let body = serde_json::to_value(diff("shop", &before, &after, at)).expect("JSON");
    assert_eq!(
        body,
        serde_json::json!({
            "event": "feed.changed", "feed": "shop", "added": ["3"], "removed": ["2"],
            "changed": ["1"], "updated_at": "2026-12-07T12:00:00Z"
        })
    );
}
