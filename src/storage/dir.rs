//! [`StateDir`]: named, versioned, optionally encrypted files written atomically.

use std::collections::HashMap;
use std::fmt;
use std::fs::DirBuilder;
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::Utc;
use secrecy::ExposeSecret as _;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::copy::COPY_DIR;
use super::lock::{DirLock, try_lock};
use super::redis::{Change, PutIf, Redis};
use super::settings::Backend;
use super::{EncryptionKey, StorageError, StorageSettings, envelope, files};

/// igfeed's state (`storage.*`): records (the token, snapshots, definitions…) in the state
/// directory or in Redis, and a local directory (media caches, the lock) either way. Cheap
/// to clone: clones share one key and one Redis pool.
///
/// All methods block (file I/O with fsync, or a Redis round trip: milliseconds); async
/// callers use `spawn_blocking`. Processes that write should hold [`StateDir::lock`] for as
/// long as they run, so that two writers never share one local directory.
#[derive(Clone)]
pub struct StateDir {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    /// Shared by the directory and its subdirectories ([`StateDir::subdir`]).
    key: Option<Arc<EncryptionKey>>,
    records: Records,
    /// Short-lived values of the file backend (with Redis they are keys there).
    scratch: Arc<Mutex<Scratch>>,
}

/// The file backend's short-lived values: key → (value, expiry).
type Scratch = HashMap<String, (Vec<u8>, Instant)>;

/// Where this directory's records live.
enum Records {
    /// Files in the directory itself.
    Files,
    /// Keys in Redis under `path` (`/`-terminated), which is `own` in `parent` (both empty
    /// for the root).
    Redis {
        redis: Arc<Redis>,
        path: String,
        parent: String,
        own: String,
    },
}

impl StateDir {
    /// Opens (creating with mode 0700 when missing) the directory and parses the key.
    ///
    /// Temp files of interrupted writes are removed here, but only when no other process
    /// holds the lock: a live igfeed's temp file may be a write in progress.
    /// With Redis, the key is required and the server must answer.
    pub fn open(settings: &StorageSettings) -> Result<Self, StorageError> {
        Self::open_with(settings, false)
    }

    /// [`StateDir::open`] for `igfeed serve`: with Redis, it keeps a local copy of every
    /// record in `storage.dir` (once it listens for [`StateDir::changes`]), and when Redis
    /// cannot be reached at the start but a whole copy of it is there, it starts on that copy
    /// — reads answered from it, writes refused — until Redis answers.
    pub fn open_serving(settings: &StorageSettings) -> Result<Self, StorageError> {
        Self::open_with(settings, true)
    }

