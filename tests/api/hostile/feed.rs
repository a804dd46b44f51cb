//! `/feed.json`: odd targets, junk cursors and encodings, revalidation, Range, HEAD, CORS.

use super::*;

#[tokio::test]
async fn odd_request_targets_for_the_feed_are_answered_strictly() {
    let c = Connected::start(&[]).await;
    let all = c.env.config.post_count;
    let absolute = format!("http://{}/feed.json?limit=2", host(&c.app));
    let long_junk = format!("/feed.json?limit=3&junk={}", "x".repeat(16 * 1024));
    // (target, status, posts served on 200 / the parameter a 400 names)
    let cases: Vec<(&str, u16, &str)> = vec![
        (&absolute, 200, "2"),
        ("/feed.json?", 200, "all"),
        ("/feed.json?&&&=&", 200, "all"),
        ("/feed.json?limit=0003", 200, "3"),
        ("/feed.json?LIMIT=3", 200, "all"),
        ("/feed.json?limit=3&unknown=x", 200, "3"),
        ("/feed.json?%ZZ=1&limit=3", 200, "3"),
        ("/feed.json?after=&limit=2", 200, "2"),
        (&long_junk, 200, "3"),
        ("//feed.json", 404, "not-found"),
        ("/feed.json/", 404, "not-found"),
        ("/FEED.JSON", 404, "not-found"),
        ("/%2Ffeed.json", 404, "not-found"),
        ("/feed.json%2F", 404, "not-found"),
        ("/feed.json;limit=1", 404, "not-found"),
        ("/feed.json?limit=1&limit=2", 400, "limit"),
        ("/feed.json?limit=%D9%A3", 400, "limit"),
        ("/feed.json?limit=%EF%BC%93", 400, "limit"),
        ("/feed.json?limit=3%00", 400, "limit"),
        ("/feed.json?limit=%203", 400, "limit"),
        ("/feed.json?limit=1e2", 400, "limit"),
        ("/feed.json?limit=0x10", 400, "limit"),
        ("/feed.json?limit=%", 400, "limit"),
        ("/feed.json?limit=99999999999999999999999999", 400, "limit"),
        ("/feed.json?after=a&after=b", 400, "after"),
    ];
    for (target, status, expect) in cases {
        let call = Call::get(target);
        let answer = c.probe(&call).await;
        let what = call.what();
        assert_eq!(answer.status, status, "{what}: {}", answer.summary());
        match status {
            200 => {
                let posts = answer.json()["posts"].as_array().map_or(0, Vec::len);
                let wanted = expect.parse().unwrap_or(all);
                assert_eq!(posts, wanted, "{what}: posts served");
            }
            404 => assert_eq!(code(&answer), expect, "{what}"),
            _ => {
                assert_eq!(code(&answer), "bad-query", "{what}");
                assert!(
                    message(&answer).contains(&format!("`{expect}`")),
                    "{what}: the message names `{expect}`: {}",
                    message(&answer)
                );
            }
        }
    }
    c.assert_no_graph_calls("odd feed targets");
    c.stop().await;
}

