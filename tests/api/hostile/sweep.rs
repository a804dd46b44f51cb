//! Everything at once: a method x path sweep, malformed HTTP, pipelining.

use super::*;

#[tokio::test]
async fn a_sweep_of_methods_and_paths_gets_no_5xx_no_secret_and_no_instagram_call() {
    let c = Connected::start(&[("IGFEED__ADMIN__PASSWORD", PASSWORD)]).await;
    let feed = c.feed().await;
    let post = feed["posts"][0]["id"].as_str().expect("id").to_owned();
    let media = format!("/media/{post}/640");
    let paths = [
        "/",
        "/feed.json",
        "/feed.json?limit=5",
        "/embed",
        "/embed.js",
        "/embed.css",
        "/widget.js",
        "/widget-lightbox.js",
        "/media/profile/320",
        media.as_str(),
        "/healthz",
        "/readyz",
        "/metrics",
        "/admin",
        "/admin/login",
        "/admin/static/admin.css",
        "/admin/static/../../Cargo.toml",
        "/auth/instagram/callback",
        "/instagram/deauthorize",
        "/instagram/data-deletion",
        "/instagram/data-deletion/AAAAAAAAAAAAAAAAAAAAAA",
        "/favicon.ico",
        "/.env",
        "/.git/config",
        "/credentials.json",
        "/session-key.json",
        "/feed-snapshot.json",
        "/static/widget.js",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/feed.json%00",
    ];
    let methods = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "get",
    ];
    for path in paths {
        for method in methods {
            let call = Call::new(method, path);
            let answer = c.probe(&call).await;
            if method == "GET" && ["/.env", "/.git/config", "/credentials.json"].contains(&path) {
                assert_eq!(answer.status, 404, "{}", call.what());
            }
        }
    }
    // Headers a proxy would set, sent by a visitor: they change nothing a visitor sees.
    let forwarded = [
        ("X-Forwarded-For", "127.0.0.1"),
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "javascript"),
        ("Forwarded", "for=127.0.0.1;host=evil.example;proto=https"),
        ("X-Real-IP", "::1"),
        ("X-Original-URL", "/admin"),
        ("X-Rewrite-URL", "/admin"),
        ("X-HTTP-Method-Override", "DELETE"),
    ];
    for path in ["/feed.json", "/embed", "/feed.json?limit=2&after="] {
        let mut call = Call::get(path).header("Host", "evil.example");
        for (name, value) in forwarded {
            call = call.header(name, value);
        }
        let answer = c.probe(&call).await;
        assert_eq!(answer.status, 200, "{}", call.what());
        assert!(
            !answer.text().contains("evil.example") && !answer.text().contains("javascript:"),
            "{}: URLs are built from server.public_url, never from the request",
            call.what()
        );
    }
    for (path, headers) in [
        ("/metrics", vec![("X-Forwarded-For", "203.0.113.9")]),
        (
            "/metrics",
            vec![
                ("X-Forwarded-For", "203.0.113.9"),
                ("Authorization", "Bearer "),
            ],
        ),
        ("/metrics", vec![("Forwarded", "for=203.0.113.9")]),
    ] {
        let mut call = Call::get(path);
        for (name, value) in headers {
            call = call.header(name, value);
        }
        let answer = c.probe(&call).await;
        assert_eq!(answer.status, 404, "{}: metrics are hidden", call.what());
    }
    // Bytes that are not ASCII in every header igfeed reads, and in queries and paths.
    let odd_headers = [
        ("Authorization", "Bearer ÿÿ"),
        ("Cookie", "igfeed_admin=ÿ"),
        ("If-None-Match", "\"ÿ\""),
        ("Accept-Encoding", "gzïp, br"),
        ("Origin", "https://ÿ.example"),
        ("Range", "bytes=ÿ-"),
        ("X-Forwarded-For", "ÿ, 127.0.0.1"),
        (
            "Content-Type",
            "application/x-www-form-urlencoded; charset=ÿ",
        ),
    ];
    let odd_targets = [
        "/feed.json?limit=%FF".to_owned(),
        "/feed.json?after=%FF%FE".to_owned(),
        "/embed?theme=%FF".to_owned(),
        "/media/%FF/640".to_owned(),
        format!("{media}?v=%FF"),
        "/auth/instagram/callback?state=%FF&code=%FF".to_owned(),
        "/instagram/data-deletion/%FF%FE".to_owned(),
        format!("/{}", "x".repeat(30_000)),
    ];
    for path in [
        "/feed.json",
        "/embed",
        media.as_str(),
        "/readyz",
        "/metrics",
        "/admin",
    ] {
        for (name, value) in odd_headers {
            for method in ["GET", "POST"] {
                c.probe(&Call::new(method, path).header(name, value)).await;
            }
        }
    }
    for target in &odd_targets {
        c.probe(&Call::get(target)).await;
    }
    let planted = Call::get("/feed.json").header("X-Request-Id", "planted-id");
    let answer = c.probe(&planted).await;
    assert!(
        answer
            .header("x-request-id")
            .is_some_and(|id| id != "planted-id"),
        "igfeed names its own request ids"
    );
    let strangers = Call::get("/readyz").header("X-Forwarded-For", "203.0.113.9");
    let answer = c.probe(&strangers).await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.json().get("token").is_none() && answer.json().get("account").is_none(),
        "{}: strangers see only the status: {}",
        strangers.what(),
        answer.summary()
    );
    // All of that made a bounded number of series, none named after what a visitor sent.
    let metrics = c.probe(&Call::get("/metrics")).await;
    assert_eq!(metrics.status, 200, "loopback is an operator");
    let series: Vec<String> = metrics
        .text()
        .lines()
        .filter(|l| l.starts_with("igfeed_http_requests_total{"))
        .map(str::to_owned)
        .collect();
    assert!(series.len() < 150, "{} request series", series.len());
    for raw in [
        "PROPFIND",
        "method=\"get\"",
        ".env",
        "evil",
        "xxxx",
        "passwd",
    ] {
        assert!(
            !series.iter().any(|l| l.contains(raw)),
            "{raw:?} became a label: {series:?}"
        );
    }
    c.assert_no_graph_calls("the sweep");
    assert!(c.env.stored_credentials().is_some(), "still connected");
    c.stop().await;
}

