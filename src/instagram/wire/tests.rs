use super::*;

#[test]
fn timestamps_parse_with_and_without_colon_in_the_offset() {
    let want = "2024-05-01T12:00:00Z";
    for raw in [
        "2024-05-01T12:00:00+0000",
        "2024-05-01T12:00:00+00:00",
        "2024-05-01T12:00:00Z",
        "2024-05-01T14:00:00+0200",
    ] {
        let got = parse_timestamp(raw).unwrap_or_else(|| panic!("{raw} should parse"));
        assert_eq!(
            got.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            want,
            "{raw}"
        );
    }
    for bad in ["", "yesterday", "2024-13-01T00:00:00+0000"] {
        assert!(parse_timestamp(bad).is_none(), "{bad} should not parse");
    }
}

#[test]
fn token_bodies_wrapped_flat_and_numeric_give_the_same_string_id() {
    let bodies = [
        r#"{"data":[{"access_token":"IGAAx","user_id":"17841405793187218","permissions":"instagram_business_basic"}]}"#,
        r#"{"access_token":"IGAAx","user_id":"17841405793187218","permissions":"instagram_business_basic"}"#,
        r#"{"access_token":"IGAAx","user_id":17841405793187218,"permissions":["instagram_business_basic"]}"#,
    ];
    for body in bodies {
        let value = unwrap_data(serde_json::from_str(body).expect("json"));
        let token: TokenBody = serde_json::from_value(value).expect(body);
        assert_eq!(
            token.user_id.as_deref(),
            Some("17841405793187218"),
            "{body}"
        );
        assert_eq!(token.access_token, "IGAAx");
        let perms = token
            .permissions
            .map(Permissions::into_vec)
            .unwrap_or_default();
        assert_eq!(perms, vec!["instagram_business_basic".to_owned()], "{body}");
    }
}

#[test]
fn profile_wrapped_or_flat() {
    let flat =
        r#"{"id":"269","user_id":17841405793187218,"username":"shop","account_type":"Business"}"#;
    let wrapped = format!(r#"{{"data":[{flat}]}}"#);
    for body in [flat.to_owned(), wrapped] {
        let profile: Profile =
            serde_json::from_value(unwrap_data(serde_json::from_str(&body).expect("json")))
                .expect("profile");
        assert_eq!(profile.id, "269");
        assert_eq!(profile.user_id.as_deref(), Some("17841405793187218"));
        assert_eq!(profile.username.as_deref(), Some("shop"));
        assert_eq!(profile.biography, None);
    }
}

#[test]
fn media_with_missing_fields_and_unknown_type_still_parses() {
    let body = r#"{"data":[
        {"id":"1","media_type":"VIDEO","permalink":"https://www.instagram.com/reel/x/","timestamp":"2024-05-01T12:00:00+0000"},
        {"id":2,"media_type":"SOMETHING_NEW","children":{"data":[{"id":"3","media_type":"IMAGE","media_url":"https://x/y.jpg"}]}}
    ],"paging":{"cursors":{"before":"a","after":"b"}}}"#;
    let page: Page<Media> = serde_json::from_str(body).expect("page");
    assert_eq!(page.data.len(), 2);
    assert_eq!(page.data[0].media_url, None);
    assert_eq!(page.data[0].caption, None);
    assert_eq!(page.data[1].id, "2");
    assert_eq!(page.data[1].media_type, Some(MediaType::Other));
    let children = page.data[1].children.as_ref().expect("children");
    assert_eq!(children.data[0].media_type, Some(MediaType::Image));
    assert_eq!(page.paging.and_then(|p| p.next), None);
}

#[test]
fn an_unreadable_item_is_left_out_and_an_odd_timestamp_kept_as_unknown() {
    let body = r#"{"data":[
        {"id":"1","media_type":"IMAGE","timestamp":"2024-05-01T12:00:00+0000"},
        {"id":"2","media_type":"IMAGE","like_count":"many"},
        {"id":"3","media_type":"IMAGE","timestamp":"last tuesday"}
    ]}"#;
    let page: Page<Media> = serde_json::from_str(body).expect("page");
    let ids: Vec<&str> = page.data.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["1", "3"], "the wrongly typed item is left out");
    assert!(page.data[0].timestamp.is_some());
    assert_eq!(page.data[1].timestamp, None);
}

#[test]
fn more_than_one_unreadable_item_in_ten_fails_the_page() {
    let page = |bad: usize, good: usize| {
        let items: Vec<String> = (0..bad)
            .map(|i| format!(r#"{{"id":"b{i}","like_count":"many"}}"#))
            .chain((0..good).map(|i| format!(r#"{{"id":"g{i}"}}"#)))
            .collect();
        serde_json::from_str::<Page<Media>>(&format!(r#"{{"data":[{}]}}"#, items.join(",")))
    };
    assert_eq!(page(2, 18).expect("2 of 20").data.len(), 18);
    assert!(
        page(3, 17).is_err(),
        "3 of 20: a changed API, not an odd post"
    );
    assert!(page(2, 3).is_err(), "2 of 5");
}

#[test]
fn a_page_of_only_unreadable_items_is_an_error_not_an_empty_feed() {
    let body = r#"{"data":[{"media_type":"IMAGE"},{"id":{"nested":true}}]}"#;
    assert!(serde_json::from_str::<Page<Media>>(body).is_err());
    let empty: Page<Media> = serde_json::from_str(r#"{"data":[]}"#).expect("empty page");
    assert!(empty.data.is_empty(), "a really empty page is fine");
}

#[test]
fn is_shared_to_feed_is_read_as_true_false_or_unknown() {
    let read = |extra: &str| -> Media {
        serde_json::from_str(&format!(
            r#"{{"id":"1","media_type":"VIDEO","media_product_type":"REELS"{extra}}}"#
        ))
        .unwrap_or_else(|e| panic!("{extra}: {e}"))
    };
    assert_eq!(
        read(r#","is_shared_to_feed":true"#).is_shared_to_feed,
        Some(true)
    );
    assert_eq!(
        read(r#","is_shared_to_feed":false"#).is_shared_to_feed,
        Some(false)
    );
    assert_eq!(read("").is_shared_to_feed, None, "absent: unknown");
    assert_eq!(read(r#","is_shared_to_feed":null"#).is_shared_to_feed, None);
    // An odd value leaves the flag unknown and keeps the post.
    assert_eq!(
        read(r#","is_shared_to_feed":"false""#).is_shared_to_feed,
        Some(false)
    );
    assert_eq!(read(r#","is_shared_to_feed":1"#).is_shared_to_feed, None);
}
