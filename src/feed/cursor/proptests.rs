//! Properties of the `after=` cursor over generated input: every numeric post id that fits
//! round-trips, and any string a visitor sends decodes to exactly the cursor igfeed would
//! have written for it, or is refused.

use proptest::prelude::*;

use super::*;

/// The longest post id whose cursor still fits [`MAX_LEN`]: base64 spends 4 characters per
/// 3 bytes, and the `v1:` prefix takes 3 of them.
const LONGEST_ID: usize = MAX_LEN / 4 * 3 - PREFIX.len();

proptest! {
    #[test]
    fn numeric_post_ids_round_trip_until_the_cursor_is_too_long(id in "[0-9]{1,220}") {
        let cursor = encode(&id);
        prop_assert!(cursor.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        if id.len() <= LONGEST_ID {
            prop_assert_eq!(decode(&cursor), Ok(id));
        } else {
            prop_assert_eq!(decode(&cursor), Err(CursorError::TooLong));
        }
    }

    #[test]
    fn ids_that_are_not_numbers_never_come_back(id in "\\PC{0,40}") {
        prop_assume!(!is_post_id(&id));
        let decoded = decode(&encode(&id));
        prop_assert!(
            matches!(decoded, Err(CursorError::InvalidId | CursorError::TooLong)),
            "{:?} gave {:?}", id, decoded
        );
    }

    /// Whatever a visitor sends: an accepted cursor is the one cursor igfeed writes for that
    /// post (so a page has exactly one URL), and names a numeric id.
    #[test]
    fn any_text_is_refused_or_is_the_canonical_cursor_of_a_post(
        cursor in prop_oneof![
            "\\PC{0,60}",
            "[A-Za-z0-9_=+/-]{0,60}",
            "[0-9]{1,40}".prop_map(|id| encode(&id)),
        ]
    ) {
        match decode(&cursor) {
            Ok(id) => {
                prop_assert!(is_post_id(&id), "{:?}", id);
                prop_assert_eq!(encode(&id), cursor);
            }
            Err(CursorError::TooLong) => prop_assert!(cursor.len() > MAX_LEN),
            Err(_) => {}
        }
    }

    #[test]
    fn one_changed_character_never_names_the_same_post(
        id in "[0-9]{1,30}",
        position in any::<prop::sample::Index>(),
        replacement in "[A-Za-z0-9_-]",
    ) {
        let cursor = encode(&id);
        let at = position.index(cursor.len());
        prop_assume!(cursor[at..=at] != replacement);
        let tampered = format!("{}{replacement}{}", &cursor[..at], &cursor[at + 1..]);
        prop_assert_ne!(decode(&tampered), Ok(id));
    }
}
