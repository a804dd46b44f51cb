//! The owner's Connect flow over HTTP through the sandbox consent page, every redirect
//! followed explicitly, and every way it can go wrong leaving the previous connection intact.

use igfeed_sandbox::Mode;
use reqwest::StatusCode;
use secrecy::ExposeSecret;

use super::consent::{decide, query};
use super::helpers::{TestApp, TestEnv, wait_until};

pub(super) const PASSWORD: &str = "correct horse battery";

/// A logged-in admin browser.
pub(super) struct Admin {
    /// Keeps the session cookie, follows no redirect.
    pub(super) http: reqwest::Client,
    /// igfeed's origin.
    pub(super) base: String,
}

impl Admin {
    pub(super) async fn login(env: &TestEnv, app: &TestApp) -> Self {
        let _ = env;
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let response = http
            .post(format!("{}/admin/login", app.address))
            .form(&[("password", PASSWORD)])
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "logged in");
        Self {
            http,
            base: app.address.clone(),
        }
    }

    pub(super) async fn page(&self) -> String {
        let response = self.get("/admin").await;
        assert_eq!(response.status(), 200);
        response.text().await.expect("html")
    }

    /// `GET path` with the session.
    pub(super) async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("igfeed answers")
    }

    pub(super) async fn csrf(&self) -> String {
        let page = self.page().await;
        let start = page
            .find("name=\"csrf_token\" value=\"")
            .expect("csrf field")
            + 25;
        page[start..].split('"').next().expect("value").to_owned()
    }

    pub(super) async fn post(&self, path: &str, csrf: &str) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .form(&[("csrf_token", csrf)])
            .send()
            .await
            .expect("answers")
    }

    /// Posts the CSRF token and `fields` to `path`.
    pub(super) async fn post_with(
        &self,
        path: &str,
        csrf: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = vec![("csrf_token", csrf)];
        form.extend_from_slice(fields);
        self.http
            .post(format!("{}{path}", self.base))
            .form(&form)
            .send()
            .await
            .expect("answers")
    }

    /// Clicks Connect; returns Instagram's authorize URL.
    pub(super) async fn click_connect(&self) -> url::Url {
        let response = self.post("/admin/connect", &self.csrf().await).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        url::Url::parse(response.headers()["location"].to_str().expect("ascii")).expect("url")
    }

    /// Follows Instagram's redirect to igfeed's callback (the registered URI names another
    /// port, so only its path and query are taken).
    pub(super) async fn follow_callback(&self, redirect: &url::Url) -> reqwest::Response {
        let target = format!(
            "{}{}?{}",
            self.base,
            redirect.path(),
            redirect.query().unwrap_or("")
        );
        self.http
            .get(target)
            .send()
            .await
            .expect("callback answers")
    }
}

async fn setup() -> (TestEnv, TestApp) {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__ADMIN__PASSWORD", PASSWORD);
    let app = env.spawn_app().await;
    (env, app)
}

async fn connect_fully(admin: &Admin) {
    let authorize = admin.click_connect().await;
    let redirect = decide(&authorize, "Allow").await;
    let done = admin.follow_callback(&redirect).await;
    assert_eq!(
        done.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        done.text().await
    );
}

fn stored_token(env: &TestEnv) -> Option<String> {
    env.stored_credentials()
        .map(|c| c.access_token.expose_secret().to_owned())
}

#[tokio::test]
async fn the_whole_flow_ends_with_a_served_feed() {
    let (env, app) = setup().await;
    let admin = Admin::login(&env, &app).await;
    assert!(admin.page().await.contains("Connect Instagram"));
    let authorize = admin.click_connect().await;
    assert_eq!(
        query(&authorize, "client_id").as_deref(),
        Some(env.config.app_id.as_str())
    );
    let state = query(&authorize, "state").expect("state");
    assert_eq!(state.len(), 32, "128 random bits");

    let redirect = decide(&authorize, "Allow").await;
    let done = admin.follow_callback(&redirect).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], "/admin?connected=1");
    let token = stored_token(&env).expect("token stored");

    wait_until("the feed", 10, || async { app.has_feed() }).await;
    let status = admin.page().await;
    assert!(status.contains("@sandbox.studio"), "account shown");
    assert!(status.contains("Reconnect Instagram"));
    assert!(!status.contains(&token), "the token never reaches a page");
    let feed = app.get("/feed.json").await;
    assert_eq!(feed.status(), 200);
}

/// Meta may store the redirect URI with a trailing `/`; Instagram then sends the owner there.
#[tokio::test]
async fn the_callback_also_answers_with_a_trailing_slash() {
    let (env, app) = setup().await;
    let admin = Admin::login(&env, &app).await;
    let authorize = admin.click_connect().await;
    let mut redirect = decide(&authorize, "Allow").await;
    let with_slash = format!("{}/", redirect.path());
    redirect.set_path(&with_slash);
    let done = admin.follow_callback(&redirect).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER, "{with_slash}");
    assert!(stored_token(&env).is_some(), "connected");
}

