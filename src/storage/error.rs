//! What can go wrong with the state directory, worded for the operator who has to fix it.

use std::path::PathBuf;

/// A state-directory failure; Display is one line that names the file and what to do.
///
/// No variant ever carries file contents or key material, so every message is safe to log.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// Another igfeed process holds the directory lock.
    #[error(
        "storage dir {} is in use by another igfeed process (lock file {}); stop it first",
        .dir.display(),
        .lock_file.display()
    )]
    Locked {
        /// The state directory.
        dir: PathBuf,
        /// The lock file inside it.
        lock_file: PathBuf,
    },
    /// The operating system refused a file operation.
    #[error("cannot access {}: {source}; check that igfeed may read and write the storage dir", .path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file exists but cannot be understood; igfeed leaves it exactly as it is.
    #[error(
        "{} is damaged ({reason}); igfeed will not overwrite it: restore it from a backup, or move it away to start over",
        .path.display()
    )]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong with it, without its contents.
        reason: String,
    },
    /// The file was written by a newer igfeed in a format this one does not know.
    #[error(
        "{} has format {found}, but this igfeed reads only format {supported}: run a newer igfeed, or restore a backup",
        .path.display()
    )]
    UnsupportedFormat {
        /// The file concerned.
        path: PathBuf,
        /// The format version found in it.
        found: u64,
        /// The format version this build writes and reads.
        supported: u64,
    },
    /// The file is encrypted and cannot be decrypted with the configured key (or without one).
    #[error("cannot decrypt {}: {reason}", .path.display())]
    Crypto {
        /// The encrypted file.
        path: PathBuf,
        /// Why, and what to check.
        reason: String,
    },
    /// A key is configured but the file is stored in clear: reading it anyway would hide a
    /// misconfiguration (and writing over it would silently change what is on disk).
    #[error(
        "{} is not encrypted but storage.encryption_key is set: unset the key to keep using it, or move the file away to start over",
        .path.display()
    )]
    NotEncrypted {
        /// The clear-text file.
        path: PathBuf,
    },
    /// A value could not be turned into file contents (serialisation or encryption failed).
    #[error("cannot write {}: {reason}", .path.display())]
    Encode {
        /// The file that was to be written.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `storage.encryption_key` is not a valid key.
    #[error("storage.encryption_key is invalid: {reason}")]
    BadKey {
        /// What a valid key looks like (never the value given).
        reason: String,
    },
    /// Redis (`storage.backend = "redis"`) could not be reached or refused a command.
    #[error(
        "Redis at {address} (storage.redis_url) failed while {what}: {reason}; {}",
        if *.password_refused {
            "check the password (in storage.redis_url or storage.redis_password_file)"
        } else {
            "check that it runs and igfeed may reach it"
        }
    )]
    Redis {
        /// `host:port`, never the URL (it may hold the password).
        address: String,
        /// The record or step concerned.
        what: String,
        /// What Redis or the connection said.
        reason: String,
        /// Whether Redis refused the password (a setting to fix, not an outage to wait out).
        password_refused: bool,
        /// Whether Redis could not be reached or is not ready (an outage to wait out).
        unreachable: bool,
    },
    /// A storage setting cannot be used (the check needs the network or a file, so it
    /// happens when storage opens rather than when settings load).
    #[error("{setting} {reason}")]
    BadSetting {
        /// The setting, dotted.
        setting: &'static str,
        /// What is wrong, never its value.
        reason: String,
    },
    /// A record was written into a directory that was removed meanwhile (its account
    /// disconnected, perhaps by another replica): the write is refused, so nothing of the
    /// account comes back.
    #[error("{path} was not written: its directory was removed (the account was disconnected)")]
    Removed {
        /// The record concerned.
        path: String,
    },
    /// A compare-and-set write found the record changed since it was read (another replica
    /// wrote it): nothing was written, and the newer value is kept.
    #[error("{path} was not written: another replica changed it meanwhile, and its value is kept")]
    Changed {
        /// The record concerned.
        path: String,
    },
    /// A caller asked for a file name the state directory does not allow (a bug, not an
    /// operator error: names are constants in the code).
    #[error("invalid state file name {name:?}: {reason}")]
    InvalidName {
        /// The rejected name.
        name: String,
        /// Why it is rejected.
        reason: &'static str,
    },
}

impl StorageError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
