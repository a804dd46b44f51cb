//! Admin access over HTTP: login and logout, the session cookie, CSRF, throttling, the
//! setup page without a secret, and the security headers.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

use crate::helpers::{TestApp, TestEnv};

mod secrets;
mod throttling;

const PASSWORD: &str = "correct horse battery";

/// A browser: keeps cookies, follows no redirect by itself.
struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            http,
            base: app.address.clone(),
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("igfeed answers")
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post_from(path, form, None).await
    }

    /// POSTs a form as if relayed by a proxy for `forwarded_for`.
    async fn post_from(
        &self,
        path: &str,
        form: &[(&str, &str)],
        forwarded_for: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(address) = forwarded_for {
            request = request.header("X-Forwarded-For", address);
        }
        request.send().await.expect("igfeed answers")
    }

    async fn login(&self, password: &str) -> reqwest::Response {
        self.post("/admin/login", &[("password", password)]).await
    }

    /// Logs in as if relayed by a trusted proxy for `address`.
    async fn login_from(&self, password: &str, address: &str) -> reqwest::Response {
        self.post_from("/admin/login", &[("password", password)], Some(address))
            .await
    }

    /// The CSRF token of the logged-in admin page.
    async fn csrf_token(&self) -> String {
        let page = self.get("/admin").await;
        assert_eq!(page.status(), StatusCode::OK, "logged in");
        let body = page.text().await.expect("body");
        let start = body
            .find(r#"name="csrf_token" value=""#)
            .map(|i| i + r#"name="csrf_token" value=""#.len())
            .expect("the page has a CSRF field");
        body[start..].chars().take_while(|c| *c != '"').collect()
    }
}

async fn app_with(settings: &[(&str, &str)]) -> (TestEnv, TestApp) {
    let mut env = TestEnv::start().await;
    for (key, value) in settings {
        env.set(key, value);
    }
    let app = env.spawn_app().await;
    (env, app)
}

async fn app_with_password() -> (TestEnv, TestApp) {
    app_with(&[("IGFEED__ADMIN__PASSWORD", PASSWORD)]).await
}

fn location(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn session_cookie(headers: &HeaderMap) -> String {
    set_cookie(headers, "igfeed_admin").expect("the login sets the session cookie")
}

/// The known-device cookie a login set, attributes included.
fn device_cookie(headers: &HeaderMap) -> String {
    set_cookie(headers, "igfeed_device").expect("a login leaves a known-device cookie")
}

fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| {
            c.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('='))
        })
        .map(str::to_owned)
}

