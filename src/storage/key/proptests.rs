//! Properties of `storage.encryption_key` over generated text: 32 bytes written in any of the
//! accepted ways give the same key, anything else is refused with a message that never
//! repeats what was given (it is a secret).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use proptest::prelude::*;

use super::*;

fn hex(bytes: &[u8], upper: bool) -> String {
    bytes
        .iter()
        .map(|b| {
            if upper {
                format!("{b:02X}")
            } else {
                format!("{b:02x}")
            }
        })
        .collect()
}

proptest! {
    #[test]
    fn thirty_two_bytes_written_any_accepted_way_give_the_same_key(
        bytes in any::<[u8; KEY_LEN]>(),
        way in 0usize..6,
        padding in "[ \t\n]{0,2}",
    ) {
        let written = match way {
            0 => hex(&bytes, false),
            1 => hex(&bytes, true),
            2 => STANDARD.encode(bytes),
            3 => STANDARD_NO_PAD.encode(bytes),
            4 => URL_SAFE.encode(bytes),
            _ => URL_SAFE_NO_PAD.encode(bytes),
        };
        let key = EncryptionKey::parse(&format!("{padding}{written}{padding}"))
            .map_err(|e| TestCaseError::fail(format!("{written}: {e}")))?;
        prop_assert_eq!(*key.0, bytes);
    }

    #[test]
    fn other_lengths_and_any_text_are_refused_without_echoing_it(
        raw in prop_oneof![
            "\\PC{0,80}",
            prop::collection::vec(any::<u8>(), 0..64)
                .prop_filter("not a key's length", |b| b.len() != KEY_LEN)
                .prop_map(|b| STANDARD.encode(b)),
            "[0-9a-f]{0,70}",
        ]
    ) {
        match EncryptionKey::parse(&raw) {
            Ok(key) => {
                // Only 32 bytes in an accepted form get here.
                let raw = raw.trim();
                let hex_form = raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit());
                prop_assert!(hex_form || decode_base64(raw).is_some_and(|b| b.len() == KEY_LEN));
                let shown = format!("{key:?}");
                prop_assert_eq!(shown, "EncryptionKey(<redacted>)");
            }
            Err(message) => {
                prop_assert_eq!(&message, EXPECTED);
            }
        }
    }
}
