//! Graph reads against the sandbox: profile shapes, the media list and its quirks.

use igfeed::clock::SharedClock;
use igfeed::feed::domain::PostKind;
use igfeed::instagram::MediaType;
use igfeed_sandbox::{BodyShape, SECOND_USERNAME, TokenKind};
use secrecy::SecretString;

use super::helpers::{TestEnv, hours};

fn long_lived(env: &TestEnv) -> SecretString {
    SecretString::from(env.sandbox.issue_token(TokenKind::LongLived, hours(0)))
}

#[tokio::test]
async fn profile_reads_in_every_body_shape() {
    for shape in [
        BodyShape::Wrapped,
        BodyShape::Flat,
        BodyShape::FlatNumericIds,
    ] {
        let env = TestEnv::start().await;
        env.sandbox.set_shape(shape);
        let profile = env
            .client()
            .profile(&long_lived(&env))
            .await
            .unwrap_or_else(|e| panic!("{shape:?}: {e}"));
        let (id, user_id) = env.sandbox.account_ids();
        assert_eq!(profile.id, id, "{shape:?}");
        assert_eq!(
            profile.user_id.as_deref(),
            Some(user_id.as_str()),
            "{shape:?}"
        );
        assert!(profile.username.is_some(), "{shape:?}");
        let kind = profile.account_type.unwrap_or_default().to_lowercase();
        assert!(kind == "business" || kind == "media_creator", "{kind}");
        assert!(profile.profile_picture_url.is_some());
    }
}

#[tokio::test]
async fn media_list_has_every_post_with_quirks_intact() {
    let env = TestEnv::start().await;
    let posts = env
        .client()
        .media(&long_lived(&env), 50)
        .await
        .expect("media");
    assert_eq!(posts.len(), env.config.post_count, "all posts fetched");
    let stamps: Vec<_> = posts
        .iter()
        .map(|p| p.timestamp.expect("timestamp parsed"))
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] >= w[1]), "newest first");

    let carousels: Vec<_> = posts
        .iter()
        .filter(|p| p.media_type == Some(MediaType::CarouselAlbum))
        .collect();
    assert!(!carousels.is_empty(), "sandbox has carousels");
    for c in carousels {
        let n = c.children.as_ref().map(|ch| ch.data.len()).unwrap_or(0);
        assert!((2..=5).contains(&n), "carousel {} has {n} children", c.id);
    }
    assert!(
        posts
            .iter()
            .any(|p| p.media_type == Some(MediaType::Video) && p.media_url.is_none()),
        "a video without media_url (licensed music) is kept"
    );
    assert!(
        posts.iter().any(|p| p.caption.is_none()),
        "a post without caption"
    );
    assert!(
        posts
            .iter()
            .any(|p| p.media_product_type.as_deref() == Some("REELS")
                && p.permalink
                    .as_deref()
                    .unwrap_or_default()
                    .contains("/reel/")),
        "a reel"
    );
    assert!(posts.iter().any(|p| {
        p.caption
            .as_deref()
            .unwrap_or_default()
            .contains("<script>")
    }));
}

#[tokio::test]
async fn max_posts_limits_what_is_fetched() {
    let env = TestEnv::start().await;
    let posts = env
        .client()
        .media(&long_lived(&env), 5)
        .await
        .expect("media");
    assert_eq!(posts.len(), 5);
    assert_eq!(
        env.sandbox.stats().calls.media_list,
        1,
        "one page is enough"
    );
}

#[tokio::test]
async fn a_single_media_item_can_be_reread() {
    let env = TestEnv::start().await;
    let client = env.client();
    let token = long_lived(&env);
    let posts = client.media(&token, 3).await.expect("media");
    let item = client
        .media_item(&token, &posts[0].id, "id,media_url,thumbnail_url")
        .await
        .expect("media item");
    assert_eq!(item.id, posts[0].id);
    let err = client
        .media_item(&token, "../me", "id")
        .await
        .expect_err("non-numeric ids never reach a URL");
    assert!(err.to_string().contains("numeric"), "{err}");
}

#[tokio::test]
async fn a_snapshot_names_the_reels_instagram_left_off_the_profile_grid() {
    let env = TestEnv::start().await;
    let settings = env.settings();
    let links =
        igfeed::media::MediaLinks::new(&settings.media, &settings.public_url(settings.server.port));
    let clock: SharedClock = env.clock.clone();
    let client = env.client();
    // harness.cafe: its 8th newest reel went to the Reels tab only, its 9th is a trial reel.
    let cases: [(&str, &[&str]); 2] = [
        (SECOND_USERNAME, &["17900010090008072", "17900010090009081"]),
        ("sandbox.studio", &[]),
    ];
    for (username, want) in cases {
        let token = env
            .sandbox
            .issue_token_for(username, TokenKind::LongLived, hours(0))
            .map(SecretString::from)
            .expect("a sandbox account");
        let snapshot = igfeed::feed::fetch_snapshot(&client, &token, 50, &links, &clock)
            .await
            .expect("snapshot");
        assert_eq!(snapshot.feed.profile.username, username);
        let unshared: Vec<&str> = snapshot.unshared_reels.iter().map(String::as_str).collect();
        assert_eq!(unshared, want, "{username}");
        for id in want {
            let post = snapshot.feed.posts.iter().find(|p| p.id == *id);
            assert_eq!(
                post.map(|p| p.kind),
                Some(PostKind::Reel),
                "{id} is in the feed"
            );
        }
        let stored = serde_json::to_string(&snapshot).expect("serialises");
        let feed_only = serde_json::to_string(&snapshot.feed).expect("serialises");
        assert!(stored.contains("unshared_reels") && !feed_only.contains("unshared_reels"));
    }
}
