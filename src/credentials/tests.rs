//! The credential store as igfeed's tasks use it.

use std::sync::Arc;
use std::thread;

use chrono::{DateTime, TimeDelta, TimeZone as _, Utc};
use secrecy::{ExposeSecret as _, SecretString};

use super::*;
use crate::config::StorageSettings;
use crate::storage::{StateDir, StorageError};

const TOKEN: &str = "IGAAtoken-that-must-never-show";
const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, hour, 0, 0)
        .single()
        .expect("valid time")
}

/// Credentials with every field set to something distinct.
fn full() -> Credentials {
    Credentials {
        access_token: SecretString::from(TOKEN),
        app_scoped_id: Some("17841400000000001".into()),
        user_id: Some("9000000000000002".into()),
        token_user_id: Some("9000000000000002".into()),
        username: Some("bakery".into()),
        permissions: vec!["instagram_business_basic".into(), "other".into()],
        source: TokenSource::Imported,
        obtained_at: at(1),
        issued_at: Some(at(2)),
        expires_at: Some(at(3)),
        last_refresh_attempt: Some(at(4)),
        state: TokenState::NeedsReconnect {
            reason: "Error validating access token".into(),
            since: at(5),
        },
    }
}

/// Field-by-field equality (the public type has no PartialEq, on purpose: comparing tokens
/// with `==` is a timing leak waiting to happen).
fn assert_same(a: &Credentials, b: &Credentials) {
    assert_eq!(
        a.access_token.expose_secret(),
        b.access_token.expose_secret()
    );
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

fn open_store(dir: &std::path::Path, key: Option<&str>) -> CredentialStore {
    let settings = StorageSettings::in_dir(dir, key);
    CredentialStore::open(StateDir::open(&settings).expect("state dir")).expect("store")
}

#[test]
fn every_field_survives_a_restart_in_clear_and_encrypted() {
    for key in [None, Some(KEY)] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let first = open_store(tmp.path(), key);
        assert!(first.current().is_none());
        first.save(full()).expect("save");
        assert_same(&first.current().expect("in memory"), &full());

        let reopened = open_store(tmp.path(), key).current().expect("on disk");
        assert_same(&reopened, &full());
    }
}

#[test]
fn debug_output_never_contains_the_token() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = open_store(tmp.path(), None);
    store.save(full()).expect("save");
    for shown in [
        format!("{:?}", full()),
        format!("{:#?}", full()),
        format!("{store:?}"),
    ] {
        assert!(!shown.contains(TOKEN), "{shown}");
    }
}

#[test]
fn ids_ages_and_state_are_derived_from_the_fields() {
    let mut c = full();
    assert_eq!(
        c.ids(),
        ["17841400000000001", "9000000000000002"],
        "without repeats"
    );
    c.user_id = c.app_scoped_id.clone();
    c.token_user_id = None;
    assert_eq!(c.ids(), ["17841400000000001"]);
    c.token_user_id = Some("9000000000000003".into());
    assert_eq!(
        c.ids(),
        ["17841400000000001", "9000000000000003"],
        "the code exchange's id is matched too"
    );
    c.app_scoped_id = None;
    c.user_id = None;
    c.token_user_id = None;
    assert!(c.ids().is_empty());

    assert_eq!(c.age(at(5)), Some(TimeDelta::hours(3)));
    assert_eq!(c.age(at(0)), Some(TimeDelta::zero()), "clock set back");
    c.issued_at = None;
    assert_eq!(c.age(at(5)), None);

    assert!(!c.is_active());
    assert!(Credentials::new(SecretString::from("t"), TokenSource::Authorized, at(1)).is_active());
}

#[test]
fn update_changes_disk_and_memory_and_clear_forgets_both() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = open_store(tmp.path(), None);
    assert!(
        store
            .update(|c| c.username = None)
            .expect("update")
            .is_none()
    );

    store.save(full()).expect("save");
    let updated = store
        .update(|c| c.state = TokenState::Active)
        .expect("update")
        .expect("some");
    assert!(updated.is_active());
    assert!(store.current().expect("memory").is_active());
    assert!(
        open_store(tmp.path(), None)
            .current()
            .expect("disk")
            .is_active()
    );

    store.clear().expect("clear");
    assert!(store.current().is_none());
    assert!(open_store(tmp.path(), None).current().is_none());
    assert!(!tmp.path().join(CREDENTIALS_FILE).exists());
}

#[test]
fn concurrent_updates_are_serialised() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(open_store(tmp.path(), None));
    store
        .save(Credentials::new(
            SecretString::from("t"),
            TokenSource::Authorized,
            at(1),
        ))
        .expect("save");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                for i in 0..5 {
                    store
                        .update(|c| c.permissions.push(format!("{t}-{i}")))
                        .expect("update");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let on_disk = open_store(tmp.path(), None).current().expect("disk");
    assert_eq!(
        on_disk.permissions.len(),
        40,
        "lost updates: {:?}",
        on_disk.permissions
    );
}

#[test]
fn a_failed_write_leaves_memory_as_it_was() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = open_store(tmp.path(), None);
    store.save(full()).expect("save");
    // A directory where the temp file would go makes the write fail, as a full disk would.
    let state = tmp.path().to_owned();
    std::fs::remove_dir_all(&state).expect("remove dir");
    let result = store.save(Credentials::new(
        SecretString::from("new"),
        TokenSource::Authorized,
        at(9),
    ));
    assert!(matches!(result, Err(StorageError::Io { .. })), "{result:?}");
    assert_same(&store.current().expect("memory"), &full());
}

#[test]
fn a_damaged_credentials_file_stops_open() {
    let tmp = tempfile::tempdir().expect("tempdir");
    open_store(tmp.path(), None).save(full()).expect("save");
    let path = tmp.path().join(CREDENTIALS_FILE);
    std::fs::write(&path, br#"{"format":1,"data":{"access_token":"x"}}"#).expect("damage");
    let settings = StorageSettings::in_dir(tmp.path(), None);
    let dir = StateDir::open(&settings).expect("state dir");
    let err = CredentialStore::open(dir).expect_err("damaged file accepted");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("missing field"), "{message}");
}
