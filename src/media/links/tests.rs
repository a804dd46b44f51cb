//! Links in /feed.json: igfeed URLs only, pending until the original is known, then sizes.

use chrono::Utc;

use super::*;
use crate::feed::mapping::tests::sample_feed;

fn links(proxy_video: bool) -> MediaLinks {
    let mut settings = crate::config::Settings::load(&Default::default())
        .expect("defaults load")
        .media;
    settings.proxy_video = proxy_video;
    MediaLinks::new(
        &settings,
        &url::Url::parse("https://feed.example.com/").expect("URL"),
    )
}

#[test]
fn no_cdn_url_reaches_the_public_fields() {
    let snapshot = links(false).snapshot(sample_feed(), Utc::now());
    let text = serde_json::to_string(&snapshot.feed).expect("serialises");
    assert!(!text.contains("cdninstagram"), "{text}");
    assert!(snapshot.sources.profile_picture.is_some());
    let picture = snapshot.feed.profile.picture.expect("picture");
    assert!(
        picture.starts_with("https://feed.example.com/media/profile/320?v=s"),
        "{picture}"
    );
    for item in snapshot.feed.posts.iter().flat_map(|p| &p.media) {
        match item.kind {
            MediaKind::Video => assert_eq!(item.thumbnail_url, item.url, "a video's cover"),
            MediaKind::Image => assert_eq!(item.thumbnail_url, None),
        }
        assert_eq!(item.video_url, None, "videos are not proxied by default");
        if let Some(url) = &item.url {
            assert!(url.starts_with("https://feed.example.com/media/"), "{url}");
            assert!(url.contains("/640?v="), "{url}");
            assert!(item.sizes.is_empty() && item.width.is_none());
        }
    }
}

#[test]
fn known_originals_fill_sizes_and_versions() {
    let links = links(true);
    let mut snapshot = links.snapshot(sample_feed(), Utc::now());
    let post = snapshot.feed.posts[0].clone();
    let target = Target::Item {
        post: post.id.clone(),
        index: 1,
    };
    links.remember(
        target.key(),
        Known {
            source_tag: "s".into(),
            version: "abcd".into(),
            width: 1080,
            height: 1350,
            color: Some("#123456".into()),
            formats: vec![Format::Avif],
            sizes: vec![320, 480, 640, 1080],
        },
    );
    links.apply(&mut snapshot);
    let item = &snapshot.feed.posts[0].media[1];
    assert_eq!(item.color.as_deref(), Some("#123456"));
    assert_eq!(item.sources.len(), 1);
    assert_eq!(item.sources[0].mime, "image/avif");
    let base = format!("https://feed.example.com/media/{}/1", post.id);
    assert_eq!(
        item.url.as_deref(),
        Some(format!("{base}/640?v=abcd").as_str())
    );
    assert_eq!((item.width, item.height), (Some(640), Some(800)));
    let sizes: Vec<(u32, u32)> = item.sizes.iter().map(|s| (s.width, s.height)).collect();
    assert_eq!(sizes, [(320, 400), (480, 600), (640, 800), (1080, 1350)]);
    assert_eq!(item.sizes[3].url, format!("{base}/1080?v=abcd"));
    assert_eq!(
        item.sources[0].srcset,
        format!(
            "{base}/320.avif?v=abcd 320w, {base}/480.avif?v=abcd 480w, {base}/640.avif?v=abcd 640w, {base}/1080.avif?v=abcd 1080w"
        )
    );
    if snapshot.sources.items[&item.id].video.is_some() {
        assert!(
            item.video_url
                .as_deref()
                .is_some_and(|u| u.starts_with(&format!("{base}/video?v=")))
        );
    }
    // A second apply changes nothing: republishing is idempotent.
    let again = snapshot.clone();
    links.apply(&mut snapshot);
    assert_eq!(snapshot, again);
}

#[test]
fn an_old_snapshot_is_restored_with_igfeed_links() {
    let links = links(false);
    let mut old = Snapshot {
        feed: sample_feed(),
        fetched_at: Utc::now(),
        sources: Default::default(),
        unshared_reels: Default::default(),
    };
    links.restore(&mut old);
    assert!(!old.sources.is_empty());
    let text = serde_json::to_string(&old.feed).expect("serialises");
    assert!(!text.contains("cdninstagram"));
}
