//! Spawning the sandbox and igfeed for one test, and building clients pointed at them.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use igfeed::clock::{Clock, OffsetClock, SharedClock};
use igfeed::config::{Settings, Sources};
use igfeed::credentials::{CredentialStore, Credentials, TokenSource, TokenState};
use igfeed::instagram::InstagramClient;
use igfeed::startup::Application;
use igfeed::storage::StateDir;
use igfeed::web::AppState;
use igfeed_sandbox::{RunningSandbox, SandboxConfig, TokenKind};
use secrecy::SecretString;

use crate::redis_server::RedisServer;

/// Where igfeed's callback lives in tests (registered with the sandbox).
pub const REDIRECT_URI: &str = "http://127.0.0.1:8080/auth/instagram/callback";

/// One sandbox, the clock it shares with igfeed, and igfeed's settings pointing at it.
pub struct TestEnv {
    /// The state directory, deleted when the test ends.
    _storage: tempfile::TempDir,
    /// The Redis the records are in, when the suite runs on Redis (`IGFEED_TEST_STORAGE`).
    pub redis: Option<RedisServer>,
    pub sandbox: RunningSandbox,
    pub clock: Arc<OffsetClock>,
    pub config: SandboxConfig,
    pub env: HashMap<String, String>,
}

impl TestEnv {
    /// A healthy sandbox with default data.
    pub async fn start() -> Self {
        Self::with_config(SandboxConfig::default()).await
    }

    /// A sandbox with the given configuration.
    pub async fn with_config(config: SandboxConfig) -> Self {
        let clock = OffsetClock::new();
        let shared: SharedClock = clock.clone();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind sandbox port");
        let sandbox = igfeed_sandbox::spawn(config.clone(), shared, listener)
            .await
            .expect("sandbox starts");
        let base = sandbox.base_url().as_str().trim_end_matches('/').to_owned();
        let storage = tempfile::tempdir().expect("storage dir");
        let env = HashMap::from([
            (
                "IGFEED__STORAGE__DIR".to_owned(),
                storage.path().to_str().expect("utf-8 path").to_owned(),
            ),
            ("IGFEED__SERVER__PORT".to_owned(), "0".to_owned()),
            (
                "IGFEED__INSTAGRAM__APP_ID".to_owned(),
                config.app_id.clone(),
            ),
            (
                "IGFEED__INSTAGRAM__APP_SECRET".to_owned(),
                config.app_secret.clone(),
            ),
            (
                "IGFEED__INSTAGRAM__REDIRECT_URI".to_owned(),
                REDIRECT_URI.to_owned(),
            ),
            (
                "IGFEED__INSTAGRAM__AUTHORIZE_URL".to_owned(),
                format!("{base}/oauth/authorize"),
            ),
            ("IGFEED__INSTAGRAM__API_BASE".to_owned(), base.clone()),
            ("IGFEED__INSTAGRAM__GRAPH_BASE".to_owned(), base),
            (
                "IGFEED__INSTAGRAM__RETRY_ATTEMPTS".to_owned(),
                "3".to_owned(),
            ),
            (
                "IGFEED__INSTAGRAM__RETRY_BASE_DELAY".to_owned(),
                "5ms".to_owned(),
            ),
            (
                "IGFEED__INSTAGRAM__RETRY_MAX_DELAY".to_owned(),
                "20ms".to_owned(),
            ),
            (
                "IGFEED__INSTAGRAM__REQUEST_TIMEOUT".to_owned(),
                "5s".to_owned(),
            ),
            // The sandbox is the CDN; images are fetched on request only, so tests that do
            // not look at images spend no time on them (tests/api/media.rs turns it on).
            (
                "IGFEED__MEDIA__ALLOWED_HOSTS".to_owned(),
                "*.cdninstagram.com,*.fbcdn.net,127.0.0.1".to_owned(),
            ),
            (
                "IGFEED__MEDIA__PREFETCH_CONCURRENCY".to_owned(),
                "0".to_owned(),
            ),
            // AVIF costs a core for seconds per image: JPEG only, unless a test is about
            // formats (tests/api/media/formats.rs turns it on).
            ("IGFEED__MEDIA__FORMATS".to_owned(), String::new()),
        ]);
        let mut env = env;
        let redis = on_redis().then(|| {
            let redis = RedisServer::start();
            env.extend(redis_settings(&redis));
            redis
        });
        Self {
            _storage: storage,
            redis,
            sandbox,
            clock,
            config,
            env,
        }
    }

    /// Overrides one setting (environment form, e.g. `IGFEED__FEED__MAX_POSTS`).
    pub fn set(&mut self, key: &str, value: &str) {
        self.env.insert(key.to_owned(), value.to_owned());
    }

