//! Behaviour of [`StateDir`] as its callers and operators see it, on both backends: every
//! test of records runs against the state directory and against a real Redis (the shared
//! storage suite; damaged and mis-keyed records are in `damage_tests`). File-only matters
//! (modes, the lock, temp files) and Redis-only ones (URLs, passwords) are marked so.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use super::*;
use crate::config::StorageSettings;

#[path = "../../tests/support/redis_server.rs"]
mod redis_server;
use redis_server::RedisServer;

pub(super) const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
pub(super) const OTHER_KEY: &str =
    "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct Sample {
    pub(super) token: String,
    pub(super) count: u32,
}

pub(super) fn sample() -> Sample {
    Sample {
        token: "IGAAsecret-value".into(),
        count: 7,
    }
}

pub(super) fn settings(dir: &Path, key: Option<&str>) -> StorageSettings {
    StorageSettings::in_dir(dir, key)
}

pub(super) fn open(dir: &Path, key: Option<&str>) -> StateDir {
    StateDir::open(&settings(dir, key)).expect("open state dir")
}

/// One backend under test: where records go, and a way to reach their stored bytes behind
/// igfeed's back (as a damaged disk or a hand edit would).
pub(super) struct Place {
    /// The local directory (with Redis: the media side).
    pub(super) local: tempfile::TempDir,
    pub(super) redis: Option<RedisServer>,
}

impl Place {
    pub(super) fn file() -> Self {
        Self {
            local: tempfile::tempdir().expect("tempdir"),
            redis: None,
        }
    }

    pub(super) fn redis() -> Self {
        Self {
            local: tempfile::tempdir().expect("tempdir"),
            redis: Some(RedisServer::start()),
        }
    }

    /// Both backends, each fresh.
    pub(super) fn each() -> [Self; 2] {
        [Self::file(), Self::redis()]
    }

    /// Redis needs the key; the clear-text cases are the file backend's alone.
    pub(super) fn accepts(&self, key: Option<&str>) -> bool {
        self.redis.is_none() || key.is_some()
    }

    pub(super) fn settings(&self, key: Option<&str>) -> StorageSettings {
        let mut settings = StorageSettings::in_dir(self.local.path(), key);
        if let Some(redis) = &self.redis {
            settings.backend = Backend::Redis;
            settings.redis_url = Some(SecretString::from(redis.url()));
        }
        settings
    }

    pub(super) fn open(&self, key: Option<&str>) -> StateDir {
        StateDir::open(&self.settings(key)).expect("open storage")
    }

    /// How messages name record `path` (`a.json`, `accounts/1/a.json`).
    pub(super) fn location(&self, path: &str) -> String {
        match &self.redis {
            Some(_) => format!("redis:/{path}"),
            None => self.local.path().join(path).display().to_string(),
        }
    }

    /// The stored bytes of record `path`, if any.
    pub(super) fn raw(&self, path: &str) -> Option<Vec<u8>> {
        match &self.redis {
            Some(redis) => redis.get(&format!("igfeed:record:/{path}")),
            None => fs::read(self.local.path().join(path)).ok(),
        }
    }

    /// Replaces the stored bytes of record `path` behind igfeed's back.
    pub(super) fn put_raw(&self, path: &str, bytes: &[u8]) {
        match &self.redis {
            Some(redis) => redis.set(&format!("igfeed:record:/{path}"), bytes),
            None => fs::write(self.local.path().join(path), bytes).expect("raw write"),
        }
    }

    pub(super) fn name(&self) -> &'static str {
        if self.redis.is_some() {
            "redis"
        } else {
            "file"
        }
    }
}

pub(super) fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

pub(super) fn read_err(dir: &StateDir, name: &str) -> StorageError {
    match dir.read::<Sample>(name) {
        Ok(v) => panic!("{name} read as {v:?}"),
        Err(e) => e,
    }
}

#[test]
fn values_round_trip_in_clear_and_encrypted() {
    for key in [None, Some(KEY)] {
        for place in Place::each().into_iter().filter(|p| p.accepts(key)) {
            let dir = place.open(key);
            dir.write("a.json", &sample()).expect("write");
            assert_eq!(dir.read::<Sample>("a.json").expect("read"), Some(sample()));

            let raw = String::from_utf8(place.raw("a.json").expect("stored")).expect("utf-8");
            let envelope: serde_json::Value = serde_json::from_str(&raw).expect("json");
            assert_eq!(envelope["format"], 1, "{raw}");
            if key.is_some() {
                assert_eq!(envelope["cipher"], "xchacha20poly1305", "{raw}");
                assert!(
                    !raw.contains("IGAAsecret"),
                    "{}: token in clear: {raw}",
                    place.name()
                );
            } else {
                assert_eq!(envelope["data"]["token"], "IGAAsecret-value", "{raw}");
                assert!(envelope["written_at"].is_string(), "{raw}");
            }
        }
    }
}

