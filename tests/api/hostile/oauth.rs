//! The OAuth callback: repeated, empty, fragment and malformed codes.

use super::*;

impl Owner {
    /// Clicks Connect and approves on the sandbox: Instagram's `state` and `code`.
    async fn approved(&self, app: &TestApp) -> (String, String) {
        let click = Call::new("POST", "/admin/connect")
            .header("Cookie", &self.cookie)
            .body(
                "application/x-www-form-urlencoded",
                format!("csrf_token={}", self.csrf),
            )
            .send(app)
            .await;
        assert_eq!(click.status, 303, "Connect: {}", click.text());
        let authorize = url::Url::parse(click.header("location").expect("location")).expect("url");
        let redirect = crate::consent::decide(&authorize, "Allow").await;
        let state = crate::consent::query(&redirect, "state").expect("state");
        let code = crate::consent::query(&redirect, "code").expect("code");
        (state, code)
    }

    fn callback(&self, query: &str) -> Call {
        Call::get(&format!("/auth/instagram/callback?{query}")).header("Cookie", &self.cookie)
    }
}

fn stored_token(env: &TestEnv) -> String {
    env.stored_credentials()
        .map(|c| c.access_token.expose_secret().to_owned())
        .expect("connected")
}

#[tokio::test]
async fn the_oauth_callback_survives_repeated_empty_and_fragment_codes() {
    let c = Connected::start(&[("IGFEED__ADMIN__PASSWORD", PASSWORD)]).await;
    let exchanges = || c.env.sandbox.stats().calls.oauth_access_token;
    // Strangers, without a session.
    for query in [
        "state=a&state=b&code=x",
        "code=x&code=y&state=a",
        "code=AQB&state=",
        "error=access_denied",
        "",
    ] {
        let call = Call::get(&format!("/auth/instagram/callback?{query}"));
        let answer = c.probe(&call).await;
        assert!(
            (400..500).contains(&answer.status),
            "{}: {}",
            call.what(),
            answer.status
        );
    }
    let owner = Owner::login(&c.app).await;
    let (state, code) = owner.approved(&c.app).await;
    let before = exchanges();
    for query in [
        format!("code={code}&code={code}&state={state}"),
        format!("code={code}&state={state}&state={state}"),
        format!("code={code}&state={state}&state=other"),
    ] {
        let call = owner.callback(&query);
        let answer = c.probe(&call).await;
        assert!(
            (400..500).contains(&answer.status),
            "{}: repeated parameters are refused, got {}",
            call.what(),
            answer.status
        );
    }
    // HEAD is not a way to redeem a state or spend a code.
    let mut head = owner.callback(&format!("code={code}&state={state}"));
    head.method = "HEAD".to_owned();
    let answer = c.probe(&head).await;
    assert_ne!(answer.status, 303, "{}: connected by a HEAD", head.what());
    assert_eq!(exchanges(), before, "{}: a code spent", head.what());
    let empty = owner.callback(&format!("code=&state={state}"));
    let answer = c.probe(&empty).await;
    assert_eq!(answer.status, 400, "{}", empty.what());
    assert!(
        answer.text().contains("without a code"),
        "{}",
        answer.summary()
    );
    assert_eq!(exchanges(), before, "nothing was sent to Instagram");
    assert_eq!(stored_token(&c.env), c.token, "the connection is unchanged");

    // The code as a human pastes it, fragment and all (percent-encoded, so it arrives).
    let (state, code) = owner.approved(&c.app).await;
    let pasted = owner.callback(&format!("code={code}%23_&state={state}"));
    let answer = c.probe(&pasted).await;
    assert_eq!(
        answer.status,
        303,
        "{}: {}",
        pasted.what(),
        answer.summary()
    );
    assert_eq!(answer.header("location"), Some("/admin?connected=1"));
    let token = stored_token(&c.env);
    assert_ne!(token, c.token, "the new connection is stored");
    assert_eq!(exchanges(), before + 1, "one exchange");
    let feed = Call::get("/feed.json");
    let answer = probe(&c.app, &feed, &[&token, &c.token]).await;
    assert_eq!(answer.status, 200);
    c.stop().await;
}

#[tokio::test]
async fn a_malformed_oauth_code_is_the_callers_mistake_not_instagrams() {
    let c = Connected::start(&[("IGFEED__ADMIN__PASSWORD", PASSWORD)]).await;
    let owner = Owner::login(&c.app).await;
    let before = c.env.sandbox.stats().calls.oauth_access_token;
    let long = "A".repeat(3000);
    for bad in ["%3Cscript%3E", "a+b", "%23_", long.as_str()] {
        let (state, _) = owner.approved(&c.app).await;
        let call = owner.callback(&format!("code={bad}&state={state}"));
        let answer = c.probe(&call).await;
        assert_eq!(
            answer.status,
            400,
            "{}: igfeed refused the code itself, so this is a 400",
            call.what()
        );
    }
    assert_eq!(
        c.env.sandbox.stats().calls.oauth_access_token,
        before,
        "malformed codes are not sent"
    );
    assert_eq!(stored_token(&c.env), c.token, "the connection is unchanged");
    c.stop().await;
}
