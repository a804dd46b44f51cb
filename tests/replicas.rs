//! Several replicas as processes (#18): real `igfeed serve` processes (the built binary), a
//! real `igfeed sandbox` process and a real `redis-server`, all on loopback free ports, set up
//! through `IGFEED__*` environment variables only. What the in-process test
//! (tests/api/replicas.rs) cannot do: `kill -9` the lease holder, and kill and restart Redis
//! under two serving replicas.
//!
//! Every wait is a condition polled against a deadline; every child process is killed when
//! its guard is dropped, so a failing test leaves nothing behind (and prints each process's
//! last log lines to explain itself).

#[path = "support/redis_server.rs"]
mod redis_server;

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use redis_server::RedisServer;

/// `feed.refresh_interval` of every replica.
const REFRESH_INTERVAL: Duration = Duration::from_secs(2);
/// `storage.lease_ttl` of every replica.
const LEASE_TTL: Duration = Duration::from_secs(1);
/// `admin.api_token` of every replica.
const API_TOKEN: &str = "api-token-0123456789abcdef0123456789";
/// `storage.encryption_key` (required with Redis).
const ENCRYPTION_KEY: &str = "4d2a6b1e9f0c3d5a7b8e1f2a4c6d8e0f1a3b5c7d9e2f4a6b8c0d1e3f5a7b9c2d";
/// The sandbox's app (its defaults) and the account its tokens belong to by default.
const APP_ID: &str = "1000000000000001";
const APP_SECRET: &str = "sandbox-app-secret";
const REDIRECT_URI: &str = "http://127.0.0.1:8080/auth/instagram/callback";
const ACCOUNT: &str = "sandbox.studio";
/// The refresher lease's key, holding "<origin> <fence>".
const LEASE_KEY: &str = "igfeed:lease:refresher";
/// The line a replica logs when it takes the lease.
const HOLDS_LEASE: &str = "this replica holds the refresher lease";
/// How long a process may take to start (debug build, shared machine).
const START: Duration = Duration::from_secs(20);
/// Between two looks at a condition.
const POLL: Duration = Duration::from_millis(20);

/// A child process, killed (SIGKILL) when dropped; its stdout and stderr lines are kept.
struct Process {
    name: String,
    child: Option<Child>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Process {
    fn spawn(name: &str, command: &mut Command) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{name} starts: {e}"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        keep_lines(stdout, log.clone());
        keep_lines(stderr, log.clone());
        Self {
            name: name.to_owned(),
            child: Some(child),
            log,
        }
    }

    /// The lines logged so far.
    fn lines(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many lines logged so far contain `text`.
    fn count(&self, text: &str) -> usize {
        self.lines().iter().filter(|l| l.contains(text)).count()
    }

    /// `kill -9`, and waits for the process to be gone.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the process still runs.
    fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let lines = self.lines();
            let tail = &lines[lines.len().saturating_sub(40)..];
            eprintln!("--- last lines of {} ---\n{}", self.name, tail.join("\n"));
        }
    }
}

/// Copies the lines of `pipe` into `log` until it closes.
fn keep_lines(pipe: impl Read + Send + 'static, log: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            log.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line);
        }
    });
}

/// Polls `probe` until it gives a value, failing the test after `within`.
async fn wait_for<T, F, Fut>(what: &str, within: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// An HTTP client for loopback: no proxy from the environment, a bound on every request.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

/// The `igfeed` binary with none of this process's igfeed settings (the suite's
/// `IGFEED_TEST_STORAGE` and any `IGFEED__*` must not matter).
fn igfeed() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_igfeed"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("IGFEED") {
            command.env_remove(key);
        }
    }
    command.env("NO_COLOR", "1");
    command
}

/// Redis, the sandbox, and the settings every replica shares.
struct Cluster {
    redis: RedisServer,
    /// Killed when the cluster is dropped.
    _sandbox: Process,
    sandbox_url: String,
    http: reqwest::Client,
    /// Each process's own `storage.dir` (images and the lock stay local).
    dirs: Vec<tempfile::TempDir>,
}

impl Cluster {
    async fn start() -> Self {
        let redis = RedisServer::start();
        let mut sandbox = Process::spawn("sandbox", igfeed().args(["sandbox", "--port", "0"]));
        let sandbox_url = wait_for("the sandbox's address", START, || {
            let url = sandbox.lines().iter().find_map(|line| {
                line.split_whitespace()
                    .find(|w| w.starts_with("http://"))
                    .map(|w| w.trim_end_matches('/').to_owned())
            });
            async move { url }
        })
        .await;
        assert!(sandbox.running(), "the sandbox runs");
        Self {
            redis,
            _sandbox: sandbox,
            sandbox_url,
            http: http(),
            dirs: Vec::new(),
        }
    }

