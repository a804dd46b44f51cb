//! The OAuth dialog and the token endpoints over HTTP.

use std::time::Duration;

use super::*;

#[tokio::test]
async fn full_flow_from_consent_to_paged_media() {
    let h = Harness::start().await;
    let code = h.authorize("xyz").await;
    assert!(code.starts_with("AQB"));
    let long = h.long_token().await;

    // A fresh long-lived token cannot be refreshed yet, and is still good afterwards.
    let refresh = |token: &str| {
        format!("refresh_access_token?grant_type=ig_refresh_token&access_token={token}")
    };
    let (status, body) = h.get_json(&refresh(&long)).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (400, Some(100)),
        "{body}"
    );

    h.clock.advance(Duration::from_secs(25 * 3600));
    let (status, body) = h.get_json(&refresh(&long)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"].as_i64(), Some(60 * 24 * 3600));
    let fresh = body["access_token"].as_str().expect("new token").to_owned();
    assert_ne!(fresh, long, "a refresh returns a new value");
    let (status, body) = h.get_json(&format!("v23.0/me?access_token={long}")).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (400, Some(190)),
        "the old value is dead"
    );

    // /me with the token in the header.
    let me: Value = h
        .client
        .get(h.url("v23.0/me?fields=id,user_id,username,account_type,media_count"))
        .bearer_auth(&fresh)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(me["user_id"], "17841405793187218");
    assert_eq!(me["username"], "sandbox.studio");
    assert_eq!(me["media_count"], 36);

    // Page through /me/media by following `next` until it is absent.
    let mut next = Some(h.url("v23.0/me/media?fields=id,timestamp&limit=10"));
    let (mut ids, mut pages, mut stamps) = (Vec::new(), 0, Vec::new());
    while let Some(url) = next {
        let body: Value = h
            .client
            .get(&url)
            .bearer_auth(&fresh)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("JSON");
        pages += 1;
        for item in body["data"].as_array().expect("data") {
            ids.push(item["id"].as_str().expect("id").to_owned());
            stamps.push(item["timestamp"].as_str().expect("timestamp").to_owned());
        }
        assert_eq!(
            body["paging"]["previous"].is_string(),
            pages > 1,
            "previous on later pages"
        );
        next = body["paging"]["next"].as_str().map(str::to_owned);
        if let Some(link) = &next {
            assert!(
                link.contains(&format!("access_token={fresh}")),
                "next carries the token"
            );
            assert!(link.contains("fields=id%2Ctimestamp") && link.contains("limit=10"));
        }
    }
    assert_eq!((ids.len(), pages), (36, 4));
    let mut sorted = stamps.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(stamps, sorted, "newest first");
    assert!(stamps[0].ends_with("+0000"));
}

#[tokio::test]
async fn cancel_redirects_with_access_denied_and_keeps_existing_query() {
    let config = SandboxConfig {
        redirect_uris: vec!["https://feed.example.com/cb?site=1".into()],
        ..SandboxConfig::default()
    };
    let h = Harness::with(config).await;
    let response = h
        .post_form(
            "oauth/authorize",
            &[
                ("client_id", "1000000000000001"),
                ("redirect_uri", "https://feed.example.com/cb?site=1"),
                ("response_type", "code"),
                ("scope", "instagram_business_basic"),
                ("state", "a b&c"),
                ("decision", "cancel"),
            ],
        )
        .await;
    assert_eq!(response.status(), 302);
    let raw = response.headers()["location"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(
        raw.contains("error_description=The+user+denied+your+request"),
        "{raw}"
    );
    let location = location(&response);
    assert_eq!(query_value(&location, "site").as_deref(), Some("1"));
    assert_eq!(
        query_value(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_value(&location, "error_reason").as_deref(),
        Some("user_denied")
    );
    assert_eq!(query_value(&location, "state").as_deref(), Some("a b&c"));
}

#[tokio::test]
async fn the_dialog_refuses_bad_requests_with_an_error_page() {
    let h = Harness::start().await;
    let good = urlencode(REDIRECT);
    let cases = [
        (
            format!(
                "client_id=42&redirect_uri={good}&response_type=code&scope=instagram_business_basic"
            ),
            "Invalid platform app",
        ),
        (
            format!(
                "client_id=1000000000000001&redirect_uri={}&response_type=code&scope=instagram_business_basic",
                urlencode("http://evil.example/cb")
            ),
            "Invalid redirect_uri",
        ),
        (
            format!(
                "client_id=1000000000000001&redirect_uri={good}&response_type=token&scope=instagram_business_basic"
            ),
            "response_type",
        ),
        (
            format!(
                "client_id=1000000000000001&redirect_uri={good}&response_type=code&scope=user_profile"
            ),
            "Invalid Scopes",
        ),
    ];
    for (query, expected) in cases {
        let response = h.get(&format!("oauth/authorize?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let page = response.text().await.expect("page");
        assert!(page.contains(expected), "{query} should say {expected}");
    }
    let slash = format!(
        "oauth/authorize?client_id=1000000000000001&redirect_uri={good}%2F&response_type=code&scope=instagram_business_basic%20instagram_business_manage_comments"
    );
    assert_eq!(
        h.get(&slash).await.status(),
        200,
        "a trailing slash and space-separated scopes are fine"
    );
}

#[tokio::test]
async fn the_consent_page_escapes_what_it_echoes() {
    let h = Harness::start().await;
    let hostile = "\"><script>alert(1)</script>&x=1";
    let query = format!(
        "oauth/authorize?client_id=1000000000000001&redirect_uri={}&response_type=code\
         &scope=instagram_business_basic&state={}&force_authentication=1&enable_fb_login=0",
        urlencode(REDIRECT),
        urlencode(hostile)
    );
    let response = h.get(&query).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("page");
    assert!(!page.contains("<script>alert"), "state is escaped");
    assert!(page.contains("sandbox.studio"), "the account is named");
    let fields = hidden_fields(&page);
    let state = fields
        .iter()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.as_str());
    assert_eq!(state, Some(hostile), "and survives the round trip");
}
