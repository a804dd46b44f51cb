//! The soak test's server (`bench/soak`): igfeed and the Instagram sandbox in one process, on
//! one clock that the soak moves forward, so that days pass within a minute while igfeed
//! really runs — token refreshes come due, CDN URLs expire, snapshots turn stale.
//!
//! The production binary has no way to move its clock, and this server gains none over the
//! network either: the clock moves only on a line `advance SECONDS` on its standard input
//! (answered with one line `offset SECONDS` on standard output). End of input stops it.
//!
//! Settings come from the environment like `igfeed serve`'s (`IGFEED__…`); the Instagram
//! endpoints are pointed at the sandbox and a short-lived sandbox token is imported (as
//! `igfeed token import` would: one `/me` call and one exchange), then the feed is loaded.
//! The first line on standard output is `{"igfeed": URL, "sandbox": URL}` once both serve.

use std::io::{BufRead, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use igfeed::clock::{OffsetClock, SharedClock};
use igfeed::commands::demo::point_at_sandbox;
use igfeed::config::{Settings, Sources};
use igfeed::connection::import_token;
use igfeed::startup::Application;
use igfeed::telemetry;
use igfeed_sandbox::{RunningSandbox, SandboxConfig, TokenKind};
use secrecy::SecretString;

fn main() -> anyhow::Result<()> {
    return_large_buffers_to_the_os();
    let mut settings = Settings::load(&Sources::from_process(None))
        .map_err(|error| anyhow::anyhow!("soak_server: {error}"))?;
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| telemetry::DEFAULT_FILTER.into());
    let (writer, _flush_on_exit) = tracing_appender::non_blocking(std::io::stderr());
    telemetry::init(telemetry::subscriber(&filter, settings.log.format, writer));
    let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
        .context("cannot listen for igfeed")?;
    let sandbox_listener =
        TcpListener::bind("127.0.0.1:0").context("cannot listen for the sandbox")?;
    actix_web::rt::System::new().block_on(async move {
        let clock = OffsetClock::new();
        let shared: SharedClock = clock.clone();
        let sandbox_config = SandboxConfig::default();
        let sandbox =
            igfeed_sandbox::spawn(sandbox_config.clone(), shared.clone(), sandbox_listener).await?;
        point_at_sandbox(&mut settings, &sandbox, &sandbox_config);
        let app = Application::build_on(listener, settings, shared.clone()).await?;
        connect(&app, &sandbox, &shared).await?;
        announce(&app, &sandbox)?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || obey_stdin(&clock, stop_tx));
        let handle = app.handle();
        actix_web::rt::spawn(async move {
            let _ = stop_rx.await;
            handle.stop(true).await;
        });
        let result = app.run_until_stopped().await;
        sandbox.stop().await;
        result.context("igfeed stopped with an error")
    })
}

/// Imports a fresh short-lived token (exchanged for a long-lived one, so its age is known)
/// and asks for the first feed load.
async fn connect(
    app: &Application,
    sandbox: &RunningSandbox,
    clock: &SharedClock,
) -> anyhow::Result<()> {
    let state = app.state();
    let token = SecretString::from(sandbox.issue_token(TokenKind::ShortLived, Duration::ZERO));
    import_token(&state.instagram, &state.accounts, clock, token).await?;
    Ok(())
}

fn announce(app: &Application, sandbox: &RunningSandbox) -> anyhow::Result<()> {
    let line = serde_json::json!({
        "igfeed": app.public_url().as_str(),
        "sandbox": sandbox.base_url().as_str(),
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

/// Applies `advance SECONDS` lines until standard input ends, then asks the server to stop.
fn obey_stdin(clock: &Arc<OffsetClock>, stop: tokio::sync::oneshot::Sender<()>) {
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let answer = match line.trim().strip_prefix("advance ").map(str::parse::<u64>) {
            Some(Ok(seconds)) => {
                clock.advance(Duration::from_secs(seconds));
                format!("offset {}", clock.offset().as_secs())
            }
            _ => format!("error: expected `advance SECONDS`, got {line:?}"),
        };
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .is_err()
        {
            break;
        }
    }
    let _ = stop.send(());
}

/// As in the igfeed binary (see its `main.rs`): without it, resident memory after image work
/// would say more about glibc's heuristics than about igfeed.
fn return_large_buffers_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any other thread
    // exists, and an unsupported value is refused (return 0) rather than acted on.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}
