//! The admin secret's forms (password, argon2 hash, none) and the headers of admin pages.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::SET_COOKIE;

use super::{Browser, PASSWORD, app_with, app_with_password};

#[tokio::test]
async fn without_a_secret_every_admin_url_only_explains_how_to_set_one() {
    let (env, app) = app_with(&[]).await;
    env.store_credentials(Duration::from_secs(3600));
    let browser = Browser::new(&app);
    let app_id = env.config.app_id.clone();
    let requests = [
        ("GET", "/admin"),
        ("GET", "/admin/login"),
        ("POST", "/admin/login"),
        ("POST", "/admin/logout"),
        ("GET", "/admin/anything"),
    ];
    for (method, path) in requests {
        let response = if method == "GET" {
            browser.get(path).await
        } else {
            browser.post(path, &[("password", "")]).await
        };
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{method} {path}"
        );
        assert!(
            response.headers().get(SET_COOKIE).is_none(),
            "{method} {path}"
        );
        let body = response.text().await.expect("body");
        assert!(
            body.contains("IGFEED__ADMIN__PASSWORD="),
            "{method} {path}: {body}"
        );
        assert!(body.contains("admin.password_hash"), "{method} {path}");
        assert!(!body.contains("<form"), "{method} {path}: no forms");
        assert!(!body.contains("csrf"), "{method} {path}: no session");
        assert!(!body.contains(&app_id), "{method} {path}: no account data");
    }
}

#[tokio::test]
async fn admin_responses_carry_the_security_headers() {
    let (env, app) = app_with_password().await;
    let authorize_origin = env.sandbox.base_url().origin().ascii_serialization();
    // The sandbox is plain http, so its CDN (same origin) is allowed for preview images.
    let expected_csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' https: data: {authorize_origin}; \
         form-action 'self' {authorize_origin}; frame-ancestors 'none'; base-uri 'none'"
    );
    let browser = Browser::new(&app);
    let mut responses = vec![
        ("redirect to login", browser.get("/admin").await),
        ("login form", browser.get("/admin/login").await),
        ("stylesheet", browser.get("/admin/static/admin.css").await),
        ("refused POST", browser.post("/admin/logout", &[]).await),
    ];
    browser.login(PASSWORD).await;
    responses.push(("status page", browser.get("/admin").await));
    for (what, response) in &responses {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("content-security-policy"), expected_csp, "{what}");
        assert_eq!(header("x-frame-options"), "DENY", "{what}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
        assert_eq!(header("cache-control"), "no-store", "{what}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    }
}

#[tokio::test]
async fn an_argon2_hash_works_as_the_admin_secret() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(1024, 1, 1, None).expect("params");
    let hasher = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"a test salt 1234").expect("salt");
    let hash = hasher
        .hash_password(PASSWORD.as_bytes(), &salt)
        .expect("hash")
        .to_string();
    let (_env, app) = app_with(&[("IGFEED__ADMIN__PASSWORD_HASH", &hash)]).await;
    let browser = Browser::new(&app);
    assert_eq!(
        browser.login("wrong").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        browser.login(PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(browser.get("/admin").await.status(), StatusCode::OK);
}

#[test]
fn bad_admin_and_proxy_settings_name_their_key() {
    use igfeed::config::{Settings, Sources};
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("IGFEED__ADMIN__PASSWORD_HASH", "hunter22")],
            "admin.password_hash",
        ),
        (
            &[(
                "IGFEED__ADMIN__PASSWORD_HASH",
                "$pbkdf2-sha256$i=1000$c29tZXNhbHQ$aGFzaA",
            )],
            "admin.password_hash",
        ),
        (
            &[("IGFEED__SERVER__TRUSTED_PROXIES", "127.0.0.1, proxy.local")],
            "server.trusted_proxies",
        ),
        (
            &[("IGFEED__SERVER__TRUSTED_PROXIES", "10.0.0.0/40")],
            "server.trusted_proxies",
        ),
    ];
    for (env, key) in cases {
        let sources = Sources {
            file: None,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let error = Settings::load(&sources).map(|_| ()).expect_err("refused");
        assert!(
            error.to_string().contains(&format!("`{key}`")),
            "{env:?}: {error}"
        );
    }
}
