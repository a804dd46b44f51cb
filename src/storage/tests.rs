//! Behaviour of [`StateDir`] as its callers and operators see it.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::*;
use crate::config::StorageSettings;

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const OTHER_KEY: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Sample {
    token: String,
    count: u32,
}

fn sample() -> Sample {
    Sample {
        token: "IGAAsecret-value".into(),
        count: 7,
    }
}

fn settings(dir: &Path, key: Option<&str>) -> StorageSettings {
    StorageSettings {
        dir: dir.to_owned(),
        encryption_key: key.map(SecretString::from),
    }
}

fn open(dir: &Path, key: Option<&str>) -> StateDir {
    StateDir::open(&settings(dir, key)).expect("open state dir")
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

fn read_err(dir: &StateDir, name: &str) -> StorageError {
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
fn key_mismatches_are_explained_and_leave_the_file_alone() {
    struct Case {
        written_with: Option<&'static str>,
        read_with: Option<&'static str>,
        expect: &'static str,
    }
    let cases = [
        Case {
            written_with: Some(KEY),
            read_with: Some(OTHER_KEY),
            expect: "wrong storage.encryption_key?",
        },
        Case {
            written_with: Some(KEY),
            read_with: None,
            expect: "storage.encryption_key is not set",
        },
        Case {
            written_with: None,
            read_with: Some(KEY),
            expect: "is not encrypted but storage.encryption_key is set",
        },
    ];
    for case in cases {
        let tmp = tempfile::tempdir().expect("tempdir");
        open(tmp.path(), case.written_with)
            .write("a.json", &sample())
            .expect("write");
        let path = tmp.path().join("a.json");
        let before = fs::read(&path).expect("before");

        let message = read_err(&open(tmp.path(), case.read_with), "a.json").to_string();
        assert!(message.contains(case.expect), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert_eq!(
            fs::read(&path).expect("after"),
            before,
            "file changed: {message}"
        );
    }
}

/// Writes a valid file, lets `damage` turn its bytes into something else, and checks that
/// reading fails with a message naming the file and containing `expect`, leaving the bytes.
fn assert_refused(key: Option<&str>, damage: impl Fn(&[u8]) -> Vec<u8>, expect: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = open(tmp.path(), key);
    dir.write("a.json", &sample()).expect("write");
    let path: PathBuf = tmp.path().join("a.json");
    let damaged = damage(&fs::read(&path).expect("read"));
    fs::write(&path, &damaged).expect("damage");

    let message = read_err(&dir, "a.json").to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains(expect), "want {expect:?} in {message}");
    assert!(
        !message.contains("IGAAsecret"),
        "secret in message: {message}"
    );
    assert_eq!(
        fs::read(&path).expect("after"),
        damaged,
        "file changed: {message}"
    );
}

#[test]
fn damaged_files_are_refused_and_left_untouched() {
    let json = |text: &str| -> Box<dyn Fn(&[u8]) -> Vec<u8>> {
        let text = text.to_owned();
        Box::new(move |_| text.clone().into_bytes())
    };
    let cases: Vec<(Option<&str>, Box<dyn Fn(&[u8]) -> Vec<u8>>, &str)> = vec![
        (None, Box::new(|_| Vec::new()), "empty"),
        (None, Box::new(|b| b[..b.len() / 2].to_vec()), "truncated"),
        (
            None,
            Box::new(|b| b.iter().map(|x| x ^ 0x5a).collect()),
            "not valid JSON",
        ),
        (None, json("[1,2]"), "not a JSON object"),
        (None, json(r#"{"data":{}}"#), "no format version"),
        (None, json(r#"{"format":2,"data":{}}"#), "has format 2"),
        (None, json(r#"{"format":0,"data":{}}"#), "unknown format 0"),
        (None, json(r#"{"format":1}"#), "no data"),
        (
            None,
            json(r#"{"format":1,"data":{"token":"IGAAsecret","count":"x"}}"#),
            "unexpected content",
        ),
        (
            None,
            json(r#"{"format":1,"data":{"token":7,"count":1}}"#),
            "unexpected content",
        ),
        (
            Some(KEY),
            Box::new(|b| b[..b.len() - 10].to_vec()),
            "truncated",
        ),
        (
            Some(KEY),
            json(r#"{"format":1,"cipher":"rot13","nonce":"","ciphertext":""}"#),
            "unknown cipher",
        ),
        (
            Some(KEY),
            json(r#"{"format":1,"cipher":"xchacha20poly1305","nonce":"AA==","ciphertext":""}"#),
            "bad nonce",
        ),
        (
            Some(KEY),
            Box::new(flip_ciphertext_bit),
            "wrong storage.encryption_key?",
        ),
    ];
    for (key, damage, expect) in cases {
        assert_refused(key, damage, expect);
    }
}

/// Alters one ciphertext byte while keeping the envelope valid, as bit rot would.
fn flip_ciphertext_bit(bytes: &[u8]) -> Vec<u8> {
    let mut envelope: serde_json::Value = serde_json::from_slice(bytes).expect("json");
    let ciphertext = envelope["ciphertext"]
        .as_str()
        .expect("ciphertext")
        .to_owned();
    let flipped = if ciphertext.starts_with('A') {
        'B'
    } else {
        'A'
    };
    envelope["ciphertext"] = format!("{flipped}{}", &ciphertext[1..]).into();
    serde_json::to_vec(&envelope).expect("serialize")
}

#[test]
fn an_encrypted_file_copied_under_another_name_does_not_decrypt() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = open(tmp.path(), Some(KEY));
    dir.write("a.json", &sample()).expect("write");
    fs::copy(tmp.path().join("a.json"), tmp.path().join("b.json")).expect("copy");
    let message = read_err(&dir, "b.json").to_string();
    assert!(
        message.contains("wrong storage.encryption_key?"),
        "{message}"
    );
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
