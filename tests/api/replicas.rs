//! Several `igfeed serve` replicas sharing one real Redis (`storage.backend = "redis"`):
//! they behave as one igfeed from outside.

use std::time::Duration;

use igfeed_sandbox::SECOND_USERNAME;
use serde_json::Value;

use crate::helpers::{TestApp, TestEnv, hours, wait_until};

async fn feed(app: &TestApp, query: &str) -> (u16, Value) {
    let response = app.get(&format!("/feed.json{query}")).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The admin API's token in these tests.
const TOKEN: &str = "api-token-0123456789abcdef0123456789";

/// Two replicas on one Redis (refresher lease `lease_ttl`) with the admin API on, `settings`
/// set, and an account connected with a token issued `age` ago, both serving its feed; the
/// second replica's local directory is the last value.
async fn two_serving(
    lease_ttl: &str,
    age: Duration,
    settings: &[(&str, &str)],
) -> (TestEnv, TestApp, TestApp, tempfile::TempDir) {
    let mut env = TestEnv::start().await;
    env.use_redis(lease_ttl);
    env.set("IGFEED__ADMIN__API_TOKEN", TOKEN);
    for (key, value) in settings {
        env.set(key, value);
    }
    env.store_credentials(age);
    let first = env.spawn_app().await;
    let (second, local) = env.spawn_replica().await;
    for app in [&first, &second] {
        wait_until("both replicas serve the feed", 10, || async {
            app.has_feed()
        })
        .await;
    }
    (env, first, second, local)
}

/// `PUT /api/v1/feeds/{name}` with `body` on `app`; the status.
async fn put_feed(app: &TestApp, name: &str, body: Value) -> u16 {
    app.http
        .put(format!("{}/api/v1/feeds/{name}", app.address))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .expect("the API answers")
        .status()
        .as_u16()
}

fn posts(feed: &Value) -> usize {
    feed["posts"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_connected_on_one_replica_is_served_by_the_other() {
    let mut env = TestEnv::start().await;
    env.use_redis("1s");
    let first = env.spawn_app().await;
    let (second, _local) = env.spawn_replica().await;
    assert_eq!(feed(&second, "").await.0, 503, "nothing connected yet");

    let (account, _) = env.connect_other(&first, SECOND_USERNAME, hours(1)).await;
    let name = account.feed_name();
    wait_until(
        "the other replica serves the new account's feed",
        10,
        || async {
            let (status, body) = feed(&second, &format!("?feed={name}")).await;
            status == 200 && posts(&body) > 0
        },
    )
    .await;
    // The first account connected is the default on both.
    let (status, body) = feed(&second, "").await;
    assert_eq!(status, 200);
    assert_eq!(body["profile"]["username"], SECOND_USERNAME);
    let ids = |feed: &Value| -> Vec<Value> {
        feed["posts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p["id"].clone())
            .collect()
    };
    assert_eq!(ids(&feed(&first, "").await.1), ids(&body), "the same posts");

    // Exactly one replica holds the refresher lease.
    let holders = [&first, &second]
        .iter()
        .filter(|app| *app.state.refresher_lease.borrow())
        .count();
    assert_eq!(holders, 1, "one lease holder");

    // A disconnect on the replica that did not connect it takes effect on both.
    let gone = second
        .state
        .accounts
        .disconnect(account.id())
        .await
        .expect("disconnects");
    assert!(gone.is_some());
    // Normally milliseconds; 35 s covers the 30-s resync, which once (CI under load) was
    // what let the account go: a race between the disconnect and the follower's read,
    // not yet understood (see the #18 closing note).
    wait_until("the first replica lets the account go", 35, || async {
        feed(&first, &format!("?feed={name}")).await.0 == 404
    })
    .await;
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_refreshing_one_token_make_one_call_and_keep_one_token() {
    // Two days old: Instagram refreshes it, once.
    let (env, first, second, _local) = two_serving("1s", hours(48), &[]).await;
    let before = env
        .stored_credentials()
        .map(|c| secrecy::ExposeSecret::expose_secret(&c.access_token).to_owned())
        .expect("stored");
    env.sandbox.reset_stats();

    // The owner presses "Refresh token" on both at once.
    let (one, other) = (first.account(), second.account());
    let (a, b) = tokio::join!(one.keeper.refresh(), other.keeper.refresh());
    let refreshed = [&a, &b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(
        refreshed, 1,
        "one refresh succeeds, the other finds a fresh token: {a:?} {b:?}"
    );
    assert_eq!(
        env.sandbox.stats().calls.refresh,
        1,
        "one call to Instagram"
    );

    let stored = env.stored_credentials().expect("stored");
    let token = |app: &TestApp| {
        app.account()
            .credentials
            .current()
            .map(|c| secrecy::ExposeSecret::expose_secret(&c.access_token).to_owned())
    };
    let stored = secrecy::ExposeSecret::expose_secret(&stored.access_token).to_owned();
    assert_ne!(stored, before, "the token was replaced");
    assert_eq!(token(&first).as_deref(), Some(stored.as_str()));
    wait_until("the other replica holds the new token too", 10, || async {
        token(&second).as_deref() == Some(stored.as_str())
    })
    .await;
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_seen_by_two_replicas_calls_the_feeds_hook_once() {
    let (env, first, second, _local) = two_serving(
        "1s",
        hours(1),
        &[
            ("IGFEED__HOOKS__DEBOUNCE", "100ms"),
            ("IGFEED__ADMIN__PASSWORD", crate::connect::PASSWORD),
        ],
    )
    .await;
    let receiver = crate::receiver::Receiver::start(0).await;
    let name = first.account().feed_name();
    // Saved on one replica; the hook belongs to the feed on both.
    let hook =
        serde_json::json!({"hooks": [{"url": receiver.url, "secret": "hook-secret-0123456789"}]});
    assert_eq!(put_feed(&second, &name, hook).await, 200);

    let id = env.sandbox.add_post();
    for app in [&first, &second] {
        app.account().trigger.refresh_soon();
    }
    for app in [&first, &second] {
        wait_until("both replicas serve the new post", 10, || async {
            let (_, body) = feed(app, "").await;
            body["posts"][0]["id"] == id.as_str()
        })
        .await;
    }
    wait_until("the hook is called", 10, || async {
        !receiver.received().is_empty()
    })
    .await;
    // Both replicas built the change; the lease holder alone announces it.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_eq!(bodies[0]["added"], serde_json::json!([id]));
    // The call is listed in the feed's editor on both replicas, not only on the holder.
    for app in [&first, &second] {
        let owner = crate::connect::Admin::login(&env, app).await;
        wait_until("the call listed on both replicas", 10, || async {
            let page = owner
                .get(&format!("/admin/feeds/{name}"))
                .await
                .text()
                .await
                .unwrap_or_default();
            page.contains("Last calls") && page.contains("204 No Content")
        })
        .await;
    }
    first.stop().await;
    second.stop().await;
}

/// Whether the cookie header `cookies` opens the admin page of the replica at `base`.
async fn opens_admin(base: &str, cookies: &str) -> bool {
    let response = reqwest::Client::new()
        .get(format!("{base}/admin"))
        .header(reqwest::header::COOKIE, cookies)
        .send()
        .await
        .expect("admin answers");
    response.status() == 200
        && response
            .text()
            .await
            .is_ok_and(|page| page.contains("csrf_token"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_and_a_connect_split_across_replicas_work_as_on_one() {
    use reqwest::cookie::CookieStore as _;

    let mut env = TestEnv::start().await;
    env.use_redis("1s");
    env.set("IGFEED__ADMIN__PASSWORD", crate::connect::PASSWORD);
    let first = env.spawn_app().await;
    let (second, _local) = env.spawn_replica().await;

    // A browser logged in on the first replica, the same cookies sent to the second.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = http
        .post(format!("{}/admin/login", first.address))
        .form(&[("password", crate::connect::PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 303);
    let origin = url::Url::parse(&first.address).expect("url");
    let cookies = jar.cookies(&origin).expect("a session cookie");
    let cookies = cookies.to_str().expect("ascii").to_owned();
    wait_until("the login opens the other replica", 5, || async {
        opens_admin(&second.address, &cookies).await
    })
    .await;

    // Connect clicked on the first; Instagram's redirect lands on the second.
    let on_first = crate::connect::Admin {
        http: http.clone(),
        base: first.address.clone(),
    };
    let on_second = crate::connect::Admin {
        http,
        base: second.address.clone(),
    };
    let authorize = on_first.click_connect().await;
    let redirect = crate::consent::decide(&authorize, "Allow").await;
    let done = on_second.follow_callback(&redirect).await;
    assert_eq!(done.status(), 303, "{:?}", done.text().await);
    for app in [&first, &second] {
        wait_until("both replicas serve the connected feed", 10, || async {
            let (status, body) = feed(app, "").await;
            status == 200 && posts(&body) > 0
        })
        .await;
    }

    // Logged out on the second: the first refuses the same cookies from then on.
    assert!(opens_admin(&first.address, &cookies).await);
    let csrf = on_second.csrf().await;
    let out = on_second.post("/admin/logout", &csrf).await;
    assert_eq!(out.status(), 303);
    assert!(!opens_admin(&second.address, &cookies).await);
    wait_until("the logout closes the other replica", 5, || async {
        !opens_admin(&first.address, &cookies).await
    })
    .await;
    first.stop().await;
    second.stop().await;
}

/// `/readyz`'s storage details.
async fn storage_state(app: &TestApp) -> Value {
    let body: Value = app.get("/readyz").await.json().await.expect("JSON");
    body["storage"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redis_outage_leaves_serving_alone_says_degraded_and_is_caught_up_after() {
    let (mut env, first, second, _local) = two_serving("900ms", hours(1), &[]).await;
    for app in [&first, &second] {
        let storage = storage_state(app).await;
        assert_eq!(
            (storage["backend"].as_str(), storage["state"].as_str()),
            (Some("redis"), Some("ok"))
        );
    }
    let holders = [&first, &second]
        .iter()
        .filter(|app| storage_state_sync(app))
        .count();
    assert_eq!(holders, 1, "one replica says it holds the refresher lease");

    env.redis.as_mut().expect("redis").kill();
    for app in [&first, &second] {
        wait_until("readyz says degraded", 10, || async {
            storage_state(app).await["state"] == "degraded"
        })
        .await;
        let (status, body) = feed(app, "").await;
        assert_eq!(status, 200, "served from memory during the outage");
        assert!(posts(&body) > 0);
    }

    env.redis.as_mut().expect("redis").restart();
    for app in [&first, &second] {
        wait_until("readyz says ok again", 10, || async {
            storage_state(app).await["state"] == "ok"
        })
        .await;
    }
    // A change made after the outage reaches the other replica (its subscription is back).
    let body = serde_json::json!({"accounts": [first.account().feed_name()]});
    assert_eq!(put_feed(&first, "after-outage", body).await, 201);
    wait_until("the other replica serves the new feed", 10, || async {
        feed(&second, "?feed=after-outage").await.0 == 200
    })
    .await;
    first.stop().await;
    second.stop().await;
}

/// Whether `app` says it holds the refresher lease.
fn storage_state_sync(app: &TestApp) -> bool {
    *app.state.refresher_lease.borrow()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_meta_callback_is_acted_on_once_whichever_replica_receives_it() {
    use crate::meta_callbacks::{payload_at, post, sign_with};
    use igfeed::clock::Clock as _;

    let mut env = TestEnv::start().await;
    env.use_redis("1s");
    let first = env.spawn_app().await;
    let (second, _local) = env.spawn_replica().await;
    let now = env.clock.now().timestamp();
    let request = |user: &str, at: i64| sign_with(&env.config.app_secret, &payload_at(user, at));
    let code = |body: Value| {
        body["confirmation_code"]
            .as_str()
            .expect("a code")
            .to_owned()
    };

    // The same request delivered to both replicas (Meta retrying elsewhere) is acted on once.
    let once = request("17841400000000091", now);
    let acted = post(&first, "/instagram/data-deletion", &once).await;
    assert_eq!(acted.status(), 200);
    let first_code = code(acted.json().await.expect("JSON"));
    let again = post(&second, "/instagram/data-deletion", &once).await;
    assert_eq!(again.status(), 409, "{:?}", again.text().await);

    // Two requests recorded on two replicas at once both land in the shared log, and each
    // status page works on either replica.
    let (one, other) = (
        request("17841400000000092", now - 1),
        request("17841400000000093", now - 2),
    );
    let (a, b) = tokio::join!(
        post(&first, "/instagram/data-deletion", &one),
        post(&second, "/instagram/data-deletion", &other),
    );
    let codes = [
        first_code,
        code(a.json().await.expect("JSON")),
        code(b.json().await.expect("JSON")),
    ];
    for app in [&first, &second] {
        for code in &codes {
            let page = app.get(&format!("/instagram/data-deletion/{code}")).await;
            assert_eq!(page.status(), 200, "{code} on {}", app.address);
        }
    }
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_passwords_spread_over_replicas_meet_one_limit() {
    use igfeed::clock::Clock as _;

    let mut env = TestEnv::start().await;
    env.use_redis("1s");
    env.set("IGFEED__ADMIN__PASSWORD", crate::connect::PASSWORD);
    env.set("IGFEED__ADMIN__LOGIN_ATTEMPTS_PER_MINUTE", "3");
    // Attempts are counted per minute: start well inside one.
    let second_of_minute = env.clock.now().timestamp().rem_euclid(60);
    if second_of_minute > 40 {
        env.advance(Duration::from_secs((61 - second_of_minute).unsigned_abs()));
    }
    let first = env.spawn_app().await;
    let (second, _local) = env.spawn_replica().await;
    let attempt = |app: &TestApp, password: &str| {
        app.http
            .post(format!("{}/admin/login", app.address))
            .form(&[("password", password)])
            .send()
    };
    // Three wrong guesses, alternating: each replica alone has seen fewer than its limit.
    for (i, app) in [&first, &second, &first].into_iter().enumerate() {
        let response = attempt(app, "wrong guess").await.expect("answers");
        assert_eq!(response.status(), 401, "guess {i}");
    }
    // The fourth is refused wherever it lands, even with the right password.
    for app in [&second, &first] {
        let response = attempt(app, crate::connect::PASSWORD)
            .await
            .expect("answers");
        assert_eq!(response.status(), 429, "refused on {}", app.address);
        assert!(response.headers().contains_key("retry-after"));
    }
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn feeds_saved_on_two_replicas_at_once_both_stay() {
    let (_env, first, second, _local) = two_serving("1s", hours(1), &[]).await;
    let body = serde_json::json!({"accounts": [first.account().feed_name()]});
    // Several rounds: each pair lands on the two replicas at the same moment.
    for round in 0..5 {
        let (a, b) = (format!("a{round}"), format!("b{round}"));
        let statuses = tokio::join!(
            put_feed(&first, &a, body.clone()),
            put_feed(&second, &b, body.clone())
        );
        assert_eq!(statuses, (201, 201));
    }
    for app in [&first, &second] {
        wait_until(
            "every feed saved on either replica is there",
            10,
            || async {
                (0..5).all(|round| {
                    let names = app.state.feeds.names();
                    names.contains(&format!("a{round}")) && names.contains(&format!("b{round}"))
                })
            },
        )
        .await;
    }
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_whose_cdn_url_expired_loads_from_a_replica_without_the_lease() {
    // No refresh due within the week: the URLs must be renewed one by one, by the holder.
    let (env, first, second, _local) = two_serving(
        "1s",
        hours(1),
        &[
            ("IGFEED__FEED__MAX_POSTS", "4"),
            ("IGFEED__FEED__REFRESH_INTERVAL", "30d"),
        ],
    )
    .await;
    let holder_is_first = *first.state.refresher_lease.borrow();
    let (holder, other) = if holder_is_first {
        (&first, &second)
    } else {
        (&second, &first)
    };
    assert!(*holder.state.refresher_lease.borrow() && !*other.state.refresher_lease.borrow());
    env.advance(Duration::from_secs(7 * 24 * 3600));
    env.sandbox.reset_stats();
    let urls = crate::media::image_urls(other).await;
    assert!(!urls.is_empty());
    for url in &urls {
        let (status, kind, _) = crate::media::load(other, url).await;
        assert_eq!((status, kind.as_str()), (200, "image/jpeg"), "{url}");
    }
    let calls = env.sandbox.stats().calls;
    assert_eq!(calls.media_list, 0, "no feed refresh was needed");
    assert!(calls.media_item > 0, "the holder renewed the URLs");
    first.stop().await;
    second.stop().await;
}

/// A replica (re)started while Redis is down serves what it last knew from its local copy,
/// says `degraded`, and catches up (taking the lease, refreshing) once Redis is back.
#[tokio::test(flavor = "multi_thread")]
async fn a_replica_started_during_a_redis_outage_serves_its_local_copy_and_catches_up() {
    let mut env = TestEnv::start().await;
    env.use_redis("900ms");
    env.store_credentials(hours(1));
    let app = env.spawn_app().await;
    wait_until("the feed served", 10, || async { app.has_feed() }).await;
    let copy = env.settings().storage.dir.join("redis-copy");
    wait_until("a whole local copy made", 10, || async {
        copy.join(".copy-of").is_file()
    })
    .await;
    let (_, before) = feed(&app, "").await;
    app.stop().await;

    env.redis.as_mut().expect("redis").kill();
    let app = env.spawn_app().await;
    let (status, body) = feed(&app, "").await;
    assert_eq!(status, 200, "served from the local copy: {body}");
    let ids = |feed: &Value| -> Vec<String> {
        feed["posts"]
            .as_array()
            .map(|posts| posts.iter().map(|p| p["id"].to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(ids(&body), ids(&before), "the same posts");
    assert!(!ids(&before).is_empty());
    let storage = storage_state(&app).await;
    assert_eq!(storage["state"], "degraded", "{storage}");
    assert_eq!(storage["refresher"], false, "no lease without Redis");

    env.redis.as_mut().expect("redis").restart();
    wait_until("the lease taken once Redis is back", 10, || async {
        storage_state(&app).await["refresher"] == true
    })
    .await;
    let id = env.sandbox.add_post();
    app.account().trigger.refresh_soon();
    wait_until("the new post served", 10, || async {
        feed(&app, "").await.1["posts"][0]["id"] == id.as_str()
    })
    .await;
    assert_eq!(storage_state(&app).await["state"], "ok");
    app.stop().await;
}
