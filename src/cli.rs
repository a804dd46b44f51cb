//! Command-line interface: `serve` (default), `sandbox`, `healthcheck`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Shows an Instagram feed on any website; the access token never leaves this server.
#[derive(Debug, Parser)]
#[command(name = "igfeed", version, about)]
pub struct Cli {
    /// TOML settings file (settings from IGFEED__SECTION__KEY variables override it).
    #[arg(long, global = true, env = "IGFEED_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// What to run; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the igfeed server.
    Serve,
    /// Run the local stand-in for Instagram's OAuth, Graph API and CDN.
    Sandbox(SandboxArgs),
    /// Run igfeed wired to an in-process sandbox: the whole product on one machine, no account.
    Demo(DemoArgs),
    /// Write the /feed.json document to a file or stdout (for static-site builds).
    Export {
        /// The feed to export (an account's username); the default feed without it.
        #[arg(long, value_name = "NAME")]
        feed: Option<String>,
        /// Write here instead of stdout (atomically); with --with-media, the directory to
        /// write feed.json and media/ into.
        #[arg(long, value_name = "FILE|DIR")]
        out: Option<PathBuf>,
        /// Use the stored snapshot instead of asking Instagram (and, with --with-media, only
        /// images igfeed has cached).
        #[arg(long)]
        offline: bool,
        /// Write DIR/feed.json and every image it names under DIR/media/ (--out DIR), with
        /// URLs relative to the document.
        #[arg(long, requires = "out")]
        with_media: bool,
        /// With --with-media: image URLs under this base (https://cdn.example/feed/ or /feed/)
        /// instead of relative to the document.
        #[arg(long, value_name = "URL", requires = "with_media")]
        base_url: Option<String>,
    },
    /// Manage the stored Instagram token.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the state of every account, its token and its feed.
    Status {
        /// Ask this running igfeed instead of the local one.
        #[arg(long)]
        url: Option<url::Url>,
    },
    /// Exit 0 when the local igfeed server answers /healthz (for container HEALTHCHECKs).
    Healthcheck {
        /// Check this URL instead of the configured local server.
        #[arg(long)]
        url: Option<url::Url>,
    },
}

/// Options of `igfeed sandbox`.
#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8081)]
    pub port: u16,
    /// Serve HTTPS with a freshly generated certificate authority.
    #[arg(long)]
    pub tls: bool,
    /// Write the generated CA certificate (PEM) here, for `instagram.extra_ca_file`.
    #[arg(long, value_name = "PATH", requires = "tls")]
    pub ca_out: Option<PathBuf>,
    /// Number of posts on the sandbox account.
    #[arg(long, default_value_t = 36)]
    pub posts: usize,
    /// Instagram app id the sandbox accepts.
    #[arg(long)]
    pub app_id: Option<String>,
    /// Instagram app secret the sandbox accepts.
    #[arg(long)]
    pub app_secret: Option<String>,
    /// A registered redirect URI (repeatable); defaults to igfeed's local callback.
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,
    /// Serve crops of the JPEG photos in this directory instead of numbered gradients (e.g.
    /// the one `bench/images/photos` fills).
    #[arg(long, value_name = "DIR")]
    pub photos_dir: Option<PathBuf>,
}

/// `igfeed token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Store a token obtained by hand (read from stdin, never from the command line, so it
    /// stays out of shell history and process listings). igfeed must not be running.
    Import,
}

/// Options of `igfeed demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Port of the igfeed server (the sandbox takes a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Start already connected to the sandbox account (skip logging in and approving).
    #[arg(long)]
    pub connected: bool,
    /// The sandbox serves crops of the JPEG photos in this directory instead of gradients.
    #[arg(long, value_name = "DIR")]
    pub photos_dir: Option<PathBuf>,
}
