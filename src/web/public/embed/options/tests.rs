use super::*;

fn parse(pairs: &[(&str, &str)]) -> Result<EmbedOptions, String> {
    parse_over(pairs, &EmbedOptions::default())
}

fn parse_over(pairs: &[(&str, &str)], defaults: &EmbedOptions) -> Result<EmbedOptions, String> {
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
    parsed.parse(defaults).map_err(|e| e.to_string())
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
            columns: Columns::Fixed(4),
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
        ("columns", "2,600:9"),
        ("columns", "2,600:3,600:4"),
        ("columns", "2,10000:3"),
        ("columns", "2;600:3"),
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
        options.query(&EmbedOptions::default(), Some("abc")),
        "limit=6&gap=2px&theme=dark&after=abc"
    );
    let defaults = EmbedOptions::default();
    assert_eq!(defaults.query(&defaults, None), "");
}

/// A feed saved with four portrait columns, no header and a gap.
fn preset() -> EmbedOptions {
    EmbedOptions::of_display(&Display {
        columns: Columns::Fixed(4),
        aspect: "portrait".into(),
        header: false,
        gap: Some("2px".into()),
        theme: "dark".into(),
        ..Display::default()
    })
}

#[test]
fn the_feeds_display_is_the_default_of_every_option() {
    let options = parse_over(&[], &preset()).expect("valid");
    assert_eq!(options.columns, Columns::Fixed(4));
    assert_eq!(options.aspect, "portrait");
    assert!(!options.header);
    assert_eq!(options.gap.as_deref(), Some("2px"));
    assert_eq!(options.theme, "dark");
    assert_eq!(options.limit, 9, "a preset has no limit");
    assert_eq!(
        EmbedOptions::of_display(&Display::default()),
        EmbedOptions::default(),
        "no preset: the widget's defaults"
    );
}

#[test]
fn a_parameter_wins_over_the_feeds_display() {
    let options = parse_over(
        &[("columns", "2"), ("aspect", "square"), ("header", "true")],
        &preset(),
    )
    .expect("valid");
    assert_eq!(options.columns, Columns::Fixed(2));
    assert_eq!(options.aspect, "square");
    assert!(options.header);
    assert_eq!(options.theme, "dark", "not given: the preset's");
}

#[test]
fn columns_per_width_are_read_in_the_attribute_form() {
    let options = parse(&[("columns", " 2, 600:3 ,1000:4")]).expect("valid");
    assert_eq!(
        options.columns,
        Columns::PerWidth([(0, 2), (600, 3), (1000, 4)].into())
    );
    assert_eq!(
        parse(&[("columns", "600:3,1000:4")]).map(|o| o.columns),
        Ok(Columns::PerWidth([(0, 3), (1000, 4)].into())),
        "the narrowest width applies below itself too"
    );
    assert_eq!(
        parse(&[("columns", "0:5")]).map(|o| o.columns),
        Ok(Columns::Fixed(5))
    );
}

#[test]
fn the_load_more_query_keeps_what_differs_from_the_feeds_display() {
    let defaults = preset();
    let same = parse_over(&[("columns", "4"), ("limit", "6")], &defaults).expect("valid");
    assert_eq!(
        same.query(&defaults, None),
        "limit=6",
        "the preset's own values are implied"
    );
    let other = parse_over(
        &[("columns", "2,700:3"), ("aspect", "square"), ("gap", "8")],
        &defaults,
    )
    .expect("valid");
    let link = other.query(&defaults, Some("abc"));
    assert_eq!(link, "columns=2%2C700%3A3&aspect=square&gap=8px&after=abc");
    let again = parse_over(
        &url::form_urlencoded::parse(link.as_bytes())
            .filter(|(k, _)| k != "after")
            .collect::<Vec<_>>()
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect::<Vec<_>>(),
        &defaults,
    )
    .expect("valid");
    assert_eq!(again, other, "page 2 looks like page 1");
}
