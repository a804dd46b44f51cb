//! A process killed with SIGKILL at any instant while it rewrites the credentials never
//! leaves a file igfeed cannot read: the old or the new state, nothing in between.
//!
//! The test re-runs this very test binary as the victim (selecting the
//! `child_rewrites_credentials_forever` test by name), so the helper is built from the same
//! code as igfeed and needs no binary of its own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use igfeed::config::StorageSettings;
use igfeed::credentials::{CREDENTIALS_FILE, CredentialStore, Credentials, TokenSource};
use igfeed::storage::StateDir;
use secrecy::{ExposeSecret as _, SecretString};

/// Tells the child where to write; set only on the child's `Command`, never in this process.
const DIR_VAR: &str = "IGFEED_CRASH_TEST_DIR";
/// The child creates this file once its first write has completed.
const READY_VAR: &str = "IGFEED_CRASH_TEST_READY";
/// The encryption key, when the child should encrypt.
const KEY_VAR: &str = "IGFEED_CRASH_TEST_KEY";

const KEY: &str = "8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
/// Enough permissions to make each write a few hundred kilobytes, so kills land mid-write.
const PERMISSIONS: usize = 4000;
const KILLS_PER_MODE: usize = 50;
/// A fresh directory every so many kills; the others reuse one, so that kills also land
/// while a rename replaces an existing file.
const FRESH_DIR_EVERY: usize = 10;

fn settings(dir: &Path, key: Option<&str>) -> StorageSettings {
    StorageSettings::in_dir(dir, key)
}

/// The credentials of the `n`th write: every field says `n`, so a mix of two writes shows.
fn nth(n: u64) -> Credentials {
    let mut c = Credentials::new(
        SecretString::from(format!("token-{n}")),
        TokenSource::Authorized,
        Utc::now(),
    );
    c.username = Some(format!("user-{n}"));
    c.permissions = (0..PERMISSIONS)
        .map(|i| format!("permission-{n}-{i}"))
        .collect();
    c
}

/// Which write `c` is, after checking that all its fields agree.
fn write_number(c: &Credentials) -> u64 {
    let token = c.access_token.expose_secret();
    let n: u64 = token
        .strip_prefix("token-")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected token shape (length {})", token.len()));
    assert_eq!(c.username.as_deref(), Some(format!("user-{n}").as_str()));
    assert_eq!(c.permissions.len(), PERMISSIONS, "write {n}");
    assert_eq!(
        c.permissions[PERMISSIONS - 1],
        format!("permission-{n}-{}", PERMISSIONS - 1)
    );
    n
}

/// The victim. In a normal test run `IGFEED_CRASH_TEST_DIR` is unset and it passes at once;
/// only when the crash test below starts it (with that variable) does it rewrite the
/// credentials forever, continuing the counter it finds, until it is killed.
#[test]
fn child_rewrites_credentials_forever() {
    let Some(dir) = std::env::var_os(DIR_VAR) else {
        return;
    };
    let key = std::env::var(KEY_VAR).ok();
    let ready = std::env::var_os(READY_VAR)
        .map(PathBuf::from)
        .expect("ready path");
    let state = StateDir::open(&settings(Path::new(&dir), key.as_deref())).expect("open");
    let _lock = state.lock().expect("lock");
    let store = CredentialStore::open(state).expect("store");
    let mut n = store.current().map_or(0, |c| write_number(&c) + 1);
    store.save(nth(n)).expect("first save");
    std::fs::write(&ready, b"").expect("ready file");
    loop {
        n += 1;
        store.save(nth(n)).expect("save");
    }
}

fn spawn_child(dir: &Path, ready: &Path, key: Option<&str>) -> Child {
    let exe = std::env::current_exe().expect("current exe");
    let mut command = Command::new(exe);
    command
        .args([
            "--exact",
            "child_rewrites_credentials_forever",
            "--nocapture",
        ])
        .env(DIR_VAR, dir)
        .env(READY_VAR, ready)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match key {
        Some(key) => command.env(KEY_VAR, key),
        None => command.env_remove(KEY_VAR),
    };
    command.spawn().expect("spawn child")
}

/// Waits for the child's first complete write, failing with its stderr if it dies first.
fn wait_until_ready(child: &mut Child, ready: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready.exists() {
        if let Some(status) = child.try_wait().expect("try_wait") {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            panic!("child exited early ({status}):\n{stderr}");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("child did not write within 10 s");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Kills a writer `KILLS_PER_MODE` times; returns how many kills caught a write in flight
/// (a temp file was left behind).
fn kill_repeatedly(key: Option<&str>) -> usize {
    let root = tempfile::tempdir().expect("tempdir");
    let ready = root.path().join("ready");
    let mut dir = root.path().join("state-0");
    let mut last_seen = None;
    let mut in_flight = 0;
    for i in 0..KILLS_PER_MODE {
        if i % FRESH_DIR_EVERY == 0 {
            dir = root.path().join(format!("state-{i}"));
            last_seen = None;
        }
        let _ = std::fs::remove_file(&ready);
        let mut child = spawn_child(&dir, &ready, key);
        wait_until_ready(&mut child, &ready);
        std::thread::sleep(Duration::from_millis(rand::random_range(1..=30)));
        child.kill().expect("SIGKILL the child");
        child.wait().expect("reap the child");

        in_flight += usize::from(temp_files(&dir) > 0);
        let state = StateDir::open(&settings(&dir, key))
            .unwrap_or_else(|e| panic!("kill {i}: state dir unusable: {e}"));
        let store = CredentialStore::open(state)
            .unwrap_or_else(|e| panic!("kill {i}: credentials unreadable: {e}"));
        let credentials = store
            .current()
            .unwrap_or_else(|| panic!("kill {i}: credentials gone"));
        let n = write_number(&credentials);
        assert!(
            last_seen.is_none_or(|last| n >= last),
            "kill {i}: went back from {last_seen:?} to {n}"
        );
        last_seen = Some(n);
        let left = temp_files(&dir);
        assert_eq!(left, 0, "kill {i}: open left {left} temp files");
    }
    in_flight
}

/// How many files other than the credentials and the lock file are in `dir`.
fn temp_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name != CREDENTIALS_FILE && name != ".lock")
        .count()
}

#[test]
fn sigkill_at_random_moments_never_leaves_an_unreadable_credentials_file() {
    let in_flight = kill_repeatedly(None) + kill_repeatedly(Some(KEY));
    // About one kill in eight lands between creating the temp file and the rename; none at
    // all would mean the test no longer exercises what it claims to.
    assert!(in_flight > 0, "no kill landed during a file write");
}
