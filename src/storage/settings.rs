//! `[storage]`: the settings section storage reads, defined here so that storage needs nothing
//! from `config` (which composes every section into `Settings`).

use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

/// Where igfeed keeps its state between restarts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    /// State directory: token, last good feed, media cache.
    pub dir: PathBuf,
    /// 32-byte key (64 hex characters or base64) that encrypts the state at rest.
    pub encryption_key: Option<SecretString>,
}
