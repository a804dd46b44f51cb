//! The built binary's data commands against the sandbox: export and token import.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use igfeed::credentials::TokenSource;
use igfeed_sandbox::TokenKind;

use super::helpers::{TestEnv, hours, wait_until};

/// Runs the built binary with `env`'s settings, `stdin` written to it.
pub(super) fn igfeed(env: &TestEnv, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_igfeed"))
        .args(args)
        .env_clear()
        .envs(&env.env)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("igfeed runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    child.wait_with_output().expect("igfeed exits")
}

pub(super) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn export_writes_every_post_and_offline_uses_the_stored_snapshot() {
    let env = TestEnv::start().await;
    let offline = igfeed(&env, &["export", "--offline"], "");
    assert!(!offline.status.success(), "no snapshot yet");
    assert!(
        stderr(&offline).contains("no stored feed"),
        "{}",
        stderr(&offline)
    );
    let unconnected = igfeed(&env, &["export"], "");
    assert!(!unconnected.status.success());
    assert!(
        stderr(&unconnected).contains("no Instagram account"),
        "{}",
        stderr(&unconnected)
    );

    let token = env.store_credentials(hours(1));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("feed.json");
    let online = igfeed(&env, &["export", "--out", out.to_str().expect("utf-8")], "");
    assert!(online.status.success(), "{}", stderr(&online));
    let text = std::fs::read_to_string(&out).expect("written");
    assert!(!text.contains(&token), "the token never reaches the export");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        doc["posts"].as_array().map(Vec::len),
        Some(env.config.post_count)
    );
    assert_eq!(doc["next"], serde_json::Value::Null);

    let app = env.spawn_app().await;
    wait_until("the first feed", 10, || async { app.has_feed() }).await;
    app.stop().await;
    env.sandbox.set_mode(igfeed_sandbox::Mode::Outage);
    let offline = igfeed(&env, &["export", "--offline"], "");
    assert!(offline.status.success(), "{}", stderr(&offline));
    let doc: serde_json::Value = serde_json::from_slice(&offline.stdout).expect("json on stdout");
    assert_eq!(
        doc["posts"].as_array().map(Vec::len),
        Some(env.config.post_count)
    );
    let failing = igfeed(&env, &["export"], "");
    assert!(
        !failing.status.success(),
        "online export during an outage fails"
    );
    assert!(
        stderr(&failing).contains("--offline"),
        "and suggests --offline: {}",
        stderr(&failing)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn token_import_validates_stores_and_refuses_while_serving() {
    let env = TestEnv::start().await;
    let rejected = igfeed(&env, &["token", "import"], "IGAAnot-a-token\n");
    assert!(!rejected.status.success());
    assert!(
        !stderr(&rejected).contains("IGAAnot-a-token"),
        "{}",
        stderr(&rejected)
    );
    assert!(env.stored_credentials().is_none(), "nothing stored");

    let short = env.sandbox.issue_token(TokenKind::ShortLived, hours(0));
    let imported = igfeed(&env, &["token", "import"], &format!("{short}\n"));
    assert!(imported.status.success(), "{}", stderr(&imported));
    let stored = env.stored_credentials().expect("stored");
    assert_eq!(stored.source, TokenSource::Imported);
    assert_ne!(
        secrecy::ExposeSecret::expose_secret(&stored.access_token),
        short,
        "a short-lived token is exchanged for a long-lived one at once"
    );
    assert!(
        stored.expires_at.is_some(),
        "the exchange tells the lifetime"
    );

    let app = env.spawn_app().await;
    let long = env.sandbox.issue_token(TokenKind::LongLived, hours(0));
    let busy = igfeed(&env, &["token", "import"], &long);
    assert!(!busy.status.success());
    assert!(
        stderr(&busy).contains("in use by another igfeed"),
        "{}",
        stderr(&busy)
    );
    app.stop().await;

    let imported = igfeed(&env, &["token", "import"], &long);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let stored = env.stored_credentials().expect("stored");
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&stored.access_token),
        long
    );
    assert_eq!(
        stored.issued_at, None,
        "a long-lived token's age is unknown"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn token_import_adds_another_account_and_export_takes_its_feed() {
    let env = TestEnv::start().await;
    let first = env.sandbox.issue_token(TokenKind::LongLived, hours(1));
    let imported = igfeed(&env, &["token", "import"], &first);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let second = env
        .sandbox
        .issue_token_for(
            igfeed_sandbox::SECOND_USERNAME,
            TokenKind::LongLived,
            hours(1),
        )
        .expect("a second account");
    let added = igfeed(&env, &["token", "import"], &second);
    assert!(added.status.success(), "{}", stderr(&added));
    let said = String::from_utf8_lossy(&added.stdout);
    assert!(
        said.contains("@harness.cafe") && said.contains("a new account"),
        "{said}"
    );
    // The first account's token again: replaced, not a third account.
    let again = igfeed(&env, &["token", "import"], &first);
    assert!(String::from_utf8_lossy(&again.stdout).contains("replacing"));
    let accounts = env.settings().storage.dir.join("accounts");
    assert_eq!(std::fs::read_dir(&accounts).expect("accounts").count(), 2);

    let exported = igfeed(&env, &["export", "--feed", "Harness.Cafe"], "");
    assert!(exported.status.success(), "{}", stderr(&exported));
    let doc: serde_json::Value = serde_json::from_slice(&exported.stdout).expect("json");
    assert_eq!(doc["profile"]["username"], "harness.cafe");
    // Its 12 posts less the two reels Instagram's profile grid leaves out.
    assert_eq!(doc["posts"].as_array().map(Vec::len), Some(10));
    let default = igfeed(&env, &["export"], "");
    let doc: serde_json::Value = serde_json::from_slice(&default.stdout).expect("json");
    assert_eq!(doc["profile"]["username"], "sandbox.studio");
    let unknown = igfeed(&env, &["export", "--feed", "no.such.feed"], "");
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no feed is called"),
        "{}",
        stderr(&unknown)
    );
}
