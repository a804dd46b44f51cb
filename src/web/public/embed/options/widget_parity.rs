//! `/embed`'s half of the parity test with the widget: `schema/widget-options.json` is run
//! through [`EmbedQuery::parse`] here and through the widget's `parseOptions` in
//! `widget-js/test/options-parity.test.js`. Names come from `EmbedQuery`'s own `Deserialize`
//! impl, so a parameter added here but not to the table (or the widget) fails too.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::{Map, Value, json};

use super::*;

const TABLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/schema/widget-options.json"
));

fn table() -> Value {
    serde_json::from_str(TABLE).expect("schema/widget-options.json is JSON")
}

fn options(table: &Value) -> &Map<String, Value> {
    table["options"]
        .as_object()
        .expect("`options` is an object")
}

/// A deserializer that only records the field names a struct's `Deserialize` asks for.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("names recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The query parameters `/embed` reads, as serde spells them (`load-more`).
fn query_parameters() -> Vec<&'static str> {
    let mut fields: &'static [&'static str] = &[];
    let _ = EmbedQuery::deserialize(FieldNames(&mut fields));
    assert!(!fields.is_empty(), "EmbedQuery is deserialized as a struct");
    let mut fields = fields.to_vec();
    fields.sort_unstable();
    fields
}

/// One parsed option as the table writes it.
fn value_of(options: &EmbedOptions, name: &str) -> Value {
    match name {
        "limit" => json!(options.limit),
        "columns" => json!(options.columns),
        "layout" => json!(options.layout),
        "captions" => json!(options.captions),
        "lightbox" => json!(options.lightbox),
        "load-more" => json!(options.load_more),
        "header" => json!(options.header),
        "aspect" => json!(options.aspect),
        "gap" => json!(options.gap),
        "theme" => json!(options.theme),
        _ => panic!("the table has `{name}`: read it from EmbedOptions here"),
    }
}

fn choices_of(name: &str) -> Option<&'static [&'static str]> {
    match name {
        "layout" => Some(LAYOUTS),
        "captions" => Some(CAPTIONS),
        "aspect" => Some(ASPECTS),
        "theme" => Some(THEMES),
        _ => None,
    }
}

/// What `/embed` makes of one parameter: `{"accept": value}` or `"refuse"`.
fn outcome(name: &str, raw: &str) -> Value {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(name, raw)
        .finish();
    let query = actix_web::web::Query::<EmbedQuery>::from_query(&query).expect("a query");
    match query.parse(&EmbedOptions::default()) {
        Ok(options) => json!({ "accept": value_of(&options, name) }),
        Err(error) => {
            let error = error.to_string();
            assert!(
                error.contains(&format!("`{name}`")),
                "{name}={raw:?}: the 400 names the parameter: {error}"
            );
            json!("refuse")
        }
    }
}

/// Every case the table asks for: its own plus those its range and choices imply (the same
/// expansion as the widget's test).
fn cases(option: &Value) -> (Vec<(String, Value)>, Vec<String>) {
    let mut accept: Vec<(String, Value)> = option["accept"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let mut refuse: Vec<String> = option["refuse"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().expect("text").to_owned())
                .collect()
        })
        .unwrap_or_default();
    if let Some(range) = option["range"].as_array() {
        let (min, max) = (
            range[0].as_i64().expect("min"),
            range[1].as_i64().expect("max"),
        );
        accept.push((min.to_string(), json!(min)));
        accept.push((max.to_string(), json!(max)));
        refuse.push((min - 1).to_string());
        refuse.push((max + 1).to_string());
    }
    for choice in option["choices"].as_array().into_iter().flatten() {
        let choice = choice.as_str().expect("a word");
        accept.push((choice.to_owned(), json!(choice)));
        accept.push((choice.to_uppercase(), json!(choice)));
    }
    (accept, refuse)
}

#[test]
fn embed_has_exactly_the_options_of_the_shared_table() {
    let table = table();
    let mut names: Vec<&str> = options(&table).keys().map(String::as_str).collect();
    let embed_only = table["embed_only"].as_object().expect("embed_only");
    names.extend(embed_only.keys().map(String::as_str));
    names.sort_unstable();
    assert_eq!(
        query_parameters(),
        names,
        "a parameter added or removed on one side only"
    );
}

#[test]
fn defaults_and_choices_are_those_of_the_table() {
    let table = table();
    let defaults = EmbedOptions::default();
    for (name, option) in options(&table) {
        assert_eq!(
            value_of(&defaults, name),
            option["default"],
            "default of {name}"
        );
        let mut ours: Vec<&str> = choices_of(name).unwrap_or_default().to_vec();
        let mut theirs: Vec<&str> = option["choices"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().expect("a word")).collect())
            .unwrap_or_default();
        ours.sort_unstable();
        theirs.sort_unstable();
        assert_eq!(ours, theirs, "choices of {name}");
    }
}

#[test]
fn every_value_the_table_lists_is_accepted_or_refused_as_it_says() {
    let table = table();
    let mut wrong = Vec::new();
    for (name, option) in options(&table) {
        let (accept, refuse) = cases(option);
        for (raw, value) in accept {
            let got = outcome(name, &raw);
            if got != json!({ "accept": value }) {
                wrong.push(format!("{name}={raw:?}: want {value}, got {got}"));
            }
        }
        for raw in refuse {
            let got = outcome(name, &raw);
            if got != "refuse" {
                wrong.push(format!("{name}={raw:?}: want it refused, got {got}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_known_differences_from_the_widget_are_still_embeds_behaviour() {
    let table = table();
    let cases = table["known_differences"]["cases"]
        .as_array()
        .expect("cases");
    for case in cases {
        let (name, raw) = (case["option"].as_str(), case["raw"].as_str());
        let (name, raw) = (name.expect("option"), raw.expect("raw"));
        assert_eq!(
            outcome(name, raw),
            case["embed"],
            "{name}={raw:?} ({})",
            case["why"]
        );
    }
}
