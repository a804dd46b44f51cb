//! CDN URLs expire after days: visitors keep getting images, the refresher renews the URLs,
//! and no visitor ever causes a Graph call of their own.

use std::time::Duration;

use igfeed_sandbox::Mode;

use super::{feed, image_urls, items, load};
use crate::helpers::TestEnv;

const DAY: u64 = 24 * 3600;

#[tokio::test]
async fn expired_urls_are_renewed_by_the_refresher_without_broken_answers() {
    let mut env = TestEnv::start().await;
    // The refresher judges its schedule by the wall clock, so a jump of days past the
    // interval brings a refresh, which renews every URL at once: this test is about single
    // URLs renewed between refreshes, so none comes due within the jump.
    env.set("IGFEED__FEED__REFRESH_INTERVAL", "30d");
    let (app, _) = env.spawn_connected().await;
    let urls = image_urls(&app).await;
    let (cached, fresh) = (&urls[0], &urls[1]);
    assert_eq!(load(&app, cached).await.0, 200);
    env.advance(Duration::from_secs(6 * DAY));
    env.sandbox.reset_stats();
    // Cached bytes need no CDN and no Graph call.
    let (status, kind, _) = load(&app, cached).await;
    assert_eq!((status, kind.as_str()), (200, "image/jpeg"));
    // Never downloaded, URL expired: the refresher renews it while the visitor waits.
    for _ in 0..5 {
        let (status, kind, _) = load(&app, fresh).await;
        assert_eq!((status, kind.as_str()), (200, "image/jpeg"), "{fresh}");
    }
    let calls = env.sandbox.stats().calls;
    assert_eq!(
        calls.media_item, 1,
        "one renewal for one media, however often it was asked for"
    );
    assert_eq!(
        (calls.me, calls.media_list),
        (0, 0),
        "no refresh was caused"
    );
    assert_eq!(
        calls.cdn, 1,
        "the expired URL was not even tried; the renewed one once"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_cdn_refusing_everything_gives_cached_bytes_or_a_json_503() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    let urls = image_urls(&app).await;
    assert_eq!(load(&app, &urls[0]).await.0, 200);
    env.sandbox.set_mode(Mode::CdnExpired);
    env.sandbox.reset_stats();
    assert_eq!(
        load(&app, &urls[0]).await.0,
        200,
        "cached bytes keep being served"
    );
    let response = app.http.get(&urls[1]).send().await.expect("answers");
    assert_eq!(response.status(), 503);
    assert!(response.headers().get("retry-after").is_some());
    let body: serde_json::Value = response.json().await.expect("JSON, not a broken image");
    assert_eq!(body["error"]["code"], "media-renewing");
    // Renewed once (the new URL is refused too); asking again causes no more Graph calls.
    for _ in 0..3 {
        assert_eq!(load(&app, &urls[1]).await.0, 503);
    }
    assert_eq!(env.sandbox.stats().calls.media_item, 1);
    app.stop().await;
}

/// The "done when": an empty media cache and every CDN URL a week old.
#[tokio::test]
async fn a_week_later_every_image_in_the_feed_still_loads() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__FEED__MAX_POSTS", "12");
    // No refresh due within the week (see above): every URL must be renewed one by one.
    env.set("IGFEED__FEED__REFRESH_INTERVAL", "30d");
    let (app, _) = env.spawn_connected().await;
    env.advance(Duration::from_secs(7 * DAY));
    env.sandbox.reset_stats();
    let feed = feed(&app).await;
    let mut urls: Vec<String> = items(&feed)
        .iter()
        .filter_map(|m| m["url"].as_str().map(str::to_owned))
        .collect();
    urls.push(
        feed["profile"]["picture"]
            .as_str()
            .expect("picture")
            .to_owned(),
    );
    assert!(urls.len() > 12, "{} images", urls.len());
    for url in &urls {
        let (status, kind, _) = load(&app, url).await;
        assert_eq!((status, kind.as_str()), (200, "image/jpeg"), "{url}");
    }
    let calls = env.sandbox.stats().calls;
    assert_eq!(calls.media_list, 0, "no feed refresh was needed");
    assert!(
        calls.media_item < urls.len() as u64,
        "at most one renewal per media"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_dead_token_found_while_renewing_urls_asks_the_owner_to_reconnect() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    let urls = image_urls(&app).await;
    env.advance(Duration::from_secs(6 * DAY));
    env.sandbox.set_mode(Mode::TokenRevoked);
    let (status, _, _) = load(&app, &urls[1]).await;
    assert_ne!(status, 500, "{}", urls[1]);
    crate::helpers::wait_until("needs reconnect", 10, || async {
        env.stored_credentials().is_some_and(|c| !c.is_active())
    })
    .await;
    app.stop().await;
}
