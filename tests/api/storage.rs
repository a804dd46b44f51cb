//! igfeed's state on disk through the running application: encryption, locking, damage.

use super::helpers::{TestEnv, hours, wait_until};

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const OTHER_KEY: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

/// Every file under the state directory (accounts' directories included), by file name.
fn files(env: &TestEnv) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &std::path::Path, found: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).expect("storage dir") {
            let entry = entry.expect("entry");
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&entry.path(), found);
            } else {
                let name = entry.file_name().to_string_lossy().into_owned();
                found.push((name, std::fs::read(entry.path()).unwrap_or_default()));
            }
        }
    }
    let mut found = Vec::new();
    walk(&env.settings().storage.dir, &mut found);
    found
}

/// The connected account's directory (named after its user id).
fn account_dir(env: &TestEnv) -> std::path::PathBuf {
    let (_, user_id) = env.sandbox.account_ids();
    env.settings().storage.dir.join("accounts").join(user_id)
}

#[tokio::test]
async fn with_a_key_nothing_readable_lands_on_disk_and_a_wrong_key_stops_startup() {
    let mut env = TestEnv::start().await;
    // The state directory itself: files, their damage, old layouts.
    env.use_files();
    env.set("IGFEED__STORAGE__ENCRYPTION_KEY", KEY);
    let token = env.store_credentials(hours(1));
    let app = env.spawn_app().await;
    wait_until("the first feed", 10, || async { app.has_feed() }).await;
    app.stop().await;
    let stored = files(&env);
    assert!(
        stored.iter().any(|(n, _)| n == "feed-snapshot.json"),
        "{stored:?}"
    );
    for (name, bytes) in &stored {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(&token), "{name} holds the token in clear");
        assert!(
            !text.contains("sandbox.studio"),
            "{name} holds feed data in clear"
        );
    }

    env.set("IGFEED__STORAGE__ENCRYPTION_KEY", OTHER_KEY);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let failed =
        igfeed::startup::Application::build_on(listener, env.settings(), env.clock.clone()).await;
    let message = failed.err().expect("a wrong key stops startup").to_string();
    assert!(
        message.contains("credentials") && message.contains("encryption_key"),
        "{message}"
    );
    assert!(
        !message.contains(OTHER_KEY) && !message.contains(KEY),
        "{message}"
    );
}

#[tokio::test]
async fn a_second_server_on_the_same_storage_is_refused() {
    let env = TestEnv::start().await;
    let app = env.spawn_app().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let second =
        igfeed::startup::Application::build_on(listener, env.settings(), env.clock.clone()).await;
    let message = second.err().expect("refused").to_string();
    assert!(message.contains("in use by another igfeed"), "{message}");
    app.stop().await;
}

#[tokio::test]
async fn a_damaged_credentials_file_stops_startup_and_is_left_alone() {
    let mut env = TestEnv::start().await;
    // The state directory itself: files, their damage, old layouts.
    env.use_files();
    env.store_credentials(hours(1));
    let path = env.settings().storage.dir.join("credentials.json");
    let original = std::fs::read(&path).expect("written");
    std::fs::write(&path, &original[..original.len() / 2]).expect("truncate");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let failed =
        igfeed::startup::Application::build_on(listener, env.settings(), env.clock.clone()).await;
    let message = failed.err().expect("refused").to_string();
    assert!(message.contains("credentials.json"), "{message}");
    assert_eq!(
        std::fs::read(&path).expect("still there"),
        &original[..original.len() / 2]
    );
}

#[tokio::test]
async fn a_damaged_snapshot_is_ignored_and_rebuilt() {
    let mut env = TestEnv::start().await;
    // The state directory itself: files, their damage, old layouts.
    env.use_files();
    env.store_credentials(hours(1));
    // Written where releases before several accounts kept it: the start moves it into the
    // account's directory, where it is found damaged.
    let path = env.settings().storage.dir.join("feed-snapshot.json");
    std::fs::write(&path, b"{\"format\":1,\"data\":").expect("write junk");
    let app = env.spawn_app().await;
    wait_until("a rebuilt feed", 10, || async { app.has_feed() }).await;
    let response = app.get("/feed.json").await;
    assert_eq!(response.status(), 200);
    app.stop().await;
    assert!(!path.exists(), "moved into the account's directory");
    let rebuilt =
        std::fs::read_to_string(account_dir(&env).join("feed-snapshot.json")).expect("rewritten");
    assert!(
        rebuilt.contains("sandbox.studio"),
        "the next refresh rewrote it"
    );
}