    fn open_with(
        settings: &StorageSettings,
        may_start_on_copy: bool,
    ) -> Result<Self, StorageError> {
        let key = match &settings.encryption_key {
            Some(raw) => Some(Arc::new(
                EncryptionKey::parse(raw.expose_secret())
                    .map_err(|reason| StorageError::BadKey { reason })?,
            )),
            None => None,
        };
        let dir = settings.dir.clone();
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| StorageError::io(&dir, e))?;
        warn_if_shared(&dir);
        let records = match settings.backend {
            Backend::File => Records::Files,
            Backend::Redis => Records::Redis {
                redis: Arc::new(open_redis(settings, key.is_some(), may_start_on_copy)?),
                path: "/".into(),
                parent: String::new(),
                own: String::new(),
            },
        };
        let state = Self {
            inner: Arc::new(Inner {
                dir,
                key,
                records,
                scratch: Arc::default(),
            }),
        };
        match state.lock() {
            Ok(_lock) => {
                let removed = files::remove_stale_temps(state.path())?;
                if removed > 0 {
                    tracing::info!(removed, dir = %state.path().display(), "removed temp files of interrupted writes");
                }
            }
            Err(StorageError::Locked { .. }) => {}
            Err(e) => return Err(e),
        }
        Ok(state)
    }

    /// The local directory (with Redis, where this replica keeps its media caches).
    pub fn path(&self) -> &Path {
        &self.inner.dir
    }

    /// Whether files are encrypted at rest.
    pub fn is_encrypted(&self) -> bool {
        self.inner.key.is_some()
    }

    /// Whether the records are in Redis, shared with other replicas.
    pub fn is_shared(&self) -> bool {
        matches!(self.inner.records, Records::Redis { .. })
    }

    /// Why the shared records cannot be reached right now (Redis down or unreachable at the
    /// latest call); `None` when they can, and always with files.
    pub fn trouble(&self) -> Option<String> {
        match &self.inner.records {
            Records::Files => None,
            Records::Redis { redis, .. } => redis.trouble(),
        }
    }

    /// Other replicas' changes to records (see [`Change`]); `None` with the file backend,
    /// where this process is the only writer.
    pub fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<Change>> {
        match &self.inner.records {
            Records::Files => None,
            Records::Redis { redis, .. } => Some(redis.changes()),
        }
    }

    /// Keeps the short-lived `value` under `key` for `ttl` (an OAuth state in flight): with
    /// Redis every replica can take it, with files this process. Not a record: not sealed,
    /// not announced, gone after `ttl` or when taken; callers store digests, not secrets.
    pub fn put_scratch(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StorageError> {
        match &self.inner.records {
            Records::Redis { redis, .. } => redis.put_scratch(key, value, ttl),
            Records::Files => {
                let (now, mut scratch) = self.live_scratch();
                scratch.insert(key.to_owned(), (value.to_vec(), now + ttl));
                Ok(())
            }
        }
    }

    /// Keeps a mark under `key` for `ttl` unless one is there: whether this call set it
    /// (one replica wins; a Meta callback acted on once). [`StateDir::take_scratch`] lifts it.
    pub fn claim_scratch(&self, key: &str, ttl: Duration) -> Result<bool, StorageError> {
        match &self.inner.records {
            Records::Redis { redis, .. } => redis.claim_scratch(key, ttl),
            Records::Files => {
                let (now, mut scratch) = self.live_scratch();
                if scratch.contains_key(key) {
                    return Ok(false);
                }
                scratch.insert(key.to_owned(), (Vec::new(), now + ttl));
                Ok(true)
            }
        }
    }

    /// Counts one more under `key` (a failed login in this minute, on every replica): the
    /// count now, the first starting a `ttl` after which it is gone.
    pub fn count_scratch(&self, key: &str, ttl: Duration) -> Result<u64, StorageError> {
        match &self.inner.records {
            Records::Redis { redis, .. } => redis.count_scratch(key, ttl),
            Records::Files => {
                let (now, mut scratch) = self.live_scratch();
                let (value, _) = scratch
                    .entry(key.to_owned())
                    .or_insert_with(|| (0u64.to_le_bytes().to_vec(), now + ttl));
                let count = value
                    .as_slice()
                    .try_into()
                    .map_or(0, u64::from_le_bytes)
                    .saturating_add(1);
                *value = count.to_le_bytes().to_vec();
                Ok(count)
            }
        }
    }

    /// The file backend's short-lived values, those past their time dropped, and now.
    fn live_scratch(&self) -> (Instant, std::sync::MutexGuard<'_, Scratch>) {
        let now = Instant::now();
        let mut scratch = self
            .inner
            .scratch
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        scratch.retain(|_, (_, until)| *until > now);
        (now, scratch)
    }

    /// Takes what [`StateDir::put_scratch`] keeps under `key`, if it has not expired: once,
    /// whichever replica asks first.
    pub fn take_scratch(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        match &self.inner.records {
            Records::Redis { redis, .. } => redis.take_scratch(key),
            Records::Files => {
                let (_, mut scratch) = self.live_scratch();
                Ok(scratch.remove(key).map(|(value, _)| value))
            }
        }
    }

    /// Tells the other replicas `path` (from the root: `/renew/<account>/<ids>`) without
    /// storing anything; they hear it as a [`Change::Record`]. Nothing to tell with files.
    pub fn announce(&self, path: &str) -> Result<(), StorageError> {
        match &self.inner.records {
            Records::Files => Ok(()),
            Records::Redis { redis, .. } => redis.announce(path),
        }
    }

    /// Takes or keeps lease `name` of this directory for `ttl` (the replicas' refresher
    /// lease at the root; an account's token calls in its directory): its fencing token
    /// while this process holds it, `None` while another replica does. With the file
    /// backend this process is alone and always holds it.
    pub fn lease(&self, name: &str, ttl: Duration) -> Result<Option<u64>, StorageError> {
        match &self.inner.records {
            Records::Files => Ok(Some(1)),
            Records::Redis { redis, path, .. } => redis.lease(&lease_name(path, name), ttl),
        }
    }

    /// Lets lease `name` of this directory go if this process holds it.
    pub fn release(&self, name: &str) -> Result<(), StorageError> {
        match &self.inner.records {
            Records::Files => Ok(()),
            Records::Redis { redis, path, .. } => redis.release(&lease_name(path, name)),
        }
    }

    /// Takes the directory's exclusive lock without waiting; held while the [`DirLock`]
    /// lives. Fails with [`StorageError::Locked`] when another igfeed holds it.
    pub fn lock(&self) -> Result<DirLock, StorageError> {
        try_lock(self.path())
    }

    /// The stored bytes of record `name` holding `value`: its envelope, sealed when a key is
    /// configured.
    fn seal<T: Serialize>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, StorageError> {
        // written_at is for a human inspecting the record, so the real clock is the right one.
        envelope::encode(
            &self.file(name),
            name,
            value,
            self.inner.key.as_deref(),
            Utc::now(),
        )
    }

    /// Replaces file `name` with `value`, atomically and durably, readable only by igfeed's
    /// user (0600), encrypted when a key is configured.
    pub fn write<T: Serialize>(&self, name: &str, value: &T) -> Result<(), StorageError> {
        files::validate_name(name)?;
        let bytes = self.seal(name, value)?;
        match &self.inner.records {
            Records::Files => files::write_atomic(self.path(), name, &bytes),
            Records::Redis {
                redis,
                path,
                parent,
                own,
            } => match redis.put(path, name, &bytes, parent, own)? {
                true => Ok(()),
                false => Err(StorageError::Removed {
                    path: self.file(name).display().to_string(),
                }),
            },
        }
    }

    /// Reads file `name`: `Ok(None)` when it does not exist, an error naming the file when
    /// it cannot be read, decrypted or understood. A bad file is never deleted or rewritten
    /// here: what to do with it is the caller's (and often the operator's) decision.
    pub fn read<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, StorageError> {
        files::validate_name(name)?;
        let path = self.file(name);
        let bytes = match &self.inner.records {
            Records::Files => match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(StorageError::io(path, e)),
            },
            Records::Redis {
                redis, path: dir, ..
            } => match redis.get(&format!("{dir}{name}"))? {
                Some(bytes) => bytes,
                None => return Ok(None),
            },
        };
        let bytes = zeroize::Zeroizing::new(bytes);
        envelope::decode(&path, name, &bytes, self.inner.key.as_deref()).map(Some)
    }

    /// Reads record `name` with its [`Stamp`], for a later [`StateDir::write_if`].
    pub fn read_stamped<T: DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<(Option<T>, Stamp), StorageError> {
        files::validate_name(name)?;
        let path = self.file(name);
        let (bytes, stamp) = match &self.inner.records {
            Records::Files => match std::fs::read(&path) {
                Ok(bytes) => {
                    let stamp = file_stamp(&bytes);
                    (bytes, stamp)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Ok((None, Stamp::ABSENT));
                }
                Err(e) => return Err(StorageError::io(path, e)),
            },
            Records::Redis {
                redis, path: dir, ..
            } => match redis.get_stamped(&format!("{dir}{name}"))? {
                Some((bytes, stamp)) => (bytes, Stamp(stamp)),
                None => return Ok((None, Stamp::ABSENT)),
            },
        };
        let bytes = zeroize::Zeroizing::new(bytes);
        let value = envelope::decode(&path, name, &bytes, self.inner.key.as_deref())?;
        Ok((Some(value), stamp))
    }

    /// Replaces record `name` as [`StateDir::write`] does, but only if it still holds what
    /// `expected` was read from (compare-and-set: another replica may have written it
    /// since): the new stamp when written, `None` when it changed and nothing was written.
    pub fn write_if<T: Serialize>(
        &self,
        name: &str,
        value: &T,
        expected: &Stamp,
    ) -> Result<Option<Stamp>, StorageError> {
        files::validate_name(name)?;
        let bytes = self.seal(name, value)?;
        match &self.inner.records {
            Records::Files => {
                // One process owns the directory (its lock): serialising its own writers
                // makes the comparison and the write one step.
                let _one = FILE_CAS.lock().unwrap_or_else(PoisonError::into_inner);
                let held = match std::fs::read(self.file(name)) {
                    Ok(held) => file_stamp(&held),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Stamp::ABSENT,
                    Err(e) => return Err(StorageError::io(self.file(name), e)),
                };
                if held != *expected {
                    return Ok(None);
                }
                files::write_atomic(self.path(), name, &bytes)?;
                Ok(Some(file_stamp(&bytes)))
            }
            Records::Redis {
                redis,
                path,
                parent,
                own,
            } => match redis.put_if(path, name, &bytes, (parent, own), &expected.0)? {
                PutIf::Written(stamp) => Ok(Some(Stamp(stamp))),
                PutIf::Changed => Ok(None),
                PutIf::Removed => Err(StorageError::Removed {
                    path: self.file(name).display().to_string(),
                }),
            },
        }
    }

    /// Removes file `name` durably; nothing to do when it is absent.
    pub fn remove(&self, name: &str) -> Result<(), StorageError> {
        files::validate_name(name)?;
        match &self.inner.records {
            Records::Files => files::remove(self.path(), name),
            Records::Redis { redis, path, .. } => redis.delete(path, name),
        }
    }

    /// The directory `name` inside this one, created (0700) when missing, with the same key:
    /// each account keeps its files in its own. An envelope's authenticated data is its file
    /// name alone, so a file moved between directories (the upgrade to several accounts)
    /// stays readable.
    pub fn subdir(&self, name: &str) -> Result<StateDir, StorageError> {
        files::validate_name(name)?;
        let dir = self.inner.dir.join(name);
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| StorageError::io(&dir, e))?;
        let records = match &self.inner.records {
            Records::Files => Records::Files,
            Records::Redis { redis, path, .. } => {
                redis.add_dir(path, name)?;
                Records::Redis {
                    redis: Arc::clone(redis),
                    path: format!("{path}{name}/"),
                    parent: path.clone(),
                    own: name.to_owned(),
                }
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                dir,
                key: self.inner.key.clone(),
                records,
                scratch: Arc::clone(&self.inner.scratch),
            }),
        })
    }

    /// Subdirectory `name` when it exists, without creating it: a reader must not bring back
    /// a directory another replica is removing. (Its local side is created: it is this
    /// process's own.)
    pub fn existing_subdir(&self, name: &str) -> Result<Option<StateDir>, StorageError> {
        files::validate_name(name)?;
        let exists = match &self.inner.records {
            Records::Files => self.inner.dir.join(name).is_dir(),
            Records::Redis { redis, path, .. } => redis.has_dir(path, name)?,
        };
        if !exists {
            return Ok(None);
        }
        let dir = self.inner.dir.join(name);
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| StorageError::io(&dir, e))?;
        let records = match &self.inner.records {
            Records::Files => Records::Files,
            Records::Redis { redis, path, .. } => Records::Redis {
                redis: Arc::clone(redis),
                path: format!("{path}{name}/"),
                parent: path.clone(),
                own: name.to_owned(),
            },
        };
        Ok(Some(Self {
            inner: Arc::new(Inner {
                dir,
                key: self.inner.key.clone(),
                records,
                scratch: Arc::clone(&self.inner.scratch),
            }),
        }))
    }

    /// Names of the subdirectories present (not temp or hidden ones), sorted.
    pub fn subdirs(&self) -> Result<Vec<String>, StorageError> {
        if let Records::Redis { redis, path, .. } = &self.inner.records {
            let mut names = redis.dirs(path)?;
            names.retain(|name| files::validate_name(name).is_ok());
            names.sort();
            return Ok(names);
        }
        let path = self.path();
        let mut names = Vec::new();
        for entry in std::fs::read_dir(path).map_err(|e| StorageError::io(path, e))? {
            let entry = entry.map_err(|e| StorageError::io(path, e))?;
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if let (true, Some(name)) = (is_dir, entry.file_name().to_str())
                && files::validate_name(name).is_ok()
            {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Deletes temp files interrupted writes left here; returns how many. Only for the
    /// process holding the lock (another's temp file may be a write in progress).
    pub fn remove_stale_temps(&self) -> Result<usize, StorageError> {
        files::remove_stale_temps(self.path())
    }

    /// Whether record or directory `name` exists here (with Redis: is stored there; a
    /// failure to ask counts as absent — where that matters, use [`StateDir::try_contains`]).
    pub fn contains(&self, name: &str) -> bool {
        self.try_contains(name).unwrap_or(false)
    }

    /// Whether record or directory `name` exists here, or why that cannot be told.
    pub fn try_contains(&self, name: &str) -> Result<bool, StorageError> {
        files::validate_name(name)?;
        match &self.inner.records {
            Records::Files => Ok(self.inner.dir.join(name).exists()),
            Records::Redis { redis, path, .. } => {
                Ok(redis.exists(&format!("{path}{name}"))? || redis.has_dir(path, name)?)
            }
        }
    }

    /// Moves file or directory `name` from here into `target` under the same name, durably
    /// (one rename: a crash leaves it in one place or the other). Returns whether there was
    /// anything to move; an existing `target/name` is left alone and the source kept.
    ///
    /// With Redis, a record moves inside Redis and a directory (the media cache) locally.
    pub fn move_into(&self, name: &str, target: &StateDir) -> Result<bool, StorageError> {
        files::validate_name(name)?;
        if let (Records::Redis { redis, path, .. }, Records::Redis { path: to, .. }) =
            (&self.inner.records, &target.inner.records)
            && redis.rename(path, name, to)?
        {
            return Ok(true);
        }
        let (from, to) = (self.inner.dir.join(name), target.inner.dir.join(name));
        if !from.exists() || to.exists() {
            return Ok(false);
        }
        std::fs::rename(&from, &to).map_err(|e| StorageError::io(&to, e))?;
        files::sync_dir(target.path())?;
        files::sync_dir(self.path())?;
        Ok(true)
    }

    /// Removes subdirectory `name` with everything in it, durably; nothing to do when absent.
    pub fn remove_subdir(&self, name: &str) -> Result<(), StorageError> {
        files::validate_name(name)?;
        if let Records::Redis { redis, path, .. } = &self.inner.records {
            redis.delete_dir(path, name)?;
        }
        let dir = self.inner.dir.join(name);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => files::sync_dir(self.path()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::io(dir, e)),
        }
    }

    /// Where record `name` is, as messages name it: its file, or `redis:` and its key's path.
    fn file(&self, name: &str) -> PathBuf {
        match &self.inner.records {
            Records::Files => self.inner.dir.join(name),
            Records::Redis { path, .. } => PathBuf::from(format!("redis:{path}{name}")),
        }
    }
}

impl fmt::Debug for StateDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateDir")
            .field("dir", &self.inner.dir)
            .field("encrypted", &self.is_encrypted())
            .field("shared", &self.is_shared())
            .finish()
    }
}