    /// The settings of a process whose local directory is `dir`.
    fn settings(&self, dir: &Path) -> Vec<(String, String)> {
        let base = &self.sandbox_url;
        [
            ("STORAGE__BACKEND", "redis".to_owned()),
            ("STORAGE__REDIS_URL", self.redis.url()),
            ("STORAGE__ENCRYPTION_KEY", ENCRYPTION_KEY.to_owned()),
            ("STORAGE__LEASE_TTL", format!("{}ms", LEASE_TTL.as_millis())),
            ("STORAGE__DIR", dir.to_str().expect("utf-8").to_owned()),
            ("SERVER__PORT", "0".to_owned()),
            ("ADMIN__API_TOKEN", API_TOKEN.to_owned()),
            ("INSTAGRAM__APP_ID", APP_ID.to_owned()),
            ("INSTAGRAM__APP_SECRET", APP_SECRET.to_owned()),
            ("INSTAGRAM__REDIRECT_URI", REDIRECT_URI.to_owned()),
            (
                "INSTAGRAM__AUTHORIZE_URL",
                format!("{base}/oauth/authorize"),
            ),
            ("INSTAGRAM__API_BASE", base.clone()),
            ("INSTAGRAM__GRAPH_BASE", base.clone()),
            ("INSTAGRAM__RETRY_ATTEMPTS", "3".to_owned()),
            ("INSTAGRAM__RETRY_BASE_DELAY", "5ms".to_owned()),
            ("INSTAGRAM__RETRY_MAX_DELAY", "20ms".to_owned()),
            ("INSTAGRAM__REQUEST_TIMEOUT", "5s".to_owned()),
            (
                "FEED__REFRESH_INTERVAL",
                format!("{}ms", REFRESH_INTERVAL.as_millis()),
            ),
            (
                "MEDIA__ALLOWED_HOSTS",
                "*.cdninstagram.com,*.fbcdn.net,127.0.0.1".to_owned(),
            ),
            ("MEDIA__PREFETCH_CONCURRENCY", "0".to_owned()),
            ("MEDIA__FORMATS", String::new()),
            ("LOG__FORMAT", "json".to_owned()),
        ]
        .into_iter()
        .map(|(key, value)| (format!("IGFEED__{key}"), value))
        .collect()
    }

    /// `igfeed` with a new local directory and the shared settings.
    fn command(&mut self) -> Command {
        let dir = tempfile::tempdir().expect("local dir");
        let mut command = igfeed();
        command.envs(self.settings(dir.path())).env("RUST_LOG", "");
        self.dirs.push(dir);
        command
    }

    /// Connects the sandbox's first account the way an owner with a token does:
    /// `igfeed token import`, a short-lived token on stdin (exchanged for a long-lived one).
    async fn import_token(&mut self) {
        let token = self
            .sandbox_post("/_sandbox/tokens", json!({"kind": "short"}))
            .await["access_token"]
            .as_str()
            .expect("a token")
            .to_owned();
        let mut child = self
            .command()
            .args(["token", "import"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("igfeed token import starts");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(token.as_bytes())
            .expect("token written");
        let output = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .expect("joined")
            .expect("igfeed token import runs");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert!(output.status.success(), "token import: {stdout}{stderr}");
        assert!(stdout.contains(ACCOUNT), "{stdout}");
    }

    /// Starts `igfeed serve` as replica `name` and waits until it listens.
    async fn replica(&mut self, name: &str) -> Replica {
        let process = Process::spawn(name, self.command().arg("serve"));
        let url = wait_for(&format!("{name} to listen"), START, || {
            let url = process.lines().iter().find_map(|line| {
                let entry: Value = serde_json::from_str(line).ok()?;
                entry["fields"]["public_url"]
                    .as_str()
                    .map(|u| u.trim_end_matches('/').to_owned())
            });
            async move { url }
        })
        .await;
        Replica {
            process,
            url,
            http: http(),
        }
    }

    async fn sandbox_post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.sandbox_url))
            .json(&body)
            .send()
            .await
            .expect("the sandbox answers");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.expect("JSON")
    }

    /// `GET /me/media` calls the sandbox has served so far (from any replica).
    async fn media_calls(&self) -> u64 {
        let stats: Value = self
            .http
            .get(format!("{}/_sandbox/stats", self.sandbox_url))
            .send()
            .await
            .expect("the sandbox answers")
            .json()
            .await
            .expect("JSON");
        stats["calls"]["media_list"].as_u64().expect("a count")
    }

    /// The lease's holder (its origin) and the milliseconds it has left, if anyone holds it.
    fn lease(&self) -> Option<(String, i64)> {
        let mut connection = self.redis.connection();
        let held: Option<String> = redis::cmd("GET")
            .arg(LEASE_KEY)
            .query(&mut connection)
            .expect("GET");
        let ttl: i64 = redis::cmd("PTTL")
            .arg(LEASE_KEY)
            .query(&mut connection)
            .expect("PTTL");
        let held = held?;
        let (origin, fence) = held.split_once(' ').expect("\"<origin> <fence>\"");
        assert!(fence.parse::<u64>().is_ok(), "a fencing token: {held}");
        Some((origin.to_owned(), ttl))
    }

    /// Every key igfeed keeps records in (the lease, which expires, left out).
    fn record_keys(&self) -> BTreeSet<String> {
        self.redis
            .keys()
            .into_iter()
            .filter(|k| !k.starts_with(LEASE_KEY) || k.ends_with(":fence"))
            .collect()
    }
}

