//! Log output: one subscriber for the whole process, plain text lines or JSON when asked.
//!
//! Lines carry no terminal colours (tracing-subscriber's `ansi` feature is off): every request
//! logs a line, and styling it, even with colours switched off, cost a tenth of the line.
//!
//! `log` records from dependencies are bridged in so `RUST_LOG=trace` really shows
//! everything — which is safe because igfeed never puts a token into a URL it logs, and the
//! `log` crate is compiled with `max_level_info`, so reqwest's debug lines (which print full
//! request URLs, query strings included) do not exist in this binary.

use std::cell::RefCell;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Registry};

/// How log lines are written (`log.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Filter used when `RUST_LOG` is unset.
pub const DEFAULT_FILTER: &str = "info";

/// Builds a subscriber writing to `writer`; `filter` uses `RUST_LOG` syntax.
pub fn subscriber<W>(
    filter: &str,
    format: LogFormat,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync + 'static>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|e| {
        eprintln!("ignoring invalid RUST_LOG ({e}); using `{DEFAULT_FILTER}`");
        EnvFilter::new(DEFAULT_FILTER)
    });
    let registry = Registry::default().with(filter);
    match format {
        LogFormat::Json => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .with_timer(UtcMicros)
                    .json()
                    .with_current_span(true)
                    .with_writer(writer),
            ),
        ),
        LogFormat::Pretty => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .with_timer(UtcMicros)
                    .with_writer(writer),
            ),
        ),
    }
}

/// RFC 3339 UTC timestamps with microseconds (`2026-11-25T22:16:34.243245Z`, as
/// tracing-subscriber's default timer writes them), with the calendar part computed once per
/// second per thread rather than for every line: every request logs a line, and the
/// calendar arithmetic was a quarter of the line's cost.
struct UtcMicros;

thread_local! {
    /// The last second formatted on this thread, and its text up to the seconds.
    static LAST_SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

impl FormatTime for UtcMicros {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let seconds = now.as_secs();
        LAST_SECOND.with_borrow_mut(|(cached, text)| {
            if *cached != seconds {
                let time = i64::try_from(seconds)
                    .ok()
                    .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                    .unwrap_or_default();
                *text = time.format("%Y-%m-%dT%H:%M:%S").to_string();
                *cached = seconds;
            }
            write!(w, "{text}.{:06}Z", now.subsec_micros())
        })
    }
}

/// Installs `subscriber` for the whole process and routes `log` records into it.
/// Call once, from `main` (or from a test binary of its own).
pub fn init(subscriber: Box<dyn Subscriber + Send + Sync + 'static>) {
    if tracing_log::LogTracer::init().is_err() {
        eprintln!("a `log` logger was already installed; dependency logs may be missing");
    }
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        eprintln!("a tracing subscriber was already installed");
    }
}