#[tokio::test]
async fn cursors_that_are_valid_base64_of_junk_are_refused_by_name() {
    let c = Connected::start(&[]).await;
    let feed = c.feed().await;
    let first_id = feed["posts"][0]["id"].as_str().expect("id").to_owned();
    let real = URL_SAFE_NO_PAD.encode(format!("v1:{first_id}"));
    let mut junk: Vec<(String, String)> = [
        "v1:",
        "v1:abc",
        "v2:17900000000001009",
        "V1:17900000000001009",
        "v1:-17900000000001009",
        "v1:+17900000000001009",
        "v1: 17900000000001009",
        "v1:17900000000001009 ",
        "v1:١٧٩",
        "v1:179\u{0}",
        "v1:17900000000001009/../1",
        "{\"id\":\"17900000000001009\"}",
    ]
    .iter()
    .map(|text| {
        (
            URL_SAFE_NO_PAD.encode(text),
            format!("base64url of {text:?}"),
        )
    })
    .collect();
    junk.push((
        URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0x00, 0x80]),
        "base64url of bytes that are not UTF-8".to_owned(),
    ));
    junk.push((
        URL_SAFE_NO_PAD.encode(format!("v1:{}", "1".repeat(300))),
        "a cursor over 200 characters".to_owned(),
    ));
    junk.push((
        URL_SAFE.encode(format!("v1:{first_id}x")),
        "padded base64url".to_owned(),
    ));
    junk.push((
        STANDARD.encode([0xfb, 0xff, 0xbf]),
        "standard base64 alphabet (+ and /)".to_owned(),
    ));
    junk.push((
        format!("{real}A"),
        "a real cursor plus one character".to_owned(),
    ));
    for (cursor, why) in &junk {
        let encoded: String = url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
        for path in ["/feed.json", "/embed"] {
            let call = Call::get(&format!("{path}?after={encoded}"));
            let answer = c.probe(&call).await;
            assert_eq!(answer.status, 400, "{path}: {why}: {}", answer.summary());
            assert_eq!(code(&answer), "bad-query", "{path}: {why}");
            assert!(message(&answer).contains("`after`"), "{path}: {why}");
        }
    }
    // A well-formed cursor of a post igfeed does not have ends the paging quietly.
    let unknown = URL_SAFE_NO_PAD.encode("v1:17999999999999999");
    let answer = c
        .probe(&Call::get(&format!("/feed.json?after={unknown}")))
        .await;
    assert_eq!(answer.status, 200, "a cursor of an unknown post");
    let page = answer.json();
    assert_eq!(page["posts"], serde_json::json!([]), "an empty last page");
    assert!(page["next"].is_null(), "and no next cursor");
    // The real cursor still works, as a control.
    let answer = c
        .probe(&Call::get(&format!("/feed.json?after={real}&limit=1")))
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["posts"][0]["id"], feed["posts"][1]["id"]);
    c.assert_no_graph_calls("junk cursors");
    c.stop().await;
}

#[tokio::test]
async fn if_none_match_with_thousands_of_tags_is_matched_correctly() {
    // 2000 tags make a 52 KB header, over the default server.max_header_bytes (16KB, refused
    // with 431 before any matching): the largest limit igfeed accepts lets them through, so
    // the matcher itself is what is tested.
    let c = Connected::start(&[("IGFEED__SERVER__MAX_HEADER_BYTES", "64KB")]).await;
    let plain = c.probe(&Call::get("/feed.json")).await;
    let etag = plain.header("etag").expect("etag").to_owned();
    let opaque = etag.trim_matches('"').to_owned();
    let gz = c
        .probe(&Call::get("/feed.json").header("Accept-Encoding", "gzip"))
        .await;
    let gz_etag = gz.header("etag").expect("etag").to_owned();
    let fakes: Vec<String> = (0..2000).map(|i| format!("\"{i:0>22}\"")).collect();
    let many = fakes.join(", ");
    let cases = [
        (
            format!("{many}, {etag}"),
            304,
            "the real tag after 2000 others",
        ),
        (
            format!("{etag}, {many}"),
            304,
            "the real tag before 2000 others",
        ),
        (many.clone(), 200, "2000 tags, none of them ours"),
        (format!("W/{etag}"), 304, "the weak form of our tag"),
        ("*".to_owned(), 304, "any tag"),
        (opaque.clone(), 200, "our tag without its quotes"),
        (
            format!("\"{opaque}"),
            200,
            "our tag without its closing quote",
        ),
        (
            gz_etag.clone(),
            200,
            "the gzip body's tag for an identity request",
        ),
        (",,,, ,\t,".to_owned(), 200, "only separators"),
        (format!("\"\", {etag}"), 304, "an empty tag, then ours"),
    ];
    // A page chosen by query revalidates too.
    let page = c.probe(&Call::get("/feed.json?limit=3")).await;
    let page_etag = page.header("etag").expect("etag").to_owned();
    let again =
        Call::get("/feed.json?limit=3").header("If-None-Match", &format!("{many}, {page_etag}"));
    assert_eq!(c.probe(&again).await.status, 304, "a paged document's tag");
    let other = Call::get("/feed.json?limit=4").header("If-None-Match", &page_etag);
    assert_eq!(
        c.probe(&other).await.status,
        200,
        "another page, another tag"
    );
    for (header, status, why) in cases {
        let call = Call::get("/feed.json").header("If-None-Match", &header);
        let answer = c.probe(&call).await;
        assert_eq!(answer.status, status, "If-None-Match: {why}");
        if status == 304 {
            assert!(answer.body.is_empty(), "{why}: a 304 has no body");
            assert_eq!(answer.header("etag"), Some(etag.as_str()), "{why}");
        } else {
            assert_eq!(answer.decoded(), plain.decoded(), "{why}: the whole feed");
        }
    }
    c.assert_no_graph_calls("If-None-Match");
    c.stop().await;
}

