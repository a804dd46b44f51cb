//! What one client may make igfeed hold: a body that never finishes arriving, a request head
//! stuffed with header fields, more connections than igfeed serves at once.

use std::time::Instant;

use tokio::net::TcpStream;

use super::*;

/// A form route of each audience: the owner's login and Meta's callback.
const FORM_ROUTES: [&str; 2] = ["/admin/login", "/instagram/deauthorize"];

/// igfeed with a body deadline short enough to wait for.
async fn with_short_body_timeout() -> (TestEnv, TestApp) {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__ADMIN__PASSWORD", PASSWORD);
    env.set("IGFEED__SERVER__BODY_TIMEOUT", "1s");
    let app = env.spawn_app().await;
    (env, app)
}

/// The head of a form post announcing `length` body bytes.
fn form_head(app: &TestApp, path: &str, length: usize) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n",
        host(app)
    )
    .into_bytes()
}

/// Reads until igfeed closes the connection (an orderly close or a reset once the answer is
/// out); fails if it is still open after `seconds`.
/// A connection on which the head of a form POST announcing `length` bytes has been sent,
/// and no body yet.
async fn start_form_post(
    app: &TestApp,
    path: &str,
    length: usize,
) -> (
    tokio::net::tcp::OwnedReadHalf,
    tokio::net::tcp::OwnedWriteHalf,
) {
    let stream = TcpStream::connect(host(app)).await.expect("connects");
    let (read, mut write) = stream.into_split();
    write
        .write_all(&form_head(app, path, length))
        .await
        .expect("head sent");
    (read, write)
}

async fn read_until_closed(stream: &mut tokio::net::tcp::OwnedReadHalf, seconds: u64) -> Raw {
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(seconds), async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the connection is still open after {seconds} s; got so far: {:?}",
        String::from_utf8_lossy(&bytes)
    );
    Raw::parse(&bytes)
}

fn assert_timed_out(answer: &Raw, what: &str) {
    assert_eq!(answer.status, 408, "{what}: {}", answer.summary());
    assert_eq!(
        code(answer),
        "request-timeout",
        "{what}: {}",
        answer.summary()
    );
    assert!(!message(answer).is_empty(), "{what}: a message");
    assert_eq!(
        answer.header("connection"),
        Some("close"),
        "{what}: the answer says the connection closes"
    );
}

#[tokio::test]
async fn a_body_that_never_arrives_gets_408_and_the_connection_closes() {
    let (env, app) = with_short_body_timeout().await;
    for path in FORM_ROUTES {
        let what = format!("POST {path} announcing 1000 bytes and sending none");
        let (mut read, write) = start_form_post(&app, path, 1000).await;
        let started = Instant::now();
        let answer = read_until_closed(&mut read, 10).await;
        assert_timed_out(&answer, &what);
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{what}: answered before the deadline ({:?})",
            started.elapsed()
        );
        drop(write);
    }
    assert_eq!(app.get("/healthz").await.status(), 200, "still serving");
    app.stop().await;
    drop(env);
}

