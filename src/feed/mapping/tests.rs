use serde_json::json;

use super::*;

const CDN: &str = "https://scontent-ams2-1.cdninstagram.com/v/t51.29350-15";

fn cdn(name: &str) -> String {
    format!("{CDN}/{name}.jpg?_nc_cat=1&oh=00_AfB&oe=66A1B2C3")
}

/// `/me` as the sandbox (and Instagram) sends it.
pub(crate) fn sample_profile() -> wire::Profile {
    serde_json::from_value(json!({
        "id": "26931234567890123",
        "user_id": 17841405793187218_u64,
        "username": "sandbox.studio",
        "name": "Sandbox Studio",
        "account_type": "Media_Creator",
        "profile_picture_url": cdn("profile"),
        "followers_count": 1234,
        "follows_count": 56,
        "media_count": 7
    }))
    .expect("sample profile parses")
}

/// One page of `/me/media`: carousel, reel, withheld video, `<script>` caption, no caption,
/// an unknown media type, a plain image.
pub(crate) fn sample_media() -> Vec<wire::Media> {
    let page: wire::Page<wire::Media> = serde_json::from_value(json!({
        "data": [
            {
                "id": "17900000000001009", "media_type": "CAROUSEL_ALBUM",
                "media_product_type": "FEED", "media_url": cdn("c1"),
                "permalink": "https://www.instagram.com/p/C1abc/", "shortcode": "C1abc",
                "timestamp": "2024-05-01T12:00:00+0000", "username": "sandbox.studio",
                "caption": "Golden hour ☀️🌇 #sunset #studio #Sunset with @maria.lens.",
                "like_count": 42, "comments_count": 3, "alt_text": "A roof at dusk",
                "children": { "data": [
                    { "id": "17950000000000001", "media_type": "IMAGE", "media_url": cdn("c1") },
                    { "id": "17950000000000002", "media_type": "VIDEO",
                      "media_url": "https://video.cdninstagram.com/v/c2.mp4?oe=66A1B2C3",
                      "thumbnail_url": cdn("c2-thumb") },
                    { "id": "17950000000000003", "media_type": "IMAGE", "media_url": cdn("c3") }
                ]}
            },
            {
                "id": "17900000000002018", "media_type": "VIDEO", "media_product_type": "REELS",
                "media_url": "https://video.cdninstagram.com/v/reel.mp4?oe=66A1B2C3",
                "thumbnail_url": cdn("reel-thumb"),
                "permalink": "https://www.instagram.com/reel/C2def/",
                "timestamp": "2024-04-30T08:30:00+0000", "caption": "Reel time #bts",
                "comments_count": 0
            },
            {
                "id": "17900000000003027", "media_type": "VIDEO", "media_product_type": "REELS",
                "thumbnail_url": cdn("licensed-thumb"),
                "permalink": "https://www.instagram.com/reel/C3ghi/",
                "timestamp": "2024-04-29T08:30:00+0000", "caption": "Licensed music",
                "like_count": 7, "comments_count": 1
            },
            {
                "id": "17900000000004036", "media_type": "IMAGE", "media_url": cdn("script"),
                "permalink": "https://www.instagram.com/p/C4jkl/",
                "timestamp": "2024-04-28T08:30:00+0000",
                "caption": "<script>alert('x')</script> & <b>bold</b> #xss",
                "like_count": 1, "comments_count": 0
            },
            {
                "id": "17900000000005045", "media_type": "IMAGE", "media_url": cdn("nocap"),
                "permalink": "https://www.instagram.com/p/C5mno/",
                "timestamp": "2024-04-27T08:30:00+0000", "comments_count": 0
            },
            {
                "id": "17900000000006054", "media_type": "HOLOGRAM", "media_url": cdn("odd"),
                "permalink": "https://www.instagram.com/p/C6pqr/",
                "timestamp": "2024-04-26T08:30:00+0000", "caption": "From the future"
            },
            {
                "id": "17900000000007063", "media_type": "VIDEO", "media_product_type": "FEED",
                "media_url": "https://video.cdninstagram.com/v/plain.mp4?oe=66A1B2C3",
                "thumbnail_url": cdn("plain-thumb"),
                "permalink": "https://www.instagram.com/p/C7stu/",
                "timestamp": "2024-04-25T08:30:00+0000", "caption": ""
            }
        ],
        "paging": { "cursors": { "before": "QVFI", "after": "QVFJ" },
                    "next": "https://graph.instagram.com/v23.0/me/media?access_token=IGAAsecret&after=QVFJ" }
    }))
    .expect("sample media parses");
    page.data
}

/// The sample mapped, for tests elsewhere in the feed module.
pub(crate) fn sample_feed() -> Feed {
    map_feed(sample_profile(), sample_media())
}

fn post<'a>(feed: &'a Feed, id: &str) -> &'a Post {
    feed.posts
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("post {id} missing"))
}

