//! Captures every log line — igfeed's and its dependencies', at trace level — through the
//! whole OAuth chain and every failure mode, and proves no token, code or secret is in them.
//!
//! A test binary of its own: it installs the process-wide subscriber.

#[allow(dead_code)]
#[path = "api/consent.rs"]
mod consent;
#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;
#[path = "support/redis_server.rs"]
mod redis_server;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use igfeed::config::LogFormat;
use igfeed_sandbox::Mode;
use secrecy::{ExposeSecret, SecretString};
use tracing_subscriber::fmt::MakeWriter;

use helpers::{TestEnv, hours};
use igfeed::clock::Clock;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_any_log_line_at_trace_level() {
    let capture = Capture::default();
    igfeed::telemetry::init(igfeed::telemetry::subscriber(
        "trace",
        LogFormat::Json,
        capture.clone(),
    ));
    let mut secrets: Vec<String> = Vec::new();

    let env = TestEnv::start().await;
    secrets.push(env.config.app_secret.clone());
    let client = env.client();
    let app = env.spawn_app().await;

    // The happy chain: consent, code, short, long, reads, refresh.
    let code = consent::approve(&env, "state-1").await;
    secrets.push(code.clone());
    let _ = app
        .get(&format!(
            "/auth/instagram/callback?code={code}&state=state-1"
        ))
        .await;
    let short = client.exchange_code(&code).await.expect("short");
    secrets.push(short.access_token.expose_secret().to_owned());
    let long = client
        .exchange_for_long_lived(&short.access_token)
        .await
        .expect("long");
    secrets.push(long.access_token.expose_secret().to_owned());
    client.profile(&long.access_token).await.expect("profile");
    client.media(&long.access_token, 50).await.expect("media");
    assert!(client.exchange_code(&code).await.is_err(), "reused code");
    assert!(
        client.refresh(&long.access_token).await.is_err(),
        "too early"
    );
    env.advance(hours(25));
    let refreshed = client.refresh(&long.access_token).await.expect("refresh");
    secrets.push(refreshed.access_token.expose_secret().to_owned());
    let token = refreshed.access_token;

    // Every failure mode, through every read.
    let modes = [
        Mode::Outage,
        Mode::RateLimited {
            code: 4,
            regain_minutes: 3,
        },
        Mode::RateLimited {
            code: 80002,
            regain_minutes: 3,
        },
        Mode::TokenRevoked,
        Mode::TokenExpired,
        Mode::Malformed,
        Mode::Slow {
            delay: Duration::from_millis(20),
        },
    ];
    for mode in modes {
        env.sandbox.set_mode(mode);
        let _ = client.profile(&token).await;
        let _ = client.media(&token, 50).await;
        let _ = client.refresh(&token).await;
        let _ = client.exchange_for_long_lived(&token).await;
    }
    env.sandbox.set_mode(Mode::Healthy);
    let bogus = SecretString::from("IGAAbogus-token-never-valid".to_owned());
    secrets.push(bogus.expose_secret().to_owned());
    let _ = client.profile(&bogus).await;
    let _ = client.exchange_for_long_lived(&bogus).await;

    // The application itself: a stored token, the feed served, refreshed and failing.
    let mut env = TestEnv::start().await;
    env.set("IGFEED__FEED__REFRESH_INTERVAL", "30ms");
    env.set("IGFEED__TOKEN__CHECK_INTERVAL", "10ms");
    secrets.push(env.store_credentials(hours(1)));
    let app = env.spawn_app().await;
    let mut exposed = String::new();
    helpers::wait_until("the first feed", 10, || async {
        app.state
            .accounts
            .default_account()
            .is_some_and(|a| a.feed.peek().is_some())
    })
    .await;
    env.advance(hours(24 * 8));
    helpers::wait_until("a token refresh", 10, || async {
        env.sandbox.stats().calls.refresh > 0
    })
    .await;
    helpers::wait_until("the refreshed token stored", 10, || async {
        env.stored_credentials().is_some_and(|c| {
            c.issued_at
                .is_some_and(|t| t > env.clock.now() - chrono::TimeDelta::hours(1))
        })
    })
    .await;
    let refreshed = env.stored_credentials().expect("stored");
    secrets.push(refreshed.access_token.expose_secret().to_owned());
    // Rate limited last: igfeed then rightly waits a minute before calling again.
    for mode in [
        Mode::Outage,
        Mode::TokenRevoked,
        Mode::RateLimited {
            code: 80002,
            regain_minutes: 1,
        },
    ] {
        env.sandbox.set_mode(mode);
        let before = app
            .state
            .accounts
            .default_account()
            .expect("connected")
            .feed
            .status()
            .refreshes;
        helpers::wait_until("a refresh in this mode", 10, || async {
            app.state
                .accounts
                .default_account()
                .expect("connected")
                .feed
                .status()
                .refreshes
                > before
        })
        .await;
        for path in [
            "/feed.json",
            "/feed.json?limit=3",
            "/healthz",
            "/readyz",
            "/metrics",
            "/nope",
        ] {
            let response = app.get(path).await;
            exposed.push_str(&format!("{:?}", response.headers()));
            exposed.push_str(&response.text().await.unwrap_or_default());
        }
    }
    app.stop().await;

    // Records in a Redis that wants a password (in the URL): neither it nor the storage key
    // reaches a line or an answer, through an outage, its end and a refused password.
    redis_phase(&mut secrets, &mut exposed).await;

    for secret in &secrets {
        assert!(
            !exposed.contains(secret.as_str()),
            "a secret reached a response"
        );
    }

    let logs = String::from_utf8(capture.0.lock().expect("lock").clone()).expect("utf-8 logs");
    assert!(
        logs.len() > 10_000,
        "trace logging captured too little ({} bytes)",
        logs.len()
    );
    assert!(
        logs.contains("instagram call failed"),
        "igfeed's own failure lines are captured"
    );
    assert!(
        logs.contains("request handled"),
        "request lines are captured"
    );
    for secret in &secrets {
        assert!(!secret.is_empty());
        if let Some(line) = logs.lines().find(|l| l.contains(secret.as_str())) {
            panic!("a secret reached the log: {line}");
        }
    }
}

