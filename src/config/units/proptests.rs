//! Properties of the human-readable setting values over generated text: any text is a value
//! or a message (never a panic), and a size or list written the documented way reads back as
//! what was written.

use proptest::prelude::*;
use serde::Deserialize;

use super::{byte_size, parse_bytes, u32_list};

/// Every unit `parse_bytes` documents, with its factor.
const UNITS: &[(&str, u64)] = &[
    ("", 1),
    ("B", 1),
    ("kB", 1000),
    ("KB", 1024),
    ("KiB", 1024),
    ("K", 1024),
    ("MB", 1 << 20),
    ("MiB", 1 << 20),
    ("M", 1 << 20),
    ("GB", 1 << 30),
    ("GiB", 1 << 30),
    ("G", 1 << 30),
];

#[derive(Debug, Deserialize)]
struct Values {
    #[serde(deserialize_with = "byte_size")]
    size: u64,
    #[serde(deserialize_with = "u32_list")]
    list: Vec<u32>,
}

fn read(size: serde_json::Value, list: serde_json::Value) -> Result<Values, String> {
    serde_json::from_value(serde_json::json!({ "size": size, "list": list }))
        .map_err(|e| e.to_string())
}

proptest! {
    #[test]
    fn sizes_with_any_documented_unit_read_back(
        number in prop_oneof![0u64..100_000, any::<u64>()],
        unit in prop::sample::select(UNITS),
        space in "[ ]{0,2}",
        padding in "[ \t]{0,2}",
    ) {
        let (unit, factor) = unit;
        let raw = format!("{padding}{number}{space}{unit}{padding}");
        match number.checked_mul(factor) {
            Some(bytes) => prop_assert_eq!(parse_bytes(&raw), Ok(bytes), "{:?}", raw),
            None => prop_assert!(parse_bytes(&raw).is_err(), "{:?} overflows", raw),
        }
        // The same size as a settings value, as text or (without a unit) as a number.
        if let Some(bytes) = number.checked_mul(factor) {
            prop_assert_eq!(read(raw.clone().into(), "1".into()).map(|v| v.size), Ok(bytes));
            prop_assert_eq!(read(bytes.into(), "1".into()).map(|v| v.size), Ok(bytes));
        }
    }

    /// Any text is a size or a message; a size is only read from text that starts with its
    /// digits, so `-1MB` or `1.5MB` cannot slip through as something else.
    #[test]
    fn any_text_is_a_size_or_a_message(raw in prop_oneof!["\\PC{0,24}", "[0-9 .,_+-]{0,8}[a-zA-Z]{0,4}"]) {
        if parse_bytes(&raw).is_ok() {
            let trimmed = raw.trim();
            prop_assert!(trimmed.starts_with(|c: char| c.is_ascii_digit()), "{:?}", raw);
            let unit = trimmed.trim_start_matches(|c: char| c.is_ascii_digit()).trim();
            prop_assert!(UNITS.iter().any(|(u, _)| *u == unit), "{:?} has unit {:?}", raw, unit);
        }
    }

    #[test]
    fn comma_separated_numbers_read_back_as_the_list(
        list in prop::collection::vec(any::<u32>(), 0..8),
        separator in prop::sample::select(&[",", ", ", " ,", ",,"][..]),
    ) {
        let joined = list.iter().map(u32::to_string).collect::<Vec<_>>().join(separator);
        prop_assert_eq!(read("1".into(), joined.into()).map(|v| v.list), Ok(list.clone()));
        prop_assert_eq!(read("1".into(), serde_json::json!(list)).map(|v| v.list), Ok(list));
    }

    #[test]
    fn any_joined_list_is_numbers_or_a_message(joined in "[0-9, a-z.-]{0,30}") {
        if let Ok(values) = read("1".into(), joined.clone().into()) {
            let numbers: Vec<&str> = joined.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
            prop_assert_eq!(values.list.len(), numbers.len(), "{:?}", joined);
        }
    }
}