#[tokio::test]
async fn a_body_trickled_a_byte_at_a_time_gets_408_at_the_deadline() {
    let (env, app) = with_short_body_timeout().await;
    for path in FORM_ROUTES {
        let what = format!("POST {path} sending one byte every 200 ms");
        let (mut read, mut write) = start_form_post(&app, path, 1000).await;
        // Keeps the connection busy the way a slowloris client does, until igfeed hangs up.
        let trickle = tokio::spawn(async move {
            for _ in 0..1000 {
                if write.write_all(b"a").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        let answer = read_until_closed(&mut read, 10).await;
        assert_timed_out(&answer, &what);
        trickle.abort();
    }
    app.stop().await;
    drop(env);
}

#[tokio::test]
async fn form_posts_within_the_body_deadline_are_served() {
    let (env, app) = with_short_body_timeout().await;
    // A whole login, through an ordinary client.
    let cookie = real_session_cookie(&app).await;
    assert!(cookie.starts_with("igfeed_admin="), "logged in: {cookie}");
    // A slow body that still arrives in time is read, not refused.
    for path in FORM_ROUTES {
        let body = b"password=wrong-password&signed_request=a.b";
        let (mut read, mut write) = start_form_post(&app, path, body.len()).await;
        for part in body.chunks(15) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            write.write_all(part).await.expect("part sent");
        }
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 4096];
        let answered = tokio::time::timeout(Duration::from_secs(10), async {
            while Raw::parse(&bytes).status == 0 {
                let n = read.read(&mut chunk).await.expect("reads");
                assert!(n > 0, "POST {path}: closed without an answer");
                bytes.extend_from_slice(&chunk[..n]);
            }
        })
        .await;
        assert!(answered.is_ok(), "POST {path}: no answer");
        let answer = Raw::parse(&bytes);
        assert!(
            (300..500).contains(&answer.status) && answer.status != 408,
            "POST {path} with a slow but timely body: {}",
            answer.head
        );
    }
    app.stop().await;
    drop(env);
}

#[tokio::test]
async fn header_fields_over_the_limit_get_431() {
    let c = Connected::start(&[]).await;
    let big = "a".repeat(64 * 1024);
    let many: Vec<(String, String)> = (0..90)
        .map(|i| (format!("X-Filler-{i}"), "b".repeat(200)))
        .collect();
    let mut spread = Call::get("/feed.json");
    for (name, value) in &many {
        spread = spread.header(name, value);
    }
    for (call, why) in [
        (
            Call::get("/feed.json").header("X-Big", &big),
            "one 64 KB header",
        ),
        (
            Call::get("/feed.json").header("Cookie", &format!("c={big}")),
            "a 64 KB cookie",
        ),
        (spread, "90 headers of 200 bytes (18 KB)"),
        (
            Call::new("POST", "/instagram/deauthorize")
                .header("X-Big", &big)
                .body("application/x-www-form-urlencoded", "signed_request=a.b"),
            "a 64 KB header on a form post",
        ),
    ] {
        let answer = c.probe(&call).await;
        assert_eq!(answer.status, 431, "{why}: {}", answer.summary());
        assert_eq!(
            code(&answer),
            "request-header-fields-too-large",
            "{why}: {}",
            answer.summary()
        );
        assert!(message(&answer).contains("16384"), "{why}: names the limit");
    }
    // Just under the limit is served.
    let under = Call::get("/feed.json").header("X-Big", &"a".repeat(15 * 1024));
    assert_eq!(c.probe(&under).await.status, 200, "a 15 KB header");
    c.assert_no_graph_calls("oversized headers");
    c.stop().await;
}

#[tokio::test]
async fn connections_over_max_connections_wait_for_a_free_one() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__SERVER__MAX_CONNECTIONS", "2");
    let app = env.spawn_app().await;
    // Two clients hold every connection igfeed serves, each halfway through a request head.
    let mut holders = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(host(&app)).await.expect("connects");
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\n")
            .await
            .expect("partial head");
        holders.push(stream);
    }
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        host(&app)
    );
    let mut third = TcpStream::connect(host(&app))
        .await
        .expect("the kernel completes the handshake");
    third
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut bytes = Vec::new();
    // Proving an absence needs a wait: igfeed must not answer while both are held.
    let early =
        tokio::time::timeout(Duration::from_millis(700), third.read_to_end(&mut bytes)).await;
    assert!(
        early.is_err() && bytes.is_empty(),
        "a third connection was served while max_connections = 2 were busy: {:?}",
        String::from_utf8_lossy(&bytes)
    );
    drop(holders);
    let late = tokio::time::timeout(Duration::from_secs(5), third.read_to_end(&mut bytes)).await;
    assert!(late.is_ok(), "served once a connection was free");
    assert_eq!(
        Raw::parse(&bytes).status,
        200,
        "{:?}",
        String::from_utf8_lossy(&bytes)
    );
    app.stop().await;
    drop(env);
}