#[test]
fn every_encrypted_write_uses_a_fresh_nonce() {
    for place in Place::each() {
        let dir = place.open(Some(KEY));
        let nonce = || {
            dir.write("a.json", &sample()).expect("write");
            let raw = place.raw("a.json").expect("stored");
            let envelope: serde_json::Value = serde_json::from_slice(&raw).expect("json");
            envelope["nonce"].as_str().expect("nonce").to_owned()
        };
        assert_ne!(nonce(), nonce(), "{}", place.name());
    }
}

#[test]
fn files_are_private_to_igfeed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("nested").join("state");
    let dir = open(&root, None);
    assert_eq!(mode(&root), 0o700);
    dir.write("a.json", &sample()).expect("write");
    assert_eq!(mode(&root.join("a.json")), 0o600);
    let _lock = dir.lock().expect("lock");
    assert_eq!(mode(&root.join(".lock")), 0o600);
}

#[test]
fn absent_records_read_as_none_and_remove_is_idempotent() {
    for place in Place::each() {
        let dir = place.open(Some(KEY));
        assert_eq!(dir.read::<Sample>("a.json").expect("read"), None);
        dir.remove("a.json").expect("remove absent");
        dir.write("a.json", &sample()).expect("write");
        assert!(dir.contains("a.json"), "{}", place.name());
        dir.remove("a.json").expect("remove");
        assert_eq!(dir.read::<Sample>("a.json").expect("read"), None);
        assert!(!dir.contains("a.json"), "{}", place.name());
        assert_eq!(place.raw("a.json"), None, "{}", place.name());
    }
}

#[test]
fn subdirectories_hold_their_own_records_and_go_with_everything_in_them() {
    for place in Place::each() {
        let root = place.open(Some(KEY));
        assert!(!root.contains("accounts"), "{}", place.name());
        let accounts = root.subdir("accounts").expect("accounts");
        let one = accounts.subdir("1").expect("1");
        let two = accounts.subdir("2").expect("2");
        one.write("a.json", &sample()).expect("write 1");
        two.write(
            "a.json",
            &Sample {
                token: "t".into(),
                count: 2,
            },
        )
        .expect("write 2");
        one.subdir("media").expect("media");
        assert!(root.contains("accounts"), "{}", place.name());
        assert_eq!(
            accounts.subdirs().expect("list"),
            ["1", "2"],
            "{}",
            place.name()
        );
        assert_eq!(one.read::<Sample>("a.json").expect("read"), Some(sample()));
        assert_eq!(root.read::<Sample>("a.json").expect("root"), None);

        // Reopened (a restart, another replica): the same records.
        let again = place.open(Some(KEY)).subdir("accounts").expect("accounts");
        assert_eq!(
            again.subdirs().expect("list"),
            ["1", "2"],
            "{}",
            place.name()
        );
        let read = again.subdir("2").expect("2").read::<Sample>("a.json");
        assert_eq!(
            read.expect("read").map(|s| s.count),
            Some(2),
            "{}",
            place.name()
        );

        accounts.remove_subdir("1").expect("remove 1");
        accounts.remove_subdir("1").expect("removing twice is fine");
        assert_eq!(accounts.subdirs().expect("list"), ["2"], "{}", place.name());
        assert_eq!(place.raw("accounts/1/a.json"), None, "{}", place.name());
        assert!(
            !place.local.path().join("accounts/1").exists(),
            "{}",
            place.name()
        );
        // A writer that still holds the removed directory brings nothing back.
        let late = one.write("b.json", &sample());
        assert!(late.is_err(), "{}: {late:?}", place.name());
        assert_eq!(accounts.subdirs().expect("list"), ["2"], "{}", place.name());
        assert_eq!(place.raw("accounts/1/b.json"), None, "{}", place.name());
    }
}

#[test]
fn a_record_moves_into_a_subdirectory_once_and_never_over_another() {
    for place in Place::each() {
        let root = place.open(Some(KEY));
        let target = root.subdir("accounts").expect("dir");
        root.write("a.json", &sample()).expect("write");
        assert!(
            root.move_into("a.json", &target).expect("move"),
            "{}",
            place.name()
        );
        assert!(
            !root.move_into("a.json", &target).expect("again"),
            "{}",
            place.name()
        );
        assert_eq!(
            target.read::<Sample>("a.json").expect("read"),
            Some(sample())
        );
        assert_eq!(root.read::<Sample>("a.json").expect("read"), None);

        root.write(
            "a.json",
            &Sample {
                token: "old".into(),
                count: 0,
            },
        )
        .expect("write");
        assert!(
            !root.move_into("a.json", &target).expect("kept"),
            "{}",
            place.name()
        );
        assert_eq!(
            root.read::<Sample>("a.json")
                .expect("read")
                .map(|s| s.count),
            Some(0)
        );
        assert_eq!(
            target.read::<Sample>("a.json").expect("read"),
            Some(sample())
        );
    }
}