#[test]
fn profile_is_mapped_and_normalised() {
    let feed = sample_feed();
    let p = &feed.profile;
    assert_eq!(p.username, "sandbox.studio");
    assert_eq!(p.name.as_deref(), Some("Sandbox Studio"));
    assert_eq!(p.picture, Some(cdn("profile")));
    assert_eq!(p.account_type.as_deref(), Some("creator"));
    assert_eq!(
        (p.followers_count, p.follows_count, p.media_count),
        (Some(1234), Some(56), Some(7))
    );
    assert_eq!((p.biography.as_deref(), p.website.as_deref()), (None, None));
    assert_eq!(p.profile_url, "https://www.instagram.com/sandbox.studio/");
}

#[test]
fn every_post_is_kept_in_order() {
    let ids: Vec<_> = sample_feed().posts.into_iter().map(|p| p.id).collect();
    let wire_ids: Vec<_> = sample_media().into_iter().map(|m| m.id).collect();
    assert_eq!(ids, wire_ids);
}

#[test]
fn carousel_has_one_item_per_child() {
    let feed = sample_feed();
    let post = post(&feed, "17900000000001009");
    assert_eq!(post.kind, PostKind::Carousel);
    let kinds: Vec<_> = post.media.iter().map(|m| (m.id.as_str(), m.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("17950000000000001", MediaKind::Image),
            ("17950000000000002", MediaKind::Video),
            ("17950000000000003", MediaKind::Image)
        ]
    );
    let video = &post.media[1];
    assert_eq!(video.url, Some(cdn("c2-thumb")), "a video shows its cover");
    assert_eq!(
        video.video_url.as_deref(),
        Some("https://video.cdninstagram.com/v/c2.mp4?oe=66A1B2C3")
    );
    assert_eq!(post.hashtags, ["sunset", "studio"]);
    assert_eq!(post.mentions, ["maria.lens"]);
    assert_eq!(post.alt.as_deref(), Some("A roof at dusk"));
    assert_eq!(
        post.timestamp.map(|t| t.to_rfc3339()).as_deref(),
        Some("2024-05-01T12:00:00+00:00")
    );
    assert_eq!((post.like_count, post.comments_count), (Some(42), Some(3)));
    assert!(
        post.media
            .iter()
            .all(|m| m.width.is_none() && m.height.is_none())
    );
}

#[test]
fn reels_and_videos_show_their_cover() {
    let feed = sample_feed();
    let reel = post(&feed, "17900000000002018");
    assert_eq!(reel.kind, PostKind::Reel);
    assert_eq!(reel.like_count, None, "hidden likes stay unknown");
    let item = &reel.media[0];
    assert_eq!(item.kind, MediaKind::Video);
    assert_eq!(item.url, Some(cdn("reel-thumb")));
    assert_eq!(item.thumbnail_url, Some(cdn("reel-thumb")));
    assert!(
        item.video_url
            .as_deref()
            .is_some_and(|u| u.ends_with("reel.mp4?oe=66A1B2C3"))
    );

    let plain = post(&feed, "17900000000007063");
    assert_eq!(plain.kind, PostKind::Video);
    assert_eq!(plain.caption, None, "an empty caption is no caption");
}

#[test]
fn withheld_media_url_keeps_the_post() {
    let feed = sample_feed();
    let licensed = post(&feed, "17900000000003027");
    assert_eq!(licensed.kind, PostKind::Reel);
    assert_eq!(licensed.media.len(), 1);
    assert_eq!(licensed.media[0].video_url, None);
    assert_eq!(licensed.media[0].url, Some(cdn("licensed-thumb")));
}

#[test]
fn captions_stay_verbatim_text() {
    let feed = sample_feed();
    let p = post(&feed, "17900000000004036");
    assert_eq!(
        p.caption.as_deref(),
        Some("<script>alert('x')</script> & <b>bold</b> #xss")
    );
    assert_eq!(p.hashtags, ["xss"]);
    let none = post(&feed, "17900000000005045");
    assert_eq!(none.caption, None);
    assert!(none.hashtags.is_empty() && none.mentions.is_empty());
    assert_eq!(none.kind, PostKind::Image);
    assert_eq!(none.media[0].url, Some(cdn("nocap")));
}

#[test]
fn unknown_media_type_is_mapped_best_effort() {
    let feed = sample_feed();
    let odd = post(&feed, "17900000000006054");
    assert_eq!(odd.kind, PostKind::Image);
    assert_eq!(odd.media[0].url, Some(cdn("odd")));
}

