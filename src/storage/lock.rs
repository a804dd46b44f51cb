//! The exclusive lock that keeps two igfeed processes from writing one state directory.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use super::StorageError;

/// Name of the lock file inside the state directory.
pub(crate) const LOCK_FILE: &str = ".lock";

/// Proof that this process holds the state directory's lock; dropping it releases the lock.
///
/// The operating system releases the lock when the process dies, however it dies, so a
/// crash never leaves the directory locked. The lock file itself stays: deleting it would
/// let two processes lock two different files of the same name.
#[derive(Debug)]
pub struct DirLock {
    // Held only to keep the lock: closing the file releases it.
    _file: File,
    path: PathBuf,
}

impl DirLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Takes the lock on `dir` without waiting: a second igfeed should refuse at once, with a
/// message, rather than hang.
pub(crate) fn try_lock(dir: &Path) -> Result<DirLock, StorageError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|e| StorageError::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(DirLock { _file: file, path }),
        Err(TryLockError::WouldBlock) => Err(StorageError::Locked {
            dir: dir.to_owned(),
            lock_file: path,
        }),
        Err(TryLockError::Error(e)) => Err(StorageError::io(path, e)),
    }
}