    /// igfeed's settings for this environment.
    pub fn settings(&self) -> Settings {
        Settings::load(&Sources {
            file: None,
            env: self.env.clone(),
        })
        .expect("test settings are valid")
    }

    /// An upstream client configured like igfeed's.
    pub fn client(&self) -> InstagramClient {
        let settings = self.settings();
        let redirect = settings.redirect_uri(0);
        InstagramClient::from_settings(&settings.instagram, redirect).expect("client builds")
    }

    /// Starts igfeed itself on port 0.
    pub async fn spawn_app(&self) -> TestApp {
        self.spawn_with(self.settings()).await
    }

    /// Starts igfeed with `settings` on port 0.
    async fn spawn_with(&self, settings: Settings) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind app port");
        let app = Application::build_on(listener, settings, self.clock.clone())
            .await
            .expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        let state = app.state();
        let running = tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            handle,
            state,
            running,
            http: reqwest::Client::builder()
                .no_gzip()
                .no_brotli()
                .build()
                .expect("client"),
        }
    }

    /// Stores a connected account (a long-lived token issued `age` ago) as if the owner had
    /// connected it, without any Instagram call.
    pub fn store_credentials(&self, age: Duration) -> String {
        let token = self.sandbox.issue_token(TokenKind::LongLived, age);
        let settings = self.settings();
        let dir = StateDir::open(&settings.storage).expect("storage opens");
        let store = CredentialStore::open(dir).expect("store opens");
        let (app_scoped_id, user_id) = self.sandbox.account_ids();
        let issued = self.clock.now() - chrono::TimeDelta::from_std(age).expect("age fits");
        store
            .save(Credentials {
                access_token: SecretString::from(token.clone()),
                app_scoped_id: Some(app_scoped_id),
                user_id: Some(user_id),
                token_user_id: None,
                username: None,
                permissions: vec!["instagram_business_basic".into()],
                source: TokenSource::Authorized,
                obtained_at: issued,
                issued_at: Some(issued),
                expires_at: Some(issued + chrono::TimeDelta::days(60)),
                last_refresh_attempt: None,
                state: TokenState::Active,
            })
            .expect("credentials saved");
        token
    }

    /// Stores a connected account, starts igfeed and waits for its first feed; returns the
    /// app and the stored token.
    pub async fn spawn_connected(&self) -> (TestApp, String) {
        let token = self.store_credentials(hours(1));
        let app = self.spawn_app().await;
        wait_until("the first feed", 10, || async { app.has_feed() }).await;
        (app, token)
    }

    /// Connects the sandbox's account `username` to the running `app` as a further account
    /// (a long-lived token issued `age` ago, as if the owner had connected it) and waits for
    /// its first feed; returns the account and its token.
    pub async fn connect_other(
        &self,
        app: &TestApp,
        username: &str,
        age: Duration,
    ) -> (Arc<igfeed::accounts::Account>, String) {
        let token = self
            .sandbox
            .issue_token_for(username, TokenKind::LongLived, age)
            .expect("the sandbox has the account");
        let ids = self
            .sandbox
            .accounts()
            .into_iter()
            .find(|a| a.username == username)
            .expect("the sandbox has the account");
        let issued = self.clock.now() - chrono::TimeDelta::from_std(age).expect("age fits");
        let account = app
            .state
            .accounts
            .connect(Credentials {
                access_token: SecretString::from(token.clone()),
                app_scoped_id: Some(ids.app_scoped_id),
                user_id: Some(ids.user_id),
                token_user_id: None,
                username: Some(ids.username),
                permissions: vec!["instagram_business_basic".into()],
                source: TokenSource::Authorized,
                obtained_at: issued,
                issued_at: Some(issued),
                expires_at: Some(issued + chrono::TimeDelta::days(60)),
                last_refresh_attempt: None,
                state: TokenState::Active,
            })
            .await
            .expect("the account connects");
        wait_until("the other account's first feed", 10, || async {
            account.feed.peek().is_some()
        })
        .await;
        (account, token)
    }

    /// The credentials of the default account igfeed has on disk now.
    pub fn stored_credentials(&self) -> Option<Credentials> {
        let dir = StateDir::open(&self.settings().storage).expect("storage opens");
        let stored = igfeed::accounts::layout::find_stored(&dir, None).expect("storage reads")?;
        CredentialStore::open(stored.dir)
            .expect("store opens")
            .current()
    }

    /// Record `path` (`accounts/<id>/feed-snapshot.json`, from the storage root) as igfeed
    /// reads it, from whichever backend holds it: its data as JSON text; `None` when absent.
    pub fn record(&self, path: &str) -> Option<String> {
        let mut dir = StateDir::open(&self.settings().storage).expect("storage opens");
        let mut parts: Vec<&str> = path.split('/').collect();
        let name = parts.pop().expect("a record name");
        for part in parts {
            if !dir.contains(part) {
                return None;
            }
            dir = dir.subdir(part).expect("subdir opens");
        }
        dir.read::<serde_json::Value>(name)
            .expect("record reads")
            .map(|data| data.to_string())
    }

    /// The bytes of record `path` as they are at rest: a file, or a Redis value.
    pub fn stored_bytes(&self, path: &str) -> Option<Vec<u8>> {
        match &self.redis {
            Some(redis) => redis.get(&format!("igfeed:record:/{path}")),
            None => std::fs::read(self.settings().storage.dir.join(path)).ok(),
        }
    }

    /// Keeps this test's records in Redis (a new server unless the suite already runs on
    /// one), with the refresher lease shortened to `lease_ttl`: for tests of replicas.
    pub fn use_redis(&mut self, lease_ttl: &str) {
        let redis = self.redis.take().unwrap_or_else(RedisServer::start);
        self.env.extend(redis_settings(&redis));
        self.set("IGFEED__STORAGE__LEASE_TTL", lease_ttl);
        self.redis = Some(redis);
    }

    /// Starts another igfeed replica sharing this environment's records, with its own local
    /// directory (deleted when the returned guard is dropped).
    pub async fn spawn_replica(&self) -> (TestApp, tempfile::TempDir) {
        let local = tempfile::tempdir().expect("replica dir");
        let mut env = self.env.clone();
        env.insert(
            "IGFEED__STORAGE__DIR".to_owned(),
            local.path().to_str().expect("utf-8 path").to_owned(),
        );
        let settings = Settings::load(&Sources { file: None, env }).expect("valid settings");
        (self.spawn_with(settings).await, local)
    }

    /// Keeps this test's records in files even when the suite runs on Redis: for tests of
    /// the state directory itself (its files, their damage, upgrades of old layouts).
    pub fn use_files(&mut self) {
        self.redis = None;
        for key in ["BACKEND", "REDIS_URL", "ENCRYPTION_KEY"] {
            self.env.remove(&format!("IGFEED__STORAGE__{key}"));
        }
    }

    /// Makes the sandbox's time (and igfeed's) jump forward.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }
}

