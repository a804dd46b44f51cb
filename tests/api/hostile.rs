//! Hostile visitors and confused callers against a connected igfeed, over real HTTP — most of
//! it byte for byte on a raw socket, so nothing between the test and igfeed tidies a request.
//!
//! Whatever a caller sends, igfeed must answer without a 5xx, never show the access token or
//! the app secret, give every 4xx the JSON error shape (or an HTML page on the browser-facing
//! `/admin`, `/auth` and `/embed`), and never call Instagram because of it.

use std::io::Read as _;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit as _, Mac as _};
use reqwest::StatusCode;
use secrecy::ExposeSecret as _;
use serde_json::Value;
use sha2::Sha256;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::helpers::{TestApp, TestEnv};

// ───────────────────────────── raw HTTP ─────────────────────────────

/// An answer as it came off the socket.
struct Raw {
    /// `HTTP/1.1 200 OK` and the header lines, as text.
    head: String,
    status: u16,
    headers: Vec<(String, String)>,
    /// The bytes after the head (de-chunked when chunked).
    body: Vec<u8>,
}

impl Raw {
    fn parse(bytes: &[u8]) -> Self {
        let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
            return Self {
                head: String::from_utf8_lossy(bytes).into_owned(),
                status: 0,
                headers: Vec::new(),
                body: Vec::new(),
            };
        };
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let rest = &bytes[end + 4..];
        let chunked = headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
        let body = if chunked {
            dechunk(rest)
        } else {
            rest.to_vec()
        };
        Self {
            head,
            status,
            headers,
            body,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body with its `Content-Encoding` undone.
    fn decoded(&self) -> Vec<u8> {
        decode(self.header("content-encoding"), &self.body)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.decoded()).into_owned()
    }

    /// Status, content type and the start of a text body, for assertion messages.
    fn summary(&self) -> String {
        let kind = self.header("content-type").unwrap_or_default();
        let body = if kind.starts_with("image/") || kind.starts_with("video/") {
            format!("<{} bytes>", self.body.len())
        } else {
            self.text().chars().take(300).collect()
        };
        format!("{} {kind:?} {body}", self.status)
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.decoded()).unwrap_or(Value::Null)
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        rest = &rest[line_end + 2..];
        if size == 0 || rest.len() < size {
            break;
        }
        body.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
    body
}

fn decode(encoding: Option<&str>, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    // A HEAD answer or a 304 names an encoding without carrying a body.
    match encoding.filter(|_| !bytes.is_empty()) {
        Some("gzip") => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .expect("valid gzip");
        }
        Some("br") => {
            brotli::Decompressor::new(bytes, 4096)
                .read_to_end(&mut out)
                .expect("valid brotli");
        }
        _ => out.extend_from_slice(bytes),
    }
    out
}

/// One request, written by hand.
#[derive(Clone)]
struct Call {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// HTTP version on the request line.
    version: &'static str,
}

impl Call {
    fn new(method: &str, target: &str) -> Self {
        Self {
            method: method.to_owned(),
            target: target.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            version: "HTTP/1.1",
        }
    }

    fn get(target: &str) -> Self {
        Self::new("GET", target)
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self.header("Content-Type", content_type)
    }

    /// `METHOD target`, shortened, for assertion messages.
    fn what(&self) -> String {
        let target: String = self.target.chars().take(100).collect();
        let cut = if target.len() < self.target.len() {
            "…"
        } else {
            ""
        };
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(n, v)| format!("{n}: {}", v.chars().take(60).collect::<String>()))
            .collect();
        format!("{} {target}{cut} {headers:?}", self.method)
    }

    fn bytes(&self, host: &str) -> Vec<u8> {
        let mut text = format!("{} {} {}\r\n", self.method, self.target, self.version);
        if !self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("host"))
        {
            text.push_str(&format!("Host: {host}\r\n"));
        }
        for (name, value) in &self.headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        if !self.body.is_empty() {
            text.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        text.push_str("Connection: close\r\n\r\n");
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    async fn send(&self, app: &TestApp) -> Raw {
        send_bytes(app, &self.bytes(&host(app)), &self.what()).await
    }
}

