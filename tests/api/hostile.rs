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

mod admin;
mod embed;
mod feed;
mod limits;
mod media;
mod meta;
mod oauth;
mod sweep;

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

    /// The path (and version query) of the first post's image, as the feed hands it out.
    async fn first_image_path(&self) -> String {
        let feed = self.feed().await;
        feed["posts"][0]["media"][0]["url"]
            .as_str()
            .expect("url")
            .trim_start_matches(&self.app.address)
            .to_owned()
    }

    async fn stop(self) {
        self.app.stop().await;
    }
}

// ─────────────────────────── an admin session ───────────────────────────

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

/// A logged-in owner driven over raw HTTP: the session cookie and the page's CSRF token.
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
}
