//! Properties of `/embed`'s query over generated query strings: any query is valid options
//! within their bounds or a 400 naming a parameter (never a panic, never the raw value echoed
//! back), options survive their own load-more link, and the shared table's ranges and choices
//! hold for every value, not just the listed ones.

use actix_web::ResponseError as _;
use proptest::prelude::*;
use serde_json::Value;

use super::*;

const NAMES: &[&str] = &[
    "limit",
    "columns",
    "layout",
    "captions",
    "lightbox",
    "load-more",
    "header",
    "aspect",
    "gap",
    "theme",
    "after",
];

const TABLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/schema/widget-options.json"
));

fn table_option(name: &str) -> Value {
    let table: Value = serde_json::from_str(TABLE).expect("schema/widget-options.json is JSON");
    table["options"][name].clone()
}

/// `/embed`'s outcome for a raw query string, as the route sees it; `Err` is the 400 message.
fn parse_query(query: &str) -> Option<Result<EmbedOptions, WebError>> {
    let query = actix_web::web::Query::<EmbedQuery>::from_query(query).ok()?;
    Some(query.parse(&EmbedOptions::default()))
}

fn one(name: &str, raw: &str) -> Result<EmbedOptions, WebError> {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(name, raw)
        .finish();
    parse_query(&query).expect("one pair is a query")
}

fn options() -> impl Strategy<Value = EmbedOptions> {
    let gap = prop::option::of(
        (
            "[0-9]{1,2}",
            prop::option::of("[0-9]{1,2}"),
            prop::sample::select(&["px", "rem", "em"][..]),
        )
            .prop_map(|(int, frac, unit)| match frac {
                Some(frac) => format!("{int}.{frac}{unit}"),
                None => format!("{int}{unit}"),
            }),
    );
    (
        (
            1usize..=100,
            1u8..=8,
            prop::sample::select(LAYOUTS),
            prop::sample::select(CAPTIONS),
        ),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        (
            prop::sample::select(ASPECTS),
            gap,
            prop::sample::select(THEMES),
        ),
    )
        .prop_map(
            |(
                (limit, columns, layout, captions),
                (lightbox, load_more, header),
                (aspect, gap, theme),
            )| {
                EmbedOptions {
                    limit,
                    columns: Columns::Fixed(columns),
                    layout,
                    captions,
                    lightbox,
                    load_more,
                    header,
                    aspect,
                    gap,
                    theme,
                    after: None,
                }
            },
        )
}

/// Values from the alphabet of valid ones, and anything at all.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ ]?[0-9a-zA-Z.]{0,8}[ ]?",
        "\\PC{0,16}",
        prop::sample::select(
            &[
                "true", "false", "grid", "carousel", "hover", "dark", "8px", "0.5rem"
            ][..]
        )
        .prop_map(str::to_owned),
    ]
}

proptest! {
    #[test]
    fn options_survive_their_load_more_link(options in options(), after in prop::option::of("[0-9]{1,20}")) {
        let link = options.query(&EmbedOptions::default(), after.as_deref().map(cursor::encode).as_deref());
        let parsed = parse_query(&link).expect("a query igfeed wrote").map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed, EmbedOptions { after, ..options });
    }

    #[test]
    fn any_query_is_bounded_options_or_a_400_naming_a_parameter(
        names in prop::sample::subsequence(NAMES, 0..=NAMES.len()),
        values in prop::collection::vec(value(), NAMES.len()),
        junk in "\\PC{0,20}",
    ) {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in names.iter().zip(&values) {
            query.append_pair(name, value);
        }
        let query = format!("{}&{junk}", query.finish());
        let Some(result) = parse_query(&query) else { return Ok(()) };
        match result {
            Ok(options) => {
                prop_assert!((1..=100).contains(&options.limit));
                prop_assert!(options.columns.is_valid());
                if let Some(gap) = &options.gap {
                    let number = gap.trim_end_matches(|c: char| c.is_ascii_alphabetic());
                    let number: f64 = number.parse().map_err(|_| TestCaseError::fail(format!("{gap:?}")))?;
                    prop_assert!(number < 100.0, "{:?}", gap);
                    prop_assert!(gap.len() <= 8, "{:?}", gap);
                    prop_assert!(gap.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b.is_ascii_lowercase()), "{:?}", gap);
                }
                if let Some(after) = &options.after {
                    prop_assert!(after.bytes().all(|b| b.is_ascii_digit()));
                }
            }
            Err(error) => {
                prop_assert_eq!(error.status_code(), StatusCode::BAD_REQUEST);
                let message = error.to_string();
                let names_one = NAMES.iter().any(|n| message.starts_with(&format!("`{n}`")));
                prop_assert!(names_one, "{}", message);
                prop_assert!(message.len() <= 120, "{}", message);
            }
        }
    }

    /// The table's ranges hold for any number however it is written (spaces, leading zeros).
    #[test]
    fn numbers_are_accepted_exactly_within_the_tables_range(
        name in prop::sample::select(&["limit", "columns"][..]),
        number in prop_oneof![0u64..120, any::<u64>()],
        zeros in "0{0,3}",
        pad in "[ ]{0,2}",
    ) {
        let range = table_option(name)["range"].clone();
        let (min, max) = (range[0].as_u64().expect("min"), range[1].as_u64().expect("max"));
        let result = one(name, &format!("{pad}{zeros}{number}{pad}"));
        if (min..=max).contains(&number) {
            let options = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let got = if name == "limit" { options.limit as u64 } else { u64::from(options.columns.base()) };
            prop_assert_eq!(got, number);
        } else {
            prop_assert!(result.is_err(), "{}={} accepted", name, number);
        }
    }

    /// Choices are exactly the table's words in any case, and nothing else.
    #[test]
    fn words_are_accepted_exactly_when_they_are_the_tables_choices(
        name in prop::sample::select(&["layout", "captions", "aspect", "theme"][..]),
        word in prop_oneof![
            "[a-zA-Z]{0,9}",
            prop::sample::select(&["grid", "carousel", "none", "hover", "below", "square", "original", "light", "dark", "auto"][..])
                .prop_map(str::to_owned),
        ],
        upper in any::<bool>(),
    ) {
        let choices: Vec<String> = table_option(name)["choices"]
            .as_array()
            .expect("choices")
            .iter()
            .map(|c| c.as_str().expect("a word").to_owned())
            .collect();
        let raw = if upper { word.to_uppercase() } else { word.clone() };
        let lower = word.to_ascii_lowercase();
        let result = one(name, &raw).map(|o| value_of(&o, name));
        if choices.contains(&lower) {
            prop_assert_eq!(result.ok(), Some(lower));
        } else {
            prop_assert!(result.is_err(), "{}={:?} accepted", name, raw);
        }
    }
}

fn value_of(options: &EmbedOptions, name: &str) -> String {
    match name {
        "layout" => options.layout,
        "captions" => options.captions,
        "aspect" => options.aspect,
        _ => options.theme,
    }
    .to_owned()
}