#[test]
fn sparse_posts_never_panic() {
    let media: Vec<wire::Media> = serde_json::from_value(json!([
        { "id": "1" },
        { "id": "2", "thumbnail_url": cdn("t") },
        { "id": "3", "children": { "data": [ { "id": "31" }, { "id": "32", "media_type": "VIDEO" } ] } },
        { "id": "4", "media_type": "CAROUSEL_ALBUM", "media_url": cdn("only") },
        { "id": "5", "media_type": "CAROUSEL_ALBUM", "children": { "data": [] } },
        { "id": "6", "media_type": "VIDEO", "permalink": "https://www.instagram.com/reel/x/" },
        { "id": "1", "caption": "duplicate from an overlapping page" }
    ]))
    .expect("sparse media parses");
    let profile: wire::Profile =
        serde_json::from_value(json!({ "id": "9" })).expect("bare profile parses");
    let feed = map_feed(profile, media);

    assert_eq!(feed.profile.username, "");
    assert_eq!(feed.profile.profile_url, "https://www.instagram.com/");
    let kinds: Vec<_> = feed
        .posts
        .iter()
        .map(|p| (p.id.as_str(), p.kind, p.media.len()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("1", PostKind::Image, 1),
            ("2", PostKind::Video, 1),
            ("3", PostKind::Carousel, 2),
            ("4", PostKind::Carousel, 1),
            ("5", PostKind::Carousel, 1),
            ("6", PostKind::Reel, 1),
        ]
    );
    assert_eq!(
        feed.posts[0].caption, None,
        "the first copy of a duplicate wins"
    );
    assert_eq!(feed.posts[2].media[1].kind, MediaKind::Video);
    assert_eq!(feed.posts[3].media[0].url, Some(cdn("only")));
}

#[test]
fn urls_carrying_tokens_or_odd_schemes_are_dropped() {
    let cases = [
        (cdn("ok"), true),
        ("http://localhost:8080/cdn/a.jpg?sig=1".to_owned(), true),
        (
            "https://x.example/a.jpg?access_token=IGAA".to_owned(),
            false,
        ),
        (
            "https://x.example/a.jpg?ACCESS_TOKEN=IGAA".to_owned(),
            false,
        ),
        (
            "https://x.example/a.jpg?access%5Ftoken=IGAA".to_owned(),
            false,
        ),
        (
            "https://x.example/a.jpg#access_token=IGAA".to_owned(),
            false,
        ),
        ("javascript:alert(1)".to_owned(), false),
        ("data:image/png;base64,AAAA".to_owned(), false),
        ("/relative/a.jpg".to_owned(), false),
        ("not a url".to_owned(), false),
    ];
    for (raw, kept) in cases {
        assert_eq!(safe_url(Some(raw.clone())).is_some(), kept, "{raw}");
    }
    assert_eq!(
        safe_url(Some(cdn("ok"))),
        Some(cdn("ok")),
        "CDN query strings stay untouched"
    );
}

#[test]
fn profile_fields_are_normalised() {
    for (raw, want) in [
        ("Business", Some("business")),
        ("BUSINESS", Some("business")),
        ("Media_Creator", Some("creator")),
        ("MEDIA_CREATOR", Some("creator")),
        ("creator", Some("creator")),
        ("Personal", Some("personal")),
        ("", None),
    ] {
        assert_eq!(account_type(raw).as_deref(), want, "account_type {raw:?}");
    }
    for (raw, want) in [
        ("https://example.com/shop", Some("https://example.com/shop")),
        ("example.com", Some("https://example.com/")),
        (" www.example.com/a ", Some("https://www.example.com/a")),
        ("javascript:alert(1)", None),
        ("https://x.example/?access_token=IGAA", None),
        ("", None),
    ] {
        assert_eq!(website(raw).as_deref(), want, "website {raw:?}");
    }
}

#[test]
fn odd_usernames_do_not_reach_the_profile_url() {
    let profile: wire::Profile =
        serde_json::from_value(json!({ "id": "9", "username": "../admin?x=" }))
            .expect("profile parses");
    let feed = map_feed(profile, Vec::new());
    assert_eq!(feed.profile.username, "../admin?x=");
    assert_eq!(feed.profile.profile_url, "https://www.instagram.com/");
    assert!(feed.posts.is_empty());
}

#[test]
fn only_reels_instagram_calls_unshared_are_recorded() {
    let page: wire::Page<wire::Media> = serde_json::from_value(json!({ "data": [
        { "id": "1", "media_type": "VIDEO", "media_product_type": "REELS",
          "is_shared_to_feed": false },
        { "id": "2", "media_type": "VIDEO", "media_product_type": "REELS",
          "is_shared_to_feed": true },
        { "id": "3", "media_type": "VIDEO", "media_product_type": "REELS" },
        { "id": "4", "media_type": "VIDEO", "permalink": "https://www.instagram.com/reel/C4/",
          "is_shared_to_feed": false },
        { "id": "5", "media_type": "VIDEO", "media_product_type": "FEED",
          "is_shared_to_feed": false },
        { "id": "6", "media_type": "IMAGE", "is_shared_to_feed": false }
    ]}))
    .expect("page parses");
    let unshared: Vec<String> = unshared_reels(&page.data).into_iter().collect();
    assert_eq!(unshared, ["1", "4"], "absent, true and non-reels are shown");
    assert!(unshared_reels(&sample_media()).is_empty());
}
