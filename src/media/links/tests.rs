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

/// An export's links: relative file paths (or under a base), only for images whose rendition
/// is known and only the widths it holds, no videos; `files` names exactly those files.
#[test]
fn export_links_name_the_files_the_export_writes() {
    let settings = crate::config::Settings::load(&Default::default())
        .expect("defaults load")
        .media;
    for prefix in ["", "https://cdn.example/feed/"] {
        let served = links(true).snapshot(sample_feed(), Utc::now());
        let files = MediaLinks::for_files(&settings, prefix);
        let post = served.feed.posts[0].clone();
        let target = |index| Target::Item {
            post: post.id.clone(),
            index,
        };
        let known = Known {
            source_tag: "s".into(),
            version: "abcd".into(),
            width: 1080,
            height: 1350,
            color: None,
            formats: vec![Format::Avif],
            // Made before 480 was configured: the export lists only what it holds.
            sizes: vec![320, 640, 1080],
        };
        files.remember(target(1).key(), known.clone());
        files.remember(
            Target::Profile.key(),
            Known {
                sizes: vec![320],
                width: 150,
                height: 150,
                ..known.clone()
            },
        );
        let mut snapshot = served.clone();
        files.apply(&mut snapshot);
        let feed = &snapshot.feed;
        assert_eq!(
            feed.profile.picture.as_deref(),
            Some(format!("{prefix}media/profile/320.abcd.jpg").as_str())
        );
        let item = &feed.posts[0].media[1];
        let base = format!("{prefix}media/{}/1", post.id);
        assert_eq!(
            item.url.as_deref(),
            Some(format!("{base}/640.abcd.jpg").as_str())
        );
        let listed: Vec<&str> = item.sizes.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(
            listed,
            [
                format!("{base}/320.abcd.jpg"),
                format!("{base}/640.abcd.jpg"),
                format!("{base}/1080.abcd.jpg")
            ]
        );
        assert_eq!(
            item.sources[0].srcset,
            format!(
                "{base}/320.abcd.avif 320w, {base}/640.abcd.avif 640w, {base}/1080.abcd.avif 1080w"
            )
        );
        assert_eq!(item.video_url, None, "an export holds no videos");
        let written: Vec<String> = files
            .files(&target(1), &known)
            .into_iter()
            .map(|f| format!("{prefix}media/{}", f.path))
            .collect();
        let mut named: Vec<String> = listed.iter().map(|u| (*u).to_owned()).collect();
        named.extend(
            item.sources[0]
                .srcset
                .split(", ")
                .map(|c| c.split(' ').next().unwrap_or_default().to_owned()),
        );
        named.sort();
        let mut written_sorted = written.clone();
        written_sorted.sort();
        assert_eq!(written_sorted, named);
        // Images without a known rendition get no URL at all: there is no file to name.
        let other = &feed.posts[0].media[0];
        assert_eq!((other.url.as_ref(), other.sizes.len()), (None, 0));
        assert!(
            links(true).files(&target(1), &known).is_empty(),
            "served links write nothing"
        );
    }
}
