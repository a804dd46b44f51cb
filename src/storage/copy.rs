//! A replica's local copy of the shared records (`storage.backend = "redis"`), in
//! `<storage.dir>/redis-copy/`: the sealed bytes of every record this replica read or wrote,
//! one file per record at its path (`accounts/<id>/credentials.json`). While Redis cannot be
//! reached, reads are answered from it, so a replica (re)started during an outage serves what
//! it last knew instead of refusing to start. It is never written to Redis: Redis stays the
//! truth, and the copy catches up with every successful read.
//!
//! Files are written atomically with mode 0600 (the records are sealed anyway: the key is
//! required with Redis). A directory Redis no longer lists is removed here when its parent is
//! listed, so an account disconnected on another replica leaves no copy behind.

use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};

use super::files;

/// The copy's directory inside `storage.dir`.
pub const COPY_DIR: &str = "redis-copy";

/// Written once the copy holds what a first successful read brought: without it, an empty
/// or half-made copy is not taken for the truth.
const MARKER: &str = "copy-of-redis";

/// The local copy rooted at `root`. Every method is best effort on writes (a full disk
/// costs the copy, never the call that Redis answered) and exact on reads.
pub struct LocalCopy {
    root: PathBuf,
}

impl LocalCopy {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// Whether the copy was ever made: only then may it answer for Redis.
    pub fn exists(&self) -> bool {
        self.root.join(MARKER).is_file()
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

    /// Keeps `bytes` as record `path` (or forgets it when `None`), unless already so.
    pub fn keep(&self, path: &str, bytes: Option<&[u8]>) {
        let Some(local) = self.local(path) else {
            return;
        };
        let kept = match bytes {
            Some(bytes) => {
                if fs::read(&local).is_ok_and(|held| held == bytes) {
                    return;
                }
                local.parent().is_some_and(make_dir)
                    && files::write_file_atomically(&local, bytes, 0o600).is_ok()
            }
            None => match fs::remove_file(&local) {
                Ok(()) => true,
                Err(e) => e.kind() == ErrorKind::NotFound,
            },
        };
        if !kept {
            tracing::warn!(
                record = path,
                "could not update the local copy of a shared record"
            );
        } else if !self.exists() {
            let _ = make_dir(&self.root)
                && files::write_file_atomically(&self.root.join(MARKER), b"", 0o600).is_ok();
        }
    }

    /// Record `path` as last kept.
    pub fn get(&self, path: &str) -> Option<Vec<u8>> {
        fs::read(self.local(path)?).ok()
    }

    /// Whether record `path` is kept.
    pub fn has(&self, path: &str) -> bool {
        self.local(path).is_some_and(|local| local.is_file())
    }

    /// Whether directory `name` of directory `dir` is kept.
    pub fn has_dir(&self, dir: &str, name: &str) -> bool {
        self.local(dir)
            .is_some_and(|local| local.join(name).is_dir())
    }

    /// The subdirectories kept in `dir`.
    pub fn dirs(&self, dir: &str) -> Vec<String> {
        let Some(local) = self.local(dir) else {
            return Vec::new();
        };
        let Ok(entries) = fs::read_dir(local) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
            .filter(|name| files::validate_name(name).is_ok())
            .collect()
    }

    /// Keeps directory `name` of `dir` (listed in Redis).
    pub fn add_dir(&self, dir: &str, name: &str) {
        if let Some(local) = self.local(&format!("{dir}{name}/")) {
            make_dir(&local);
        }
    }

    /// Forgets directory `name` of `dir` and everything in it.
    pub fn remove_dir(&self, dir: &str, name: &str) {
        if let Some(local) = self.local(&format!("{dir}{name}/"))
            && let Err(e) = fs::remove_dir_all(&local)
            && e.kind() != ErrorKind::NotFound
        {
            tracing::warn!(dir = %format!("{dir}{name}/"), "could not update the local copy of a shared directory");
        }
    }

    /// Forgets the subdirectories of `dir` that Redis no longer lists (`listed`).
    pub fn prune_dirs(&self, dir: &str, listed: &[String]) {
        for kept in self.dirs(dir) {
            if !listed.contains(&kept) {
                self.remove_dir(dir, &kept);
            }
        }
    }

    /// Moves record `name` of `from` into `to`, as Redis did (a record never kept here is
    /// kept at the next read).
    pub fn rename(&self, from: &str, name: &str, to: &str) {
        if let Some(moved) = self.get(&format!("{from}{name}")) {
            self.keep(&format!("{to}{name}"), Some(&moved));
            self.keep(&format!("{from}{name}"), None);
        }
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