#[tokio::test]
async fn accept_encoding_junk_still_gets_a_decodable_body_with_its_own_etag() {
    let c = Connected::start(&[]).await;
    let identity = c.probe(&Call::get("/feed.json")).await;
    let json = identity.decoded();
    let mut etags = std::collections::HashMap::new();
    for (header, encoding) in [
        ("identity", None),
        ("gzip", Some("gzip")),
        ("br", Some("br")),
    ] {
        let answer = c
            .probe(&Call::get("/feed.json").header("Accept-Encoding", header))
            .await;
        assert_eq!(answer.header("content-encoding"), encoding, "{header}");
        etags.insert(encoding, answer.header("etag").expect("etag").to_owned());
    }
    let long = format!("{}br", "a;q=0.1, ".repeat(800));
    // (Accept-Encoding, the coding igfeed picks: None = identity)
    let cases: Vec<(&str, Option<&str>)> = vec![
        ("br;q=abc, gzip;q=1.5", None),
        ("gzip;q=1.5", None),
        ("gzip;q=-1", None),
        ("gzip;q=0.5, br;q=0.4", Some("gzip")),
        ("GZIP", Some("gzip")),
        ("x-gzip", Some("gzip")),
        ("gzip;q=0.001", Some("gzip")),
        ("br;q=0", None),
        ("*", Some("br")),
        ("*;q=0", None),
        ("identity;q=0, *;q=0", None),
        // Refusing identity without naming another coding leaves nothing acceptable: igfeed
        // documents that it then answers readable JSON rather than 406.
        ("identity;q=0", None),
        ("identity;q=0, gzip", Some("gzip")),
        (", , ,gzip", Some("gzip")),
        ("deflate, compress, zstd", None),
        ("gzip;level=9;q=0.9, br;q=0.8", Some("gzip")),
        ("br;q=0.5;q=1", Some("br")),
        (&long, Some("br")),
    ];
    for (header, encoding) in cases {
        let call = Call::get("/feed.json").header("Accept-Encoding", header);
        let answer = c.probe(&call).await;
        let what = call.what();
        assert_eq!(answer.status, 200, "{what}");
        assert_eq!(answer.header("content-encoding"), encoding, "{what}");
        assert_eq!(answer.decoded(), json, "{what}: the same document");
        assert_eq!(
            answer.header("etag"),
            etags.get(&encoding).map(String::as_str),
            "{what}: the ETag of the bytes sent"
        );
        assert!(
            answer
                .header("vary")
                .is_some_and(|v| v.contains("Accept-Encoding")),
            "{what}: Vary"
        );
    }
    c.assert_no_graph_calls("Accept-Encoding junk");
    c.stop().await;
}

/// A Range header may be ignored (200, the whole body) or honoured (206 with a correct
/// `Content-Range`), never half of both.
fn assert_range_consistent(what: &str, answer: &Raw, whole: &[u8]) {
    match answer.status {
        200 => assert_eq!(
            answer.decoded(),
            whole,
            "{what}: 200 must be the whole body"
        ),
        206 => {
            let range = answer.header("content-range").unwrap_or_default();
            let (span, total) = range
                .trim_start_matches("bytes ")
                .split_once('/')
                .unwrap_or_else(|| panic!("{what}: Content-Range {range:?}"));
            let (first, last) = span.split_once('-').expect("first-last");
            let (first, last): (usize, usize) =
                (first.parse().expect("first"), last.parse().expect("last"));
            assert_eq!(total, whole.len().to_string(), "{what}: total");
            assert_eq!(answer.body, whole[first..=last], "{what}: the range");
        }
        416 => assert!(
            answer.header("content-range").is_some(),
            "{what}: 416 names the size"
        ),
        other => panic!("{what}: {other} to a Range request"),
    }
}

