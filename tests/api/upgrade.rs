//! A state directory written by igfeed before several accounts (one account: credentials,
//! snapshot and media at the top) loads as the first account, with nothing for the operator
//! to do — in clear and encrypted. The fixtures in `tests/fixtures/single-account/` were
//! written in that format and are kept as they are.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use igfeed_sandbox::Mode;

use super::helpers::{TestApp, TestEnv, wait_until};

/// The fixture's account (its user id) and username.
const ACCOUNT: &str = "17841405793187218";
const USERNAME: &str = "sandbox.studio";
const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/single-account")
        .join(name)
}

/// Copies the fixture `name` into the state directory as the old release left it, with a
/// cached image in `media/`.
fn install(env: &TestEnv, name: &str) -> PathBuf {
    let root = env.settings().storage.dir;
    for file in ["credentials.json", "feed-snapshot.json"] {
        let target = root.join(file);
        std::fs::copy(fixture(name).join(file), &target).expect("fixture copied");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).expect("0600");
    }
    std::fs::create_dir_all(root.join("media")).expect("media dir");
    std::fs::write(root.join("media/leftover.tmp"), b"x").expect("a cached file");
    root
}

async fn served(app: &TestApp) -> serde_json::Value {
    wait_until("the stored feed", 10, || async { app.has_feed() }).await;
    let response = app.get("/feed.json").await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

async fn upgrades_in_place(name: &str, key: Option<&str>) {
    let mut env = TestEnv::start().await;
    // The state directory itself: files, their damage, old layouts.
    env.use_files();
    if let Some(key) = key {
        env.set("IGFEED__STORAGE__ENCRYPTION_KEY", key);
    }
    // The fixture's token belongs to another sandbox run: Instagram is kept out of it, so the
    // feed served is the stored one.
    env.sandbox.set_mode(Mode::Outage);
    let root = install(&env, name);
    let app = env.spawn_app().await;
    let feed = served(&app).await;
    assert_eq!(feed["profile"]["username"], USERNAME, "{name}");
    assert_eq!(feed["posts"].as_array().map(Vec::len), Some(3), "{name}");
    let account = app.account();
    assert_eq!(account.id(), ACCOUNT, "{name}");
    assert_eq!(account.feed_name(), USERNAME, "{name}");
    assert_eq!(
        app.get(&format!("/feed.json?feed={USERNAME}"))
            .await
            .status(),
        200
    );
    app.stop().await;

    let moved = root.join("accounts").join(ACCOUNT);
    for file in ["credentials.json", "feed-snapshot.json"] {
        assert!(!root.join(file).exists(), "{name}: {file} left the top");
        assert!(moved.join(file).exists(), "{name}: {file} is the account's");
    }
    assert!(!root.join("media").exists(), "{name}: media moved");
    assert!(moved.join("media").is_dir(), "{name}: media moved");
    assert!(root.join("accounts.json").exists(), "{name}: the index");
    let before = std::fs::read(moved.join("credentials.json")).expect("credentials");
    let original = std::fs::read(fixture(name).join("credentials.json")).expect("fixture");
    assert_eq!(before, original, "{name}: moved, never rewritten");

    // A second start finds the new layout as it left it.
    let app = env.spawn_app().await;
    assert_eq!(
        served(&app).await["profile"]["username"],
        USERNAME,
        "{name}"
    );
    assert_eq!(app.state.accounts.accounts().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_one_account_directory_loads_as_the_first_account() {
    upgrades_in_place("clear", None).await;
}

#[tokio::test]
async fn an_encrypted_one_account_directory_loads_as_the_first_account() {
    upgrades_in_place("encrypted", Some(KEY)).await;
}

#[tokio::test]
async fn an_upgrade_interrupted_half_way_finishes_on_the_next_start() {
    let mut env = TestEnv::start().await;
    // The state directory itself: files, their damage, old layouts.
    env.use_files();
    env.sandbox.set_mode(Mode::Outage);
    let root = install(&env, "clear");
    // As if a start had moved the snapshot and media, then died before the credentials.
    let moved = root.join("accounts").join(ACCOUNT);
    std::fs::create_dir_all(&moved).expect("account dir");
    std::fs::rename(
        root.join("feed-snapshot.json"),
        moved.join("feed-snapshot.json"),
    )
    .expect("moved");
    std::fs::rename(root.join("media"), moved.join("media")).expect("moved");
    let app = env.spawn_app().await;
    assert_eq!(served(&app).await["profile"]["username"], USERNAME);
    app.stop().await;
    assert!(!root.join("credentials.json").exists());
    assert!(moved.join("credentials.json").exists());
}
