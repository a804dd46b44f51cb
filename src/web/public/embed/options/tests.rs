use super::*;

fn parse(pairs: &[(&str, &str)]) -> Result<EmbedOptions, String> {
    let query = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let parsed =
        actix_web::web::Query::<EmbedQuery>::from_query(&query).map_err(|e| e.to_string())?;
    parsed.parse().map_err(|e| e.to_string())
}

#[test]
fn no_parameters_give_the_widget_defaults() {
    assert_eq!(parse(&[]), Ok(EmbedOptions::default()));
}

#[test]
fn every_option_is_read() {
    let options = parse(&[
        ("limit", "12"),
        ("columns", "4"),
        ("layout", "carousel"),
        ("captions", "Below"),
        ("lightbox", "false"),
        ("load-more", ""),
        ("header", "false"),
        ("aspect", "original"),
        ("gap", "10"),
        ("theme", "dark"),
        ("utm_source", "ignored"),
    ])
    .expect("valid");
    assert_eq!(
        options,
        EmbedOptions {
            limit: 12,
            columns: 4,
            layout: "carousel",
            captions: "below",
            lightbox: false,
            load_more: true,
            header: false,
            aspect: "original",
            gap: Some("10px".into()),
            theme: "dark",
            after: None,
        }
    );
}

#[test]
fn bad_values_are_named() {
    let cases = [
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "+5"),
        ("limit", "3.5"),
        ("columns", "9"),
        ("layout", "masonry"),
        ("captions", "yes"),
        ("lightbox", "no"),
        ("load-more", "1"),
        ("header", "maybe"),
        ("aspect", "wide"),
        ("gap", "100"),
        ("gap", "1vw"),
        ("gap", "5.px"),
        ("gap", "1;color:red"),
        ("gap", "calc(1px)"),
        ("theme", "blue"),
        ("after", "not-a-cursor"),
    ];
    for (name, value) in cases {
        let error = parse(&[(name, value)]).expect_err(&format!("{name}={value} is refused"));
        assert!(
            error.contains(&format!("`{name}`")),
            "{name}={value}: {error}"
        );
    }
}

#[test]
fn gap_lengths() {
    for (raw, want) in [
        ("0", "0px"),
        ("8px", "8px"),
        ("0.5rem", "0.5rem"),
        ("1.25em", "1.25em"),
        ("12", "12px"),
    ] {
        assert_eq!(
            parse(&[("gap", raw)]).map(|o| o.gap),
            Ok(Some(want.to_owned())),
            "{raw}"
        );
    }
}

#[test]
fn the_load_more_query_keeps_the_options_and_adds_the_cursor() {
    let options = parse(&[("limit", "6"), ("theme", "dark"), ("gap", "2")]).expect("valid");
    assert_eq!(
        options.query(Some("abc")),
        "limit=6&gap=2px&theme=dark&after=abc"
    );
    assert_eq!(EmbedOptions::default().query(None), "");
}