#[tokio::test]
async fn malformed_http_is_refused_and_the_server_keeps_serving() {
    let c = Connected::start(&[]).await;
    let host = host(&c.app);
    let many_headers: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let cases: Vec<(String, Vec<u8>)> = vec![
        (
            "HTTP/1.0 without Host".to_owned(),
            b"GET /feed.json HTTP/1.0\r\n\r\n".to_vec(),
        ),
        (
            "HTTP/1.1 without Host".to_owned(),
            b"GET /feed.json HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec(),
        ),
        (
            "two Host headers".to_owned(),
            format!("GET /feed.json HTTP/1.1\r\nHost: {host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n").into_bytes(),
        ),
        (
            "Content-Length and Transfer-Encoding".to_owned(),
            format!("POST /instagram/deauthorize HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n").into_bytes(),
        ),
        (
            "two different Content-Lengths".to_owned(),
            format!("POST /instagram/deauthorize HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1\r\nContent-Length: 20\r\nConnection: close\r\n\r\nsigned_request=a.b.c").into_bytes(),
        ),
        (
            "a NUL in a header".to_owned(),
            format!("GET /feed.json HTTP/1.1\r\nHost: {host}\r\nX-A: a\0b\r\nConnection: close\r\n\r\n").into_bytes(),
        ),
        (
            "200 headers".to_owned(),
            format!("GET /feed.json HTTP/1.1\r\nHost: {host}\r\n{many_headers}Connection: close\r\n\r\n").into_bytes(),
        ),
        (
            "a 200 KB request line".to_owned(),
            format!("GET /feed.json?x={} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n", "a".repeat(200_000)).into_bytes(),
        ),
        (
            "an obsolete folded header".to_owned(),
            format!("GET /feed.json HTTP/1.1\r\nHost: {host}\r\nX-A: a\r\n b\r\nConnection: close\r\n\r\n").into_bytes(),
        ),
        (
            "a space before the colon".to_owned(),
            format!("GET /feed.json HTTP/1.1\r\nHost: {host}\r\nIf-None-Match : *\r\nConnection: close\r\n\r\n").into_bytes(),
        ),
        (
            "HTTP/1.7".to_owned(),
            format!("GET /feed.json HTTP/1.7\r\nHost: {host}\r\nConnection: close\r\n\r\n").into_bytes(),
        ),
        (
            "HTTP/9.9".to_owned(),
            format!("GET /feed.json HTTP/9.9\r\nHost: {host}\r\nConnection: close\r\n\r\n").into_bytes(),
        ),
        (
            "a TLS ClientHello".to_owned(),
            vec![0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, b'\r', b'\n', b'\r', b'\n'],
        ),
        (
            "a bare line feed protocol".to_owned(),
            format!("GET /feed.json HTTP/1.1\nHost: {host}\nConnection: close\n\n").into_bytes(),
        ),
        (
            "a request target without a slash".to_owned(),
            format!("GET feed.json HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").into_bytes(),
        ),
    ];
    // What each gets: 200 only for the two igfeed may read leniently, the JSON 404 for a
    // target without a slash, else the HTTP layer's bare refusal (before any route runs).
    let expected = |why: &str| match why {
        "HTTP/1.0 without Host" | "a bare line feed protocol" => 200,
        "a request target without a slash" => 404,
        "200 headers" | "a 200 KB request line" => 431,
        _ => 400,
    };
    for (why, bytes) in &cases {
        let answer = send_bytes(&c.app, bytes, why).await;
        assert_eq!(answer.status, expected(why), "{why}: {}", answer.head);
        assert!(
            !String::from_utf8_lossy(&answer.body).contains("HTTP/1."),
            "{why}: a second, smuggled request was answered"
        );
        for secret in c.secrets() {
            assert!(!answer.head.contains(secret), "{why}: a secret leaked");
        }
        if answer.status == 200 {
            assert!(
                answer.json()["posts"].is_array() || answer.body.is_empty(),
                "{why}: a 200 is the feed"
            );
        }
        assert_eq!(
            c.app.get("/healthz").await.status(),
            200,
            "{why}: still serving"
        );
    }
    // Two requests in one write are both answered, in order.
    let pipelined = format!(
        "GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\nGET /feed.json?limit=1 HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    );
    let mut stream = tokio::net::TcpStream::connect(&host)
        .await
        .expect("connects");
    stream
        .write_all(pipelined.as_bytes())
        .await
        .expect("writes");
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes)).await;
    assert!(read.is_ok(), "pipelined requests answered within 10 s");
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(
        text.matches("HTTP/1.1 200 OK").count(),
        2,
        "both pipelined requests: {text}"
    );
    assert!(
        text.find("\"status\":\"ok\"") < text.find("\"posts\""),
        "answers in request order"
    );
    c.assert_no_graph_calls("malformed HTTP");
    c.stop().await;
}

