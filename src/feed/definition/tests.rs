use serde_json::json;

use super::*;

fn defaults() -> Defaults {
    Defaults {
        accounts: vec!["sandbox.studio".into()],
        max_posts: 50,
    }
}

fn invalid(body: serde_json::Value) -> Invalid {
    parse("shop", &body, &defaults()).expect_err("refused")
}

#[test]
fn the_issues_example_is_read_as_written() {
    let body = json!({"name":"shop","accounts":["harness.cafe"],"types":["image","carousel","video","reel"],
        "include_unshared_reels":false,"hashtags_any":["menu"],"hashtags_none":["ad"],"words_none":["giveaway"],
        "hidden":["17890000000104729"],"pinned":["17890000000209458"],
        "links":{"17890000000314187":"https://shop.example/p/1"},"max_posts":50,
        "display":{"layout":"grid","columns":3,"aspect":"square","captions":"none","header":true,"load_more":false,"theme":"light","gap":"4px","lightbox":true}});
    let definition = parse("shop", &body, &defaults()).expect("valid");
    assert_eq!(definition.accounts, ["harness.cafe"]);
    assert_eq!(definition.hashtags_any, ["menu"]);
    assert_eq!(
        definition.links["17890000000314187"],
        "https://shop.example/p/1"
    );
    assert_eq!(definition.display.gap.as_deref(), Some("4px"));
    // What is stored reads back as the same body, every default filled (no hooks here).
    let mut filled = body;
    filled["hooks"] = json!([]);
    assert_eq!(
        serde_json::to_value(&definition).expect("serialises"),
        filled
    );
}

#[test]
fn only_the_name_is_needed_and_every_default_is_filled() {
    let definition = parse("shop", &json!({}), &defaults()).expect("valid");
    assert_eq!(definition.name, "shop");
    assert_eq!(definition.accounts, ["sandbox.studio"]);
    assert_eq!(definition.types, ALL_TYPES);
    assert!(!definition.include_unshared_reels);
    assert_eq!(definition.max_posts, 50);
    assert_eq!(definition.display, Display::default());
    assert!(definition.hidden.is_empty() && definition.links.is_empty());
}

#[test]
fn values_are_normalised() {
    let body = json!({"name":"SHOP","accounts":["Harness.Cafe"],"hashtags_any":["#Menu","menu"],
        "types":["REEL","image"],"display":{"theme":" Dark ","gap":8,"columns":{"600":3,"0":2,"1000":4}}});
    let definition = parse("shop", &body, &defaults()).expect("valid");
    assert_eq!(definition.accounts, ["harness.cafe"]);
    assert_eq!(definition.hashtags_any, ["menu"]);
    assert_eq!(definition.types, [PostKind::Image, PostKind::Reel]);
    assert_eq!(definition.display.theme, "dark");
    assert_eq!(definition.display.gap.as_deref(), Some("8px"));
    assert_eq!(
        serde_json::to_value(&definition.display.columns).expect("serialises"),
        json!({"0":2,"600":3,"1000":4})
    );
}

#[test]
fn each_mistake_names_its_field() {
    let cases = [
        (json!([]), ""),
        (json!({"name":"other"}), "name"),
        (json!({"accounts":"harness.cafe"}), "accounts"),
        (json!({"accounts":["ok", "not ok"]}), "accounts.1"),
        (json!({"types":[]}), "types"),
        (json!({"types":["story"]}), "types.0"),
        (
            json!({"include_unshared_reels":"yes"}),
            "include_unshared_reels",
        ),
        (json!({"hashtags_any":["two words"]}), "hashtags_any.0"),
        (json!({"hashtags_none":[5]}), "hashtags_none.0"),
        (json!({"words_none":["give-away"]}), "words_none.0"),
        (json!({"hidden":["1/2"]}), "hidden.0"),
        (json!({"pinned":["1","2","1; drop"]}), "pinned.2"),
        (json!({"pinned":["7"],"hidden":["7"]}), "pinned.0"),
        (
            json!({"links":{"1789":"javascript:alert(1)"}}),
            "links.1789",
        ),
        (
            json!({"links":{"1789":"http://shop.example/"}}),
            "links.1789",
        ),
        (
            json!({"links":{"1789":"https://user:pw@shop.example/"}}),
            "links.1789",
        ),
        (json!({"links":{"1789":"/relative"}}), "links.1789"),
        (
            json!({"links":{"not an id":"https://shop.example/"}}),
            "links.not an id",
        ),
        (json!({"links":["https://shop.example/"]}), "links"),
        (json!({"max_posts":0}), "max_posts"),
        (json!({"max_posts":1.5}), "max_posts"),
        (json!({"max_posts":10_001}), "max_posts"),
        (json!({"display":"grid"}), "display"),
        (json!({"display":{"layout":"masonry"}}), "display.layout"),
        (json!({"display":{"columns":9}}), "display.columns"),
        (
            json!({"display":{"columns":{"0":2,"x":3}}}),
            "display.columns.x",
        ),
        (
            json!({"display":{"columns":{"0":2,"600":0}}}),
            "display.columns.600",
        ),
        (json!({"display":{"aspect":"wide"}}), "display.aspect"),
        (json!({"display":{"header":"no"}}), "display.header"),
        (json!({"display":{"gap":"1;color:red"}}), "display.gap"),
        (json!({"display":{"colour":"red"}}), "display.colour"),
        (json!({"hashtag_any":["menu"]}), "hashtag_any"),
    ];
    for (body, field) in cases {
        let error = parse("shop", &body, &defaults()).expect_err(&body.to_string());
        assert_eq!(error.field, field, "{body}: {error}");
        assert!(!error.message.is_empty());
    }
}

#[test]
fn lists_are_bounded() {
    let many: Vec<String> = (0..=MAX_PINNED).map(|i| i.to_string()).collect();
    assert_eq!(invalid(json!({ "pinned": many })).field, "pinned");
    let long = "https://shop.example/".to_owned() + &"a".repeat(MAX_LINK);
    assert_eq!(invalid(json!({"links":{"1":long}})).field, "links.1");
}

#[test]
fn columns_read_their_attribute_form() {
    assert_eq!(Columns::parse_text("4"), Ok(Columns::Fixed(4)));
    let per_width = Columns::parse_text(" 2, 600:3 ,1000:4").expect("valid");
    assert_eq!(per_width.breakpoints(), [(0, 2), (600, 3), (1000, 4)]);
    assert_eq!(per_width.to_text(), "2,600:3,1000:4");
    // The lowest width applies below itself too.
    assert_eq!(
        Columns::parse_text("600:3,1000:4")
            .expect("valid")
            .to_text(),
        "3,1000:4"
    );
    for bad in [
        "",
        "0",
        "9",
        "2,600:0",
        "2,600:3,600:4",
        "2,-5:3",
        "2,600:+3",
        "a",
        "2;600:3",
    ] {
        assert!(Columns::parse_text(bad).is_err(), "{bad}");
    }
    assert!(Columns::parse_text("1,1:2,2:3,3:4,4:5,5:6,6:7").is_err());
}

#[test]
fn a_stored_definition_is_checked_again() {
    let mut definition = parse("shop", &json!({}), &defaults()).expect("valid");
    assert_eq!(check_stored(&definition), Ok(()));
    definition
        .links
        .insert("1".into(), "javascript:alert(1)".into());
    assert_eq!(
        check_stored(&definition).expect_err("refused").field,
        "links.1"
    );
}
