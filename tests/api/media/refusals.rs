//! Not an open proxy: only the feed's images, strict paths, JSON errors.

use igfeed_sandbox::Mode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::{feed, image_urls, items, load};
use crate::helpers::TestEnv;

#[tokio::test]
async fn ids_and_sizes_outside_the_feed_are_refused_with_json() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    let feed = feed(&app).await;
    let post = feed["posts"][0]["id"].as_str().expect("post id").to_owned();
    let image = feed["posts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["type"] == "image")
        .and_then(|p| p["id"].as_str())
        .expect("an image post")
        .to_owned();
    let cases = [
        (
            "/media/17900000000000000/640".to_owned(),
            404,
            "media-not-found",
        ),
        ("/media/1/640".to_owned(), 404, "media-not-found"),
        (format!("/media/{post}/999"), 404, "unknown-size"),
        (format!("/media/{post}/0"), 404, "unknown-size"),
        (format!("/media/{image}/5/640"), 404, "media-not-found"),
        (format!("/media/{post}/video"), 404, "video-disabled"),
        ("/media/abc/640".to_owned(), 400, "bad-media-path"),
        (format!("/media/{post}/-1/640"), 400, "bad-media-path"),
        (format!("/media/{post}/99999999999"), 400, "bad-media-path"),
        (format!("/media/{post}/640.jpg"), 400, "bad-media-path"),
        (format!("/media/{post}/1/2/640"), 400, "bad-media-path"),
        ("/media/profile/video".to_owned(), 400, "bad-media-path"),
        ("/media/".to_owned(), 400, "bad-media-path"),
    ];
    for (path, status, code) in cases {
        let response = app.get(&path).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        let body: serde_json::Value = response.json().await.expect("a JSON error");
        assert_eq!(body["error"]["code"], code, "{path}");
    }
    // A real URL with a size that is configured works, as a control.
    let url = items(&feed)[0]["url"].as_str().expect("url").to_owned();
    assert_eq!(load(&app, &url).await.0, 200);
    app.stop().await;
}

/// Sends `path` byte for byte (reqwest would normalise `..`), returns status line and body.
async fn raw_get(address: &str, path: &str) -> String {
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("connects");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("writes");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    answer
}

#[tokio::test]
async fn path_traversal_attempts_are_refused() {
    let env = TestEnv::start().await;
    let (app, _) = env.spawn_connected().await;
    for path in [
        "/media/../credentials.json",
        "/media/..%2Fcredentials.json",
        "/media/%2e%2e/credentials.json",
        "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd/640",
        "/media/profile/..%2f..%2fcredentials.json",
        "/media/17900000000001009/..%5c640",
        "/media/17900000000001009/%00/640",
        "/media/17900000000001009/640%00.jpg",
    ] {
        let answer = raw_get(&app.address, path).await;
        let status_line = answer.lines().next().unwrap_or_default();
        assert!(
            status_line.contains(" 400 ") || status_line.contains(" 404 "),
            "{path}: {status_line}"
        );
        for secret in ["access_token", "IGAA", "credentials\":", "root:"] {
            assert!(!answer.contains(secret), "{path} leaked {secret}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn only_allowed_hosts_and_bounded_originals_are_downloaded() {
    for (key, value, cdn_calls) in [
        (
            "IGFEED__MEDIA__ALLOWED_HOSTS",
            "*.cdninstagram.com,*.fbcdn.net",
            0,
        ),
        ("IGFEED__MEDIA__MAX_SOURCE_BYTES", "1KB", 1),
    ] {
        let mut env = TestEnv::start().await;
        env.set(key, value);
        let (app, _) = env.spawn_connected().await;
        let url = image_urls(&app).await.swap_remove(0);
        env.sandbox.reset_stats();
        let response = app.http.get(&url).send().await.expect("answers");
        assert_eq!(response.status(), 502, "{key}={value}");
        let body: serde_json::Value = response.json().await.expect("a JSON error");
        assert_eq!(body["error"]["code"], "media-upstream", "{key}={value}");
        assert_eq!(env.sandbox.stats().calls.cdn, cdn_calls, "{key}={value}");
        app.stop().await;
    }
}

/// A broken original (too large, or a CDN that stalls past `media.download_timeout`) is
/// downloaded once per short window, whoever asks; after the window it is tried again.
#[tokio::test]
async fn a_failed_original_is_not_downloaded_again_for_a_while() {
    for (key, value, mode) in [
        ("IGFEED__MEDIA__MAX_SOURCE_BYTES", "1KB", Mode::Healthy),
        ("IGFEED__MEDIA__DOWNLOAD_TIMEOUT", "300ms", Mode::CdnStalled),
    ] {
        let mut env = TestEnv::start().await;
        env.set(key, value);
        let (app, _) = env.spawn_connected().await;
        let url = image_urls(&app).await.swap_remove(0);
        env.sandbox.set_mode(mode);
        env.sandbox.reset_stats();
        for _ in 0..5 {
            let response = app.http.get(&url).send().await.expect("answers");
            assert_eq!(response.status(), 502, "{key}={value}");
            let body: serde_json::Value = response.json().await.expect("a JSON error");
            assert_eq!(body["error"]["code"], "media-upstream", "{key}={value}");
        }
        assert_eq!(
            env.sandbox.stats().calls.cdn,
            1,
            "{key}={value}: one download"
        );
        env.advance(std::time::Duration::from_secs(31));
        assert_eq!(load(&app, &url).await.0, 502, "{key}={value}");
        assert_eq!(
            env.sandbox.stats().calls.cdn,
            2,
            "{key}={value}: tried again after the window"
        );
        app.stop().await;
    }
}
