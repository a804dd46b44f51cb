//! `/feed.json` end to end: igfeed with a stored token against the sandbox.

use std::io::Read;
use std::time::Duration;

use igfeed_sandbox::{Mode, TokenKind};
use secrecy::SecretString;

use super::helpers::{TestApp, TestEnv, hours, wait_until};

/// Sandbox + igfeed with a connected account, feed loaded.
async fn connected(interval: &str) -> (TestEnv, TestApp, String) {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__FEED__REFRESH_INTERVAL", interval);
    let (app, token) = env.spawn_connected().await;
    (env, app, token)
}

async fn feed(
    app: &TestApp,
    query: &str,
) -> (
    reqwest::StatusCode,
    reqwest::header::HeaderMap,
    serde_json::Value,
) {
    let response = app.get(&format!("/feed.json{query}")).await;
    let (status, headers) = (response.status(), response.headers().clone());
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, headers, body)
}

#[tokio::test]
async fn the_feed_matches_the_sandbox_posts() {
    let (env, app, token) = connected("15m").await;
    let (status, headers, body) = feed(&app, "").await;
    assert_eq!(status, 200);
    assert!(
        !format!("{headers:?}{body}").contains(&token),
        "the token never leaves"
    );
    let sandbox_posts = env
        .client()
        .media(&SecretString::from(token.clone()), 100)
        .await
        .expect("sandbox media");
    let posts = body["posts"].as_array().expect("posts");
    assert_eq!(posts.len(), sandbox_posts.len());
    for (ours, theirs) in posts.iter().zip(&sandbox_posts) {
        assert_eq!(ours["id"], theirs.id.as_str());
        assert_eq!(
            ours["caption"].as_str(),
            theirs.caption.as_deref(),
            "caption verbatim"
        );
        let children = theirs.children.as_ref().map_or(1, |c| c.data.len());
        assert_eq!(
            ours["media"].as_array().expect("media").len(),
            children,
            "post {}",
            theirs.id
        );
    }
    let kinds: Vec<&str> = posts.iter().filter_map(|p| p["type"].as_str()).collect();
    for kind in ["image", "video", "carousel", "reel"] {
        assert!(kinds.contains(&kind), "a {kind} post in {kinds:?}");
    }
    assert!(
        posts.iter().any(|p| p["caption"].is_null()),
        "the post without caption"
    );
    assert!(
        posts.iter().any(|p| p["type"] != "carousel"
            && p["media"][0]["video_url"].is_null()
            && p["media"][0]["type"] == "video"),
        "the video without media_url is kept"
    );
    assert_eq!(body["stale"], false);
    assert!(
        body["updated_at"]
            .as_str()
            .expect("updated_at")
            .ends_with('Z')
    );
    assert!(body["profile"]["username"].is_string());
    assert_eq!(
        env.sandbox.stats().calls.media_list,
        2,
        "one refresh + this test's own read"
    );
}