/// Runs igfeed on a Redis requiring a password: serves, loses Redis (`/readyz` says why),
/// gets it back; then opens the storage with a wrong password. The secrets involved go in
/// `secrets`, every answer in `exposed`.
async fn redis_phase(secrets: &mut Vec<String>, exposed: &mut String) {
    let password = "redis-password-6c1f0e9a2b7d";
    let mut redis = redis_server::RedisServer::start_with(Some(password));
    let mut env = TestEnv::start().await;
    env.use_files();
    for (key, value) in helpers::redis_settings(&redis) {
        env.set(&key, &value);
    }
    let url = format!("redis://:{password}@127.0.0.1:{}/0", redis.port());
    env.set("IGFEED__STORAGE__REDIS_URL", &url);
    secrets.push(password.to_owned());
    secrets.push(helpers::redis_settings(&redis)[2].1.clone());
    secrets.push(env.store_credentials(hours(1)));
    let app = env.spawn_app().await;
    helpers::wait_until("the first feed from Redis", 10, || async { app.has_feed() }).await;
    redis.kill();
    let mut degraded = String::new();
    for _ in 0..200 {
        degraded = app.get("/readyz").await.text().await.unwrap_or_default();
        exposed.push_str(&degraded);
        if degraded.contains("degraded") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(degraded.contains("degraded"), "{degraded}");
    assert!(
        degraded.contains(r#""problem":""#),
        "the problem is named: {degraded}"
    );
    redis.restart();
    helpers::wait_until("Redis is back", 20, || async {
        app.get("/readyz")
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains(r#""state":"ok""#)
    })
    .await;
    let copy = env.settings().storage.dir.join("redis-copy/.copy-of");
    helpers::wait_until("a whole local copy", 10, || async { copy.is_file() }).await;
    app.stop().await;

    // Started during an outage, on the local copy.
    redis.kill();
    let app = env.spawn_app().await;
    for path in ["/readyz", "/feed.json"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path} on the copy");
        exposed.push_str(&response.text().await.unwrap_or_default());
    }
    redis.restart();
    app.stop().await;

    // A wrong password, from a file: refused, and said so without it.
    let wrong = "wrong-redis-password-93ad";
    secrets.push(wrong.to_owned());
    let file = tempfile::NamedTempFile::new().expect("password file");
    std::fs::write(file.path(), wrong).expect("password written");
    env.set("IGFEED__STORAGE__REDIS_URL", &redis.url());
    env.set(
        "IGFEED__STORAGE__REDIS_PASSWORD_FILE",
        file.path().to_str().expect("utf-8 path"),
    );
    let Err(refused) = igfeed::storage::StateDir::open(&env.settings().storage) else {
        panic!("a wrong password is refused");
    };
    let said = format!("{refused:#} {refused:?}");
    assert!(said.contains("check the password"), "{said}");
    tracing::error!(error = %said, "the refusal, logged as igfeed would");
    exposed.push_str(&said);
}
