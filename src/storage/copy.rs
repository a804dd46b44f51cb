//! A serving replica's local copy of the shared records (`storage.backend = "redis"`), in
//! `<storage.dir>/redis-copy/`: the sealed bytes of every record in Redis, one file per
//! record at its path (`accounts/<id>/credentials.json`), so that a replica (re)started
//! while Redis cannot be reached serves what it last knew instead of refusing to start.
//!
//! One thread writes it: the change listener (redis.rs), which copies everything after each
//! subscription and then each record named on the changes channel, in the order Redis made
//! the changes, so the copy never goes back in time and a record removed from Redis (an
//! account disconnected on any replica) leaves it. The copy is only read while this replica
//! started on it and Redis has not answered yet; then Redis is the truth again.
//!
//! Files are written atomically with mode 0600 in directories of mode 0700 (the records are
//! sealed anyway: the key is required with Redis). A marker names the Redis server and
//! database the copy was made from, and is written only once a whole copy was made, so a
//! half-made copy, or one of another Redis, is never served.

use std::collections::HashSet;
use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};

use super::files;

/// The copy's directory inside `storage.dir`.
pub const COPY_DIR: &str = "redis-copy";

/// Holds the Redis (`host:port/db`) a whole copy was made of.
const MARKER: &str = ".copy-of";

/// The local copy rooted at `root`, of the Redis `source` (`host:port/db`). Writes are best
/// effort (a full disk costs the copy, never a call Redis answered); reads are exact.
pub struct LocalCopy {
    root: PathBuf,
    source: String,
}

impl LocalCopy {
    pub fn new(root: PathBuf, source: String) -> Self {
        Self { root, source }
    }

    /// Whether a whole copy of this Redis was made: only then may it answer for Redis.
    pub fn is_whole(&self) -> bool {
        fs::read(self.root.join(MARKER)).is_ok_and(|held| held == self.source.as_bytes())
    }

    /// Where record or directory `path` (`/accounts/<id>/credentials.json`, or `/accounts/`)
    /// is kept; `None` for a path with a component no record name may have.
    fn local(&self, path: &str) -> Option<PathBuf> {
        let mut local = self.root.clone();
        for part in path.split('/').filter(|part| !part.is_empty()) {
            files::validate_name(part).ok()?;
            local.push(part);
        }
        Some(local)
    }

    /// Keeps `bytes` as record `path`, or forgets it (and directories it leaves empty) when
    /// `None`; whether the copy now says so.
    pub fn keep(&self, path: &str, bytes: Option<&[u8]>) -> bool {
        let Some(local) = self.local(path) else {
            return true;
        };
        match bytes {
            Some(bytes) => {
                if fs::read(&local).is_ok_and(|held| held == bytes) {
                    return true;
                }
                local.parent().is_some_and(make_dir)
                    && files::write_file_atomically(&local, bytes, 0o600).is_ok()
            }
            None => match fs::remove_file(&local) {
                Ok(()) => {
                    self.remove_empty_parents(&local);
                    true
                }
                Err(e) => e.kind() == ErrorKind::NotFound,
            },
        }
    }

    /// Removes the directories above `file` that are left empty, up to the copy's root.
    fn remove_empty_parents(&self, file: &Path) {
        let mut dir = file.parent();
        while let Some(current) = dir.filter(|d| *d != self.root && d.starts_with(&self.root)) {
            // Fails (and stops) at the first directory still holding something.
            if fs::remove_dir(current).is_err() {
                return;
            }
            dir = current.parent();
        }
    }

    /// Makes the copy hold exactly `records` (path → bytes, as Redis holds them), then marks
    /// it whole; whether it could.
    pub fn replace_all(&self, records: &[(String, Vec<u8>)]) -> bool {
        // Unmarked first: a copy interrupted half-way is not whole.
        let _ = fs::remove_file(self.root.join(MARKER));
        let mut kept = HashSet::new();
        for (path, bytes) in records {
            if !self.keep(path, Some(bytes)) {
                return false;
            }
            if let Some(local) = self.local(path) {
                kept.insert(local);
            }
        }
        for file in self.files() {
            if !kept.contains(&file) && fs::remove_file(&file).is_ok() {
                self.remove_empty_parents(&file);
            }
        }
        make_dir(&self.root)
            && files::write_file_atomically(&self.root.join(MARKER), self.source.as_bytes(), 0o600)
                .is_ok()
    }

    /// Every record file in the copy (not the marker, not temp files).
    fn files(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut dirs = vec![self.root.clone()];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                if name
                    .to_str()
                    .is_none_or(|n| files::validate_name(n).is_err())
                {
                    continue;
                }
                match entry.file_type() {
                    Ok(t) if t.is_dir() => dirs.push(entry.path()),
                    Ok(t) if t.is_file() => found.push(entry.path()),
                    _ => {}
                }
            }
        }
        found
    }

    /// Record `path` as last copied.
    pub fn get(&self, path: &str) -> Option<Vec<u8>> {
        fs::read(self.local(path)?).ok()
    }

    /// Whether record `path` was copied.
    pub fn has(&self, path: &str) -> bool {
        self.local(path).is_some_and(|local| local.is_file())
    }

    /// Whether directory `name` of directory `dir` was copied (holds a record).
    pub fn has_dir(&self, dir: &str, name: &str) -> bool {
        self.local(&format!("{dir}{name}/"))
            .is_some_and(|local| local.is_dir())
    }

    /// The subdirectories copied in `dir`.
    pub fn dirs(&self, dir: &str) -> Vec<String> {
        let Some(entries) = self.local(dir).and_then(|local| fs::read_dir(local).ok()) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
            .filter(|name| files::validate_name(name).is_ok())
            .collect()
    }
}

/// Creates `dir` (0700) with its parents; whether it exists now.
fn make_dir(dir: &Path) -> bool {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .is_ok()
}