#[tokio::test]
async fn a_video_item_has_its_cover_as_thumbnail_url_and_a_picture_none() {
    let (_env, app, _) = connected("15m").await;
    let (status, _, body) = feed(&app, "").await;
    assert_eq!(status, 200);
    let items: Vec<&serde_json::Value> = body["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .flat_map(|p| p["media"].as_array().expect("media"))
        .collect();
    let (mut covers, mut pictures) = (0, 0);
    for item in items {
        match (item["type"].as_str(), item["url"].as_str()) {
            (Some("video"), Some(url)) => {
                assert_eq!(item["thumbnail_url"], url, "{item}");
                assert!(url.starts_with(&format!("{}/media/", app.address)), "{url}");
                covers += 1;
            }
            // Withheld by Instagram: no cover either.
            (Some("video"), None) => assert!(item["thumbnail_url"].is_null(), "{item}"),
            _ => {
                assert!(item["thumbnail_url"].is_null(), "{item}");
                pictures += 1;
            }
        }
    }
    assert!(
        covers > 0 && pictures > 0,
        "{covers} covers, {pictures} pictures"
    );
}

#[tokio::test]
async fn pages_follow_the_next_cursor_and_bad_parameters_are_named() {
    let (env, app, _) = connected("15m").await;
    let mut seen = Vec::new();
    let mut query = "?limit=7".to_owned();
    loop {
        let (status, _, body) = feed(&app, &query).await;
        assert_eq!(status, 200, "{query}");
        let posts = body["posts"].as_array().expect("posts");
        assert!(posts.len() <= 7);
        seen.extend(
            posts
                .iter()
                .map(|p| p["id"].as_str().expect("id").to_owned()),
        );
        match body["next"].as_str() {
            Some(next) => query = format!("?limit=7&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), env.config.post_count, "every post exactly once");
    seen.dedup();
    assert_eq!(seen.len(), env.config.post_count);

    for (bad, name) in [
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?limit=ten", "limit"),
        ("?limit=-1", "limit"),
        ("?limit=%2B5", "limit"),
        ("?limit=", "limit"),
        ("?after=not-a-cursor", "after"),
        ("?after=%00%01", "after"),
    ] {
        let (status, _, body) = feed(&app, bad).await;
        assert_eq!(status, 400, "{bad}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(name), "{bad}: {body}");
    }
}

#[tokio::test]
async fn etags_compression_and_cors() {
    let (_env, app, _) = connected("15m").await;
    let plain = app.get("/feed.json").await;
    let etag = plain.headers()["etag"].to_str().expect("etag").to_owned();
    assert!(etag.starts_with('"'), "strong etag: {etag}");
    let vary = plain.headers()["vary"].to_str().expect("vary").to_owned();
    assert!(
        vary.contains("Accept-Encoding") && vary.contains("Origin"),
        "{vary}"
    );
    let cache = plain.headers()["cache-control"]
        .to_str()
        .expect("cc")
        .to_owned();
    assert!(
        cache.contains("public") && cache.contains("stale-while-revalidate"),
        "{cache}"
    );
    let json = plain.bytes().await.expect("body");

    let not_modified = app
        .http
        .get(format!("{}/feed.json", app.address))
        .header("If-None-Match", &etag)
        .header("Origin", "https://site.example")
        .send()
        .await
        .expect("answers");
    assert_eq!(not_modified.status(), 304);
    assert_eq!(
        not_modified.headers()["access-control-allow-origin"],
        "*",
        "CORS kept on 304"
    );

    let gz = app
        .http
        .get(format!("{}/feed.json", app.address))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("answers");
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let gz_etag = gz.headers()["etag"].to_str().expect("etag").to_owned();
    assert_ne!(gz_etag, etag, "one etag per encoding");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz.bytes().await.expect("body")[..])
        .read_to_end(&mut unzipped)
        .expect("valid gzip");
    assert_eq!(unzipped, json);

    let br = app
        .http
        .get(format!("{}/feed.json", app.address))
        .header("Accept-Encoding", "gzip, br")
        .send()
        .await
        .expect("answers");
    assert_eq!(br.headers()["content-encoding"], "br");

    let preflight = app
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/feed.json", app.address),
        )
        .header("Origin", "https://site.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .expect("answers");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert!(
        preflight
            .headers()
            .contains_key("access-control-allow-methods")
    );
}

#[tokio::test]
async fn before_any_account_is_connected_the_feed_is_503_not_connected() {
    let env = TestEnv::start().await;
    let app = env.spawn_app().await;
    let (status, headers, body) = feed(&app, "").await;
    assert_eq!(status, 503);
    assert!(headers.contains_key("retry-after"));
    assert_eq!(body["error"]["code"], "not-connected");
    assert_eq!(
        env.sandbox.stats().graph_total,
        0,
        "no token, no Instagram call"
    );
}

#[tokio::test]
async fn a_cold_stampede_causes_one_refresh_worth_of_calls() {
    let env = TestEnv::start().await;
    env.store_credentials(hours(1));
    env.sandbox.set_mode(Mode::Slow {
        delay: Duration::from_millis(400),
    });
    let app = env.spawn_app().await;
    let requests = (0..200).map(|_| {
        let (http, url) = (app.http.clone(), format!("{}/feed.json", app.address));
        tokio::spawn(async move { http.get(url).send().await.map(|r| r.status()) })
    });
    let statuses = futures_util::future::join_all(requests).await;
    for status in statuses {
        assert_eq!(status.expect("joined").expect("answered"), 200);
    }
    let calls = env.sandbox.stats().calls;
    assert_eq!(
        (calls.me, calls.media_list),
        (1, 1),
        "one refresh for 200 visitors"
    );
}

#[tokio::test]
async fn an_outage_serves_the_last_feed_as_stale_and_recovers() {
    let (env, app, _) = connected("300ms").await;
    env.sandbox.set_mode(Mode::Outage);
    wait_until("a failed refresh", 10, || async {
        app.account().feed.status().last_error.is_some()
    })
    .await;
    // No visitor has asked yet: the feed is rebuilt and its stale page compressed without one.
    wait_until("the stale page prepared", 10, || async {
        app.default_view()
            .and_then(|view| view.peek(&app.state.accounts))
            .is_some_and(|served| served.stale && served.current.stale_page_ready())
    })
    .await;
    let (status, _, body) = feed(&app, "").await;
    assert_eq!(status, 200);
    assert_eq!(body["stale"], true);
    assert_eq!(
        body["posts"].as_array().map(Vec::len),
        Some(env.config.post_count)
    );
    env.sandbox.set_mode(Mode::Healthy);
    wait_until("a fresh feed again", 10, || async {
        feed(&app, "").await.2["stale"] == false
    })
    .await;
}

/// Visitors never call Instagram while it asked igfeed to wait, even when that wait is
/// longer than the refresh interval.
#[tokio::test]
async fn visitors_cause_no_calls_during_a_rate_limit_wait() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__FEED__REFRESH_INTERVAL", "15m");
    env.sandbox.set_mode(Mode::RateLimited {
        code: 4,
        regain_minutes: 60,
    });
    env.store_credentials(hours(1));
    let app = env.spawn_app().await;
    wait_until("the refresher hit the limit", 10, || async {
        app.account().feed.status().last_error.is_some()
    })
    .await;
    let calls = env.sandbox.stats().graph_total;
    env.advance(Duration::from_secs(20 * 60));
    let (status, _, _) = feed(&app, "").await;
    assert_eq!(status, 503);
    assert_eq!(
        env.sandbox.stats().graph_total,
        calls,
        "20 minutes into a 60-minute wait, a visitor must not call Instagram"
    );
}

/// Without any feed yet and Instagram failing, visitors hear why at once and cause no call,
/// however long after the failure they come: only the refresher's schedule calls Instagram.
#[tokio::test]
async fn visitors_on_a_cold_cache_never_call_instagram_themselves() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__FEED__REFRESH_INTERVAL", "15m");
    env.sandbox.set_mode(Mode::Outage);
    env.store_credentials(hours(1));
    let app = env.spawn_app().await;
    wait_until("the refresher's first load failed", 10, || async {
        app.account().feed.status().last_error.is_some()
    })
    .await;
    let calls = env.sandbox.stats().graph_total;
    env.advance(hours(2));
    let started = std::time::Instant::now();
    for _ in 0..50 {
        let (status, _, body) = feed(&app, "").await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "feed-unavailable");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered at once, not after waiting for a load nobody runs"
    );
    assert_eq!(
        env.sandbox.stats().graph_total,
        calls,
        "50 visitors two hours after the failure made no Instagram call"
    );
}

