//! The serialised shape is a public contract: these tests pin it to the JSON Schema.

use chrono::TimeZone as _;
use serde_json::{Value, json};

use super::*;
use crate::feed::mapping::tests::sample_feed;

const SCHEMA: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/schema/feed.schema.json"
));
const DOCS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/feed-json.md"));

fn schema() -> Value {
    serde_json::from_str(SCHEMA).expect("schema/feed.schema.json is JSON")
}

fn fetched_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 2, 9, 30, 0)
        .single()
        .expect("valid instant")
}

/// The sample feed as `/feed.json` serves it.
fn document(next: Option<String>, stale: bool) -> Value {
    let mut feed = sample_feed();
    // As a curated feed serves it: a pinned post with a link override first.
    feed.posts[0].pinned = true;
    feed.posts[0].link = Some("https://shop.example/p/1".into());
    let display = crate::feed::display::Display {
        columns: crate::feed::display::Columns::parse_text("2,600:3").expect("valid"),
        gap: Some("4px".into()),
        ..Default::default()
    };
    let doc = FeedDocument {
        profile: &feed.profile,
        posts: &feed.posts,
        next,
        updated_at: fetched_at(),
        stale,
        display: &display,
    };
    serde_json::to_value(&doc).expect("document serialises")
}

/// A deliberately small validator for the keywords the schema uses. Object keys must equal
/// `properties` exactly, so a field added to (or renamed in) the code but not the schema, or
/// the other way round, fails here.
fn check(root: &Value, node: &Value, value: &Value, path: &str) {
    if let Some(target) = node.get("$ref").and_then(Value::as_str) {
        let name = target.strip_prefix("#/$defs/").expect("local $ref");
        return check(root, &root["$defs"][name], value, path);
    }
    if let Some(types) = node.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            other => panic!("{path}: odd type {other}"),
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        assert!(types.contains(&actual), "{path}: {actual} not in {types:?}");
    }
    if let Some(allowed) = node.get("enum").and_then(Value::as_array) {
        assert!(
            allowed.contains(value),
            "{path}: {value} not in {allowed:?}"
        );
    }
    match (node.get("format").and_then(Value::as_str), value.as_str()) {
        (Some("date-time"), Some(s)) => assert!(
            DateTime::parse_from_rfc3339(s).is_ok() && s.ends_with('Z'),
            "{path}: {s} is not RFC 3339 UTC"
        ),
        (Some("uri"), Some(s)) => assert!(url::Url::parse(s).is_ok(), "{path}: {s} is no URI"),
        // Image URLs: relative to the document in an export (`media/…`).
        (Some("uri-reference"), Some(s)) => assert!(
            !s.contains(char::is_whitespace)
                && url::Url::parse("https://site.example/feed/")
                    .and_then(|base| base.join(s))
                    .is_ok(),
            "{path}: {s} is no URI reference"
        ),
        _ => {}
    }
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        let object = value
            .as_object()
            .unwrap_or_else(|| panic!("{path}: not an object"));
        let mut want: Vec<&String> = props.keys().collect();
        let mut got: Vec<&String> = object.keys().collect();
        want.sort();
        got.sort();
        assert_eq!(
            got, want,
            "{path}: keys differ from the schema's properties"
        );
        let mut required: Vec<&str> = node["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        required.sort();
        assert_eq!(
            required,
            want.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "{path}: every property is always present, so every property is required"
        );
        assert_eq!(
            node["additionalProperties"],
            json!(false),
            "{path}: closed object"
        );
        for (key, sub) in props {
            assert!(
                sub.get("description")
                    .and_then(Value::as_str)
                    .is_some_and(|d| !d.is_empty()),
                "{path}.{key}: undocumented"
            );
            check(root, sub, &object[key], &format!("{path}.{key}"));
        }
    }
    if let (Some(items), Some(array)) = (node.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(root, items, item, &format!("{path}[{i}]"));
        }
    }
}

#[test]
fn schema_matches_the_serialised_document() {
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    for (next, stale) in [
        (Some(crate::feed::cursor::encode("1")), false),
        (None, true),
    ] {
        let doc = document(next, stale);
        check(&schema, &schema, &doc, "$");
    }
}

