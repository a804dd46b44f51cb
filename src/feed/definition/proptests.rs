//! Properties of the feed-definition parser over generated JSON: any body is a definition or
//! a refusal naming a field the body has (never a panic), what it stores reads back as itself,
//! and every link it keeps is an `https:` URL.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;

fn defaults() -> Defaults {
    Defaults {
        accounts: vec!["sandbox.studio".into()],
        max_posts: 50,
    }
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|n| json!(n)),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bodies that use the real keys, with values of every shape.
fn body() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "name",
        "accounts",
        "types",
        "include_unshared_reels",
        "hashtags_any",
        "hashtags_none",
        "words_none",
        "hidden",
        "pinned",
        "links",
        "max_posts",
        "display",
    ]);
    let display_keys = prop::sample::select(vec![
        "layout",
        "columns",
        "aspect",
        "captions",
        "header",
        "load_more",
        "theme",
        "gap",
        "lightbox",
    ]);
    let display = prop::collection::btree_map(display_keys, any_json(), 0..5).prop_map(|m| {
        Value::Object(
            m.into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<Map<_, _>>(),
        )
    });
    let value = prop_oneof![any_json(), display];
    prop::collection::btree_map(keys, value, 0..6)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

proptest! {
    #[test]
    fn any_body_is_a_definition_or_a_refusal_naming_its_field(body in prop_oneof![body(), any_json()]) {
        match parse("shop", &body, &defaults()) {
            Ok(definition) => {
                prop_assert_eq!(&definition.name, "shop");
                prop_assert!(!definition.types.is_empty());
                prop_assert!(definition.links.values().all(|l| l.starts_with("https://")));
                prop_assert!(definition.display.columns.is_valid());
                // What is stored reads back as the same definition.
                let stored = serde_json::to_value(&definition).expect("serialises");
                prop_assert_eq!(parse("shop", &stored, &defaults()), Ok(definition.clone()));
                prop_assert_eq!(check_stored(&definition), Ok(()));
            }
            Err(invalid) => {
                prop_assert!(!invalid.message.is_empty());
                // The field names a key of the body (echoed short and printable).
                let keys: Vec<String> = body
                    .as_object()
                    .map(|o| o.keys().map(|k| printable(k)).collect())
                    .unwrap_or_default();
                prop_assert!(
                    invalid.field.is_empty()
                        || keys.iter().any(|k| invalid.field == *k || invalid.field.starts_with(&format!("{k}."))),
                    "field {} is not in {}", invalid.field, body
                );
                prop_assert!(invalid.field.len() <= 200);
            }
        }
    }

    #[test]
    fn any_columns_text_is_bounded_columns_or_refused(raw in prop_oneof!["\\PC{0,24}", "[0-9:, ]{0,24}"]) {
        if let Ok(columns) = Columns::parse_text(&raw) {
            prop_assert!(columns.is_valid());
            prop_assert_eq!(Columns::parse_text(&columns.to_text()), Ok(columns));
        }
    }
}