#[test]
fn open_removes_temp_files_of_interrupted_writes_unless_another_process_holds_the_lock() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let stale = tmp.path().join(".a.json.tmp-0123456789abcdef");
    let keep = ["a.json", ".lock", ".hidden"];
    for name in keep {
        fs::write(tmp.path().join(name), b"x").expect("seed");
    }
    let lock = open(tmp.path(), None).lock().expect("lock");
    fs::write(&stale, b"half a write").expect("stale");
    open(tmp.path(), None);
    assert!(stale.exists(), "removed while the directory was locked");
    drop(lock);

    open(tmp.path(), None);
    assert!(!stale.exists(), "stale temp file kept");
    for name in keep {
        assert!(tmp.path().join(name).exists(), "{name} removed");
    }
}

#[test]
fn a_second_lock_is_refused_until_the_first_is_dropped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let first = open(tmp.path(), None).lock().expect("first lock");
    let second = open(tmp.path(), None);
    match second.lock() {
        Err(e @ StorageError::Locked { .. }) => {
            let message = e.to_string();
            assert!(
                message.contains("in use by another igfeed process"),
                "{message}"
            );
            assert!(
                message.contains(&tmp.path().join(".lock").display().to_string()),
                "{message}"
            );
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    drop(first);
    second.lock().expect("lock after release");
}

#[test]
fn names_outside_the_directory_or_reserved_are_rejected() {
    for place in Place::each() {
        names_are_checked(&place.open(Some(KEY)));
    }
}

fn names_are_checked(dir: &StateDir) {
    for name in ["", "../a.json", "sub/a.json", ".lock", ".a.json.tmp-1"] {
        let write = dir.write(name, &sample());
        assert!(
            matches!(write, Err(StorageError::InvalidName { .. })),
            "{name:?}: {write:?}"
        );
        let read = dir.read::<Sample>(name);
        assert!(
            matches!(read, Err(StorageError::InvalidName { .. })),
            "{name:?}: {read:?}"
        );
        let remove = dir.remove(name);
        assert!(
            matches!(remove, Err(StorageError::InvalidName { .. })),
            "{name:?}: {remove:?}"
        );
    }
}

#[test]
fn a_bad_key_setting_is_refused_without_echoing_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let err = StateDir::open(&settings(tmp.path(), Some("my-secret-passphrase")))
        .expect_err("bad key accepted");
    let message = err.to_string();
    assert!(
        message.contains("storage.encryption_key is invalid"),
        "{message}"
    );
    assert!(!message.contains("my-secret-passphrase"), "{message}");
}

#[test]
fn redis_takes_its_password_from_the_url_or_a_file_and_never_repeats_it() {
    let password = "s3cret-redis-pass";
    let redis = RedisServer::start_with(Some(password));
    let local = tempfile::tempdir().expect("tempdir");
    let with = |url: String, file: Option<&Path>| {
        let mut settings = StorageSettings::in_dir(local.path(), Some(KEY));
        settings.backend = Backend::Redis;
        settings.redis_url = Some(SecretString::from(url));
        settings.redis_password_file = file.map(Path::to_owned);
        StateDir::open(&settings)
    };
    let port = redis.port();
    let in_url = with(format!("redis://:{password}@127.0.0.1:{port}/0"), None).expect("url");
    in_url.write("a.json", &sample()).expect("write");

    let file = local.path().join("password");
    fs::write(&file, format!("{password}\n")).expect("password file");
    let from_file = with(redis.url(), Some(&file)).expect("password file");
    assert_eq!(
        from_file.read::<Sample>("a.json").expect("read"),
        Some(sample())
    );

    let both = with(
        format!("redis://:{password}@127.0.0.1:{port}/0"),
        Some(&file),
    );
    let message = both.expect_err("two passwords").to_string();
    assert!(message.contains("storage.redis_password_file"), "{message}");

    for url in [
        redis.url(),
        format!("redis://:wrong-{password}@127.0.0.1:{port}/0"),
    ] {
        let message = with(url, None)
            .expect_err("no or a wrong password")
            .to_string();
        assert!(
            message.contains(&format!("Redis at 127.0.0.1:{port}")),
            "{message}"
        );
        assert!(!message.contains(password), "{message}");
    }
}