fn host(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// Writes `request` as is and reads until igfeed closes the connection.
async fn send_bytes(app: &TestApp, request: &[u8], what: &str) -> Raw {
    let mut stream = tokio::net::TcpStream::connect(host(app))
        .await
        .expect("connects");
    // igfeed may close before reading a body it refuses; what it answered is still readable.
    let _ = stream.write_all(request).await;
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes)).await;
    assert!(read.is_ok(), "{what}: no complete answer within 10 s");
    Raw::parse(&bytes)
}

// ─────────────────────── what every answer must satisfy ───────────────────────

/// Paths whose refusals may be HTML pages because a person's browser shows them.
fn browser_facing(target: &str) -> bool {
    let path = target.split('?').next().unwrap_or_default();
    ["/admin", "/auth/", "/embed"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// No 5xx, no secret anywhere, and a 4xx explains itself in the shape its audience reads.
fn assert_well_behaved(call: &Call, answer: &Raw, secrets: &[&str]) {
    let what = call.what();
    assert!(
        (100..500).contains(&answer.status),
        "{what}: answered {}",
        answer.summary()
    );
    let everything = format!("{}\n{}", answer.head, answer.text());
    for secret in secrets {
        assert!(!everything.contains(secret), "{what}: a secret leaked");
    }
    if !(400..500).contains(&answer.status) || call.method == "HEAD" {
        return;
    }
    let content_type = answer.header("content-type").unwrap_or_default();
    if content_type.starts_with("application/json") {
        let body = answer.json();
        assert!(
            body["error"]["code"].is_string() && body["error"]["message"].is_string(),
            "{what}: {} without the error shape: {body}",
            answer.status
        );
    } else {
        assert!(
            content_type.starts_with("text/html") && browser_facing(&call.target),
            "{what}: a 4xx neither JSON nor a browser page: {}",
            answer.summary()
        );
        assert!(!answer.body.is_empty(), "{what}: an empty HTML page");
    }
}

/// Sends `call`, checks it is well behaved, returns the answer.
async fn probe(app: &TestApp, call: &Call, secrets: &[&str]) -> Raw {
    let answer = call.send(app).await;
    assert_well_behaved(call, &answer, secrets);
    answer
}

/// The error code of a JSON error answer.
fn code(answer: &Raw) -> String {
    answer.json()["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn message(answer: &Raw) -> String {
    answer.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A connected igfeed, its token and the secrets no answer may contain.
struct Connected {
    env: TestEnv,
    app: TestApp,
    token: String,
    /// Sandbox Graph requests once the feed was loaded.
    graph_before: u64,
}

impl Connected {
    async fn start(settings: &[(&str, &str)]) -> Self {
        let mut env = TestEnv::start().await;
        for (key, value) in settings {
            env.set(key, value);
        }
        let (app, token) = env.spawn_connected().await;
        let graph_before = env.sandbox.stats().graph_total;
        Self {
            env,
            app,
            token,
            graph_before,
        }
    }

    fn secrets(&self) -> [&str; 2] {
        [self.token.as_str(), self.env.config.app_secret.as_str()]
    }

    async fn probe(&self, call: &Call) -> Raw {
        probe(&self.app, call, &self.secrets()).await
    }

    /// Visitors never make igfeed call Instagram's API.
    fn assert_no_graph_calls(&self, after: &str) {
        assert_eq!(
            self.env.sandbox.stats().graph_total,
            self.graph_before,
            "{after} made igfeed call Instagram's API"
        );
    }

    /// The feed document igfeed serves without parameters.
    async fn feed(&self) -> Value {
        self.app
            .get("/feed.json")
            .await
            .json()
            .await
            .expect("the feed")
    }

    async fn stop(self) {
        self.app.stop().await;
    }
}

// ─────────────────────────────── /feed.json ───────────────────────────────

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
    let c = Connected::start(&[]).await;
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
    let feed = c.feed().await;
    let image = feed["posts"][0]["media"][0]["url"]
        .as_str()
        .expect("url")
        .trim_start_matches(&c.app.address)
        .to_owned();
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
    let feed = c.feed().await;
    let image = feed["posts"][0]["media"][0]["url"]
        .as_str()
        .expect("url")
        .trim_start_matches(&c.app.address)
        .to_owned();
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

// ─────────────────────────────── /media ───────────────────────────────

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

// ─────────────────────────────── /embed ───────────────────────────────

/// The embed page's `<style>` content must be allowed by the hash its CSP names.
fn assert_style_allowed(what: &str, answer: &Raw) {
    let html = answer.text();
    let style = html
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(css, _)| css)
        .unwrap_or_else(|| panic!("{what}: a style element"));
    let digest = ring::digest::digest(&ring::digest::SHA256, style.as_bytes());
    let hash = STANDARD.encode(digest.as_ref());
    let policy = answer.header("content-security-policy").unwrap_or_default();
    assert!(
        policy.contains(&format!("'sha256-{hash}'")),
        "{what}: style {style:?} not allowed by {policy}"
    );
}

#[tokio::test]
async fn embed_options_at_their_bounds_work_and_beyond_them_are_named() {
    let c = Connected::start(&[]).await;
    let feed = c.feed().await;
    let posts = feed["posts"].as_array().expect("posts").clone();
    let permalink = |i: usize| {
        posts[i]["permalink"]
            .as_str()
            .expect("permalink")
            .to_owned()
    };
    let everything = "limit=100&columns=8&layout=carousel&captions=hover&lightbox=false\
                      &load-more=true&header=false&aspect=original&gap=99.99rem&theme=auto";
    // (query, style that must be on the page, posts shown)
    let fine: Vec<(&str, &str, usize)> = vec![
        ("limit=1", "--cols:3", 1),
        ("limit=100", "--cols:3", posts.len()),
        ("limit=00002", "--cols:3", 2),
        ("limit=%202%20", "--cols:3", 2),
        ("columns=1", "--cols:1", 9),
        ("columns=8", "--cols:8", 9),
        ("gap=0", "--gap:0px", 9),
        ("gap=99", "--gap:99px", 9),
        ("gap=8PX", "--gap:8px", 9),
        ("gap=0.5em", "--gap:0.5em", 9),
        ("theme=DARK&layout=Carousel", "--cols:3", 9),
        ("load-more&header&lightbox", "--cols:3", 9),
        ("unknown=1&limit=2", "--cols:3", 2),
        (everything, "--cols:8;--gap:99.99rem", posts.len()),
    ];
    for (query, style, shown) in fine {
        let call = Call::get(&format!("/embed?{query}"));
        let answer = c.probe(&call).await;
        let what = call.what();
        assert_eq!(answer.status, 200, "{what}: {}", message(&answer));
        let html = answer.text();
        assert!(html.contains(style), "{what}: {style} on the page");
        assert_style_allowed(&what, &answer);
        assert!(html.contains(&permalink(shown - 1)), "{what}: post {shown}");
        if shown < posts.len() {
            assert!(!html.contains(&permalink(shown)), "{what}: only {shown}");
        }
    }
    let beyond = [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-1", "limit"),
        ("limit=%2B1", "limit"),
        ("limit=1.0", "limit"),
        ("limit=18446744073709551616", "limit"),
        ("limit=1&limit=2", "limit"),
        ("columns=0", "columns"),
        ("columns=9", "columns"),
        ("columns=264", "columns"),
        ("gap=100", "gap"),
        ("gap=-1", "gap"),
        ("gap=1e1", "gap"),
        ("gap=8vw", "gap"),
        ("gap=.5rem", "gap"),
        ("gap=9.", "gap"),
        ("gap=1px%3B--x:url(//evil)", "gap"),
        ("gap=", "gap"),
        ("theme=", "theme"),
        ("layout=grid%00", "layout"),
        ("captions=below&captions=hover", "captions"),
        ("header=0", "header"),
        ("load-more=yes", "load-more"),
        ("aspect=%E2%80%8Bsquare", "aspect"),
    ];
    for (query, name) in beyond {
        let call = Call::get(&format!("/embed?{query}"));
        let answer = c.probe(&call).await;
        let what = call.what();
        assert_eq!(answer.status, 400, "{what}");
        assert_eq!(code(&answer), "bad-query", "{what}");
        assert!(
            message(&answer).contains(&format!("`{name}`")),
            "{what}: names `{name}`: {}",
            message(&answer)
        );
    }
    c.assert_no_graph_calls("embed options");
    c.stop().await;
}

// ─────────────────────────────── /admin ───────────────────────────────

const PASSWORD: &str = "correct horse battery";

/// A browser that keeps cookies and follows no redirect.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The `Set-Cookie` value igfeed gives a logged-in admin.
async fn real_session_cookie(app: &TestApp) -> String {
    let login = browser()
        .post(format!("{}/admin/login", app.address))
        .form(&[("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), StatusCode::SEE_OTHER, "the right password");
    login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("igfeed_admin="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

#[tokio::test]
async fn admin_refuses_strangers_forged_and_oversized_cookies() {
    let c = Connected::start(&[("IGFEED__ADMIN__PASSWORD", PASSWORD)]).await;
    let real = real_session_cookie(&c.app).await;
    let value = real.trim_start_matches("igfeed_admin=");
    let flipped = {
        let mut chars: Vec<char> = value.chars().collect();
        let middle = chars.len() / 2;
        chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    let many: Vec<String> = (0..300).map(|i| format!("c{i}=v")).collect();
    let cookies = [
        (None, "no cookie"),
        (Some("igfeed_admin=forged".to_owned()), "a forged cookie"),
        (
            Some(format!("igfeed_admin={flipped}")),
            "a real cookie, one character changed",
        ),
        (
            Some(format!("igfeed_admin={value}{value}")),
            "a real cookie, twice",
        ),
        (
            Some(format!("igfeed_admin={}", "A".repeat(8 * 1024))),
            "an 8 KB cookie",
        ),
        (
            Some(format!("igfeed_admin={}", "%".repeat(2000))),
            "a cookie of percent signs",
        ),
        (
            Some("igfeed_admin=\"\"; igfeed_admin=;".to_owned()),
            "empty cookies",
        ),
        (
            Some(format!("{}; igfeed_admin=forged", many.join("; "))),
            "300 cookies and a forged one",
        ),
    ];
    for (cookie, why) in &cookies {
        let with = |call: Call| match cookie {
            Some(cookie) => call.header("Cookie", cookie),
            None => call,
        };
        for path in ["/admin", "/admin/", "/admin/login"] {
            let call = with(Call::get(path));
            let answer = c.probe(&call).await;
            if path == "/admin/login" {
                assert_eq!(answer.status, 200, "{why}: GET {path} shows the form");
                assert!(answer.text().contains("password"), "{why}: the form");
            } else {
                assert_eq!(answer.status, 303, "{why}: GET {path}");
                assert_eq!(answer.header("location"), Some("/admin/login"), "{why}");
            }
        }
        for path in [
            "/admin/refresh-feed",
            "/admin/refresh-token",
            "/admin/disconnect",
            "/admin/connect",
            "/admin/logout",
        ] {
            let call = with(Call::new("POST", path)).body(
                "application/x-www-form-urlencoded",
                "csrf_token=00000000000000000000000000000000",
            );
            let answer = c.probe(&call).await;
            assert_eq!(answer.status, 403, "{why}: POST {path}");
            assert_eq!(code(&answer), "login-required", "{why}: POST {path}");
        }
    }
    // A real session with a forged CSRF token does nothing either.
    for path in ["/admin/refresh-feed", "/admin/disconnect"] {
        let call = Call::new("POST", path).header("Cookie", &real).body(
            "application/x-www-form-urlencoded",
            "csrf_token=00000000000000000000000000000000",
        );
        let answer = c.probe(&call).await;
        assert_eq!(answer.status, 403, "forged CSRF: POST {path}");
        assert_eq!(code(&answer), "csrf-failed", "POST {path}");
    }
    // The status page's query is not reflected into the page.
    for query in [
        "notice=%3Cscript%3Ealert(1)%3C/script%3E",
        "connected=%3Cscript%3Ealert(1)%3C/script%3E&notice=x",
        "notice=feed-refreshed&notice=disconnected",
        "notice=%FF%FE",
    ] {
        let call = Call::get(&format!("/admin?{query}")).header("Cookie", &real);
        let answer = c.probe(&call).await;
        assert!(
            !answer.text().contains("<script>alert(1)"),
            "{}: reflected",
            call.what()
        );
    }
    // A cookie header larger than igfeed reads is refused, and the server stays up.
    let huge =
        Call::get("/admin").header("Cookie", &format!("igfeed_admin={}", "A".repeat(200_000)));
    let answer = huge.send(&c.app).await;
    assert!(
        answer.status == 0 || (400..500).contains(&answer.status),
        "a 200 KB cookie: {}",
        answer.head
    );
    assert_eq!(c.app.get("/healthz").await.status(), 200, "still serving");
    assert!(c.env.stored_credentials().is_some(), "still connected");
    c.assert_no_graph_calls("admin requests without a session");
    c.stop().await;
}

#[tokio::test]
async fn forms_sent_as_json_or_multipart_change_nothing() {
    let c = Connected::start(&[("IGFEED__ADMIN__PASSWORD", PASSWORD)]).await;
    let real = real_session_cookie(&c.app).await;
    let csrf = {
        let page = Call::get("/admin")
            .header("Cookie", &real)
            .send(&c.app)
            .await;
        assert_eq!(page.status, 200, "logged in");
        let html = page.text();
        let start = html
            .find("name=\"csrf_token\" value=\"")
            .expect("a CSRF field")
            + 25;
        html[start..].split('"').next().expect("value").to_owned()
    };
    let boundary = "XyZzY";
    let multipart = |name: &str, value: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n--{boundary}--\r\n"
        )
    };
    let multipart_type = format!("multipart/form-data; boundary={boundary}");
    let login_json = serde_json::json!({ "password": PASSWORD }).to_string();
    let logins = [
        Call::new("POST", "/admin/login").body("application/json", login_json.clone()),
        Call::new("POST", "/admin/login").body(&multipart_type, multipart("password", PASSWORD)),
        Call::new("POST", "/admin/login").body("text/plain", format!("password={PASSWORD}")),
        Call::new("POST", "/admin/login").body(
            "application/x-www-form-urlencoded",
            format!("password={PASSWORD}&password={PASSWORD}"),
        ),
        Call::new(
            "POST",
            &format!("/admin/login?password={}", PASSWORD.replace(' ', "+")),
        ),
    ];
    for call in &logins {
        let answer = c.probe(call).await;
        let what = call.what();
        assert!(
            (400..500).contains(&answer.status),
            "{what}: a login not sent as a form is refused, got {}",
            answer.status
        );
        assert!(
            !answer
                .head
                .to_ascii_lowercase()
                .contains("set-cookie: igfeed_admin="),
            "{what}: no session"
        );
    }
    let csrf_json = serde_json::json!({ "csrf_token": csrf }).to_string();
    for path in ["/admin/disconnect", "/admin/refresh-feed"] {
        for call in [
            Call::new("POST", path)
                .header("Cookie", &real)
                .body("application/json", csrf_json.clone()),
            Call::new("POST", path)
                .header("Cookie", &real)
                .body(&multipart_type, multipart("csrf_token", &csrf)),
        ] {
            let answer = c.probe(&call).await;
            assert!(
                (400..500).contains(&answer.status),
                "{}: refused, got {}",
                call.what(),
                answer.status
            );
        }
    }
    assert!(c.env.stored_credentials().is_some(), "still connected");
    c.assert_no_graph_calls("forms in the wrong format");
    c.stop().await;
}

// ───────────────────────── the OAuth callback ─────────────────────────

/// A logged-in owner driven over raw HTTP.
struct Owner {
    cookie: String,
    csrf: String,
}

impl Owner {
    async fn login(app: &TestApp) -> Self {
        let cookie = real_session_cookie(app).await;
        let page = Call::get("/admin")
            .header("Cookie", &cookie)
            .send(app)
            .await;
        assert_eq!(page.status, 200, "logged in");
        let html = page.text();
        let start = html
            .find("name=\"csrf_token\" value=\"")
            .expect("a CSRF field")
            + 25;
        let csrf = html[start..].split('"').next().expect("value").to_owned();
        Self { cookie, csrf }
    }

    /// Clicks Connect and approves on the sandbox: Instagram's `state` and `code`.
    async fn approved(&self, app: &TestApp) -> (String, String) {
        let click = Call::new("POST", "/admin/connect")
            .header("Cookie", &self.cookie)
            .body(
                "application/x-www-form-urlencoded",
                format!("csrf_token={}", self.csrf),
            )
            .send(app)
            .await;
        assert_eq!(click.status, 303, "Connect: {}", click.text());
        let authorize = url::Url::parse(click.header("location").expect("location")).expect("url");
        let redirect = crate::consent::decide(&authorize, "Allow").await;
        let state = crate::consent::query(&redirect, "state").expect("state");
        let code = crate::consent::query(&redirect, "code").expect("code");
        (state, code)
    }

    fn callback(&self, query: &str) -> Call {
        Call::get(&format!("/auth/instagram/callback?{query}")).header("Cookie", &self.cookie)
    }
}

fn stored_token(env: &TestEnv) -> String {
    env.stored_credentials()
        .map(|c| c.access_token.expose_secret().to_owned())
        .expect("connected")
}

#[tokio::test]
async fn the_oauth_callback_survives_repeated_empty_and_fragment_codes() {
    let c = Connected::start(&[("IGFEED__ADMIN__PASSWORD", PASSWORD)]).await;
    let exchanges = || c.env.sandbox.stats().calls.oauth_access_token;
    // Strangers, without a session.
    for query in [
        "state=a&state=b&code=x",
        "code=x&code=y&state=a",
        "code=AQB&state=",
        "error=access_denied",
        "",
    ] {
        let call = Call::get(&format!("/auth/instagram/callback?{query}"));
        let answer = c.probe(&call).await;
        assert!(
            (400..500).contains(&answer.status),
            "{}: {}",
            call.what(),
            answer.status
        );
    }
    let owner = Owner::login(&c.app).await;
    let (state, code) = owner.approved(&c.app).await;
    let before = exchanges();
    for query in [
        format!("code={code}&code={code}&state={state}"),
        format!("code={code}&state={state}&state={state}"),
        format!("code={code}&state={state}&state=other"),
    ] {
        let call = owner.callback(&query);
        let answer = c.probe(&call).await;
        assert!(
            (400..500).contains(&answer.status),
            "{}: repeated parameters are refused, got {}",
            call.what(),
            answer.status
        );
    }
    // HEAD is not a way to redeem a state or spend a code.
    let mut head = owner.callback(&format!("code={code}&state={state}"));
    head.method = "HEAD".to_owned();
    let answer = c.probe(&head).await;
    assert_ne!(answer.status, 303, "{}: connected by a HEAD", head.what());
    assert_eq!(exchanges(), before, "{}: a code spent", head.what());
    let empty = owner.callback(&format!("code=&state={state}"));
    let answer = c.probe(&empty).await;
    assert_eq!(answer.status, 400, "{}", empty.what());
    assert!(
        answer.text().contains("without a code"),
        "{}",
        answer.summary()
    );
    assert_eq!(exchanges(), before, "nothing was sent to Instagram");
    assert_eq!(stored_token(&c.env), c.token, "the connection is unchanged");

    // The code as a human pastes it, fragment and all (percent-encoded, so it arrives).
    let (state, code) = owner.approved(&c.app).await;
    let pasted = owner.callback(&format!("code={code}%23_&state={state}"));
    let answer = c.probe(&pasted).await;
    assert_eq!(
        answer.status,
        303,
        "{}: {}",
        pasted.what(),
        answer.summary()
    );
    assert_eq!(answer.header("location"), Some("/admin?connected=1"));
    let token = stored_token(&c.env);
    assert_ne!(token, c.token, "the new connection is stored");
    assert_eq!(exchanges(), before + 1, "one exchange");
    let feed = Call::get("/feed.json");
    let answer = probe(&c.app, &feed, &[&token, &c.token]).await;
    assert_eq!(answer.status, 200);
    c.stop().await;
}

#[tokio::test]
async fn a_malformed_oauth_code_is_the_callers_mistake_not_instagrams() {
    let c = Connected::start(&[("IGFEED__ADMIN__PASSWORD", PASSWORD)]).await;
    let owner = Owner::login(&c.app).await;
    let before = c.env.sandbox.stats().calls.oauth_access_token;
    let long = "A".repeat(3000);
    for bad in ["%3Cscript%3E", "a+b", "%23_", long.as_str()] {
        let (state, _) = owner.approved(&c.app).await;
        let call = owner.callback(&format!("code={bad}&state={state}"));
        let answer = c.probe(&call).await;
        assert_eq!(
            answer.status,
            400,
            "{}: igfeed refused the code itself, so this is a 400",
            call.what()
        );
    }
    assert_eq!(
        c.env.sandbox.stats().calls.oauth_access_token,
        before,
        "malformed codes are not sent"
    );
    assert_eq!(stored_token(&c.env), c.token, "the connection is unchanged");
    c.stop().await;
}

// ───────────────────────── Meta's callbacks ─────────────────────────

/// `<sig>.<payload>` over `encoded_payload` exactly as given, signature unpadded base64url.
fn sign_encoded(secret: &str, encoded_payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(encoded_payload.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signature}.{encoded_payload}")
}

fn sign_json(secret: &str, json: &str) -> String {
    sign_encoded(secret, &URL_SAFE_NO_PAD.encode(json))
}

fn form(signed_request: &str) -> String {
    let value: String = url::form_urlencoded::byte_serialize(signed_request.as_bytes()).collect();
    format!("signed_request={value}")
}

#[tokio::test]
async fn meta_callbacks_refuse_odd_signed_requests_and_delete_nothing() {
    let c = Connected::start(&[]).await;
    let secret = c.env.config.app_secret.clone();
    let (_, user_id) = c.env.sandbox.account_ids();
    let json = |algorithm: &str| {
        format!(r#"{{"user_id":"{user_id}","algorithm":"{algorithm}","issued_at":1634206592}}"#)
    };
    let good = sign_json(&secret, &json("HMAC-SHA256"));
    let (good_sig, good_payload) = good.split_once('.').expect("dot");
    let filler = "f".repeat(5000);
    let bulky = format!(
        r#"{{"user_id":"{user_id}","algorithm":"HMAC-SHA256","issued_at":1,"x":"{filler}"}}"#
    );
    let mut cases: Vec<(String, &str)> = vec![
        (sign_json(&secret, &json("none")), "algorithm none"),
        (sign_json(&secret, &json("HS256")), "algorithm HS256"),
        (
            sign_json(&secret, &json("HMAC-SHA256 ")),
            "algorithm with a space",
        ),
        (sign_json(&secret, &json("")), "empty algorithm"),
        (
            format!(".{}", URL_SAFE_NO_PAD.encode(json("none"))),
            "algorithm none, no signature",
        ),
        (
            sign_json(
                &secret,
                &format!(r#"{{"user_id":"{user_id}","issued_at":1}}"#),
            ),
            "no algorithm",
        ),
        (
            sign_json(
                &secret,
                &format!(r#"{{"user_id":"{user_id}","algorithm":"HMAC-SHA256"}}"#),
            ),
            "no issued_at",
        ),
        (
            sign_json(
                &secret,
                &format!(r#"{{"user_id":"{user_id}","algorithm":"HMAC-SHA256","issued_at":"1"}}"#),
            ),
            "issued_at as text",
        ),
        (
            sign_json(
                &secret,
                r#"{"user_id":{"id":"1"},"algorithm":"HMAC-SHA256","issued_at":1}"#,
            ),
            "user_id as an object",
        ),
        (
            sign_json(
                &secret,
                r#"{"user_id":"   ","algorithm":"HMAC-SHA256","issued_at":1}"#,
            ),
            "blank user_id",
        ),
        (
            sign_json(
                &secret,
                r#"{"user_id":-1,"algorithm":"HMAC-SHA256","issued_at":1}"#,
            ),
            "negative user_id",
        ),
        (sign_json(&secret, "[]"), "a JSON array"),
        (sign_json(&secret, "null"), "JSON null"),
        (sign_json(&secret, "not json"), "not JSON"),
        (
            sign_encoded(&secret, "%%%%"),
            "a payload that is not base64",
        ),
        (
            format!("{good_sig}==.{good_payload}"),
            "a signature with padding it cannot have",
        ),
        (
            format!("{good_sig}.{good_payload}==="),
            "a payload with three padding characters",
        ),
        (
            format!("{}={}.{good_payload}", &good_sig[..10], &good_sig[10..]),
            "padding inside the signature",
        ),
        (format!(" {good}"), "a leading space"),
        (
            format!("{good_sig}A.{good_payload}"),
            "a signature one character too long",
        ),
        (format!("{good}\n"), "a trailing line break"),
        (format!("{good_sig}..{good_payload}"), "two dots"),
        (
            sign_json(&secret, &format!("{bulky}{}", " ".repeat(3000))),
            "correctly signed but over 8 KB",
        ),
    ];
    // The same signature in the standard alphabet (when its bytes make a difference).
    let standard = good_sig.replace('-', "+").replace('_', "/");
    if standard != good_sig {
        cases.push((
            format!("{standard}.{good_payload}"),
            "the signature in the standard alphabet",
        ));
    }
    for path in ["/instagram/deauthorize", "/instagram/data-deletion"] {
        for (signed_request, why) in &cases {
            let call = Call::new("POST", path)
                .body("application/x-www-form-urlencoded", form(signed_request));
            let answer = c.probe(&call).await;
            let what = format!("POST {path}: {why}");
            assert_eq!(answer.status, 400, "{what}: {}", answer.summary());
            assert_eq!(code(&answer), "bad-signed-request", "{what}");
            assert!(c.env.stored_credentials().is_some(), "{what}: deleted");
        }
        // Other ways to send a good request that are not the documented form.
        let multipart = format!(
            "--b\r\nContent-Disposition: form-data; name=\"signed_request\"\r\n\r\n{good}\r\n--b--\r\n"
        );
        for (call, why) in [
            (
                Call::new("POST", path).body("multipart/form-data; boundary=b", multipart),
                "multipart",
            ),
            (
                Call::new("POST", path).body(
                    "application/x-www-form-urlencoded",
                    format!("{}&{}", form(&good), form("x.y")),
                ),
                "signed_request twice",
            ),
            (
                Call::new("POST", &format!("{path}?{}", form(&good))),
                "in the query string",
            ),
            (
                Call::new("POST", path).body(
                    "application/x-www-form-urlencoded",
                    format!("{}&x={}", form(&good), "y".repeat(20 * 1024)),
                ),
                "a 20 KB body",
            ),
        ] {
            let answer = c.probe(&call).await;
            assert!(
                [400, 413].contains(&answer.status),
                "POST {path}: {why}: {}",
                answer.status
            );
            assert!(c.env.stored_credentials().is_some(), "{path}: {why}");
        }
    }
    // The status URL handed to Meta comes from server.public_url, not the Host header.
    let stranger_small = json("HMAC-SHA256").replace(&user_id, "17841499999999999");
    let call = Call::new("POST", "/instagram/data-deletion")
        .header("Host", "evil.example")
        .header("X-Forwarded-Host", "evil.example")
        .body(
            "application/x-www-form-urlencoded",
            form(&sign_json(&secret, &stranger_small)),
        );
    let answer = c.probe(&call).await;
    assert_eq!(answer.status, 200, "{}", answer.summary());
    let url = answer.json()["url"].as_str().unwrap_or_default().to_owned();
    assert!(
        url.starts_with(&format!("{}/instagram/data-deletion/", c.app.address)),
        "{}: status URL {url}",
        call.what()
    );
    // A bulky but valid request about someone else is fine and deletes nothing.
    let stranger = bulky.replace(&user_id, "17841499999999999");
    let call = Call::new("POST", "/instagram/deauthorize").body(
        "application/x-www-form-urlencoded",
        form(&sign_json(&secret, &stranger)),
    );
    let answer = c.probe(&call).await;
    assert_eq!(answer.status, 200, "a 7 KB request about a stranger");
    assert!(c.env.stored_credentials().is_some(), "nothing deleted");
    assert_eq!(c.app.get("/feed.json").await.status(), 200, "still served");
    c.assert_no_graph_calls("Meta callbacks");
    c.stop().await;
}

// ───────────────────────── everything at once ─────────────────────────

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
