//! `/admin`: strangers, forged and oversized cookies, forms in the wrong shape.

use super::*;

#[tokio::test]
async fn admin_refuses_strangers_forged_and_oversized_cookies() {
    let c = Connected::start(&[("IGFEED__ADMIN__PASSWORD", PASSWORD)]).await;
    let real = real_session_cookie(&c.app).await;
    let value = real.trim_start_matches("igfeed_admin=");
    let flipped = {
        let mut chars: Vec<char> = value.chars().collect();
        let middle = chars.len() / 2;
        chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    let many: Vec<String> = (0..300).map(|i| format!("c{i}=v")).collect();
    let cookies = [
        (None, "no cookie"),
        (Some("igfeed_admin=forged".to_owned()), "a forged cookie"),
        (
            Some(format!("igfeed_admin={flipped}")),
            "a real cookie, one character changed",
        ),
        (
            Some(format!("igfeed_admin={value}{value}")),
            "a real cookie, twice",
        ),
        (
            Some(format!("igfeed_admin={}", "A".repeat(8 * 1024))),
            "an 8 KB cookie",
        ),
        (
            Some(format!("igfeed_admin={}", "%".repeat(2000))),
            "a cookie of percent signs",
        ),
        (
            Some("igfeed_admin=\"\"; igfeed_admin=;".to_owned()),
            "empty cookies",
        ),
        (
            Some(format!("{}; igfeed_admin=forged", many.join("; "))),
            "300 cookies and a forged one",
        ),
    ];
    for (cookie, why) in &cookies {
        let with = |call: Call| match cookie {
            Some(cookie) => call.header("Cookie", cookie),
            None => call,
        };
        for path in ["/admin", "/admin/", "/admin/login"] {
            let call = with(Call::get(path));
            let answer = c.probe(&call).await;
            if path == "/admin/login" {
                assert_eq!(answer.status, 200, "{why}: GET {path} shows the form");
                assert!(answer.text().contains("password"), "{why}: the form");
            } else {
                assert_eq!(answer.status, 303, "{why}: GET {path}");
                assert_eq!(answer.header("location"), Some("/admin/login"), "{why}");
            }
        }
        for path in [
            "/admin/refresh-feed",
            "/admin/refresh-token",
            "/admin/disconnect",
            "/admin/connect",
            "/admin/logout",
        ] {
            let call = with(Call::new("POST", path)).body(
                "application/x-www-form-urlencoded",
                "csrf_token=00000000000000000000000000000000",
            );
            let answer = c.probe(&call).await;
            assert_eq!(answer.status, 403, "{why}: POST {path}");
            assert_eq!(code(&answer), "login-required", "{why}: POST {path}");
        }
    }
    // A real session with a forged CSRF token does nothing either.
    for path in ["/admin/refresh-feed", "/admin/disconnect"] {
        let call = Call::new("POST", path).header("Cookie", &real).body(
            "application/x-www-form-urlencoded",
            "csrf_token=00000000000000000000000000000000",
        );
        let answer = c.probe(&call).await;
        assert_eq!(answer.status, 403, "forged CSRF: POST {path}");
        assert_eq!(code(&answer), "csrf-failed", "POST {path}");
    }
    // The status page's query is not reflected into the page.
    for query in [
        "notice=%3Cscript%3Ealert(1)%3C/script%3E",
        "connected=%3Cscript%3Ealert(1)%3C/script%3E&notice=x",
        "notice=feed-refreshed&notice=disconnected",
        "notice=%FF%FE",
    ] {
        let call = Call::get(&format!("/admin?{query}")).header("Cookie", &real);
        let answer = c.probe(&call).await;
        assert!(
            !answer.text().contains("<script>alert(1)"),
            "{}: reflected",
            call.what()
        );
    }
    // A cookie header larger than igfeed reads is refused, and the server stays up.
    let huge =
        Call::get("/admin").header("Cookie", &format!("igfeed_admin={}", "A".repeat(200_000)));
    let answer = huge.send(&c.app).await;
    assert!(
        answer.status == 0 || (400..500).contains(&answer.status),
        "a 200 KB cookie: {}",
        answer.head
    );
    assert_eq!(c.app.get("/healthz").await.status(), 200, "still serving");
    assert!(c.env.stored_credentials().is_some(), "still connected");
    c.assert_no_graph_calls("admin requests without a session");
    c.stop().await;
}

#[tokio::test]
async fn forms_sent_as_json_or_multipart_change_nothing() {
    let c = Connected::start(&[("IGFEED__ADMIN__PASSWORD", PASSWORD)]).await;
    let Owner { cookie: real, csrf } = Owner::login(&c.app).await;
    let boundary = "XyZzY";
    let multipart = |name: &str, value: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n--{boundary}--\r\n"
        )
    };
    let multipart_type = format!("multipart/form-data; boundary={boundary}");
    let login_json = serde_json::json!({ "password": PASSWORD }).to_string();
    let logins = [
        Call::new("POST", "/admin/login").body("application/json", login_json.clone()),
        Call::new("POST", "/admin/login").body(&multipart_type, multipart("password", PASSWORD)),
        Call::new("POST", "/admin/login").body("text/plain", format!("password={PASSWORD}")),
        Call::new("POST", "/admin/login").body(
            "application/x-www-form-urlencoded",
            format!("password={PASSWORD}&password={PASSWORD}"),
        ),
        Call::new(
            "POST",
            &format!("/admin/login?password={}", PASSWORD.replace(' ', "+")),
        ),
    ];
    for call in &logins {
        let answer = c.probe(call).await;
        let what = call.what();
        assert!(
            (400..500).contains(&answer.status),
            "{what}: a login not sent as a form is refused, got {}",
            answer.status
        );
        assert!(
            !answer
                .head
                .to_ascii_lowercase()
                .contains("set-cookie: igfeed_admin="),
            "{what}: no session"
        );
    }
    let csrf_json = serde_json::json!({ "csrf_token": csrf }).to_string();
    for path in ["/admin/disconnect", "/admin/refresh-feed"] {
        for call in [
            Call::new("POST", path)
                .header("Cookie", &real)
                .body("application/json", csrf_json.clone()),
            Call::new("POST", path)
                .header("Cookie", &real)
                .body(&multipart_type, multipart("csrf_token", &csrf)),
        ] {
            let answer = c.probe(&call).await;
            assert!(
                (400..500).contains(&answer.status),
                "{}: refused, got {}",
                call.what(),
                answer.status
            );
        }
    }
    assert!(c.env.stored_credentials().is_some(), "still connected");
    c.assert_no_graph_calls("forms in the wrong format");
    c.stop().await;
}