/// What a record held when it was read (a digest of its stored bytes, which differ at every
/// write: a fresh nonce, a new time), for compare-and-set writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp(String);

impl Stamp {
    /// The stamp of a record that does not exist.
    pub const ABSENT: Stamp = Stamp(String::new());
}

/// A lease's name in Redis: `refresher` at the root, `accounts/<id>/calls` in a directory.
fn lease_name(path: &str, name: &str) -> String {
    format!("{}{name}", path.trim_start_matches('/'))
}

/// Serialises compare-and-set writes to files within this process (the only writer).
static FILE_CAS: Mutex<()> = Mutex::new(());

fn file_stamp(bytes: &[u8]) -> Stamp {
    Stamp(igfeed_base::secret::hex(&igfeed_base::secret::sha256(
        bytes,
    )))
}

/// Connects to `storage.redis_url`, which needs the key: records shared over the network
/// are sealed, whatever Redis's own access rules.
fn open_redis(
    settings: &StorageSettings,
    has_key: bool,
    may_start_on_copy: bool,
) -> Result<Redis, StorageError> {
    if !has_key {
        return Err(StorageError::BadSetting {
            setting: "storage.encryption_key",
            reason: "is required with storage.backend = \"redis\"".into(),
        });
    }
    let url = settings
        .redis_url
        .as_ref()
        .ok_or_else(|| StorageError::BadSetting {
            setting: "storage.redis_url",
            reason: "is required with storage.backend = \"redis\"".into(),
        })?;
    Redis::connect(
        url,
        settings.redis_password_file.as_deref(),
        &settings.dir.join(COPY_DIR),
        may_start_on_copy,
    )
}

/// Files are 0600 anyway, but a directory others can list or write deserves a word: the
/// operator may have pointed igfeed at a shared place by mistake. The mode of an existing
/// directory is the operator's choice, so igfeed does not change it.
fn warn_if_shared(dir: &Path) {
    if let Ok(meta) = std::fs::metadata(dir)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            dir = %dir.display(),
            mode = format!("{:o}", meta.permissions().mode() & 0o777),
            "storage dir is accessible to other users; consider chmod 700"
        );
    }
}
