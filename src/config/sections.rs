//! The settings sections, one struct per `[section]` of the TOML file.
//!
//! Every struct denies unknown fields so that a typo (`refesh_interval`) stops startup instead
//! of silently running on a default.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use super::units::byte_size;
use crate::telemetry::LogFormat;

/// Where igfeed listens and how it is reached from outside.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to bind; `0.0.0.0` in containers.
    pub host: String,
    /// Port to bind; 0 picks a free one (tests).
    pub port: u16,
    /// The origin visitors and Instagram reach igfeed at; defaults to `http://host:port`.
    pub public_url: Option<url::Url>,
    /// How long a graceful shutdown waits for in-flight requests.
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
    /// Reverse proxies (IP addresses or CIDR ranges) whose `X-Forwarded-For` is believed.
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub trusted_proxies: Vec<String>,
    /// Connections served at once, across all worker threads; further clients wait in the
    /// kernel's accept queue, so a flood cannot exhaust igfeed's file descriptors.
    pub max_connections: usize,
    /// Time a request body has to arrive in full, counted from the end of its head: bodies
    /// igfeed reads are small forms, and one sent a byte at a time would otherwise hold its
    /// connection forever (408).
    #[serde(with = "humantime_serde")]
    pub body_timeout: Duration,
    /// Largest total size of a request's header fields (431 above it); actix reads heads of
    /// up to 128 KiB, so this is the limit that matters.
    #[serde(deserialize_with = "byte_size")]
    pub max_header_bytes: u64,
}

/// Access to `/admin`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSettings {
    /// The admin secret in clear; belongs in the environment, not in a file.
    pub password: Option<SecretString>,
    /// The admin secret as an argon2 PHC hash (`$argon2id$…`), instead of `password`.
    pub password_hash: Option<SecretString>,
    /// How long an admin login lasts.
    #[serde(with = "humantime_serde")]
    pub session_lifetime: Duration,
    /// Failed logins allowed per client address per minute before 429 (also failed admin
    /// API requests, counted apart).
    pub login_attempts_per_minute: u32,
    /// Bearer token of the admin API (`/api/v1/…`); unset, the API is off (404).
    pub api_token: Option<SecretString>,
}

/// Warnings sent to the owner.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    /// Receives a JSON POST for each alert (needs reconnect, token expiring, feed stale).
    pub webhook_url: Option<url::Url>,
    /// How often alert conditions are evaluated.
    #[serde(with = "humantime_serde")]
    pub check_interval: Duration,
}

/// Feeds' rebuild hooks (`hooks` in a feed definition).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookSettings {
    /// Changes within this long after the first one are sent as one call.
    #[serde(with = "humantime_serde")]
    pub debounce: Duration,
    /// Wait before the first retry of a failed call, doubled for each further one (five
    /// attempts in all).
    #[serde(with = "humantime_serde")]
    pub retry_delay: Duration,
}

/// Everything about talking to Instagram.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstagramSettings {
    /// The *Instagram* app id (App Dashboard → Instagram → API setup with Instagram login).
    pub app_id: Option<String>,
    /// The *Instagram* app secret.
    pub app_secret: Option<SecretString>,
    /// The OAuth redirect URI registered with Meta; defaults to `public_url` + the callback path.
    pub redirect_uri: Option<url::Url>,
    /// Where the owner's browser is sent to approve access.
    pub authorize_url: url::Url,
    /// Host of the code exchange (`/oauth/access_token`).
    pub api_base: url::Url,
    /// Host of token exchange/refresh and of the Graph reads.
    pub graph_base: url::Url,
    /// Graph API version in the read paths, e.g. `v23.0`.
    pub graph_version: String,
    /// A token obtained by hand, imported on first start.
    pub access_token: Option<SecretString>,
    /// Extra PEM certificate authority to trust (a TLS-intercepting proxy, or the sandbox).
    pub extra_ca_file: Option<PathBuf>,
    /// Time allowed to open a connection to Instagram.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// Time allowed for one whole request to Instagram.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Attempts per call when Instagram fails transiently (1 = no retry).
    pub retry_attempts: u32,
    /// First backoff delay; doubled per attempt, with jitter.
    #[serde(with = "humantime_serde")]
    pub retry_base_delay: Duration,
    /// Upper bound of one backoff delay.
    #[serde(with = "humantime_serde")]
    pub retry_max_delay: Duration,
}

/// The Instagram accounts igfeed may hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    /// Accounts that may be connected at once: each has its own snapshot, refresher and
    /// media budgets, so this bounds memory, disk and Instagram calls.
    pub max: usize,
}

/// The feed igfeed keeps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSettings {
    /// How often Instagram is polled for new posts.
    #[serde(with = "humantime_serde")]
    pub refresh_interval: Duration,
    /// How many of the newest posts are kept (Instagram pages hold at most 100).
    pub max_posts: usize,
    /// `Cache-Control: max-age` of `/feed.json`.
    #[serde(with = "humantime_serde")]
    pub cache_max_age: Duration,
}

/// The long-lived token's upkeep.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    /// Refresh the token once it is this old (Instagram refuses before 24 h).
    #[serde(with = "humantime_serde")]
    pub refresh_after: Duration,
    /// How often the refresher checks whether the token is due.
    #[serde(with = "humantime_serde")]
    pub check_interval: Duration,
}

/// Cross-origin access to the public endpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSettings {
    /// Origins allowed to read `/feed.json` from a browser; `["*"]` allows any. The environment
    /// form takes a comma-separated list.
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub allowed_origins: Vec<String>,
}

/// Operator access.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsSettings {
    /// Bearer token that unlocks `/readyz` details and `/metrics` from other hosts.
    pub token: Option<SecretString>,
}

/// Log output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `pretty` for a terminal, `json` for log collectors.
    pub format: LogFormat,
}

/// Accepts a TOML list or, as environment variables can only carry strings, `"a,b"`.
pub(super) fn list_or_comma_separated<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Joined(String),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::List(list) => list,
        Raw::Joined(joined) => joined
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}
