//! The built binary, black-box: settings errors, the server's lifecycle, the healthcheck.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn igfeed() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_igfeed"));
    cmd.env_remove("IGFEED_CONFIG").env("NO_COLOR", "1");
    cmd
}

/// A started server, killed if the test fails before stopping it: a panicking test must not
/// leave a server behind holding its pipes open.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[test]
fn a_bad_setting_stops_startup_with_one_line_naming_it() {
    let output = igfeed()
        .env("IGFEED__FEED__REFRESH_INTERVAL", "often")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("refresh_interval"), "{stderr}");
}

#[test]
fn serve_answers_health_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut running = Running(
        igfeed()
            .arg("serve")
            .env("IGFEED__SERVER__PORT", "0")
            .env("IGFEED__STORAGE__DIR", dir.path())
            .env("IGFEED__LOG__FORMAT", "json")
            // Empty, as `Environment=RUST_LOG=` leaves it: the default filter, not silence.
            .env("RUST_LOG", "")
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts"),
    );
    let child = &mut running.0;
    let stderr = child.stderr.take().expect("stderr");
    // Lines arrive through a channel so that a server that logs nothing fails the test at
    // the deadline instead of blocking it forever.
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let public_url = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .expect("a startup line before the deadline");
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if let Some(url) = entry["fields"]["public_url"].as_str() {
            break url.to_owned();
        }
    };
    // A proxy from the environment (Docker copies it into containers) is not used for a
    // server on this machine: it could not reach this loopback.
    let health = igfeed()
        .args(["healthcheck", "--url", &format!("{public_url}healthz")])
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("http_proxy", "http://127.0.0.1:9")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("healthcheck runs");
    assert!(
        health.status.success(),
        "{}",
        String::from_utf8_lossy(&health.stderr)
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            assert!(exit.success(), "graceful exit, got {exit}");
            break;
        }
        assert!(Instant::now() < deadline, "did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }

    let down = igfeed()
        .args(["healthcheck", "--url", &format!("{public_url}healthz")])
        .output()
        .expect("healthcheck runs");
    assert!(
        !down.status.success(),
        "healthcheck fails when nothing answers"
    );
}

#[test]
fn the_sandbox_command_prints_its_address_and_serves() {
    let mut child = igfeed()
        .args(["sandbox", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in `{first}`"))
        .to_owned();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let status = runtime.block_on(async {
        reqwest::get(format!("{base}_sandbox/stats"))
            .await
            .expect("sandbox answers")
            .status()
    });
    child.kill().expect("kill");
    let _ = child.wait();
    assert_eq!(status, 200);
}