#[test]
fn redis_mode_needs_the_key_a_redis_url_and_a_reachable_server() {
    let local = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start();
    let mut settings = StorageSettings::in_dir(local.path(), None);
    settings.backend = Backend::Redis;
    settings.redis_url = Some(SecretString::from(redis.url()));
    let message = StateDir::open(&settings).expect_err("no key").to_string();
    assert!(
        message.contains("storage.encryption_key is required"),
        "{message}"
    );

    settings.encryption_key = Some(SecretString::from(KEY));
    for (url, expect) in [
        ("http://127.0.0.1:6379", "must start with redis://"),
        ("redis://[::1", "is not a valid Redis URL"),
    ] {
        settings.redis_url = Some(SecretString::from(url));
        let message = StateDir::open(&settings).expect_err(url).to_string();
        assert!(message.contains(expect), "{url}: {message}");
    }

    let port = redis.port();
    drop(redis);
    settings.redis_url = Some(SecretString::from(format!(
        "redis://:pw-in-url@127.0.0.1:{port}"
    )));
    let message = StateDir::open(&settings)
        .expect_err("nothing listens")
        .to_string();
    assert!(message.contains("check that it runs"), "{message}");
    assert!(!message.contains("pw-in-url"), "{message}");
}

#[test]
fn redis_survives_a_restart_with_its_append_only_file_and_reconnects() {
    let mut place = Place::redis();
    let dir = place.open(Some(KEY)).subdir("accounts").expect("accounts");
    dir.write("a.json", &sample()).expect("write");
    let redis = place.redis.as_mut().expect("redis");
    redis.kill();
    let down = dir.read::<Sample>("a.json");
    assert!(matches!(down, Err(StorageError::Redis { .. })), "{down:?}");
    redis.restart();
    // The pooled connection died with the server: the next call takes a new one.
    assert_eq!(
        dir.read::<Sample>("a.json").expect("after restart"),
        Some(sample())
    );
    assert_eq!(dir.subdirs().expect("list"), Vec::<String>::new());
}

#[test]
fn a_compare_and_set_write_lands_only_on_what_was_read() {
    for place in Place::each() {
        let (one, other) = (place.open(Some(KEY)), place.open(Some(KEY)));
        let (absent, stamp) = one.read_stamped::<Sample>("a.json").expect("read");
        assert_eq!((absent, &stamp), (None, &Stamp::ABSENT), "{}", place.name());
        let first = one.write_if("a.json", &sample(), &stamp).expect("write");
        let first = first.expect("written on what was read");
        // Another writer (a replica) read nothing too: too late now.
        let late = other.write_if(
            "a.json",
            &Sample {
                token: "old".into(),
                count: 0,
            },
            &stamp,
        );
        assert_eq!(late.expect("no error"), None, "{}", place.name());

        let (read, seen) = other.read_stamped::<Sample>("a.json").expect("read");
        assert_eq!(read, Some(sample()), "{}", place.name());
        assert_eq!(seen, first, "{}: both see the same stamp", place.name());
        let newer = Sample {
            token: "newer".into(),
            count: 2,
        };
        assert!(
            other
                .write_if("a.json", &newer, &seen)
                .expect("write")
                .is_some()
        );
        // The first writer's stamp is stale: an older token never overwrites a newer one.
        let stale = one.write_if("a.json", &sample(), &first).expect("no error");
        assert_eq!(stale, None, "{}", place.name());
        assert_eq!(
            one.read::<Sample>("a.json").expect("read"),
            Some(newer),
            "{}",
            place.name()
        );
    }
}

#[test]
fn a_scratch_value_is_taken_once_by_whoever_asks_first_until_it_expires() {
    for place in Place::each() {
        let (one, other) = (place.open(Some(KEY)), place.open(Some(KEY)));
        one.put_scratch("oauth-abc", b"value", std::time::Duration::from_secs(60))
            .expect("put");
        // With Redis another replica takes it; with files, the one process does.
        let taker = if place.redis.is_some() { &other } else { &one };
        assert_eq!(
            taker.take_scratch("oauth-abc").expect("take").as_deref(),
            Some(&b"value"[..])
        );
        assert_eq!(
            one.take_scratch("oauth-abc").expect("again"),
            None,
            "{}",
            place.name()
        );

        one.put_scratch("short", b"v", std::time::Duration::from_millis(50))
            .expect("put");
        // Real time on both backends (Redis's PX): waiting out the TTL is the condition.
        std::thread::sleep(std::time::Duration::from_millis(150));
        assert_eq!(
            one.take_scratch("short").expect("take"),
            None,
            "{}: expired",
            place.name()
        );
    }
}

