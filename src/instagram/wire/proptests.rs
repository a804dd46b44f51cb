//! Properties of reading Instagram's JSON over generated bodies: any text is a time or
//! nothing, times written either way Instagram writes them read back, ids come back as the
//! digits sent whatever JSON type carried them, and a page keeps its readable items in order
//! unless more than one in ten is unreadable.

use chrono::{DateTime, TimeZone as _, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

fn moment() -> impl Strategy<Value = DateTime<Utc>> {
    // Years 1..9999: what both formats can write.
    (-62_135_596_800_i64..253_402_300_799)
        .prop_map(|s| Utc.timestamp_opt(s, 0).single().expect("in chrono's range"))
}

proptest! {
    #[test]
    fn times_in_either_format_and_any_offset_read_back(
        at in moment(),
        offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59_i32),
    ) {
        let offset = chrono::FixedOffset::east_opt(offset_minutes * 60).expect("within a day");
        let local = at.with_timezone(&offset);
        for written in [
            local.format("%Y-%m-%dT%H:%M:%S%z").to_string(),
            local.to_rfc3339(),
        ] {
            prop_assert_eq!(parse_timestamp(&written), Some(at), "{}", written);
        }
    }

    #[test]
    fn any_text_is_a_time_or_nothing(raw in prop_oneof![
        "\\PC{0,30}",
        "[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}T[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}([+-][0-9]{2}:?[0-9]{2}|Z)?",
    ]) {
        if let Some(at) = parse_timestamp(&raw) {
            // Whatever was accepted names a real moment that prints back into a form read again.
            prop_assert_eq!(parse_timestamp(&at.to_rfc3339()), Some(at));
        }
    }

    #[test]
    fn ids_come_back_as_the_digits_sent(
        id in prop_oneof![
            any::<u64>().prop_map(|n| (json!(n), n.to_string())),
            any::<i64>().prop_map(|n| (json!(n), n.to_string())),
            "[0-9]{1,30}".prop_map(|s| (json!(s.clone()), s)),
        ]
    ) {
        let (raw, expected) = id;
        let media: Media = serde_json::from_value(json!({"id": raw.clone()}))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&media.id, &expected);
        let profile: Profile = serde_json::from_value(json!({"id": "1", "user_id": raw}))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(profile.user_id, Some(expected));
    }

    /// Readable items are kept in order; unreadable ones are left out while they are at most
    /// one in ten (or one), and fail the page beyond.
    #[test]
    fn a_page_keeps_its_readable_items_unless_too_many_are_unreadable(
        items in prop::collection::vec(any::<bool>(), 0..40)
    ) {
        let body: Vec<Value> = items
            .iter()
            .enumerate()
            .map(|(i, readable)| if *readable {
                json!({"id": i.to_string(), "media_type": "IMAGE"})
            } else {
                json!({"id": i.to_string(), "like_count": "many"})
            })
            .collect();
        let page = serde_json::from_value::<Page<Media>>(json!({"data": body}));
        let unreadable = items.iter().filter(|r| !**r).count();
        if unreadable > (items.len() / 10).max(1) {
            prop_assert!(page.is_err(), "{} of {} unreadable", unreadable, items.len());
        } else {
            let page = page.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let ids: Vec<String> = page.data.into_iter().map(|m| m.id).collect();
            let expected: Vec<String> = items
                .iter()
                .enumerate()
                .filter(|(_, r)| **r)
                .map(|(i, _)| i.to_string())
                .collect();
            prop_assert_eq!(ids, expected);
        }
    }

    /// Any JSON value is a page or an error, and `unwrap_data` never loses a flat body.
    #[test]
    fn any_json_is_a_page_or_an_error(value in any_json()) {
        let _ = serde_json::from_value::<Page<Media>>(value.clone());
        let _ = serde_json::from_value::<Profile>(unwrap_data(value.clone()));
        if value.get("id").is_some() {
            prop_assert_eq!(unwrap_data(value.clone()), value);
        }
    }
}

/// Small arbitrary JSON, with the keys Instagram uses among the object keys.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(
                    &[
                        "id",
                        "data",
                        "media_type",
                        "children",
                        "timestamp",
                        "media_url",
                        "like_count",
                        "paging",
                        "next",
                        "user_id",
                        "x",
                    ][..]
                )
                .prop_map(str::to_owned),
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
