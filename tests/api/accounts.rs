//! Several Instagram accounts on one igfeed, over HTTP: each connected through the consent
//! page's choice, each with its own feed (`?feed=`), reconnecting never makes twins,
//! disconnecting or a Meta callback removes exactly one account, and the limit holds.

use igfeed_sandbox::{SECOND_USERNAME, TokenKind};
use reqwest::StatusCode;
use serde_json::Value;

use super::connect::{Admin, PASSWORD};
use super::consent::decide_as;
use super::helpers::{TestApp, TestEnv, hours, wait_until};

const FIRST: &str = "sandbox.studio";

async fn setup() -> (TestEnv, TestApp) {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__ADMIN__PASSWORD", PASSWORD);
    env.set(
        "IGFEED__ADMIN__API_TOKEN",
        "api-token-0123456789abcdef0123456789",
    );
    let app = env.spawn_app().await;
    (env, app)
}

/// Clicks Connect (or "Connect another account": the same form) and approves as `account`.
async fn connect_as(admin: &Admin, account: &str) -> reqwest::Response {
    let authorize = admin.click_connect().await;
    let redirect = decide_as(&authorize, "Allow", Some(account)).await;
    admin.follow_callback(&redirect).await
}

async fn json(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn api_accounts(app: &TestApp) -> Vec<Value> {
    let response = app
        .http
        .get(format!("{}/api/v1/accounts", app.address))
        .bearer_auth("api-token-0123456789abcdef0123456789")
        .send()
        .await
        .expect("api answers");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    body["accounts"].as_array().expect("a list").clone()
}

/// Waits until both feeds are served.
async fn both_feeds(app: &TestApp) {
    wait_until("both feeds", 15, || async {
        let accounts = app.state.accounts.accounts();
        accounts.len() == 2 && accounts.iter().all(|a| a.feed.peek().is_some())
    })
    .await;
}

/// igfeed with both sandbox accounts connected from `/admin` (the first is the default),
/// their feeds served, and the logged-in admin browser.
async fn two_connected() -> (TestEnv, TestApp, Admin) {
    let (env, app) = setup().await;
    let admin = Admin::login(&env, &app).await;
    connect_as(&admin, FIRST).await;
    connect_as(&admin, SECOND_USERNAME).await;
    both_feeds(&app).await;
    (env, app, admin)
}

fn usernames(feed: &Value) -> String {
    feed["profile"]["username"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn two_accounts_connect_from_admin_and_each_has_its_own_feed() {
    let (env, app) = setup().await;
    let admin = Admin::login(&env, &app).await;
    assert!(admin.page().await.contains("Connect Instagram"));
    let done = connect_as(&admin, FIRST).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let page = admin.page().await;
    assert!(page.contains("Connect another account"), "{page}");
    let done = connect_as(&admin, SECOND_USERNAME).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    both_feeds(&app).await;

    let page = admin.page().await;
    assert!(page.contains(&format!("@{FIRST}")) && page.contains(&format!("@{SECOND_USERNAME}")));
    assert!(page.contains("default feed"), "the default is marked");
    assert!(
        page.contains(&format!("data-feed=&#34;{SECOND_USERNAME}&#34;")),
        "the second account's snippet names its feed: {page}"
    );

    // Without the parameter: the first account connected, as every snippet pasted before.
    let (status, default) = json(&app, "/feed.json").await;
    assert_eq!(status, 200);
    assert_eq!(usernames(&default), FIRST);
    assert_eq!(default["posts"].as_array().map(Vec::len), Some(36));
    let (status, second) = json(&app, &format!("/feed.json?feed={SECOND_USERNAME}&limit=50")).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(usernames(&second), SECOND_USERNAME);
    // Its 12 posts less the two reels Instagram's profile grid leaves out.
    assert_eq!(second["posts"].as_array().map(Vec::len), Some(10));
    let first_ids: Vec<&Value> = default["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["id"])
        .collect();
    assert!(
        second["posts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| !first_ids.contains(&&p["id"])),
        "no post of one feed in the other"
    );
    // Names are matched without regard to case; the cursor belongs to its feed.
    let (status, upper) = json(&app, "/feed.json?feed=Harness.Cafe&limit=5").await;
    assert_eq!(status, 200);
    let next = upper["next"].as_str().expect("a next cursor").to_owned();
    let (status, page2) = json(
        &app,
        &format!("/feed.json?feed={SECOND_USERNAME}&limit=5&after={next}"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(usernames(&page2), SECOND_USERNAME);
    assert_ne!(page2["posts"][0]["id"], upper["posts"][0]["id"]);
    // A cursor continues only the feed it came from: on another it ends the list.
    let (status, elsewhere) = json(&app, &format!("/feed.json?after={next}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        elsewhere["posts"].as_array().map(Vec::len),
        Some(0),
        "{elsewhere}"
    );

    // Each account's images come from its own feed, the profile picture named by account.
    let picture = second["profile"]["picture"].as_str().expect("a picture");
    let image = app.http.get(picture).send().await.expect("image");
    assert_eq!(image.status(), 200, "{picture}");
    let post_image = second["posts"][0]["media"][0]["url"]
        .as_str()
        .expect("an image");
    assert_eq!(
        app.http
            .get(post_image)
            .send()
            .await
            .expect("image")
            .status(),
        200
    );

    // /embed takes the same parameter.
    let embed = app.get(&format!("/embed?feed={SECOND_USERNAME}")).await;
    assert_eq!(embed.status(), 200);
    assert!(
        embed
            .text()
            .await
            .expect("html")
            .contains(&format!("@{SECOND_USERNAME}"))
    );

    // The admin API lists both, ids as strings, never a token.
    let listed = api_accounts(&app).await;
    let names: Vec<&str> = listed
        .iter()
        .filter_map(|a| a["feed"]["name"].as_str())
        .collect();
    assert_eq!(names, [FIRST, SECOND_USERNAME]);
    assert!(
        listed
            .iter()
            .all(|a| a["id"].is_string() && a["connection"] == "connected")
    );
    app.stop().await;
}

#[tokio::test]
async fn unknown_and_malformed_feed_names_are_refused_clearly() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    for path in ["/feed.json?feed=no.such.feed", "/embed?feed=no.such.feed"] {
        let (status, body) = json(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"]["code"], "unknown-feed", "{path}: {body}");
    }
    let long = "x".repeat(65);
    for bad in ["a%20b", "%3Cscript%3E", long.as_str(), "caf%C3%A9"] {
        let (status, body) = json(&app, &format!("/feed.json?feed={bad}")).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["error"]["code"], "bad-query", "{bad}: {body}");
        assert!(!body.to_string().contains("script"), "not echoed: {body}");
    }
    // The default feed still answers, by name too.
    assert_eq!(json(&app, "/feed.json").await.0, 200);
    assert_eq!(json(&app, &format!("/feed.json?feed={FIRST}")).await.0, 200);
    app.stop().await;
}

#[tokio::test]
async fn reconnecting_an_account_replaces_its_token_and_never_adds_a_twin() {
    let (env, app, admin) = two_connected().await;
    let second = app.state.accounts.by_feed(SECOND_USERNAME).expect("second");
    let before = second.credentials.current().expect("token");
    env.sandbox.revoke_tokens_of(SECOND_USERNAME);
    let _ = second.feed.refresh().await;
    assert!(
        !second.credentials.current().expect("kept").is_active(),
        "needs reconnect"
    );

    let done = connect_as(&admin, SECOND_USERNAME).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let accounts = app.state.accounts.accounts();
    assert_eq!(accounts.len(), 2, "no twin");
    let after = app.state.accounts.by_feed(SECOND_USERNAME).expect("second");
    assert_eq!(after.id(), before.account_id().expect("id"));
    let now = after.credentials.current().expect("token");
    assert!(now.is_active(), "reconnected");
    use secrecy::ExposeSecret as _;
    assert_ne!(
        now.access_token.expose_secret(),
        before.access_token.expose_secret()
    );
    let dirs = std::fs::read_dir(env.settings().storage.dir.join("accounts"))
        .expect("dir")
        .count();
    assert_eq!(dirs, 2, "one directory per account");
    app.stop().await;
}

#[tokio::test]
async fn disconnecting_one_account_purges_exactly_its_data_and_moves_the_default() {
    let (env, app, admin) = two_connected().await;
    let first = app.state.accounts.by_feed(FIRST).expect("first");
    let second = app.state.accounts.by_feed(SECOND_USERNAME).expect("second");
    let (first_dir, second_dir) = (
        first.dir().path().to_owned(),
        second.dir().path().to_owned(),
    );
    // Records (files, or Redis keys) and the local directory of media.
    let record = |id: &str, name: &str| env.record(&format!("accounts/{id}/{name}"));
    assert!(record(first.id(), "feed-snapshot.json").is_some());

    let csrf = admin.csrf().await;
    let gone = admin
        .post_with("/admin/disconnect", &csrf, &[("account", first.id())])
        .await;
    assert_eq!(gone.status(), StatusCode::SEE_OTHER);
    assert!(!first_dir.exists(), "the account's directory is gone");
    for name in ["credentials.json", "feed-snapshot.json"] {
        assert!(record(first.id(), name).is_none(), "{name} is gone");
        assert!(
            record(second.id(), name).is_some(),
            "the other account is untouched: {name}"
        );
    }
    // The default moved to the remaining account; the removed feed is unknown now.
    let (status, default) = json(&app, "/feed.json").await;
    assert_eq!(status, 200);
    assert_eq!(usernames(&default), SECOND_USERNAME);
    assert_eq!(json(&app, &format!("/feed.json?feed={FIRST}")).await.0, 404);
    assert_eq!(api_accounts(&app).await.len(), 1);

    // An unknown account id is refused, not mistaken for the default.
    let csrf = admin.csrf().await;
    let unknown = admin
        .post_with("/admin/disconnect", &csrf, &[("account", "999")])
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(second_dir.exists());
    app.stop().await;
}

#[tokio::test]
async fn the_owner_chooses_the_default_feed() {
    let (env, app, admin) = two_connected().await;
    let second = app.state.accounts.by_feed(SECOND_USERNAME).expect("second");
    let csrf = admin.csrf().await;
    let done = admin
        .post_with("/admin/make-default", &csrf, &[("account", second.id())])
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        usernames(&json(&app, "/feed.json").await.1),
        SECOND_USERNAME
    );
    app.stop().await;

    // The choice survives a restart.
    let app = env.spawn_app().await;
    wait_until("the feeds", 15, || async {
        app.state
            .accounts
            .default_account()
            .is_some_and(|a| a.feed.peek().is_some())
    })
    .await;
    assert_eq!(
        usernames(&json(&app, "/feed.json").await.1),
        SECOND_USERNAME
    );
    app.stop().await;
}

#[tokio::test]
async fn accounts_max_keeps_the_next_account_out() {
    let (mut env, app) = setup().await;
    app.stop().await;
    env.set("IGFEED__ACCOUNTS__MAX", "1");
    let app = env.spawn_app().await;
    let admin = Admin::login(&env, &app).await;
    connect_as(&admin, FIRST).await;
    let refused = connect_as(&admin, SECOND_USERNAME).await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        refused.headers()["location"],
        "/admin?notice=too-many-accounts"
    );
    assert_eq!(app.state.accounts.accounts().len(), 1);
    let page = admin.page().await;
    assert!(page.contains("accounts.max"), "{page}");
    // Reconnecting the connected account still works at the limit.
    let again = connect_as(&admin, FIRST).await;
    assert_eq!(again.headers()["location"], "/admin?connected=1");
    app.stop().await;
}

#[tokio::test]
async fn meta_callbacks_act_on_exactly_the_account_they_name() {
    use base64::Engine as _;
    use hmac::{KeyInit as _, Mac as _};
    use igfeed::clock::Clock as _;
    let (env, app, _admin) = two_connected().await;
    let ids = env
        .sandbox
        .accounts()
        .into_iter()
        .find(|a| a.username == SECOND_USERNAME)
        .expect("second account");
    let payload = format!(
        r#"{{"user_id":"{}","algorithm":"HMAC-SHA256","issued_at":{}}}"#,
        ids.user_id,
        env.clock.now().timestamp()
    );
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&payload);
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(env.config.app_secret.as_bytes()).expect("key");
    mac.update(encoded.as_bytes());
    let signature =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    let response = app
        .http
        .post(format!("{}/instagram/deauthorize", app.address))
        .form(&[("signed_request", format!("{signature}.{encoded}"))])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "disconnected");
    let left: Vec<String> = app
        .state
        .accounts
        .accounts()
        .iter()
        .map(|a| a.feed_name())
        .collect();
    assert_eq!(left, [FIRST]);
    assert_eq!(
        json(&app, "/feed.json").await.0,
        200,
        "the other feed is served"
    );
    app.stop().await;
}

#[tokio::test]
async fn each_account_is_refreshed_once_per_interval_and_a_dead_one_delays_none() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__FEED__REFRESH_INTERVAL", "2s");
    // One page per listing pass, so pages counted are passes.
    env.set("IGFEED__FEED__MAX_POSTS", "5");
    let app = env.spawn_app().await;
    connect_accounts(&env, &app, 2).await;
    let calls = |env: &TestEnv| {
        let stats = env.sandbox.stats();
        let of = |name: &str| stats.media_list_by_account.get(name).copied().unwrap_or(0);
        (of(FIRST), of(SECOND_USERNAME))
    };
    // Each account's loop lists its posts once per interval: while the first account makes
    // four passes, so does the second (give or take the one in flight).
    let start = calls(&env);
    wait_until("four more passes of the first account", 20, || async {
        calls(&env).0 >= start.0 + 4
    })
    .await;
    let end = calls(&env);
    let (first, second) = (end.0 - start.0, end.1 - start.1);
    assert!((3..=5).contains(&second), "{first} passes against {second}");

    // One account's token dies: the other's refreshes go on as before.
    env.sandbox.revoke_tokens_of(SECOND_USERNAME);
    wait_until("the second account to need reconnecting", 10, || async {
        app.state
            .accounts
            .by_feed(SECOND_USERNAME)
            .and_then(|a| a.credentials.current())
            .is_some_and(|c| !c.is_active())
    })
    .await;
    let start = calls(&env);
    wait_until("three more passes of the first account", 20, || async {
        calls(&env).0 >= start.0 + 3
    })
    .await;
    assert_eq!(calls(&env).1, start.1, "no calls with a dead token");
    app.stop().await;
}

/// Connects the sandbox account `username` as `igfeed token import` would.
async fn import(env: &TestEnv, app: &TestApp, username: &str) {
    let token = env
        .sandbox
        .issue_token_for(username, TokenKind::LongLived, hours(1))
        .expect("a sandbox account");
    igfeed::connection::import_token(
        &app.state.instagram,
        &app.state.accounts,
        &app.state.clock,
        secrecy::SecretString::from(token),
    )
    .await
    .expect("imported");
}

/// Connects `count` accounts (the sandbox's two, then made-up ones) by importing tokens.
async fn connect_accounts(env: &TestEnv, app: &TestApp, count: usize) -> Vec<String> {
    let mut names: Vec<String> = env
        .sandbox
        .accounts()
        .into_iter()
        .map(|a| a.username)
        .collect();
    for n in names.len()..count {
        let name = format!("shop.{n}");
        env.sandbox
            .add_account(&igfeed_sandbox::AccountSpec::new(&name, 6))
            .expect("added");
        names.push(name);
    }
    names.truncate(count);
    for name in &names {
        import(env, app, name).await;
    }
    wait_until("every feed", 30, || async {
        let accounts = app.state.accounts.accounts();
        accounts.len() == count && accounts.iter().all(|a| a.feed.peek().is_some())
    })
    .await;
    names
}

/// Listing calls per account over `passes` refresh passes of the first account, while
/// visitors ask every feed `visits` times.
async fn calls_per_account(count: usize, passes: u64, visits: usize) -> Vec<u64> {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__FEED__REFRESH_INTERVAL", "1s");
    env.set("IGFEED__FEED__MAX_POSTS", "5");
    env.set("IGFEED__MEDIA__PREFETCH_CONCURRENCY", "0");
    let app = env.spawn_app().await;
    let names = connect_accounts(&env, &app, count).await;
    let calls = || {
        let stats = env.sandbox.stats();
        names
            .iter()
            .map(|n| stats.media_list_by_account.get(n).copied().unwrap_or(0))
            .collect::<Vec<u64>>()
    };
    let start = calls();
    let visitors = async {
        for _ in 0..visits {
            for name in &names {
                let path = format!("/feed.json?feed={name}");
                assert_eq!(app.get(&path).await.status(), 200, "{path}");
            }
        }
    };
    let refreshed = wait_until("the passes", 60, || async {
        calls()[0] >= start[0] + passes
    });
    tokio::join!(visitors, refreshed);
    // Waits for the first account's next pass, so every account had as long.
    let end = calls();
    app.stop().await;
    end.iter().zip(&start).map(|(e, s)| e - s).collect()
}

#[tokio::test]
async fn calls_scale_with_accounts_never_with_visitors() {
    for count in [1, 2, 10] {
        let calls = calls_per_account(count, 4, 50).await;
        println!("{count} accounts: listing calls per account over 4 intervals: {calls:?}");
        assert_eq!(calls.len(), count);
        for (i, n) in calls.iter().enumerate() {
            assert!(
                (3..=5).contains(n),
                "{count} accounts, account {i}: {n} listing calls in 4 intervals, with {} visits to its feed",
                50
            );
        }
    }
}
