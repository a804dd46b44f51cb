//! Behaviour of [`StateDir`] as its callers and operators see it; damaged and mis-keyed
//! files are in `damage_tests`.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::*;
use crate::config::StorageSettings;

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
    StorageSettings {
        dir: dir.to_owned(),
        encryption_key: key.map(SecretString::from),
    }
}

pub(super) fn open(dir: &Path, key: Option<&str>) -> StateDir {
    StateDir::open(&settings(dir, key)).expect("open state dir")
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
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = open(tmp.path(), key);
        dir.write("a.json", &sample()).expect("write");
        assert_eq!(dir.read::<Sample>("a.json").expect("read"), Some(sample()));

        let raw = fs::read_to_string(tmp.path().join("a.json")).expect("raw");
        let envelope: serde_json::Value = serde_json::from_str(&raw).expect("json");
        assert_eq!(envelope["format"], 1, "{raw}");
        if key.is_some() {
            assert_eq!(envelope["cipher"], "xchacha20poly1305", "{raw}");
            assert!(!raw.contains("IGAAsecret"), "token in clear: {raw}");
        } else {
            assert_eq!(envelope["data"]["token"], "IGAAsecret-value", "{raw}");
            assert!(envelope["written_at"].is_string(), "{raw}");
        }
    }
}

#[test]
fn every_encrypted_write_uses_a_fresh_nonce() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = open(tmp.path(), Some(KEY));
    let nonce = || {
        dir.write("a.json", &sample()).expect("write");
        let raw = fs::read(tmp.path().join("a.json")).expect("raw");
        let envelope: serde_json::Value = serde_json::from_slice(&raw).expect("json");
        envelope["nonce"].as_str().expect("nonce").to_owned()
    };
    assert_ne!(nonce(), nonce());
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
fn absent_files_read_as_none_and_remove_is_idempotent() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = open(tmp.path(), None);
    assert_eq!(dir.read::<Sample>("a.json").expect("read"), None);
    dir.remove("a.json").expect("remove absent");
    dir.write("a.json", &sample()).expect("write");
    dir.remove("a.json").expect("remove");
    assert_eq!(dir.read::<Sample>("a.json").expect("read"), None);
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
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = open(tmp.path(), None);
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