#[tokio::test]
async fn a_revoked_token_keeps_the_feed_and_stops_instagram_calls() {
    let (env, app, _) = connected("20ms").await;
    env.sandbox.set_mode(Mode::TokenRevoked);
    wait_until("needs reconnect", 10, || async {
        env.stored_credentials().is_some_and(|c| !c.is_active())
    })
    .await;
    let calls_after = env.sandbox.stats().graph_total;
    let refreshes = app.account().feed.status().refreshes;
    wait_until("more refresher cycles", 10, || async {
        app.account().feed.status().refreshes >= refreshes + 3
    })
    .await;
    assert_eq!(
        env.sandbox.stats().graph_total,
        calls_after,
        "no call with a dead token"
    );
    let (status, _, body) = feed(&app, "").await;
    assert_eq!(status, 200, "the last good feed is still served");
    assert_eq!(body["stale"], true);
}

#[tokio::test]
async fn a_restart_serves_the_stored_feed_during_an_outage() {
    let (env, app, _) = connected("15m").await;
    let (_, _, before) = feed(&app, "").await;
    let old_origin = app.address.clone();
    app.stop().await;
    env.sandbox.set_mode(Mode::Outage);
    let app = env.spawn_app().await;
    // Built from the stored snapshot and compressed without a visitor or Instagram.
    wait_until("the stored feed built", 10, || async {
        app.default_view()
            .and_then(|view| view.peek(&app.state.accounts))
            .is_some_and(|served| served.current.default_page_ready())
    })
    .await;
    let (status, _, after) = feed(&app, "").await;
    assert_eq!(status, 200);
    // Image URLs are absolute, and in tests the public URL follows the port of each start.
    let before_posts = before["posts"]
        .to_string()
        .replace(&old_origin, &app.address);
    assert_eq!(after["posts"].to_string(), before_posts);
    assert_eq!(after["updated_at"], before["updated_at"]);
}