#[tokio::test]
async fn the_right_password_opens_admin_and_a_wrong_one_does_not() {
    let (_env, app) = app_with_password().await;
    let browser = Browser::new(&app);

    let before = browser.get("/admin").await;
    assert_eq!(before.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&before), "/admin/login");
    let form = browser.get("/admin/login").await;
    assert_eq!(form.status(), StatusCode::OK);
    assert!(
        form.text()
            .await
            .expect("body")
            .contains(r#"name="password""#)
    );

    let wrong = browser.login("not the password").await;
    assert_eq!(
        wrong.status(),
        StatusCode::UNAUTHORIZED,
        "wrong password refused"
    );
    assert_eq!(browser.get("/admin").await.status(), StatusCode::SEE_OTHER);

    let right = browser.login(PASSWORD).await;
    assert_eq!(
        right.status(),
        StatusCode::SEE_OTHER,
        "right password accepted"
    );
    assert_eq!(location(&right), "/admin");
    let home = browser.get("/admin").await;
    assert_eq!(home.status(), StatusCode::OK);
    let home = home.text().await.expect("body");
    assert!(
        home.contains("Log out") && home.contains("Instagram account"),
        "{home}"
    );
    let again = browser.get("/admin/login").await;
    assert_eq!(
        location(&again),
        "/admin",
        "the login form is skipped when logged in"
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_secure_only_over_https() {
    let cases = [(None, false), (Some("https://feed.example.com"), true)];
    for (public_url, secure) in cases {
        let mut settings = vec![
            ("IGFEED__ADMIN__PASSWORD", PASSWORD),
            ("IGFEED__ADMIN__SESSION_LIFETIME", "2h"),
        ];
        if let Some(url) = public_url {
            settings.push(("IGFEED__SERVER__PUBLIC_URL", url));
        }
        let (_env, app) = app_with(&settings).await;
        let response = Browser::new(&app).login(PASSWORD).await;
        let cookie = session_cookie(response.headers());
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(
            cookie.contains("Max-Age=7200"),
            "lifetime bounded: {cookie}"
        );
        assert_eq!(
            cookie.contains("Secure"),
            secure,
            "public_url {public_url:?}: {cookie}"
        );
        assert!(!cookie.contains(PASSWORD), "{cookie}");
    }
}

/// Behind a TLS-terminating proxy the browser speaks https even when `server.public_url` was
/// left at http: the cookie must be `Secure` then, but only on the word of a trusted proxy.
#[tokio::test]
async fn the_session_cookie_is_secure_behind_a_trusted_https_proxy() {
    // (trusted_proxies, X-Forwarded-Proto, Secure expected); the test client is 127.0.0.1.
    let cases = [
        ("127.0.0.1", Some("https"), true),
        ("127.0.0.1", Some("http"), false),
        ("127.0.0.1", None, false),
        ("10.0.0.0/8", Some("https"), false),
    ];
    for (trusted, proto, secure) in cases {
        let (_env, app) = app_with(&[
            ("IGFEED__ADMIN__PASSWORD", PASSWORD),
            ("IGFEED__SERVER__TRUSTED_PROXIES", trusted),
        ])
        .await;
        let browser = Browser::new(&app);
        let mut request = browser
            .http
            .post(format!("{}/admin/login", browser.base))
            .form(&[("password", PASSWORD)]);
        if let Some(proto) = proto {
            request = request.header("X-Forwarded-Proto", proto);
        }
        let response = request.send().await.expect("igfeed answers");
        assert_eq!(location(&response), "/admin", "logged in");
        let cookie = session_cookie(response.headers());
        assert_eq!(
            cookie.contains("; Secure"),
            secure,
            "trusted {trusted}, proto {proto:?}: {cookie}"
        );
        assert_eq!(
            cookie.matches("Secure").count(),
            usize::from(secure),
            "{cookie}"
        );
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let device = device_cookie(response.headers());
        assert_eq!(
            device.contains("; Secure"),
            secure,
            "the known-device cookie too: {device}"
        );
    }
}

#[tokio::test]
async fn admin_routes_refuse_callers_without_a_session() {
    let (_env, app) = app_with_password().await;
    let browser = Browser::new(&app);
    // Routes added to /admin belong here too.
    for path in ["/admin", "/admin/"] {
        let response = browser.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "GET {path}");
        assert_eq!(location(&response), "/admin/login", "GET {path}");
    }
    for path in ["/admin/logout"] {
        let response = browser.post(path, &[("csrf_token", "x")]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "POST {path}");
        let body: serde_json::Value = response.json().await.expect("JSON error");
        assert_eq!(body["error"]["code"], "login-required", "POST {path}");
    }
}

#[tokio::test]
async fn logout_ends_the_session_even_for_a_kept_copy_of_the_cookie() {
    let (_env, app) = app_with_password().await;
    let browser = Browser::new(&app);
    let login = browser.login(PASSWORD).await;
    let cookie = session_cookie(login.headers());
    let cookie = cookie.split(';').next().unwrap_or_default().to_owned();
    let token = browser.csrf_token().await;

    let logout = browser
        .post("/admin/logout", &[("csrf_token", &token)])
        .await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&logout), "/admin/login");
    assert_eq!(browser.get("/admin").await.status(), StatusCode::SEE_OTHER);

    let replayed = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{}/admin", app.address))
        .header("Cookie", cookie)
        .send()
        .await
        .expect("igfeed answers");
    assert_eq!(
        replayed.status(),
        StatusCode::SEE_OTHER,
        "the old cookie is dead"
    );
}

#[tokio::test]
async fn logout_needs_the_sessions_csrf_token() {
    let (_env, app) = app_with_password().await;
    let browser = Browser::new(&app);
    browser.login(PASSWORD).await;
    let token = browser.csrf_token().await;
    let last = if token.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    for (form, why) in [
        (vec![], "missing"),
        (vec![("csrf_token", forged.as_str())], "wrong"),
    ] {
        let response = browser.post("/admin/logout", &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{why} token");
        let body: serde_json::Value = response.json().await.expect("JSON error");
        assert_eq!(body["error"]["code"], "csrf-failed", "{why} token");
    }
    assert_eq!(
        browser.get("/admin").await.status(),
        StatusCode::OK,
        "still logged in"
    );
}

#[tokio::test]
async fn a_session_ends_after_its_lifetime_by_igfeeds_clock() {
    let (env, app) = app_with(&[
        ("IGFEED__ADMIN__PASSWORD", PASSWORD),
        ("IGFEED__ADMIN__SESSION_LIFETIME", "1h"),
    ])
    .await;
    let browser = Browser::new(&app);
    browser.login(PASSWORD).await;
    env.advance(Duration::from_secs(59 * 60));
    assert_eq!(
        browser.get("/admin").await.status(),
        StatusCode::OK,
        "within the hour"
    );
    env.advance(Duration::from_secs(2 * 60));
    let expired = browser.get("/admin").await;
    assert_eq!(expired.status(), StatusCode::SEE_OTHER, "after the hour");
    assert_eq!(location(&expired), "/admin/login");
}

#[tokio::test]
async fn a_restart_keeps_the_owner_logged_in() {
    let (env, app) = app_with_password().await;
    let browser = Browser::new(&app);
    browser.login(PASSWORD).await;
    app.stop().await;

    let app = env.spawn_app().await;
    let browser = Browser {
        base: app.address.clone(),
        ..browser
    };
    assert_eq!(browser.get("/admin").await.status(), StatusCode::OK);
}