/// Waits (up to 10 s) until `done` holds.
fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// A serving replica's local copy: it follows Redis (what another replica removes leaves it
/// too), is private, and a replica started while Redis is down serves from it — only a
/// serving one, only a whole copy of this Redis, and only until Redis answers.
#[test]
fn a_replica_started_during_an_outage_reads_its_local_copy_until_redis_answers() {
    let mut place = Place::redis();
    let root = StateDir::open_serving(&place.settings(Some(KEY))).expect("open");
    let _listening = root.changes();
    root.write("index.json", &sample()).expect("write");
    let accounts = root.subdir("accounts").expect("accounts");
    for id in ["1", "2"] {
        accounts
            .subdir(id)
            .expect("account")
            .write("credentials.json", &sample())
            .expect("write");
    }
    let copy = place.local.path().join("redis-copy");
    wait_for("both accounts copied", || {
        copy.join("accounts/2/credentials.json").is_file()
            && copy.join("accounts/1/credentials.json").is_file()
    });
    // Another replica (its own local directory) disconnects account 2 and removes the
    // index: this replica's copy follows.
    let other_local = tempfile::tempdir().expect("tempdir");
    let mut other = place.settings(Some(KEY));
    other.dir = other_local.path().to_owned();
    let other = StateDir::open(&other).expect("other replica");
    other
        .subdir("accounts")
        .expect("accounts")
        .remove_subdir("2")
        .expect("disconnect");
    other.remove("index.json").expect("remove");
    wait_for("the copy follows", || {
        !copy.join("accounts/2").exists() && !copy.join("index.json").exists()
    });
    let mode = |path: &Path| fs::metadata(path).expect("kept").permissions().mode() & 0o777;
    assert_eq!(mode(&copy.join("accounts/1/credentials.json")), 0o600);
    assert_eq!(mode(&copy.join(".copy-of")), 0o600);
    assert_eq!(mode(&copy.join("accounts/1")), 0o700);
    assert_eq!(mode(&copy), 0o700);

    place.redis.as_mut().expect("redis").kill();
    // Started before the outage: memory is what serves; storage errors say so.
    assert!(matches!(
        root.read::<Sample>("index.json"),
        Err(StorageError::Redis { .. })
    ));
    drop(root);
    // Not serving (a command), or no whole copy of this Redis: refused as before.
    assert!(matches!(
        StateDir::open(&place.settings(Some(KEY))),
        Err(StorageError::Redis { .. })
    ));
    for settings in [
        StorageSettings {
            dir: other_local.path().join("never-ran"),
            ..place.settings(Some(KEY))
        },
        StorageSettings {
            redis_url: place.settings(Some(KEY)).redis_url.map(|url| {
                SecretString::from(format!("{}1", url.expose_secret().trim_end_matches('0')))
            }),
            ..place.settings(Some(KEY))
        },
    ] {
        assert!(matches!(
            StateDir::open_serving(&settings),
            Err(StorageError::Redis { .. })
        ));
    }
    let restarted = StateDir::open_serving(&place.settings(Some(KEY))).expect("on the copy");
    assert!(restarted.trouble().is_some(), "degraded from the start");
    let accounts = restarted.subdir("accounts").expect("listed in the copy");
    assert_eq!(accounts.subdirs().expect("from the copy"), ["1"]);
    let one = accounts.existing_subdir("1").expect("ask").expect("kept");
    assert!(one.try_contains("credentials.json").expect("ask"));
    assert_eq!(
        one.read::<Sample>("credentials.json").expect("copy"),
        Some(sample())
    );
    assert_eq!(
        accounts.existing_subdir("2").expect("ask").map(|_| ()),
        None
    );
    assert_eq!(restarted.read::<Sample>("index.json").expect("copy"), None);
    let (held, stamp) = one
        .read_stamped::<Sample>("credentials.json")
        .expect("copy");
    assert_eq!(held, Some(sample()));
    assert!(matches!(
        one.write("credentials.json", &sample()),
        Err(StorageError::Redis { .. })
    ));

    place.redis.as_mut().expect("redis").restart();
    // Redis is the truth again: a write based on the copy's stamp is refused as a change.
    assert_eq!(
        one.write_if("credentials.json", &sample(), &stamp)
            .expect("no error"),
        None
    );
    other
        .write("index.json", &sample())
        .expect("written elsewhere");
    assert_eq!(
        restarted.read::<Sample>("index.json").expect("from Redis"),
        Some(sample())
    );
}
