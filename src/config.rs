//! Settings: built-in defaults < optional TOML file < `IGFEED__SECTION__KEY` environment variables.
//!
//! Loaded and validated once at startup; a bad value stops igfeed with one line that names the
//! key, because an operator reading a crash loop in a container log deserves nothing less.
//! Everything after startup trusts a [`Settings`] value.

mod embed;
mod env_files;
mod media;
mod sections;
mod units;
mod validate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

/// `[storage]`, defined by the storage it configures.
pub use crate::storage::StorageSettings;
/// `log.format`, a value of the logging it configures.
pub use crate::telemetry::LogFormat;
pub use embed::EmbedSettings;
pub use media::{ImageFormat, MediaSettings};
pub use sections::{
    AccountSettings, AdminSettings, AlertSettings, CorsSettings, FeedSettings, HookSettings,
    InstagramSettings, LogSettings, OpsSettings, ServerSettings, TokenSettings,
};

/// The defaults every other source overrides, embedded so a bare binary runs.
const DEFAULTS: &str = include_str!("config/defaults.toml");

/// Prefix of the environment variables that override settings.
pub const ENV_PREFIX: &str = "IGFEED";

/// Path under which Instagram redirects the owner's browser back to igfeed.
pub const CALLBACK_PATH: &str = "/auth/instagram/callback";

/// Every setting igfeed has, validated.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `[server]`
    pub server: ServerSettings,
    /// `[storage]`
    pub storage: StorageSettings,
    /// `[admin]`
    pub admin: AdminSettings,
    /// `[accounts]`
    pub accounts: AccountSettings,
    /// `[instagram]`
    pub instagram: InstagramSettings,
    /// `[feed]`
    pub feed: FeedSettings,
    /// `[token]`
    pub token: TokenSettings,
    /// `[cors]`
    pub cors: CorsSettings,
    /// `[ops]`
    pub ops: OpsSettings,
    /// `[alerts]`
    pub alerts: AlertSettings,
    /// `[hooks]`
    pub hooks: HookSettings,
    /// `[media]`
    pub media: MediaSettings,
    /// `[embed]`
    pub embed: EmbedSettings,
    /// `[log]`
    pub log: LogSettings,
}

/// Why settings could not be loaded; its Display is the one line an operator sees.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A value failed a rule after parsing.
    #[error("invalid setting `{key}`: {problem}")]
    Invalid {
        /// Dotted key, e.g. `feed.max_posts`.
        key: String,
        /// What is wrong and, where possible, how to fix it.
        problem: String,
    },
    /// The file or a value could not be read or parsed.
    #[error("invalid settings: {0}")]
    Unreadable(String),
}

impl SettingsError {
    pub(crate) fn invalid(key: &str, problem: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.to_owned(),
            problem: problem.into(),
        }
    }
}

/// Where settings come from, so tests can load them without touching the process environment.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// The TOML file, if any (`--config` / `IGFEED_CONFIG`).
    pub file: Option<PathBuf>,
    /// Environment variables; only those named `IGFEED__…` are read.
    pub env: HashMap<String, String>,
}

impl Sources {
    /// The process environment plus an optional file: what the binary uses.
    pub fn from_process(file: Option<PathBuf>) -> Self {
        Self {
            file,
            env: std::env::vars().collect(),
        }
    }
}

impl Settings {
    /// Loads, merges and validates settings from `sources`.
    pub fn load(sources: &Sources) -> Result<Self, SettingsError> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Some(path) = &sources.file {
            check_readable(path)?;
            builder = builder.add_source(File::from(path.as_path()).format(FileFormat::Toml));
        }
        let env: HashMap<String, String> = sources
            .env
            .iter()
            .filter(|(name, _)| name.starts_with(&format!("{ENV_PREFIX}__")))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let env = env_files::resolve(env)?;
        builder = builder.add_source(
            Environment::with_prefix(ENV_PREFIX)
                .prefix_separator("__")
                .separator("__")
                .source(Some(env)),
        );
        let settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| SettingsError::Unreadable(one_line(&e.to_string())))?;
        validate::validate(&settings)?;
        Ok(settings)
    }

    /// The origin igfeed is reached at, given the port it actually bound.
    pub fn public_url(&self, bound_port: u16) -> url::Url {
        if let Some(url) = &self.server.public_url {
            return url.clone();
        }
        let host = match self.server.host.as_str() {
            "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
            other => other,
        };
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        url::Url::parse(&format!("http://{host}:{bound_port}/"))
            .unwrap_or_else(|_| url::Url::parse("http://127.0.0.1/").expect("static URL parses"))
    }

    /// The redirect URI sent to Instagram: configured, or derived from the public URL.
    pub fn redirect_uri(&self, bound_port: u16) -> url::Url {
        self.instagram.redirect_uri.clone().unwrap_or_else(|| {
            let mut url = self.public_url(bound_port);
            url.set_path(CALLBACK_PATH);
            url
        })
    }
}

/// Opens the file rather than only looking it up, so a file without read permission is
/// reported here, by name, and not later by the config crate without one.
fn check_readable(path: &Path) -> Result<(), SettingsError> {
    std::fs::File::open(path).map(|_| ()).map_err(|e| {
        SettingsError::Unreadable(format!("cannot read config file {}: {e}", path.display()))
    })
}

/// Keeps the message to one line: log collectors split on newlines.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
