//! The disk level of the media cache: one file per image under `storage.dir/media`, written
//! atomically (temp file + rename), bounded by `media.disk_budget` with the least recently
//! used file removed first. Everything here is disposable: a missing or damaged file only
//! means one more download.
//!
//! Blocking file I/O: async callers use `spawn_blocking`.

use std::collections::HashMap;
use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use actix_web::web::Bytes;

use super::rendition::{Header, read_header};

const SUFFIX: &str = ".img";
const TEMP_MARK: &str = ".tmp-";
/// Enough to hold any header igfeed writes.
const HEADER_PREFIX: usize = 16 * 1024;

/// Files and their recency; the mutex also orders evictions against writes.
pub struct DiskCache {
    dir: PathBuf,
    budget: u64,
    index: Mutex<Index>,
}

#[derive(Default)]
struct Index {
    entries: HashMap<String, Entry>,
    total: u64,
    tick: u64,
}

struct Entry {
    bytes: u64,
    used: u64,
}

impl DiskCache {
    /// Indexes what an earlier run left (oldest modification time = least recently used),
    /// removes interrupted writes, and returns the headers found so sizes can be published.
    pub fn open(dir: PathBuf, budget: u64) -> (DiskCache, Vec<(String, Header)>) {
        let mut found = Vec::new();
        if let Ok(listing) = fs::read_dir(&dir) {
            for entry in listing.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                if name.contains(TEMP_MARK) {
                    let _ = fs::remove_file(&path);
                    continue;
                }
                let Some(key) = name.strip_suffix(SUFFIX).filter(|k| valid_key(k)) else {
                    continue;
                };
                let Ok(meta) = entry.metadata() else { continue };
                let header = read_prefix(&path).and_then(|p| read_header(&p));
                match header {
                    Some(header) => {
                        let modified = meta.modified().ok();
                        found.push((key.to_owned(), meta.len(), modified, header));
                    }
                    None => {
                        let _ = fs::remove_file(&path);
                    }
                }
            }
        }
        found.sort_by_key(|(_, _, modified, _)| *modified);
        let mut index = Index::default();
        let mut headers = Vec::new();
        for (key, bytes, _, header) in found {
            index.tick += 1;
            index.total += bytes;
            index.entries.insert(
                key.clone(),
                Entry {
                    bytes,
                    used: index.tick,
                },
            );
            headers.push((key, header));
        }
        let cache = DiskCache {
            dir,
            budget,
            index: Mutex::new(index),
        };
        let evicted = cache.evict_to(budget, None);
        headers.retain(|(key, _)| !evicted.contains(key));
        (cache, headers)
    }

    /// The file for `key`, marked as just used.
    pub fn read(&self, key: &str) -> Option<Bytes> {
        if !valid_key(key) {
            return None;
        }
        let path = self.path(key);
        let bytes = fs::read(&path).ok()?;
        if let Ok(mut index) = self.index.lock() {
            index.tick += 1;
            let tick = index.tick;
            if let Some(entry) = index.entries.get_mut(key) {
                entry.used = tick;
            }
        }
        // Keeps the recency across restarts; failure only makes eviction order rougher.
        if let Ok(file) = fs::File::options().write(true).open(&path) {
            let _ = file.set_modified(std::time::SystemTime::now());
        }
        Some(Bytes::from(bytes))
    }

    /// Stores `bytes` as `key` atomically, then removes least recently used files until the
    /// budget holds. A file larger than the whole budget is not stored at all.
    pub fn write(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        let len = bytes.len() as u64;
        if !valid_key(key) || len > self.budget {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)?;
        let temp = self
            .dir
            .join(format!(".{key}{TEMP_MARK}{:016x}", rand::random::<u64>()));
        let written = fs::File::create_new(&temp)
            .and_then(|mut file| file.write_all(bytes))
            .and_then(|()| fs::rename(&temp, self.path(key)));
        if let Err(error) = written {
            let _ = fs::remove_file(&temp);
            return Err(error);
        }
        if let Ok(mut index) = self.index.lock() {
            index.tick += 1;
            let used = index.tick;
            if let Some(old) = index
                .entries
                .insert(key.to_owned(), Entry { bytes: len, used })
            {
                index.total -= old.bytes;
            }
            index.total += len;
        }
        self.evict_to(self.budget, Some(key));
        Ok(())
    }

    /// Removes every file whose key `keep` rejects (images of posts that left the feed).
    pub fn retain(&self, keep: impl Fn(&str) -> bool) -> usize {
        let doomed: Vec<String> = match self.index.lock() {
            Ok(index) => index.entries.keys().filter(|k| !keep(k)).cloned().collect(),
            Err(_) => return 0,
        };
        for key in &doomed {
            self.remove(key);
        }
        doomed.len()
    }

    /// Removes one file.
    pub fn remove(&self, key: &str) {
        if let Ok(mut index) = self.index.lock()
            && let Some(old) = index.entries.remove(key)
        {
            index.total -= old.bytes;
        }
        let _ = fs::remove_file(self.path(key));
    }

    /// Removes every file (disconnect, data deletion).
    pub fn clear(&self) {
        if let Ok(mut index) = self.index.lock() {
            *index = Index::default();
        }
        if let Ok(listing) = fs::read_dir(&self.dir) {
            for entry in listing.flatten() {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// Bytes on disk now.
    pub fn total(&self) -> u64 {
        self.index.lock().map(|i| i.total).unwrap_or(0)
    }

    fn evict_to(&self, budget: u64, keep: Option<&str>) -> Vec<String> {
        let mut evicted = Vec::new();
        let Ok(mut index) = self.index.lock() else {
            return evicted;
        };
        while index.total > budget {
            let victim = index
                .entries
                .iter()
                .filter(|(k, _)| Some(k.as_str()) != keep)
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone());
            let Some(victim) = victim else { break };
            if let Some(old) = index.entries.remove(&victim) {
                index.total -= old.bytes;
            }
            let _ = fs::remove_file(self.path(&victim));
            evicted.push(victim);
        }
        evicted
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}{SUFFIX}"))
    }
}

/// The file of `key` in the cache directory `dir`, read without marking it used: for readers
/// outside the running service (`igfeed export`), which must not reorder its evictions.
pub fn read_file(dir: &Path, key: &str) -> Option<Bytes> {
    if !valid_key(key) {
        return None;
    }
    fs::read(dir.join(format!("{key}{SUFFIX}")))
        .ok()
        .map(Bytes::from)
}

/// Keys come from [`super::key::Target::key`]; anything else never becomes a file name.
fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn read_prefix(path: &Path) -> Option<Vec<u8>> {
    let mut prefix = Vec::with_capacity(HEADER_PREFIX);
    fs::File::open(path)
        .ok()?
        .take(HEADER_PREFIX as u64)
        .read_to_end(&mut prefix)
        .ok()?;
    Some(prefix)
}

#[cfg(test)]
mod tests;
