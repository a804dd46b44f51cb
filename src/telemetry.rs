//! Log output: one subscriber for the whole process, pretty in a terminal, JSON when asked.
//!
//! `log` records from dependencies are bridged in so `RUST_LOG=trace` really shows
//! everything — which is safe because igfeed never puts a token into a URL it logs, and the
//! `log` crate is compiled with `max_level_info`, so reqwest's debug lines (which print full
//! request URLs, query strings included) do not exist in this binary.

use std::io;

use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Registry};

use crate::config::LogFormat;

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
                    .json()
                    .with_current_span(true)
                    .with_writer(writer),
            ),
        ),
        LogFormat::Pretty => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
                    .with_writer(writer),
            ),
        ),
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
