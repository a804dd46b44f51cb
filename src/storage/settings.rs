//! `[storage]`: the settings section storage reads, defined here so that storage needs nothing
//! from `config` (which composes every section into `Settings`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

/// Where igfeed keeps its state between restarts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    /// Where records live: the state directory, or a Redis several replicas share.
    #[serde(default)]
    pub backend: Backend,
    /// State directory: token, last good feed, media cache. With Redis, this replica's own
    /// media cache (records are in Redis).
    pub dir: PathBuf,
    /// 32-byte key (64 hex characters or base64) that encrypts the state at rest; required
    /// with Redis.
    pub encryption_key: Option<SecretString>,
    /// `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS); secret because it
    /// may carry the password.
    pub redis_url: Option<SecretString>,
    /// A file holding Redis's password (its first line), for URLs without one.
    pub redis_password_file: Option<PathBuf>,
    /// How long the refresher lease outlives its holder (Redis): another replica takes over
    /// within this and a third of it after the holder dies.
    #[serde(with = "humantime_serde", default = "default_lease_ttl")]
    pub lease_ttl: Duration,
}

fn default_lease_ttl() -> Duration {
    Duration::from_secs(15)
}

/// `storage.backend`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The state directory (`storage.dir`); one process.
    #[default]
    File,
    /// Redis (`storage.redis_url`), shared by several replicas.
    Redis,
}

impl StorageSettings {
    /// A file backend in `dir`, sealed with `key` when given (tests and tools).
    pub fn in_dir(dir: &Path, key: Option<&str>) -> Self {
        Self {
            backend: Backend::File,
            dir: dir.to_owned(),
            encryption_key: key.map(SecretString::from),
            redis_url: None,
            redis_password_file: None,
            lease_ttl: default_lease_ttl(),
        }
    }
}