#[tokio::test]
async fn a_refreshed_feed_is_served_only_once_its_page_is_compressed() {
    let (_env, app, _) = connected("15m").await;
    let view = app.default_view().expect("the default feed");
    let before = view.peek(&app.state.accounts).expect("built").current;
    app.account().feed.refresh().await.expect("refresh");
    // Whether the feed_views task or this visitor's request builds it, a visitor gets the
    // document of the new snapshot with its page already compressed.
    let served = view.current(&app.state.accounts).await.expect("a feed");
    assert!(served.current.generation() > before.generation());
    assert!(
        served.current.default_page_ready(),
        "compressed before it was served"
    );
}

#[tokio::test]
async fn the_token_is_refreshed_on_schedule_and_persisted() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__TOKEN__CHECK_INTERVAL", "10ms");
    let original = env.store_credentials(Duration::ZERO);
    let app = env.spawn_app().await;
    env.advance(hours(23));
    let checks = app.account().keeper.checks();
    wait_until("three checks", 10, || async {
        app.account().keeper.checks() >= checks + 3
    })
    .await;
    assert_eq!(
        env.sandbox.stats().calls.refresh,
        0,
        "not before 24 h (nor before 7 days)"
    );

    env.advance(hours(24 * 7));
    wait_until("a refresh", 10, || async {
        env.sandbox.stats().calls.refresh == 1
    })
    .await;
    wait_until("the new token on disk", 10, || async {
        env.stored_credentials()
            .is_some_and(|c| secrecy::ExposeSecret::expose_secret(&c.access_token) != original)
    })
    .await;
    let stored = env.stored_credentials().expect("stored");
    env.client()
        .profile(&stored.access_token)
        .await
        .expect("the stored token works");
    let _ = env
        .sandbox
        .issue_token(TokenKind::LongLived, Duration::ZERO);
}

#[tokio::test]
async fn only_configured_origins_are_allowed() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__CORS__ALLOWED_ORIGINS", "https://shop.example");
    env.store_credentials(hours(1));
    let app = env.spawn_app().await;
    wait_until("the first feed", 10, || async { app.has_feed() }).await;
    let ask = |origin: &'static str| {
        app.http
            .get(format!("{}/feed.json", app.address))
            .header("Origin", origin)
            .send()
    };
    let allowed = ask("https://shop.example").await.expect("answers");
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let other = ask("https://evil.example").await.expect("answers");
    assert!(
        !other.headers().contains_key("access-control-allow-origin"),
        "no CORS grant for an unlisted origin"
    );

    let preflight = |origin: &'static str, method: &'static str| {
        app.http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/feed.json", app.address),
            )
            .header("Origin", origin)
            .header("Access-Control-Request-Method", method)
            .send()
    };
    for (origin, method) in [
        ("https://evil.example", "GET"),
        ("https://shop.example", "DELETE"),
    ] {
        let refused = preflight(origin, method).await.expect("answers");
        assert_eq!(refused.status(), 400, "{origin} {method}");
        assert!(
            !refused
                .headers()
                .contains_key("access-control-allow-origin")
        );
        let body: serde_json::Value = refused.json().await.expect("a JSON body");
        assert_eq!(
            body["error"]["code"], "bad-request",
            "{origin} {method}: {body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
}

/// A token refresh (or a reconnect) that lands while a feed fetch is in flight retires the
/// token the fetch uses: its rejection says nothing about the account, so the fetch is made
/// again with the new token instead of failing (found by the 30-minute soak).
#[tokio::test]
async fn a_token_replaced_during_a_fetch_is_used_at_once() {
    let (env, app, _) = connected("1h").await;
    let newest = env.sandbox.add_post();
    env.sandbox.set_mode(Mode::Slow {
        delay: Duration::from_millis(500),
    });
    let me_calls = env.sandbox.stats().calls.me;
    let feed_service = app.account().feed.clone();
    let refresh = tokio::spawn(async move { feed_service.refresh().await.is_ok() });
    // The fetch's /me call has reached Instagram and is being held: replace the token now,
    // as the token keeper does (the old value stops working, the new one is stored).
    wait_until("the fetch's first call", 10, || async {
        env.sandbox.stats().calls.me > me_calls
    })
    .await;
    env.sandbox.revoke_all_tokens();
    let renewed = env
        .sandbox
        .issue_token(TokenKind::LongLived, Duration::from_secs(0));
    app.account()
        .credentials
        .update(|c| c.access_token = SecretString::from(renewed))
        .expect("stored");
    assert!(
        refresh.await.expect("joined"),
        "the fetch succeeded with the new token"
    );
    let (_, _, body) = feed(&app, "").await;
    assert_eq!(body["posts"][0]["id"], newest, "the new post is served");
    assert_eq!(body["stale"], false);
    assert!(
        env.stored_credentials().is_some_and(|c| c.is_active()),
        "the account is not marked for reconnecting"
    );
    app.stop().await;
}
