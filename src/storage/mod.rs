//! The state (`storage.*`): where igfeed keeps what must survive a restart — records in the
//! state directory (`storage.dir`) or in Redis (`storage.backend = "redis"`, several replicas
//! sharing them; redis.rs), media caches in the local directory either way.
//!
//! Every record is a versioned JSON envelope written atomically (temp file, fsync, rename,
//! fsync the directory) with mode 0600, optionally sealed with XChaCha20-Poly1305. A process
//! killed at any instant leaves the old or the new file, never a broken one; a file that is
//! broken anyway (disk trouble, a hand edit) is reported, never silently replaced.

mod copy;
mod dir;
mod envelope;
mod error;
mod files;
mod key;
mod lock;
mod redis;
mod settings;

pub use dir::{Stamp, StateDir};
pub use envelope::FORMAT;
pub use error::StorageError;
pub use files::write_file_atomically;
pub use key::EncryptionKey;
pub use lock::DirLock;
pub use redis::{CHANGES_CHANNEL, Change};
pub use settings::{Backend, StorageSettings};

/// Runs blocking state-directory work (a write with fsync, a removal) on tokio's blocking
/// pool, so an async caller never stalls a worker thread. If the task itself fails (a panic,
/// or the runtime shutting down), the error names `file`.
pub async fn run_blocking<T: Send + 'static>(
    file: &str,
    work: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, StorageError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StorageError::Io {
            path: file.into(),
            source: std::io::Error::other(e),
        })?
}

#[cfg(test)]
mod damage_tests;
#[cfg(test)]
mod tests;