#[tokio::test]
async fn denied_forged_expired_and_reused_states_store_nothing_and_keep_the_connection() {
    let (env, app) = setup().await;
    let admin = Admin::login(&env, &app).await;
    connect_fully(&admin).await;
    let before = stored_token(&env).expect("connected");

    // Denied on Instagram.
    let authorize = admin.click_connect().await;
    let denied = decide(&authorize, "Cancel").await;
    let page = admin.follow_callback(&denied).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("<title>Connection cancelled · igfeed</title>"),
        "{html}"
    );
    assert!(html.contains("<h1>Connection cancelled</h1>"), "{html}");
    assert!(
        !html.contains("<style"),
        "styled by admin.css alone: {html}"
    );

    // Forged and missing state.
    for query in ["code=AQBforged&state=forged", "code=AQBforged"] {
        let response = admin
            .http
            .get(format!("{}/auth/instagram/callback?{query}", app.address))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 400, "{query}");
        let text = response.text().await.expect("html");
        assert!(text.contains("Nothing was stored"), "{text}");
    }

    // Reused state: the first callback works, the replay is refused.
    let authorize = admin.click_connect().await;
    let redirect = decide(&authorize, "Allow").await;
    assert_eq!(
        admin.follow_callback(&redirect).await.status(),
        StatusCode::SEE_OTHER
    );
    let reconnected = stored_token(&env).expect("reconnected");
    assert_ne!(reconnected, before, "a reconnect replaces the token");
    assert_eq!(
        admin.follow_callback(&redirect).await.status(),
        400,
        "state used twice"
    );

    // Expired: approved more than ten minutes after clicking Connect.
    let authorize = admin.click_connect().await;
    let redirect = decide(&authorize, "Allow").await;
    env.advance(std::time::Duration::from_secs(11 * 60));
    let late = admin.follow_callback(&redirect).await;
    assert_eq!(late.status(), 400);
    assert!(late.text().await.expect("html").contains("ten minutes"));
    assert_eq!(
        stored_token(&env),
        Some(reconnected),
        "the connection is intact"
    );
}

#[tokio::test]
async fn reused_codes_wrong_redirects_and_outages_keep_the_connection() {
    let (env, app) = setup().await;
    let admin = Admin::login(&env, &app).await;
    connect_fully(&admin).await;
    let before = stored_token(&env);

    // A code that was already exchanged, under a fresh state.
    let authorize = admin.click_connect().await;
    let redirect = decide(&authorize, "Allow").await;
    let code = query(&redirect, "code").expect("code");
    env.client()
        .exchange_code(&code)
        .await
        .expect("someone used it first");
    let reused = admin.follow_callback(&redirect).await;
    assert_eq!(reused.status(), StatusCode::BAD_GATEWAY);

    // A code issued for another redirect URI.
    let authorize = admin.click_connect().await;
    let state = query(&authorize, "state").expect("state");
    let mut elsewhere = authorize.clone();
    let pairs: Vec<(String, String)> = authorize
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "redirect_uri" {
                "http://localhost:8080/auth/instagram/callback".to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    elsewhere.query_pairs_mut().clear().extend_pairs(pairs);
    let redirect = decide(&elsewhere, "Allow").await;
    assert_eq!(query(&redirect, "state"), Some(state));
    let mismatch = admin.follow_callback(&redirect).await;
    assert_eq!(mismatch.status(), StatusCode::BAD_GATEWAY);
    assert!(mismatch.text().await.expect("html").contains("redirect"));

    // Instagram down during the exchange.
    let authorize = admin.click_connect().await;
    let redirect = decide(&authorize, "Allow").await;
    env.sandbox.set_mode(Mode::Outage);
    let exchanges = env.sandbox.stats().calls.oauth_access_token;
    let outage = admin.follow_callback(&redirect).await;
    assert_eq!(outage.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        env.sandbox.stats().calls.oauth_access_token,
        exchanges + 1,
        "a one-time code is sent once, never retried"
    );
    env.sandbox.set_mode(Mode::Healthy);
    assert_eq!(stored_token(&env), before, "the connection is intact");
}

#[tokio::test]
async fn actions_need_the_csrf_token_and_disconnect_purges_everything() {
    let (env, app) = setup().await;
    let admin = Admin::login(&env, &app).await;
    connect_fully(&admin).await;
    wait_until("the feed", 10, || async { app.has_feed() }).await;
    for path in [
        "/admin/connect",
        "/admin/refresh-feed",
        "/admin/refresh-token",
        "/admin/disconnect",
    ] {
        for csrf in ["", "wrong"] {
            let response = admin.post(path, csrf).await;
            assert_eq!(response.status(), 403, "{path} with csrf {csrf:?}");
        }
        let anonymous = reqwest::Client::new()
            .post(format!("{}{path}", app.address))
            .form(&[("csrf_token", "x")])
            .send()
            .await
            .expect("answers");
        assert_eq!(anonymous.status(), 403, "{path} without a session");
    }
    let csrf = admin.csrf().await;
    let refreshed = admin.post("/admin/refresh-feed", &csrf).await;
    assert_eq!(
        refreshed.headers()["location"],
        "/admin?notice=feed-refreshed"
    );
    let too_early = admin.post("/admin/refresh-token", &csrf).await;
    assert_eq!(
        too_early.headers()["location"],
        "/admin?notice=token-refresh-failed"
    );
    assert_eq!(
        env.sandbox.stats().calls.refresh,
        0,
        "a token younger than a day is not sent to be refreshed"
    );
    assert!(
        admin.page().await.contains("a day old"),
        "the refusal is explained"
    );

    let gone = admin.post("/admin/disconnect", &csrf).await;
    assert_eq!(gone.headers()["location"], "/admin?notice=disconnected");
    assert!(env.stored_credentials().is_none());
    let dir = env.settings().storage.dir;
    assert!(
        !dir.join("feed-snapshot.json").exists(),
        "the snapshot file is removed"
    );
    let feed = app.get("/feed.json").await;
    assert_eq!(feed.status(), 503);
    let body: serde_json::Value = feed.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not-connected");
}
