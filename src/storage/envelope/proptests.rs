//! Properties of state files over generated contents and damage: whatever is written reads
//! back as it was, clear or sealed; a damaged file is an error, never a panic; any change to
//! a sealed file or any cut-off file is refused; and no error quotes a stored value.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{TimeZone as _, Utc};
use proptest::prelude::*;

use super::*;

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const NAME: &str = "credentials.json";

type Contents = BTreeMap<String, (String, Option<i64>)>;

fn key() -> EncryptionKey {
    EncryptionKey::parse(KEY).expect("valid key")
}

fn contents() -> impl Strategy<Value = Contents> {
    prop::collection::btree_map(
        "\\PC{0,8}",
        ("\\PC{0,24}", prop::option::of(any::<i64>())),
        0..5,
    )
}

fn write(value: &Contents, key: Option<&EncryptionKey>) -> Vec<u8> {
    let written_at = Utc
        .timestamp_opt(1_800_000_000, 0)
        .single()
        .expect("a time");
    encode(Path::new(NAME), NAME, value, key, written_at)
        .expect("encodes")
        .to_vec()
}

fn read<T: DeserializeOwned>(bytes: &[u8], key: Option<&EncryptionKey>) -> Result<T, StorageError> {
    decode(Path::new(NAME), NAME, bytes, key)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn what_is_written_reads_back(value in contents(), sealed in any::<bool>()) {
        let key = key();
        let key = sealed.then_some(&key);
        let read_back: Contents = read(&write(&value, key), key)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(read_back, value);
    }

    #[test]
    fn any_changed_byte_of_a_sealed_file_is_refused(
        value in contents(),
        position in any::<prop::sample::Index>(),
        replacement in any::<u8>(),
    ) {
        let key = key();
        let mut bytes = write(&value, Some(&key));
        let at = position.index(bytes.len());
        prop_assume!(bytes[at] != replacement);
        bytes[at] = replacement;
        prop_assert!(read::<Contents>(&bytes, Some(&key)).is_err());
    }

    #[test]
    fn a_cut_off_file_is_refused(value in contents(), sealed in any::<bool>(), cut in any::<prop::sample::Index>()) {
        let key = key();
        let key = sealed.then_some(&key);
        let bytes = write(&value, key);
        let kept = cut.index(bytes.len());
        prop_assert!(read::<Contents>(&bytes[..kept], key).is_err());
    }

    /// Any bytes at all, and JSON envelopes with odd fields, are read or refused without a
    /// panic, with or without a key; under a key, none of them is read.
    #[test]
    fn any_bytes_are_read_or_refused(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..80),
            (prop::option::of(any::<u64>()), prop::option::of("[a-z0-9]{0,20}"), prop::option::of("[A-Za-z0-9+/=]{0,60}"), "\\PC{0,10}")
                .prop_map(|(format, cipher, blob, data)| serde_json::json!({
                    "format": format, "cipher": cipher, "nonce": blob, "ciphertext": blob, "data": data,
                }).to_string().into_bytes()),
        ],
        with_key in any::<bool>(),
    ) {
        let key = key();
        let result = read::<Contents>(&bytes, with_key.then_some(&key));
        // Nothing but igfeed's own sealing opens under a key.
        if with_key {
            prop_assert!(result.is_err());
        }
    }

    /// A stored value of the wrong type is reported without quoting any part of it, whatever
    /// characters it holds: it may be the token.
    #[test]
    fn errors_never_quote_a_stored_value(
        head in "[A-Z]{8,15}",
        middle in prop::sample::select(&["", "\"", "\\", "\n", "\u{7f}", "é", "\"\"", "\\\""][..]),
        tail in "[A-Z]{8,15}",
    ) {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Numbers {
            token: u64,
        }
        let stored = BTreeMap::from([("token".to_owned(), format!("{head}{middle}{tail}"))]);
        let written_at = Utc.timestamp_opt(1_800_000_000, 0).single().expect("a time");
        let bytes = encode(Path::new(NAME), NAME, &stored, None, written_at).expect("encodes");
        let error = read::<Numbers>(&bytes, None).expect_err("a string is not a number").to_string();
        prop_assert!(!error.contains(&head) && !error.contains(&tail), "{}", error);
    }
}