/// Whether this run keeps records in Redis: `IGFEED_TEST_STORAGE=redis` runs the whole suite
/// on the Redis backend (scripts/test does, after the run on files).
pub fn on_redis() -> bool {
    std::env::var("IGFEED_TEST_STORAGE").is_ok_and(|v| v == "redis")
}

/// The settings that put igfeed's records in `redis`.
pub fn redis_settings(redis: &RedisServer) -> [(String, String); 3] {
    [
        ("IGFEED__STORAGE__BACKEND".to_owned(), "redis".to_owned()),
        ("IGFEED__STORAGE__REDIS_URL".to_owned(), redis.url()),
        (
            "IGFEED__STORAGE__ENCRYPTION_KEY".to_owned(),
            "4d2a6b1e9f0c3d5a7b8e1f2a4c6d8e0f1a3b5c7d9e2f4a6b8c0d1e3f5a7b9c2d".to_owned(),
        ),
    ]
}

/// A running igfeed.
pub struct TestApp {
    pub address: String,
    pub handle: actix_web::dev::ServerHandle,
    pub state: actix_web::web::Data<AppState>,
    pub running: tokio::task::JoinHandle<std::io::Result<()>>,
    pub http: reqwest::Client,
}

impl TestApp {
    /// The default account (the first connected); panics when none is connected.
    pub fn account(&self) -> Arc<igfeed::accounts::Account> {
        self.state
            .accounts
            .default_account()
            .expect("an account is connected")
    }

    /// Whether the default feed has a snapshot, and a document built (from it or, with a
    /// refresh interval shorter than a build, an earlier one).
    pub fn has_feed(&self) -> bool {
        self.state
            .accounts
            .default_account()
            .is_some_and(|account| account.feed.peek().is_some())
            && self
                .default_view()
                .is_some_and(|view| view.built().is_some())
    }

    /// The default feed's view (its definition and built document).
    pub fn default_view(&self) -> Option<Arc<igfeed::feeds::View>> {
        let name = self.state.feeds.default_name()?;
        self.state.feeds.view(&name)
    }

    /// Stops the server and waits until it (and its storage lock) is gone.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.running.await;
    }

    /// GET a path of igfeed.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("igfeed answers")
    }
}

/// Polls `condition` until it holds, failing the test after `seconds`.
pub async fn wait_until<F, Fut>(what: &str, seconds: u64, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Hours as a Duration.
pub fn hours(n: u64) -> Duration {
    Duration::from_secs(n * 3600)
}