/// `igfeed export --with-media` writes the same document with image URLs relative to it.
#[test]
fn an_exported_document_with_relative_image_urls_matches_the_schema() {
    use crate::media::key::{Format, Target};
    use crate::media::links::Known;
    let settings = crate::config::Settings::load(&Default::default())
        .expect("defaults load")
        .media;
    let served = crate::media::MediaLinks::new(
        &settings,
        &url::Url::parse("https://feed.example.com/").expect("URL"),
    );
    let mut snapshot = served.snapshot(sample_feed(), fetched_at());
    let files = crate::media::MediaLinks::for_files(&settings, "");
    let known = Known {
        source_tag: "s".into(),
        version: "0123abcd".into(),
        width: 1080,
        height: 1350,
        color: Some("#102030".into()),
        formats: vec![Format::Avif],
        sizes: settings.sizes.clone(),
    };
    files.remember(Target::Profile.key(), known.clone());
    for post in &snapshot.feed.posts {
        for index in 0..post.media.len() {
            let target = Target::Item {
                post: post.id.clone(),
                index,
            };
            files.remember(target.key(), known.clone());
        }
    }
    files.apply(&mut snapshot);
    let display = crate::feed::display::Display::default();
    let doc = FeedDocument {
        profile: &snapshot.feed.profile,
        posts: &snapshot.feed.posts,
        next: None,
        updated_at: fetched_at(),
        stale: false,
        display: &display,
    };
    let doc = serde_json::to_value(&doc).expect("document serialises");
    let schema = schema();
    check(&schema, &schema, &doc, "$");
    let picture = doc["profile"]["picture"].as_str().expect("a picture");
    assert!(picture.starts_with("media/profile/"), "{picture}");
}

#[test]
fn documented_example_matches_the_schema() {
    let schema = schema();
    let example = DOCS
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/feed-json.md starts with a JSON example");
    let example: Value = serde_json::from_str(example).expect("the example is JSON");
    check(&schema, &schema, &example, "docs example");
    let next = example["next"]
        .as_str()
        .expect("the example has a next cursor");
    let last = example["posts"][1]["id"]
        .as_str()
        .expect("the example has two posts");
    assert_eq!(crate::feed::cursor::decode(next).as_deref(), Ok(last));
}

#[test]
fn schema_covers_every_variant() {
    let schema = schema();
    let doc = document(None, false);
    let post_types: Vec<&Value> = doc["posts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| &p["type"])
        .collect();
    for kind in schema["$defs"]["Post"]["properties"]["type"]["enum"]
        .as_array()
        .into_iter()
        .flatten()
    {
        assert!(
            post_types.contains(&kind),
            "sample feed lacks a {kind} post"
        );
    }
    let item_types: Vec<&Value> = doc["posts"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["media"].as_array().into_iter().flatten())
        .map(|m| &m["type"])
        .collect();
    for kind in schema["$defs"]["MediaItem"]["properties"]["type"]["enum"]
        .as_array()
        .into_iter()
        .flatten()
    {
        assert!(
            item_types.contains(&kind),
            "sample feed lacks a {kind} item"
        );
    }
}

#[test]
fn absent_values_serialise_as_null_and_times_as_rfc3339() {
    let doc = document(None, false);
    assert_eq!(doc["updated_at"], "2024-05-02T09:30:00Z");
    assert_eq!(doc["next"], Value::Null);
    assert_eq!(doc["profile"]["biography"], Value::Null);
    let first = &doc["posts"][0];
    assert_eq!(first["timestamp"], "2024-05-01T12:00:00Z");
    assert_eq!(first["type"], "carousel");
    assert_eq!(first["media"][0]["width"], Value::Null);
    assert_eq!(doc["posts"][1]["like_count"], Value::Null);
}

#[test]
fn snapshot_round_trips_through_json() {
    let mut sources = MediaSources {
        profile_picture: Some("https://scontent.cdninstagram.com/p.jpg?oe=1".into()),
        ..MediaSources::default()
    };
    sources.items.insert(
        "1".into(),
        ItemSources {
            image: Some("https://scontent.cdninstagram.com/1.jpg?oe=1".into()),
            video: None,
        },
    );
    let snapshot = Snapshot {
        feed: sample_feed(),
        fetched_at: fetched_at(),
        sources,
        unshared_reels: ["17900000000002018".to_owned()].into(),
    };
    let bytes = serde_json::to_vec(&snapshot).expect("snapshot serialises");
    let back: Snapshot = serde_json::from_slice(&bytes).expect("snapshot parses");
    assert_eq!(back, snapshot);
}

#[test]
fn a_snapshot_stored_before_unshared_reels_loads_with_none() {
    let snapshot = Snapshot {
        feed: sample_feed(),
        fetched_at: fetched_at(),
        sources: MediaSources::default(),
        unshared_reels: ["17900000000002018".to_owned()].into(),
    };
    let mut stored = serde_json::to_value(&snapshot).expect("snapshot serialises");
    let fields = stored.as_object_mut().expect("an object");
    assert!(fields.remove("unshared_reels").is_some());
    fields.remove("sources");
    let old: Snapshot = serde_json::from_value(stored).expect("an old snapshot still loads");
    assert!(old.unshared_reels.is_empty());
    assert_eq!(old.feed, snapshot.feed);
}

#[test]
fn serialised_feed_carries_no_token() {
    let text = serde_json::to_string(&sample_feed()).expect("feed serialises");
    for needle in ["access_token", "IGAA", "graph.instagram.com", "QVFJ"] {
        assert!(!text.contains(needle), "{needle} leaked into the feed");
    }
}