/// How many connections listen on the changes channel.
fn subscribers(redis: &RedisServer) -> u64 {
    let (_, count): (String, u64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg("igfeed:changed")
        .query(&mut redis.connection())
        .expect("PUBSUB NUMSUB");
    count
}

/// One `igfeed serve` process.
struct Replica {
    process: Process,
    url: String,
    http: reqwest::Client,
}

impl Replica {
    fn name(&self) -> &str {
        &self.process.name
    }

    /// `/feed.json{query}`: the status and the document (`Null` when not JSON).
    async fn feed(&self, query: &str) -> Result<(u16, Value), reqwest::Error> {
        let response = self
            .http
            .get(format!("{}/feed.json{query}", self.url))
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// Whether `/feed.json{query}` answers 200 with posts.
    async fn serves(&self, query: &str) -> bool {
        matches!(self.feed(query).await, Ok((200, body)) if post_ids(&body).next().is_some())
    }

    /// Calls the admin API; the status and the JSON body (`Null` when empty).
    async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}/api/v1{path}", self.url))
            .bearer_auth(API_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the admin API answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The names of the feeds the admin API lists.
    async fn feed_names(&self) -> Vec<String> {
        let (status, body) = self.api(reqwest::Method::GET, "/feeds", None).await;
        assert_eq!(status, 200, "{}: {body}", self.name());
        body["feeds"]
            .as_array()
            .expect("feeds")
            .iter()
            .filter_map(|f| f["name"].as_str().map(str::to_owned))
            .collect()
    }

    /// The usernames of the connected accounts the admin API lists, with the token expiry
    /// each carries (a token record behind it).
    async fn accounts(&self) -> Vec<(String, String, Value)> {
        let (status, body) = self.api(reqwest::Method::GET, "/accounts", None).await;
        assert_eq!(status, 200, "{}: {body}", self.name());
        body["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .map(|a| {
                (
                    a["username"].as_str().unwrap_or_default().to_owned(),
                    a["connection"].as_str().unwrap_or_default().to_owned(),
                    a["token_expires_at"].clone(),
                )
            })
            .collect()
    }

    /// Waits until this replica serves the default feed with posts.
    async fn wait_serving(&self) {
        wait_for(
            &format!("{} to serve the feed", self.name()),
            START,
            || async { self.serves("").await.then_some(()) },
        )
        .await;
    }
}

fn post_ids(feed: &Value) -> impl Iterator<Item = &str> {
    feed["posts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_str())
}

/// Requests `/feed.json` of some replicas continuously, counting answers and failures (any
/// answer but a 200 with posts, or no answer at all).
struct Hammer {
    stop: Arc<AtomicBool>,
    /// Answers (or failures) per worker.
    answered: Vec<Arc<AtomicU64>>,
    failures: Arc<Mutex<Vec<String>>>,
    workers: Vec<tokio::task::JoinHandle<()>>,
    started: Instant,
}

impl Hammer {
    /// One worker per target, each cycling through its queries.
    fn start(targets: &[(&Replica, &[&str])]) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let answered: Vec<Arc<AtomicU64>> = targets.iter().map(|_| Arc::default()).collect();
        let failures = Arc::new(Mutex::new(Vec::new()));
        let started = Instant::now();
        let workers = targets
            .iter()
            .zip(&answered)
            .map(|((replica, queries), answered)| {
                let urls: Vec<String> = queries
                    .iter()
                    .map(|q| format!("{}/feed.json{q}", replica.url))
                    .collect();
                let name = replica.name().to_owned();
                let (stop, answered, failures) = (stop.clone(), answered.clone(), failures.clone());
                tokio::spawn(async move {
                    let client = http();
                    for url in urls.iter().cycle() {
                        if stop.load(Ordering::Acquire) {
                            return;
                        }
                        let failure = match client.get(url).send().await {
                            Ok(response) if response.status() == 200 => {
                                match response.json::<Value>().await {
                                    Ok(body) if post_ids(&body).next().is_some() => None,
                                    Ok(body) => Some(format!("200 without posts: {body}")),
                                    Err(e) => Some(format!("200 with a bad body: {e}")),
                                }
                            }
                            Ok(response) => Some(format!("status {}", response.status())),
                            Err(e) => Some(format!("no answer: {e}")),
                        };
                        answered.fetch_add(1, Ordering::AcqRel);
                        if let Some(failure) = failure {
                            failures
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .push(format!(
                                    "{name} {url} at {:?}: {failure}",
                                    started.elapsed()
                                ));
                        }
                    }
                })
            })
            .collect();
        Self {
            stop,
            answered,
            failures,
            workers,
            started,
        }
    }

    /// The fewest requests any worker has made so far.
    fn answered(&self) -> u64 {
        self.answered
            .iter()
            .map(|a| a.load(Ordering::Acquire))
            .min()
            .unwrap_or(0)
    }

    /// Requests made so far, all workers together.
    fn total(&self) -> u64 {
        self.answered
            .iter()
            .map(|a| a.load(Ordering::Acquire))
            .sum()
    }

    /// Stops the workers; the number of requests made, and the failures.
    async fn finish(mut self) -> (u64, Vec<String>) {
        self.stop.store(true, Ordering::Release);
        for worker in std::mem::take(&mut self.workers) {
            worker.await.expect("a hammer worker ends");
        }
        let failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let total = self.total();
        eprintln!("hammer: {total} requests in {:?}", self.started.elapsed());
        (total, failures.clone())
    }
}

/// Two replicas with the sandbox's first account connected, both listening for each
/// other's changes and serving it.
async fn two_serving_replicas() -> (Cluster, Replica, Replica) {
    let mut cluster = Cluster::start().await;
    cluster.import_token().await;
    let first = cluster.replica("replica-a").await;
    let second = cluster.replica("replica-b").await;
    // A replica whose listener ended at start (a race in Redis::changes, fixed) never
    // heard another's change: this caught it about one start in six.
    wait_for("both replicas to listen for changes", START, || async {
        (subscribers(&cluster.redis) == 2).then_some(())
    })
    .await;
    first.wait_serving().await;
    second.wait_serving().await;
    (cluster, first, second)
}

/// `kill -9` of the lease holder: the other replica serves every request meanwhile, takes
/// the lease once it expires, and refreshes from Instagram within two refresh intervals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_other_replica_takes_over_when_the_lease_holder_is_killed() {
    let (cluster, first, second) = two_serving_replicas().await;
    let first_holds = wait_for("one replica to take the lease", START, || {
        let holds = [&first, &second].map(|r| r.process.count(HOLDS_LEASE));
        async move {
            match holds {
                [1, 0] => Some(true),
                [0, 1] => Some(false),
                [0, 0] => None,
                other => panic!("both replicas took the lease: {other:?}"),
            }
        }
    })
    .await;
    let (mut holder, survivor) = if first_holds {
        (first, second)
    } else {
        (second, first)
    };
    let (holder_origin, _) = cluster.lease().expect("the lease is held");
    // The holder polls Instagram, and keeps the lease while it does.
    let before = cluster.media_calls().await;
    wait_for(
        "the holder's next refresh",
        REFRESH_INTERVAL * 3,
        || async { (cluster.media_calls().await > before).then_some(()) },
    )
    .await;
    assert!(
        survivor.process.count(HOLDS_LEASE) == 0 && cluster.lease().unwrap().0 == holder_origin,
        "the lease stays with {}",
        holder.name()
    );

    let hammer = Hammer::start(&[(&survivor, &[""]), (&survivor, &["?limit=5"])]);
    wait_for("the hammer's first answers", START, || async {
        (hammer.answered() >= 10).then_some(())
    })
    .await;

    assert_eq!(cluster.lease().map(|(o, _)| o), Some(holder_origin.clone()));
    holder.process.kill();
    let killed = Instant::now();
    // Nobody renews the lease now: it lapses when its time is out (taken right after the
    // look, so the expiry is never placed later than it is).
    let looked = Instant::now();
    let expires = match cluster.lease() {
        Some((origin, left)) if origin == holder_origin => {
            looked + Duration::from_millis(u64::try_from(left.max(0)).expect("ms"))
        }
        // Already gone: it lapsed after the kill (the holder renewed it until then).
        _ => killed,
    };
    let calls_at_kill = cluster.media_calls().await;
    // A post only the survivor can fetch now.
    let added = cluster.sandbox_post("/_sandbox/posts", json!({})).await["id"]
        .as_str()
        .expect("the new post's id")
        .to_owned();

    let within = LEASE_TTL * 2 + REFRESH_INTERVAL * 2 + Duration::from_secs(5);
    let taken = wait_for("the survivor to take the lease", within, || async {
        cluster
            .lease()
            .is_some_and(|(origin, _)| origin != holder_origin)
            .then(Instant::now)
    })
    .await;
    let called = wait_for("the survivor to call Instagram", within, || async {
        (cluster.media_calls().await > calls_at_kill).then(Instant::now)
    })
    .await;
    let served = wait_for("the survivor to serve the new post", within, || async {
        let served = matches!(
            survivor.feed("").await,
            Ok((200, body)) if post_ids(&body).any(|id| id == added)
        );
        served.then(Instant::now)
    })
    .await;
    let (requests, failures) = hammer.finish().await;

    let since = |from: Instant, to: Instant| to.saturating_duration_since(from);
    eprintln!(
        "takeover (lease_ttl {LEASE_TTL:?}, refresh_interval {REFRESH_INTERVAL:?}): \
         kill -> lease taken {:?} (lease expiry -> taken {:?}); \
         kill -> first Instagram call {:?}; kill -> new post served {:?} \
         (lease expiry -> served {:?}); {requests} requests to the survivor meanwhile",
        since(killed, taken),
        since(expires, taken),
        since(killed, called),
        since(killed, served),
        since(expires, served),
    );
    assert!(
        failures.is_empty(),
        "{} of {requests} requests to the survivor failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        survivor.process.count(HOLDS_LEASE),
        1,
        "the survivor says it took the lease"
    );
    assert!(
        since(expires, called) <= REFRESH_INTERVAL * 2,
        "the survivor refreshed {:?} after the lease expired: more than two refresh intervals",
        since(expires, called)
    );
    assert!(
        since(expires, served) <= REFRESH_INTERVAL * 2,
        "the survivor served the new post {:?} after the lease expired: more than two refresh intervals",
        since(expires, served)
    );
}