/// The status lines of every answer on one connection, in order.
fn status_lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .split("\r\n")
        .filter(|line| line.starts_with("HTTP/1."))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_kept_alive_connection_stays_in_step_after_refusals_head_and_304() {
    let c = Connected::start(&[("IGFEED__ADMIN__PASSWORD", PASSWORD)]).await;
    let host = host(&c.app);
    let etag = c
        .probe(&Call::get("/feed.json"))
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    // /embed renders a page on its first request on a blocking thread. While a handler is
    // still working, actix-http already decodes the next pipelined request, and that one's
    // `Connection: close` then closes the connection right after the first answer (safe: no
    // answer out of step, the client retries). Rendered once here, the HEAD below is answered
    // at once, as a page that visitors keep asking for is.
    c.probe(&Call::get("/embed")).await;
    // A request hidden in a body: if igfeed stops reading a body it refuses and then reads
    // the rest as the next request, this one is answered (404) — requests are smuggled.
    let smuggled = format!("GET /smuggled HTTP/1.1\r\nHost: {host}\r\n\r\n");
    let with_body = |method: &str, path: &str, content_type: &str, body: &str| {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let padded = format!("{}{smuggled}", "a".repeat(70 * 1024));
    let firsts = [
        (
            "HEAD /feed.json",
            format!("HEAD /feed.json HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        ),
        (
            "HEAD /embed",
            format!("HEAD /embed HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        ),
        (
            "a 304",
            format!("GET /feed.json HTTP/1.1\r\nHost: {host}\r\nIf-None-Match: {etag}\r\n\r\n"),
        ),
        (
            "a JSON body to a form route",
            with_body("POST", "/admin/login", "application/json", &smuggled),
        ),
        (
            "a form with a hidden request to a Meta callback",
            with_body(
                "POST",
                "/instagram/deauthorize",
                "application/x-www-form-urlencoded",
                &smuggled,
            ),
        ),
        (
            "a body to a GET-only route",
            with_body("POST", "/feed.json", "text/plain", &smuggled),
        ),
        (
            "a body to GET /feed.json",
            with_body("GET", "/feed.json", "text/plain", &smuggled),
        ),
        (
            "a body over the form limit",
            with_body(
                "POST",
                "/instagram/deauthorize",
                "application/x-www-form-urlencoded",
                &padded,
            ),
        ),
        (
            "a body over the login form limit",
            with_body(
                "POST",
                "/admin/login",
                "application/x-www-form-urlencoded",
                &padded,
            ),
        ),
        (
            "an unknown path with a body",
            with_body("PUT", "/nope", "text/plain", &smuggled),
        ),
    ];
    for (why, first) in firsts {
        let last = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        let mut stream = tokio::net::TcpStream::connect(&host)
            .await
            .expect("connects");
        let _ = stream.write_all(format!("{first}{last}").as_bytes()).await;
        let mut bytes = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes)).await;
        assert!(read.is_ok(), "{why}: the connection ends within 10 s");
        let lines = status_lines(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        assert!(!lines.is_empty(), "{why}: no answer");
        assert!(
            !lines.iter().skip(1).any(|l| l.contains(" 404 ")),
            "{why}: the request hidden in the body was answered: {lines:?}"
        );
        assert!(
            lines.len() <= 2,
            "{why}: more answers than requests: {lines:?}"
        );
        if lines.len() == 2 {
            assert!(lines[1].contains(" 200 "), "{why}: {lines:?}");
            assert!(
                text.trim_end().ends_with("{\"status\":\"ok\"}"),
                "{why}: the second answer is /healthz's"
            );
        }
        if why.starts_with("HEAD") || why == "a 304" {
            assert_eq!(
                lines.len(),
                2,
                "{why}: the connection carries on: {lines:?}"
            );
            assert!(!text.contains("\"posts\""), "{why}: a body was sent");
            assert!(!text.contains("<html"), "{why}: a body was sent");
        }
    }
    c.assert_no_graph_calls("kept-alive connections");
    assert!(c.env.stored_credentials().is_some(), "still connected");
    c.stop().await;
}