#[tokio::test]
async fn range_headers_get_whole_bodies_or_exact_parts() {
    let c = Connected::start(&[]).await;
    let image = c.first_image_path().await;
    let many = vec!["0-0"; 500].join(",");
    let ranges = [
        "bytes=0-9".to_owned(),
        "bytes=-5".to_owned(),
        "bytes=5-".to_owned(),
        "bytes=999999999-".to_owned(),
        "bytes=9-2".to_owned(),
        "bytes=0-0,2-3".to_owned(),
        format!("bytes={many}"),
        "pages=1-2".to_owned(),
        "bytes=-0".to_owned(),
        "bytes=18446744073709551616-".to_owned(),
    ];
    for path in ["/feed.json", "/embed", "/widget.js", image.as_str()] {
        let whole = c.probe(&Call::get(path)).await;
        assert_eq!(whole.status, 200, "{path}");
        let whole = whole.decoded();
        for range in &ranges {
            let call = Call::get(path).header("Range", range);
            let answer = c.probe(&call).await;
            assert_range_consistent(&call.what(), &answer, &whole);
        }
    }
    c.assert_no_graph_calls("Range requests");
    c.stop().await;
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let c = Connected::start(&[]).await;
    let image = c.first_image_path().await;
    let unversioned = image.split('?').next().expect("path").to_owned();
    let paths = [
        "/feed.json",
        "/feed.json?limit=3",
        "/feed.json?limit=0",
        "/embed",
        "/embed?limit=2&theme=dark",
        "/embed?columns=99",
        image.as_str(),
        unversioned.as_str(),
        "/media/profile/320",
        "/media/1/640",
        "/media/abc/640",
        "/widget.js",
        "/nope",
    ];
    for path in paths {
        for encoding in ["identity", "gzip, br"] {
            let get = Call::get(path).header("Accept-Encoding", encoding);
            let head = Call::new("HEAD", path).header("Accept-Encoding", encoding);
            let got = c.probe(&get).await;
            let headed = c.probe(&head).await;
            let what = head.what();
            assert_eq!(headed.status, got.status, "{what}: the status of GET");
            assert!(headed.body.is_empty(), "{what}: HEAD sent a body");
            let names = |raw: &Raw| {
                let mut names: Vec<String> = raw
                    .headers
                    .iter()
                    .map(|(n, _)| n.clone())
                    .filter(|n| !["date", "x-request-id"].contains(&n.as_str()))
                    .collect();
                names.sort();
                names
            };
            assert_eq!(names(&headed), names(&got), "{what}: the headers of GET");
            for name in [
                "etag",
                "content-type",
                "content-encoding",
                "cache-control",
                "vary",
                "content-security-policy",
            ] {
                assert_eq!(headed.header(name), got.header(name), "{what}: {name}");
            }
            if let Some(length) = headed.header("content-length") {
                assert_eq!(
                    length,
                    got.body.len().to_string(),
                    "{what}: Content-Length is GET's body length"
                );
            }
        }
    }
    c.assert_no_graph_calls("HEAD requests");
    c.stop().await;
}

