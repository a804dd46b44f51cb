//! `/media`: paths outside the grammar or the feed, and one URL per image.

use super::*;

#[tokio::test]
async fn media_paths_outside_the_grammar_or_the_feed_are_refused_without_downloads() {
    let c = Connected::start(&[]).await;
    let feed = c.feed().await;
    let posts = feed["posts"].as_array().expect("posts").clone();
    let post = posts[0]["id"].as_str().expect("id").to_owned();
    let carousel = posts
        .iter()
        .find(|p| p["type"] == "carousel")
        .expect("a carousel");
    let slides = carousel["media"].as_array().expect("media").len();
    let carousel = carousel["id"].as_str().expect("id").to_owned();
    // Another account's id: same shape as ours, not in this feed.
    let stranger = "17841400000000001";
    let cdn_before = c.env.sandbox.stats().calls.cdn;
    let v = "x".repeat(8 * 1024);
    // (path, status, code)
    let refused: Vec<(String, u16, &str)> = vec![
        (format!("/media/{stranger}/640"), 404, "media-not-found"),
        (format!("/media/{stranger}/1/640"), 404, "media-not-found"),
        (format!("/media/{post}0/640"), 404, "media-not-found"),
        (format!("/media/0{post}/640"), 404, "media-not-found"),
        (
            format!("/media/{carousel}/{slides}/640"),
            404,
            "media-not-found",
        ),
        (format!("/media/{carousel}/19/640"), 404, "media-not-found"),
        (format!("/media/{carousel}/20/640"), 400, "bad-media-path"),
        (format!("/media/{post}/641"), 404, "unknown-size"),
        (format!("/media/{post}/99999"), 404, "unknown-size"),
        (format!("/media/{post}/100000"), 400, "bad-media-path"),
        (
            format!("/media/{post}/18446744073709551616"),
            400,
            "bad-media-path",
        ),
        (format!("/media/{post}/-640"), 400, "bad-media-path"),
        (format!("/media/{post}/+640"), 400, "bad-media-path"),
        (format!("/media/{post}/640%20"), 400, "bad-media-path"),
        (
            format!("/media/{post}/%EF%BC%96%EF%BC%94%EF%BC%90"),
            400,
            "bad-media-path",
        ),
        (format!("/media/{post}/640/"), 400, "bad-media-path"),
        (format!("/media/{post}//640"), 400, "bad-media-path"),
        ("/media//640".to_owned(), 400, "bad-media-path"),
        ("/media/PROFILE/640".to_owned(), 400, "bad-media-path"),
        ("/media/profile/0/640".to_owned(), 400, "bad-media-path"),
        (format!("/media/{post}/./640"), 400, "bad-media-path"),
        (
            format!("/media/{post}/../{post}/640"),
            400,
            "bad-media-path",
        ),
        (format!("/media/{post}/%2e%2e/640"), 400, "bad-media-path"),
        (format!("/media/{post}/640%3Fv=1"), 400, "bad-media-path"),
        (
            format!("/media/{}/640", "1".repeat(33)),
            400,
            "bad-media-path",
        ),
        (format!("/media/{post}/640?v=a&v=b"), 400, "bad-query"),
    ];
    for (path, status, expected) in &refused {
        let call = Call::get(path);
        let answer = c.probe(&call).await;
        let what = call.what();
        assert_eq!(answer.status, *status, "{what}: {}", answer.summary());
        assert_eq!(code(&answer), *expected, "{what}");
    }
    assert_eq!(
        c.env.sandbox.stats().calls.cdn,
        cdn_before,
        "refused media paths download nothing"
    );
    // Hostile `v` values only change caching, never what is served.
    for path in [
        format!("/media/{post}/640?v=%3Cscript%3E"),
        format!("/media/{post}/640?v={v}"),
        format!("/media/{post}/640?v=../../credentials.json"),
        "/media/profile/320?v=".to_owned(),
    ] {
        let call = Call::get(&path);
        let answer = c.probe(&call).await;
        assert_eq!(answer.status, 200, "{}", call.what());
        assert_eq!(answer.header("content-type"), Some("image/jpeg"));
        assert_eq!(
            answer.header("cache-control"),
            Some("public, max-age=300"),
            "{}: an unknown version is not cached for long",
            call.what()
        );
    }
    c.assert_no_graph_calls("media requests");
    c.stop().await;
}

/// The media key's own rule (src/media/key.rs): "item 0 has the short form, so every image
/// has exactly one URL". Zero-padded sizes, an explicit `/0/` and a percent-encoded `/` name
/// the same image again (each a separate URL for caches to fill).
#[tokio::test]
async fn every_image_has_exactly_one_url() {
    let c = Connected::start(&[]).await;
    let feed = c.feed().await;
    let post = feed["posts"][0]["id"].as_str().expect("id").to_owned();
    assert_eq!(
        c.probe(&Call::get(&format!("/media/{post}/640")))
            .await
            .status,
        200,
        "control: the short form"
    );
    let mut served = Vec::new();
    for path in [
        format!("/media/{post}/0/640"),
        format!("/media/{post}/00/640"),
        format!("/media/{post}/0640"),
        format!("/media/{post}/00640"),
        format!("/media/{post}%2F640"),
        format!("/media/{post}%2F0%2F640"),
        "/media/profile/0320".to_owned(),
    ] {
        let answer = c.probe(&Call::get(&path)).await;
        if answer.status != 400 || code(&answer) != "bad-media-path" {
            served.push(format!("{path} → {}", answer.status));
        }
    }
    assert!(
        served.is_empty(),
        "second URLs for images that have their own, not refused as bad-media-path: {served:#?}"
    );
    c.stop().await;
}
