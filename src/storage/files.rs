//! File-system steps that make a write atomic and durable: a private temp file, fsync,
//! rename over the target, fsync the directory.
//!
//! A process killed at any instant leaves either the old file or the new one under the
//! target name (rename is atomic), plus at worst a stray temp file that the next
//! [`StateDir::open`](super::StateDir::open) removes.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use super::StorageError;

/// Marks igfeed's temp files: `.<name>.tmp-<random>`.
const TEMP_MARK: &str = ".tmp-";

/// Accepts only plain file names, so no caller can reach outside the state directory or
/// collide with the lock file and temp files (which start with a dot).
pub fn validate_name(name: &str) -> Result<(), StorageError> {
    let reason = if name.is_empty() {
        Some("empty")
    } else if name.contains(['/', '\\', '\0']) {
        Some("contains a path separator")
    } else if name.starts_with('.') {
        Some("starts with a dot (reserved for lock and temp files)")
    } else if name.len() > 200 {
        Some("longer than 200 bytes")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(StorageError::InvalidName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Replaces `dir/name` with `bytes` atomically and durably; the file is created 0600.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
    // Created private: the token must never be readable by others, not even briefly.
    write_file_atomically(&dir.join(name), bytes, 0o600)
}

/// Replaces `target` with `bytes` atomically and durably, as a file of `mode`: a reader (a
/// restart, a static-site build) sees the old file or the new one, never half of one.
pub fn write_file_atomically(target: &Path, bytes: &[u8], mode: u32) -> Result<(), StorageError> {
    let name = target
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| StorageError::InvalidName {
            name: target.display().to_string(),
            reason: "names no file",
        })?;
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temp = dir.join(format!(".{name}{TEMP_MARK}{:016x}", rand::random::<u64>()));
    let result = write_then_rename(&temp, target, bytes, mode);
    if result.is_err() {
        // Best effort: a leftover temp file is harmless and removed by the next open.
        let _ = fs::remove_file(&temp);
    }
    result?;
    sync_dir(dir)
}

fn write_then_rename(
    temp: &Path,
    target: &Path,
    bytes: &[u8],
    mode: u32,
) -> Result<(), StorageError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(temp)
        .map_err(|e| StorageError::io(temp, e))?;
    file.write_all(bytes)
        .map_err(|e| StorageError::io(temp, e))?;
    // Without this fsync, a power cut after the rename can leave an empty file in its place.
    file.sync_all().map_err(|e| StorageError::io(temp, e))?;
    drop(file);
    fs::rename(temp, target).map_err(|e| StorageError::io(target, e))
}

/// Removes `dir/name` if present, durably.
pub fn remove(dir: &Path, name: &str) -> Result<(), StorageError> {
    let path = dir.join(name);
    match fs::remove_file(&path) {
        Ok(()) => sync_dir(dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StorageError::io(path, e)),
    }
}

/// Persists the directory entry changes (rename, unlink) themselves.
pub fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StorageError::io(dir, e))
}

/// Deletes temp files left by writes that were interrupted; returns how many.
///
/// Only call this while holding the directory lock: another process's temp file may be a
/// write in progress.
pub fn remove_stale_temps(dir: &Path) -> Result<usize, StorageError> {
    let mut removed = 0;
    for entry in fs::read_dir(dir).map_err(|e| StorageError::io(dir, e))? {
        let entry = entry.map_err(|e| StorageError::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_temp(name) {
            let path = entry.path();
            match fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StorageError::io(path, e)),
            }
        }
    }
    if removed > 0 {
        sync_dir(dir)?;
    }
    Ok(removed)
}

/// Whether `name` is one of igfeed's temp files.
fn is_temp(name: &str) -> bool {
    name.starts_with('.') && name.contains(TEMP_MARK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_accepted() {
        for good in ["credentials.json", "feed-snapshot.json", "a"] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        let long = "x".repeat(201);
        for bad in [
            "", "a/b", "../x", "/abs", "a\\b", ".lock", ".x.tmp-1", "nul\0", &long,
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn temp_names_are_recognised() {
        assert!(is_temp(".credentials.json.tmp-00ff"));
        assert!(!is_temp("credentials.json"));
        assert!(!is_temp(".lock"));
    }
}
