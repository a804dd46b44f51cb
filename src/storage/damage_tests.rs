//! Records igfeed cannot vouch for — damaged, truncated, from the future, under the wrong key —
//! are refused with a message naming them, and left byte for byte as they were, on both
//! backends.

use super::tests::{KEY, OTHER_KEY, Place, open, read_err, sample};

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
        for place in Place::each() {
            if !(place.accepts(case.written_with) && place.accepts(case.read_with)) {
                continue;
            }
            if case.written_with.is_none() {
                // Redis never stores clear records; a clear one there came from elsewhere.
                let clear = Place::file();
                open(clear.local.path(), None)
                    .write("a.json", &sample())
                    .expect("write");
                place.put_raw("a.json", &clear.raw("a.json").expect("clear"));
            } else {
                place
                    .open(case.written_with)
                    .write("a.json", &sample())
                    .expect("write");
            }
            let before = place.raw("a.json").expect("before");

            let message = read_err(&place.open(case.read_with), "a.json").to_string();
            assert!(message.contains(case.expect), "{}: {message}", place.name());
            assert!(message.contains(&place.location("a.json")), "{message}");
            assert_eq!(
                place.raw("a.json").expect("after"),
                before,
                "changed: {message}"
            );
        }
    }
}

/// Writes a valid record, lets `damage` turn its bytes into something else, and checks that
/// reading fails with a message naming the record and containing `expect`, leaving the bytes;
/// on each backend that takes `key`.
fn assert_refused(key: Option<&str>, damage: impl Fn(&[u8]) -> Vec<u8>, expect: &str) {
    for place in Place::each().into_iter().filter(|p| p.accepts(key)) {
        let dir = place.open(key);
        dir.write("a.json", &sample()).expect("write");
        let damaged = damage(&place.raw("a.json").expect("read"));
        place.put_raw("a.json", &damaged);

        let message = read_err(&dir, "a.json").to_string();
        assert!(message.contains(&place.location("a.json")), "{message}");
        assert!(message.contains(expect), "want {expect:?} in {message}");
        assert!(
            !message.contains("IGAAsecret"),
            "secret in message: {message}"
        );
        assert_eq!(
            place.raw("a.json").expect("after"),
            damaged,
            "changed: {message}"
        );
    }
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
fn an_encrypted_record_copied_under_another_name_does_not_decrypt() {
    for place in Place::each() {
        let dir = place.open(Some(KEY));
        dir.write("a.json", &sample()).expect("write");
        place.put_raw("b.json", &place.raw("a.json").expect("stored"));
        let message = read_err(&dir, "b.json").to_string();
        assert!(
            message.contains("wrong storage.encryption_key?"),
            "{}: {message}",
            place.name()
        );
    }
}