/// Redis killed (SIGKILL) and started again on its append-only file under two serving
/// replicas: neither stops serving, no record is lost, and a change made afterwards on one
/// replica reaches the other (which subscribed again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_loses_nothing_and_serving_never_stops() {
    let (mut cluster, first, second) = two_serving_replicas().await;
    let feed =
        |name: &str, max: u64| json!({"name": name, "accounts": [ACCOUNT], "max_posts": max});
    let (status, body) = first
        .api(reqwest::Method::PUT, "/feeds/shop", Some(feed("shop", 5)))
        .await;
    assert_eq!(status, 201, "{body}");
    wait_for("replica B to serve the shop feed", START, || async {
        second.serves("?feed=shop").await.then_some(())
    })
    .await;
    let accounts = first.accounts().await;
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert_eq!(
        (accounts[0].0.as_str(), accounts[0].1.as_str()),
        (ACCOUNT, "connected")
    );
    assert!(accounts[0].2.is_string(), "a token expiry: {accounts:?}");
    assert_eq!(second.accounts().await, accounts);

    let keys = cluster.record_keys();
    for wanted in ["/feeds.json", "/credentials.json", "/feed-snapshot.json"] {
        assert!(
            keys.iter().any(|k| k.ends_with(wanted)),
            "{wanted} in Redis: {keys:?}"
        );
    }
    let feeds_key = keys
        .iter()
        .find(|k| k.ends_with("/feeds.json"))
        .expect("the feed definitions")
        .clone();
    let definitions = cluster.redis.get(&feeds_key);

    let queries: &[&str] = &["", "?feed=shop"];
    let hammer = Hammer::start(&[(&first, queries), (&second, queries)]);
    wait_for("the hammer's first answers", START, || async {
        (hammer.answered() >= 10).then_some(())
    })
    .await;

    // The outage: until the replica holding the lease has noticed it cannot renew it.
    let holder = if first.process.count(HOLDS_LEASE) > 0 {
        &first
    } else {
        &second
    };
    let cannot_renew = "cannot renew the refresher lease";
    let noticed = holder.process.count(cannot_renew);
    cluster.redis.kill();
    let down = Instant::now();
    let (during, during_total) = (hammer.answered(), hammer.total());
    wait_for("the lease holder to notice the outage", START, || async {
        (holder.process.count(cannot_renew) > noticed).then_some(())
    })
    .await;
    // An outage long enough for the lease to lapse and a refresh to come due, with every
    // worker answered meanwhile.
    wait_for("answers through the outage", START, || async {
        let long_enough = down.elapsed() >= LEASE_TTL + REFRESH_INTERVAL;
        (long_enough && hammer.answered() >= during + 20).then_some(())
    })
    .await;
    assert!(
        holder
            .process
            .count("this replica does not hold the refresher lease")
            > 0,
        "the holder stopped refreshing when it could not renew the lease"
    );
    let outage_answers = hammer.total() - during_total;
    let holds_before = first.process.count(HOLDS_LEASE) + second.process.count(HOLDS_LEASE);
    cluster.redis.restart();
    let up = Instant::now();
    eprintln!(
        "redis down for {:?}, {outage_answers} requests answered meanwhile",
        up - down
    );

    // Nothing lost: every record key is back, the definitions byte for byte.
    let after = cluster.record_keys();
    let lost: Vec<&String> = keys.difference(&after).collect();
    assert!(lost.is_empty(), "keys lost in the restart: {lost:?}");
    assert_eq!(cluster.redis.get(&feeds_key), definitions);

    // A replica takes the lease again and refreshes.
    wait_for("a replica to take the lease again", START, || async {
        let holds = first.process.count(HOLDS_LEASE) + second.process.count(HOLDS_LEASE);
        (holds > holds_before && cluster.lease().is_some()).then_some(())
    })
    .await;
    let calls = cluster.media_calls().await;
    wait_for(
        "a refresh after Redis came back",
        REFRESH_INTERVAL * 3,
        || async { (cluster.media_calls().await > calls).then_some(()) },
    )
    .await;

    // Both replicas listen for changes again.
    wait_for("both replicas to subscribe again", START, || async {
        (subscribers(&cluster.redis) == 2).then_some(())
    })
    .await;
    // A change made on A after the restart reaches B.
    let (status, body) = first
        .api(reqwest::Method::PUT, "/feeds/after", Some(feed("after", 3)))
        .await;
    assert_eq!(status, 201, "{body}");
    let saved = Instant::now();
    wait_for(
        "replica B to list the feed saved after the restart",
        Duration::from_secs(5),
        || async {
            let (status, _) = second.api(reqwest::Method::GET, "/feeds/after", None).await;
            (status == 200).then_some(())
        },
    )
    .await;
    let propagated = saved.elapsed();
    wait_for("replica B to serve it", Duration::from_secs(5), || async {
        second.serves("?feed=after").await.then_some(())
    })
    .await;
    eprintln!("a feed saved on A after the restart was listed by B {propagated:?} later");

    let (requests, failures) = hammer.finish().await;
    assert!(
        failures.is_empty(),
        "{} of {requests} requests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for replica in [&first, &second] {
        let names = replica.feed_names().await;
        assert_eq!(names, [ACCOUNT, "after", "shop"], "{}", replica.name());
        assert_eq!(replica.accounts().await, accounts, "{}", replica.name());
    }

    // What Redis holds is enough on its own: a replica started now, with nothing in memory,
    // serves the account, its token and both feed definitions from it.
    let third = cluster.replica("replica-c").await;
    third.wait_serving().await;
    assert!(third.serves("?feed=shop").await && third.serves("?feed=after").await);
    assert_eq!(third.feed_names().await, [ACCOUNT, "after", "shop"]);
    assert_eq!(third.accounts().await, accounts);
}
