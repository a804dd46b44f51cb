//! `igfeed status`, black-box: the built binary asking a running igfeed (spawned in-process on
//! loopback) and the exit codes scripts rely on.

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;
#[path = "support/redis_server.rs"]
mod redis_server;

use std::process::{Command, Output};

use helpers::{TestEnv, hours, wait_until};

/// Runs `igfeed status --url url` off the async workers (the server answers on them).
async fn status(url: String) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_igfeed"))
            .env_remove("IGFEED_CONFIG")
            .env("NO_COLOR", "1")
            .args(["status", "--url", &url])
            .output()
            .expect("igfeed status runs")
    })
    .await
    .expect("joined")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn status_prints_the_details_and_exits_0_when_ready() {
    let env = TestEnv::start().await;
    let token = env.store_credentials(hours(1));
    let app = env.spawn_app().await;
    wait_until("the first feed", 10, || async {
        app.state
            .accounts
            .default_account()
            .is_some_and(|a| a.feed.peek().is_some())
    })
    .await;
    let output = status(app.address.clone()).await;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    for part in [
        "ready",
        "account:",
        "connected",
        "authorized",
        "expires in",
        "posts",
    ] {
        assert!(stdout.contains(part), "{part:?} in\n{stdout}");
    }
    assert!(!stdout.contains(&token) && !stderr.contains(&token));
}

#[tokio::test]
async fn status_exits_1_when_not_ready() {
    let app = TestEnv::start().await.spawn_app().await;
    let output = status(format!("{}/readyz", app.address)).await;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("NOT READY"), "{stdout}");
    assert!(stdout.contains("not connected"), "{stdout}");
    assert!(stderr.contains("cannot serve a feed"), "{stderr}");
}

#[tokio::test]
async fn status_exits_1_with_a_clear_message_when_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let output = status(format!("http://127.0.0.1:{port}")).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot reach igfeed"), "{stderr}");
}

#[tokio::test]
async fn status_will_not_send_the_ops_token_over_plain_http_off_the_machine() {
    const TOKEN: &str = "an-ops-token-of-at-least-32-characters";
    // 192.0.2.1 (TEST-NET-1) is never reachable: old code would try it and time out.
    let output = tokio::task::spawn_blocking(|| {
        Command::new(env!("CARGO_BIN_EXE_igfeed"))
            .env_remove("IGFEED_CONFIG")
            .env("IGFEED__OPS__TOKEN", TOKEN)
            .env("NO_COLOR", "1")
            .args(["status", "--url", "http://192.0.2.1:9/"])
            .output()
            .expect("igfeed status runs")
    })
    .await
    .expect("joined");
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("refusing to send ops.token over plain http to 192.0.2.1"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
}

/// The paragraph of `stdout` that describes the account `@username`.
fn block_of<'a>(stdout: &'a str, username: &str) -> &'a str {
    let header = format!("@{username} ");
    stdout
        .split("\n\n")
        .find(|block| {
            block
                .lines()
                .any(|l| l.starts_with("account:") && l.contains(&header))
        })
        .unwrap_or_else(|| panic!("no block for @{username} in\n{stdout}"))
}

#[tokio::test]
async fn status_prints_every_account_and_exits_1_when_one_needs_reconnecting() {
    let env = TestEnv::start().await;
    let first_token = env.store_credentials(hours(1));
    let app = env.spawn_app().await;
    wait_until("the first feed", 10, || async {
        app.state
            .accounts
            .default_account()
            .is_some_and(|a| a.feed.peek().is_some())
    })
    .await;
    let (cafe, cafe_token) = env.connect_other(&app, "harness.cafe", hours(1)).await;
    let ids = env.sandbox.accounts();

    let output = status(app.address.clone()).await;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    for (ids, default) in ids.iter().take(2).zip([true, false]) {
        let block = block_of(&stdout, &ids.username);
        assert!(block.contains(&ids.user_id), "the id in\n{block}");
        assert!(
            block.contains(&format!("feed {}", ids.username)),
            "the feed name in\n{block}"
        );
        assert_eq!(block.contains("(default)"), default, "{block}");
        for part in ["connection: connected", "expires in", "posts"] {
            assert!(block.contains(part), "{part:?} in\n{block}");
        }
    }

    assert!(env.sandbox.revoke_tokens_of("harness.cafe"));
    assert!(cafe.feed.refresh().await.is_err(), "a revoked token fails");
    let output = status(app.address.clone()).await;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("ready (a feed can be served)"), "{stdout}");
    let revoked = block_of(&stdout, "harness.cafe");
    for part in [
        "NEEDS RECONNECT",
        "open /admin and click Reconnect",
        "posts",
    ] {
        assert!(revoked.contains(part), "{part:?} in\n{revoked}");
    }
    let healthy = block_of(&stdout, "sandbox.studio");
    assert!(healthy.contains("connection: connected"), "{healthy}");
    assert!(
        stderr.contains("needs reconnecting") && stderr.contains("@harness.cafe"),
        "the account is named: {stderr}"
    );
    assert!(!stderr.contains("sandbox.studio"), "{stderr}");
    for token in [&first_token, &cafe_token] {
        assert!(!stdout.contains(token.as_str()) && !stderr.contains(token.as_str()));
    }
}
