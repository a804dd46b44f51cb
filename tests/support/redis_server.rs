//! A real Redis for tests: Debian's `redis-server` (scripts/test installs it) started on a
//! free loopback port with its own directory, append-only file on, killed when dropped.
//!
//! Shared by the unit tests in `src/storage/` and the integration tests (`#[path]` includes
//! this file in both), so both start Redis the same way.

#![allow(dead_code)] // each includer uses a different part

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long Redis may take to accept connections after starting.
const START_DEADLINE: Duration = Duration::from_secs(20);

/// A running `redis-server`; dropping it kills the process and removes its files.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    password: Option<String>,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts Redis without a password.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// Starts Redis requiring `password` (`requirepass`) when given.
    pub fn start_with(password: Option<&str>) -> Self {
        let dir = tempfile::tempdir().expect("redis tempdir");
        let mut server = Self {
            child: None,
            port: free_port(),
            password: password.map(str::to_owned),
            dir,
        };
        server.launch();
        server
    }

    /// `redis://127.0.0.1:<port>/0`, without the password.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The port Redis listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills Redis at once (SIGKILL: no final save), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts Redis again on the same port and directory: what its append-only file holds
    /// comes back.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// A connection, authenticated when Redis wants a password.
    pub fn connection(&self) -> redis::Connection {
        let url = match &self.password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{}/0", self.port),
            None => self.url(),
        };
        redis::Client::open(url)
            .and_then(|client| client.get_connection())
            .expect("connect to the test redis")
    }

    /// The bytes of string key `key`, if any.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        redis::cmd("GET")
            .arg(key)
            .query(&mut self.connection())
            .expect("GET")
    }

    /// Sets string key `key` to `value`.
    pub fn set(&self, key: &str, value: &[u8]) {
        redis::cmd("SET")
            .arg(key)
            .arg(value)
            .query::<()>(&mut self.connection())
            .expect("SET");
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query(&mut self.connection())
            .expect("KEYS");
        keys.sort();
        keys
    }

    /// Where Redis keeps its files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn launch(&mut self) {
        let binary = redis_binary();
        let mut command = Command::new(&binary);
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .args([
                "--protected-mode",
                "no",
                "--daemonize",
                "no",
                "--logfile",
                "",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdout = child.stdout.take().expect("stdout");
        let deadline = Instant::now() + START_DEADLINE;
        let mut lines = BufReader::new(stdout).lines();
        loop {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start in time"
            );
            match lines.next() {
                Some(Ok(line)) if line.contains("Ready to accept connections") => break,
                Some(Ok(_)) => {}
                _ => panic!(
                    "redis-server exited while starting (port {} taken?)",
                    self.port
                ),
            }
        }
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        self.child = Some(child);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `redis-server` from PATH, or where Debian installs it.
fn redis_binary() -> PathBuf {
    let from_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("redis-server"))
            .find(|candidate| candidate.is_file())
    });
    from_path
        .or_else(|| Some(PathBuf::from("/usr/bin/redis-server")).filter(|p| p.is_file()))
        .expect("redis-server is not installed: run scripts/test once (it installs Debian's redis-server)")
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port()
}
