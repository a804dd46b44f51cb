//! Properties of durations and other validated settings as they arrive from the environment:
//! any text is a value within bounds or an error naming the key (never a panic), and a
//! duration written the way igfeed documents them reads back exactly.

use std::collections::HashMap;
use std::time::Duration;

use proptest::prelude::*;

use super::{MAX_DURATION, is_graph_version, is_origin};
use crate::config::{Settings, SettingsError, Sources};

const KEY: &str = "IGFEED__FEED__REFRESH_INTERVAL";

fn load(variable: &str, value: &str) -> Result<Settings, SettingsError> {
    Settings::load(&Sources {
        file: None,
        env: HashMap::from([(variable.to_owned(), value.to_owned())]),
    })
}

fn names_key(result: &Result<Settings, SettingsError>, key: &str) -> bool {
    match result {
        Err(SettingsError::Invalid { key: named, .. }) => named == key,
        Err(SettingsError::Unreadable(message)) => message.contains(key),
        Ok(_) => false,
    }
}

/// Durations from nothing to well past the bound, with sub-second parts.
fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u64..7200, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        (0u64..2 * MAX_DURATION.as_secs()).prop_map(Duration::from_secs),
        (
            MAX_DURATION.as_secs() - 2..MAX_DURATION.as_secs() + 2,
            0u32..2
        )
            .prop_map(|(s, n)| Duration::new(s, n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_written_duration_reads_back_or_is_refused_naming_its_key(wanted in duration()) {
        let written = humantime::format_duration(wanted).to_string();
        let loaded = load(KEY, &written);
        if !wanted.is_zero() && wanted <= MAX_DURATION {
            let settings = loaded.map_err(|e| TestCaseError::fail(format!("{written}: {e}")))?;
            prop_assert_eq!(settings.feed.refresh_interval, wanted, "{}", written);
        } else {
            prop_assert!(names_key(&loaded, "feed.refresh_interval"), "{}: {:?}", written, loaded.err());
        }
    }

    #[test]
    fn any_duration_text_is_a_bounded_duration_or_an_error_naming_the_key(
        raw in prop_oneof![
            "\\PC{0,24}",
            "[0-9]{1,25} ?(ns|us|ms|s|m|h|d|w|M|y|days|years|x)",
        ]
    ) {
        match load(KEY, &raw) {
            Ok(settings) => {
                let interval = settings.feed.refresh_interval;
                prop_assert!(!interval.is_zero() && interval <= MAX_DURATION, "{:?} gave {:?}", raw, interval);
            }
            Err(e) => prop_assert!(
                names_key(&Err(e), "feed.refresh_interval") || raw.trim().is_empty(),
                "{:?}", raw
            ),
        }
    }

    /// Sizes go through the same loading: within the header bounds they are kept, outside
    /// they are refused naming the key.
    #[test]
    fn header_sizes_read_back_within_their_bounds(kib in 0u64..100) {
        let loaded = load("IGFEED__SERVER__MAX_HEADER_BYTES", &format!("{kib}KB"));
        if (1..=64).contains(&kib) {
            let settings = loaded.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(settings.server.max_header_bytes, kib * 1024);
        } else {
            prop_assert!(names_key(&loaded, "server.max_header_bytes"), "{:?}", loaded.err());
        }
    }
}

proptest! {
    #[test]
    fn graph_versions_are_exactly_v_major_dot_minor(
        raw in prop_oneof!["\\PC{0,10}", "v?[0-9]{0,4}(\\.[0-9]{0,4}){0,2}/?"]
    ) {
        let expected = raw.strip_prefix('v').and_then(|rest| rest.split_once('.')).is_some_and(
            |(major, minor)| {
                [major, minor].iter().all(|p| {
                    (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
                })
            },
        );
        prop_assert_eq!(is_graph_version(&raw), expected, "{:?}", raw);
    }

    /// An accepted CORS origin is `*` or exactly what a browser would send in `Origin`.
    #[test]
    fn accepted_origins_are_what_browsers_send(
        raw in prop_oneof![
            "\\PC{0,30}",
            "(https?|ftp)://[a-zA-Z0-9.-]{0,12}(:[0-9]{1,5})?/?[a-z?#]{0,3}",
        ]
    ) {
        if is_origin(&raw) && raw != "*" {
            let url = url::Url::parse(&raw).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(url.origin().ascii_serialization(), raw.clone());
            prop_assert!(raw.starts_with("http://") || raw.starts_with("https://"));
            prop_assert!(!raw.ends_with('/'));
        }
    }
}
