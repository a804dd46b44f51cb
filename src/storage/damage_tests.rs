//! Files igfeed cannot vouch for — damaged, truncated, from the future, under the wrong key —
//! are refused with a message naming them, and left byte for byte as they were.

use std::fs;
use std::path::PathBuf;

use super::tests::{KEY, OTHER_KEY, open, read_err, sample};

/// Turns a valid file's bytes into damaged ones.
type Damage = Box<dyn Fn(&[u8]) -> Vec<u8>>;

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
    let json = |text: &str| -> Damage {
        let text = text.to_owned();
        Box::new(move |_| text.clone().into_bytes())
    };
    let cases: Vec<(Option<&str>, Damage, &str)> = vec![
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
