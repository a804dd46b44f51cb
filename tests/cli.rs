//! The built binary, black-box: settings errors, the server's lifecycle, the healthcheck.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn igfeed() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_igfeed"));
    cmd.env_remove("IGFEED_CONFIG").env("NO_COLOR", "1");
    cmd
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
    let mut child = igfeed()
        .arg("serve")
        .env("IGFEED__SERVER__PORT", "0")
        .env("IGFEED__STORAGE__DIR", dir.path())
        .env("IGFEED__LOG__FORMAT", "json")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    let public_url = loop {
        assert!(Instant::now() < deadline, "no startup line");
        let line = lines.next().expect("stderr open").expect("utf-8");
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if let Some(url) = entry["fields"]["public_url"].as_str() {
            break url.to_owned();
        }
    };
    let health = igfeed()
        .args(["healthcheck", "--url", &format!("{public_url}healthz")])
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
