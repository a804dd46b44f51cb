//! The igfeed binary: parse the command line, load settings, start logging, run a subcommand.

use std::process::ExitCode;

use clap::Parser;
use igfeed::cli::{Cli, Command, TokenCommand};
use igfeed::commands;
use igfeed::config::{LogFormat, Settings, Sources};
use igfeed::telemetry;

/// Exit status for unusable settings (distinct from runtime failures).
const EXIT_BAD_SETTINGS: u8 = 2;

/// Log bytes gathered into one write under load (about 400 request lines).
const LOG_BUFFER_BYTES: usize = 64 * 1024;

fn main() -> ExitCode {
    return_large_buffers_to_the_os();
    let cli = Cli::parse();
    // An empty RUST_LOG (`Environment=RUST_LOG=` in a unit file) would switch every line off.
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|value| !value.trim().is_empty())
        .unwrap_or_else(|| telemetry::DEFAULT_FILTER.into());
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Sandbox(args) = command {
        telemetry::init(telemetry::subscriber(
            &filter,
            LogFormat::Pretty,
            std::io::stderr,
        ));
        return report(commands::sandbox::run(args));
    }
    let settings = match Settings::load(&Sources::from_process(cli.config)) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("igfeed: {error}");
            return ExitCode::from(EXIT_BAD_SETTINGS);
        }
    };
    // Log lines are written by a background thread: a request never waits for stderr. That
    // thread flushes whenever it has drained its queue, so the buffer only batches lines that
    // arrived together (one write for hundreds under load) and never holds a line back. The
    // guard flushes what is left when main returns.
    let (writer, _flush_on_exit) = tracing_appender::non_blocking(
        std::io::BufWriter::with_capacity(LOG_BUFFER_BYTES, std::io::stderr()),
    );
    let log = |format| telemetry::init(telemetry::subscriber(&filter, format, writer.clone()));
    match command {
        Command::Healthcheck { url } => report(commands::healthcheck::run(&settings, url)),
        Command::Status { url } => report(commands::status::run(&settings, url)),
        Command::Export {
            feed,
            out,
            offline,
            with_media,
            base_url,
        } => {
            log(settings.log.format);
            let options = commands::export::Options {
                feed,
                out,
                offline,
                with_media,
                base_url,
            };
            report(commands::export::run(&settings, options))
        }
        Command::Token(TokenCommand::Import) => {
            log(settings.log.format);
            report(commands::token::import(&settings))
        }
        Command::Demo(args) => {
            log(settings.log.format);
            report(commands::demo::run(settings, args))
        }
        Command::Serve | Command::Sandbox(_) => {
            log(settings.log.format);
            report(commands::serve::run(settings))
        }
    }
}

/// Image work allocates a few megabytes per picture (decoded pixels) on blocking threads.
/// glibc's allocator raises its mmap threshold to the largest block freed, after which such
/// buffers come from per-thread heaps that keep the memory once freed: igfeed's resident
/// memory ended 70 MB above `media.memory_budget` after every image of a 500-post feed was
/// requested (bench/run). A fixed threshold sends every block above 256 KiB straight back to
/// the OS when freed (same burst: 66 MB in all, with a 64 MB budget).
fn return_large_buffers_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any other thread
    // exists, and an unsupported value is refused (return 0) rather than acted on.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
    }
}

/// See [`return_large_buffers_to_the_os`].
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD_BYTES: libc::c_int = 256 * 1024;

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("igfeed: {error:#}");
            ExitCode::FAILURE
        }
    }
}