#[tokio::test]
async fn null_origins_and_crowded_preflights_get_clear_cors_answers() {
    let c = Connected::start(&[]).await;
    let read = c
        .probe(&Call::get("/feed.json").header("Origin", "null"))
        .await;
    assert_eq!(read.status, 200, "Origin: null reads the public feed");
    assert_eq!(read.header("access-control-allow-origin"), Some("*"));

    let crowd: Vec<String> = (0..200).map(|i| format!("x-custom-{i}")).collect();
    let crowd = crowd.join(", ");
    let preflight = |origin: &str, method: &str, headers: Option<&str>| {
        let call = Call::new("OPTIONS", "/feed.json")
            .header("Origin", origin)
            .header("Access-Control-Request-Method", method);
        match headers {
            Some(h) => call.header("Access-Control-Request-Headers", h),
            None => call,
        }
    };
    // (preflight, allowed?)
    let cases = [
        (preflight("null", "GET", None), true),
        (preflight("https://site.example", "HEAD", None), true),
        (
            preflight(
                "https://site.example",
                "GET",
                Some("If-None-Match, accept ,CONTENT-TYPE"),
            ),
            true,
        ),
        (
            preflight("https://site.example", "GET", Some("accept,accept,accept")),
            true,
        ),
        (
            preflight("https://site.example", "GET", Some(&crowd)),
            false,
        ),
        (
            preflight("https://site.example", "GET", Some("authorization")),
            false,
        ),
        (preflight("https://site.example", "DELETE", None), false),
        (preflight("https://site.example", "get", None), false),
        (preflight("https://site.example", "G E T", None), false),
    ];
    for (call, allowed) in cases {
        let answer = c.probe(&call).await;
        let what = call.what();
        if allowed {
            assert!(
                (200..300).contains(&answer.status),
                "{what}: {}",
                answer.status
            );
            assert!(
                answer.header("access-control-allow-methods").is_some(),
                "{what}"
            );
        } else {
            // CORS refuses a preflight it understands (400); one it cannot read is an
            // OPTIONS request the route does not take (405).
            assert!(
                [400, 405].contains(&answer.status),
                "{what}: {}",
                answer.summary()
            );
            assert!(
                answer.header("access-control-allow-methods").is_none(),
                "{what}: a refused preflight grants no method"
            );
        }
    }
    // OPTIONS that is not a preflight, and on routes without CORS.
    for call in [
        Call::new("OPTIONS", "/feed.json"),
        Call::new("OPTIONS", "/media/1/640").header("Origin", "https://site.example"),
        Call::new("OPTIONS", "*"),
    ] {
        let answer = c.probe(&call).await;
        assert!(
            (400..500).contains(&answer.status) || (200..300).contains(&answer.status),
            "{}: {}",
            call.what(),
            answer.status
        );
    }
    // A script on another site must be able to read why its request was refused.
    let refused = c
        .probe(&Call::get("/feed.json?limit=0").header("Origin", "https://site.example"))
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.header("access-control-allow-origin"),
        Some("*"),
        "a 400 from /feed.json is readable cross-origin"
    );
    c.assert_no_graph_calls("CORS requests");
    c.stop().await;
}

#[tokio::test]
async fn with_a_listed_origin_null_and_lookalike_origins_get_no_grant() {
    let c = Connected::start(&[("IGFEED__CORS__ALLOWED_ORIGINS", "https://shop.example")]).await;
    let listed = c
        .probe(&Call::get("/feed.json").header("Origin", "https://shop.example"))
        .await;
    assert_eq!(
        listed.header("access-control-allow-origin"),
        Some("https://shop.example"),
        "control: the listed origin"
    );
    for origin in [
        "null",
        "https://shop.example.evil.example",
        "https://evil-shop.example",
        "http://shop.example",
        "https://shop.example:8443",
        "https://shop.example/",
        "https://shop.example\t",
        "https://sub.shop.example",
        "*",
        "https://shop.example, https://evil.example",
    ] {
        let read = Call::get("/feed.json").header("Origin", origin);
        let answer = c.probe(&read).await;
        assert_ne!(
            answer.header("access-control-allow-origin"),
            Some(origin),
            "{}: no grant",
            read.what()
        );
        assert!(
            answer
                .header("access-control-allow-origin")
                .is_none_or(|granted| granted == "https://shop.example"),
            "{}: granted {:?}",
            read.what(),
            answer.header("access-control-allow-origin")
        );
        let preflight = Call::new("OPTIONS", "/feed.json")
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET");
        let answer = c.probe(&preflight).await;
        assert!(
            !(200..300).contains(&answer.status)
                || answer.header("access-control-allow-origin") != Some(origin),
            "{}: preflight granted",
            preflight.what()
        );
    }
    c.assert_no_graph_calls("CORS requests");
    c.stop().await;
}
