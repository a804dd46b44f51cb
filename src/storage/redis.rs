//! The Redis backend (`storage.backend = "redis"`): the same records as the state directory,
//! as keys several igfeed replicas share.
//!
//! ```text
//! igfeed:record:/accounts/<id>/credentials.json   one record: the same envelope bytes a file
//!                                                 holds (sealed: the key is required here)
//! igfeed:files:/accounts/<id>/                    the names of a directory's records
//! igfeed:dirs:/accounts/                          the names of a directory's subdirectories
//! igfeed:changed                                  channel: the path of every record written
//!                                                 or removed, for replicas holding it in memory
//! ```
//! Every change is one Lua script, so it is atomic with its bookkeeping and its message; a
//! write into a directory another replica removed (an account disconnected there) fails
//! instead of bringing the account's records back. Scripts touch keys they compute, which
//! standalone Redis (and Sentinel) allow; Redis Cluster does not, and is not supported.
//!
//! A serving replica's change listener also keeps a local copy of every record (copy.rs),
//! which a replica started while Redis cannot be reached serves from until Redis answers.
//!
//! The client is the blocking one: every storage call already runs on a blocking thread.
//! Connections are pooled; one that fails is dropped and the call retried once on a new one
//! (a Redis restart closes them all).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use redis::{Connection, IntoConnectionInfo as _, RedisResult};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::broadcast;

use super::StorageError;
use super::copy::LocalCopy;

/// Every key igfeed writes starts with this.
pub(crate) const PREFIX: &str = "igfeed:";
/// The channel every change is announced on.
pub const CHANGES_CHANNEL: &str = "igfeed:changed";
/// How long a connection attempt or a command may take: Redis answers in microseconds, so
/// anything slower is an outage, and the caller (a blocking thread) must not hang on it.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Idle connections kept for reuse.
const POOL: usize = 8;

// Every script's last argument is the writer's origin, announced before each path ("origin
// path") so a replica can tell its own changes from others'.

/// SET a record, list it in its directory, announce it; refused (0) when the directory was
/// removed from its parent. KEYS: none (computed); ARGV: directory, name, bytes, parent,
/// the directory's name in its parent ("" for the root), origin.
const WRITE: &str = r"
local p, dir, name, parent, own, by = 'igfeed:', ARGV[1], ARGV[2], ARGV[4], ARGV[5], ARGV[6]
if own ~= '' and redis.call('SISMEMBER', p..'dirs:'..parent, own) == 0 then return 0 end
redis.call('SET', p..'record:'..dir..name, ARGV[3])
redis.call('SADD', p..'files:'..dir, name)
redis.call('PUBLISH', p..'changed', by..' '..dir..name)
return 1";

/// WRITE, only when the record's SHA-1 is still ARGV[7] ("" for absent): {1, new SHA-1}
/// when written, {0} when the directory was removed, {-1} when the record changed.
const WRITE_IF: &str = r"
local p, dir, name, parent, own, by = 'igfeed:', ARGV[1], ARGV[2], ARGV[4], ARGV[5], ARGV[6]
local held = redis.call('GET', p..'record:'..dir..name)
local stamp = ''
if held then stamp = redis.sha1hex(held) end
if stamp ~= ARGV[7] then return {-1} end
if own ~= '' and redis.call('SISMEMBER', p..'dirs:'..parent, own) == 0 then return {0} end
redis.call('SET', p..'record:'..dir..name, ARGV[3])
redis.call('SADD', p..'files:'..dir, name)
redis.call('PUBLISH', p..'changed', by..' '..dir..name)
return {1, redis.sha1hex(ARGV[3])}";

/// GET with the value's SHA-1: {value, sha1}, or {} when absent. ARGV: the record's path.
const GET_STAMPED: &str = r"
local held = redis.call('GET', 'igfeed:record:'..ARGV[1])
if not held then return {} end
return {held, redis.sha1hex(held)}";

/// DEL a record and its listing, announce it. ARGV: directory, name, origin.
const REMOVE: &str = r"
local p, dir, name = 'igfeed:', ARGV[1], ARGV[2]
if redis.call('DEL', p..'record:'..dir..name) == 1 then
  redis.call('SREM', p..'files:'..dir, name)
  redis.call('PUBLISH', p..'changed', ARGV[3]..' '..dir..name)
end
return 1";

/// Removes directory ARGV[1]..ARGV[2]..'/' with everything under it, and its listing in
/// ARGV[1]; announces each record removed. ARGV[3]: origin.
const REMOVE_DIR: &str = r"
local p = 'igfeed:'
local function drop(dir)
  for _, name in ipairs(redis.call('SMEMBERS', p..'files:'..dir)) do
    redis.call('DEL', p..'record:'..dir..name)
    redis.call('PUBLISH', p..'changed', ARGV[3]..' '..dir..name)
  end
  for _, sub in ipairs(redis.call('SMEMBERS', p..'dirs:'..dir)) do drop(dir..sub..'/') end
  redis.call('DEL', p..'files:'..dir, p..'dirs:'..dir)
end
drop(ARGV[1]..ARGV[2]..'/')
redis.call('SREM', p..'dirs:'..ARGV[1], ARGV[2])
return 1";

/// Moves record ARGV[2] from directory ARGV[1] to ARGV[3] unless the target exists: 1 when
/// moved, 0 when there was nothing to move or the target was kept. ARGV[4]: origin.
const MOVE: &str = r"
local p, from, name, to, by = 'igfeed:', ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', p..'record:'..from..name) == 0 then return 0 end
if redis.call('EXISTS', p..'record:'..to..name) == 1 then return 0 end
redis.call('RENAME', p..'record:'..from..name, p..'record:'..to..name)
redis.call('SREM', p..'files:'..from, name)
redis.call('SADD', p..'files:'..to, name)
redis.call('PUBLISH', p..'changed', by..' '..from..name)
redis.call('PUBLISH', p..'changed', by..' '..to..name)
return 1";

/// Takes or keeps lease KEYS[1] for ARGV[1] (this process) for ARGV[2] ms: the fencing
/// token (a number that grows with every new holder) while held, 0 when another holds it.
const LEASE: &str = r"
local held = redis.call('GET', KEYS[1])
if held == false then
  local fence = redis.call('INCR', KEYS[1]..':fence')
  redis.call('SET', KEYS[1], ARGV[1]..' '..fence, 'PX', ARGV[2])
  return fence
end
local holder, fence = string.match(held, '^(%S+) (%d+)$')
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(fence)
end
return 0";

/// INCR KEYS[1], starting its expiry (ARGV[1] ms) at the first count.
const COUNT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n";

/// Lets lease KEYS[1] go if ARGV[1] holds it.
const RELEASE: &str = r"
local held = redis.call('GET', KEYS[1])
if held and string.match(held, '^(%S+) ') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1";

/// A Redis server igfeed keeps its records in, with a small pool of connections.
pub struct Redis {
    client: redis::Client,
    /// `host:port`, for messages (never the URL: it may hold the password).
    address: String,
    idle: Mutex<Vec<Connection>>,
    /// This process among the replicas: random, new at every start.
    origin: String,
    /// Other replicas' changes, once someone listens ([`Redis::changes`]).
    changes: OnceLock<broadcast::Sender<Change>>,
    /// Tells the listener thread to end: set when this storage is dropped.
    stop: Arc<AtomicBool>,
    /// What went wrong with the latest call that failed for want of Redis, until one works
    /// again (`/readyz` says `degraded` meanwhile).
    trouble: Mutex<Option<String>>,
    /// Every record as the change listener last saw it (kept by serving replicas).
    copy: Arc<LocalCopy>,
    /// Started on the copy, Redis not having answered since: reads are answered from it.
    offline: AtomicBool,
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// What a compare-and-set write did.
pub enum PutIf {
    /// Written; the record's new stamp.
    Written(String),
    /// Not written: the record changed since it was read.
    Changed,
    /// Not written: its directory was removed.
    Removed,
}

/// A change another replica made, as [`Redis::changes`] hears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Record `path` (`/accounts/<id>/credentials.json`) was written or removed.
    Record(String),
    /// Messages may have been missed (the subscription was down, or a periodic look):
    /// whoever holds records in memory reads them all again.
    Resync,
}

impl Redis {
    /// Parses `storage.redis_url` (the password from `password_file` when the URL has
    /// none) and checks that the server answers — or, when `may_start_on_copy` (a serving
    /// replica, whose listener keeps a copy in `copy_dir`), that it cannot be reached but a
    /// whole copy of it is there, to serve from until it answers. Errors never repeat the URL.
    pub fn connect(
        url: &SecretString,
        password_file: Option<&Path>,
        copy_dir: &Path,
        may_start_on_copy: bool,
    ) -> Result<Self, StorageError> {
        let bad_url = |reason: String| StorageError::BadSetting {
            setting: "storage.redis_url",
            reason,
        };
        let raw = url.expose_secret();
        if !(raw.starts_with("redis://") || raw.starts_with("rediss://")) {
            return Err(bad_url(
                "must start with redis:// or rediss:// (TLS)".into(),
            ));
        }
        let mut info = raw
            .into_connection_info()
            .map_err(|e| bad_url(format!("is not a valid Redis URL ({})", e.category())))?;
        if let Some(path) = password_file {
            let password = read_password(path)?;
            if info.redis_settings().password().is_some() {
                return Err(StorageError::BadSetting {
                    setting: "storage.redis_password_file",
                    reason: "storage.redis_url already has a password: set one or the other".into(),
                });
            }
            let settings = info
                .redis_settings()
                .clone()
                .set_password(password.expose_secret());
            info = info.set_redis_settings(settings);
        }
        let address = info.addr().to_string();
        let source = format!("{address}/{}", info.redis_settings().db());
        let client = redis::Client::open(info).map_err(|e| bad_url(e.category().into()))?;
        let redis = Self {
            client,
            address,
            idle: Mutex::new(Vec::new()),
            origin: format!("{:016x}", rand::random::<u64>()),
            changes: OnceLock::new(),
            stop: Arc::new(AtomicBool::new(false)),
            trouble: Mutex::new(None),
            copy: Arc::new(LocalCopy::new(copy_dir.to_owned(), source)),
            offline: AtomicBool::new(false),
        };
        match redis.call("connecting", |c| redis::cmd("PING").query::<String>(c)) {
            Ok(_) => Ok(redis),
            // Only an outage is served around: a refused password or a wrong setting is
            // for the operator to fix, at once.
            Err(
                error @ StorageError::Redis {
                    unreachable: true, ..
                },
            ) if may_start_on_copy && redis.copy.is_whole() => {
                tracing::warn!(%error, "Redis cannot be reached: serving the local copy of the shared records until it answers");
                redis.offline.store(true, Ordering::Relaxed);
                Ok(redis)
            }
            Err(error) => Err(error),
        }
    }

    /// `result`, or, while this replica runs on its copy (started during an outage, Redis
    /// silent since), what `copy` finds there.
    fn or_copy<T>(
        &self,
        result: Result<T, StorageError>,
        copy: impl FnOnce(&LocalCopy) -> T,
    ) -> Result<T, StorageError> {
        match result {
            Err(StorageError::Redis { .. }) if self.offline.load(Ordering::Relaxed) => {
                Ok(copy(&self.copy))
            }
            other => other,
        }
    }

    /// The record at `path` (a directory's path and a name), if any.
    pub fn get(&self, path: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let held = self.call(path, |c| {
            redis::cmd("GET")
                .arg(format!("{PREFIX}record:{path}"))
                .query(c)
        });
        self.or_copy(held, |copy| copy.get(path))
    }

    /// Whether record `path` exists.
    pub fn exists(&self, path: &str) -> Result<bool, StorageError> {
        let exists = self.call(path, |c| {
            redis::cmd("EXISTS")
                .arg(format!("{PREFIX}record:{path}"))
                .query(c)
        });
        self.or_copy(exists, |copy| copy.has(path))
    }

    /// Writes record `name` in `dir` (`/`-terminated), which is `own` in `parent`; `false`
    /// when `dir` was removed meanwhile.
    pub fn put(
        &self,
        dir: &str,
        name: &str,
        bytes: &[u8],
        parent: &str,
        own: &str,
    ) -> Result<bool, StorageError> {
        let done: i64 = self.call(&format!("{dir}{name}"), |c| {
            script(
                WRITE,
                &[
                    dir.as_bytes(),
                    name.as_bytes(),
                    bytes,
                    parent.as_bytes(),
                    own.as_bytes(),
                    self.origin.as_bytes(),
                ],
            )
            .query(c)
        })?;
        Ok(done == 1)
    }

    /// The record at `path` with the SHA-1 of its bytes (what [`Redis::put_if`] compares).
    /// From the local copy, the stamp is one no record has: a write based on it is refused
    /// as a change, and its writer reads again.
    pub fn get_stamped(&self, path: &str) -> Result<Option<(Vec<u8>, String)>, StorageError> {
        let reply = self
            .call(path, |c| {
                script(GET_STAMPED, &[path.as_bytes()]).query::<Vec<Vec<u8>>>(c)
            })
            .map(|reply| {
                let mut reply = reply.into_iter();
                match (reply.next(), reply.next()) {
                    (Some(bytes), Some(stamp)) => {
                        Some((bytes, String::from_utf8_lossy(&stamp).into_owned()))
                    }
                    _ => None,
                }
            });
        self.or_copy(reply, |copy| {
            copy.get(path).map(|bytes| (bytes, "local-copy".to_owned()))
        })
    }

    /// [`Redis::put`], only when the record's SHA-1 is still `expected` ("" for absent).
    pub fn put_if(
        &self,
        dir: &str,
        name: &str,
        bytes: &[u8],
        (parent, own): (&str, &str),
        expected: &str,
    ) -> Result<PutIf, StorageError> {
        let reply: Vec<redis::Value> = self.call(&format!("{dir}{name}"), |c| {
            script(
                WRITE_IF,
                &[
                    dir.as_bytes(),
                    name.as_bytes(),
                    bytes,
                    parent.as_bytes(),
                    own.as_bytes(),
                    self.origin.as_bytes(),
                    expected.as_bytes(),
                ],
            )
            .query(c)
        })?;
        let code = reply
            .first()
            .and_then(|v| redis::from_redis_value_ref::<i64>(v).ok());
        let stamp = reply
            .get(1)
            .and_then(|v| redis::from_redis_value_ref::<String>(v).ok());
        Ok(match (code, stamp) {
            (Some(1), Some(stamp)) => PutIf::Written(stamp),
            (Some(-1), _) => PutIf::Changed,
            _ => PutIf::Removed,
        })
    }

    /// Removes record `name` from `dir`.
    pub fn delete(&self, dir: &str, name: &str) -> Result<(), StorageError> {
        self.call(&format!("{dir}{name}"), |c| {
            script(
                REMOVE,
                &[dir.as_bytes(), name.as_bytes(), self.origin.as_bytes()],
            )
            .query::<i64>(c)
        })
        .map(drop)
    }

    /// Lists directory `name` in `dir`. While running on the copy, one the copy holds counts
    /// as listed (its records can be read, not written).
    pub fn add_dir(&self, dir: &str, name: &str) -> Result<(), StorageError> {
        let added = self.call(&format!("{dir}{name}/"), |c| {
            redis::cmd("SADD")
                .arg(format!("{PREFIX}dirs:{dir}"))
                .arg(name)
                .query::<i64>(c)
        });
        match added {
            Err(StorageError::Redis { .. })
                if self.offline.load(Ordering::Relaxed) && self.copy.has_dir(dir, name) =>
            {
                Ok(())
            }
            other => other.map(drop),
        }
    }

    /// Whether directory `name` is listed in `dir`.
    pub fn has_dir(&self, dir: &str, name: &str) -> Result<bool, StorageError> {
        let listed = self.call(&format!("{dir}{name}/"), |c| {
            redis::cmd("SISMEMBER")
                .arg(format!("{PREFIX}dirs:{dir}"))
                .arg(name)
                .query(c)
        });
        self.or_copy(listed, |copy| copy.has_dir(dir, name))
    }

    /// The subdirectories listed in `dir`.
    pub fn dirs(&self, dir: &str) -> Result<Vec<String>, StorageError> {
        let listed = self.call(dir, |c| {
            redis::cmd("SMEMBERS")
                .arg(format!("{PREFIX}dirs:{dir}"))
                .query(c)
        });
        self.or_copy(listed, |copy| copy.dirs(dir))
    }

    /// Removes directory `name` of `dir` and everything under it.
    pub fn delete_dir(&self, dir: &str, name: &str) -> Result<(), StorageError> {
        self.call(&format!("{dir}{name}/"), |c| {
            script(
                REMOVE_DIR,
                &[dir.as_bytes(), name.as_bytes(), self.origin.as_bytes()],
            )
            .query::<i64>(c)
        })
        .map(drop)
    }

    /// Moves record `name` from `from` to `to` unless `to` has one; whether it moved.
    pub fn rename(&self, from: &str, name: &str, to: &str) -> Result<bool, StorageError> {
        let moved: i64 = self.call(&format!("{from}{name}"), |c| {
            script(
                MOVE,
                &[
                    from.as_bytes(),
                    name.as_bytes(),
                    to.as_bytes(),
                    self.origin.as_bytes(),
                ],
            )
            .query(c)
        })?;
        Ok(moved == 1)
    }

    /// Keeps `value` under scratch key `key` for `ttl`.
    pub fn put_scratch(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StorageError> {
        let ms = millis(ttl);
        self.call(key, |c| {
            redis::cmd("SET")
                .arg(format!("{PREFIX}scratch:{key}"))
                .arg(value)
                .arg("PX")
                .arg(ms)
                .query::<()>(c)
        })
    }

    /// Sets scratch key `key` for `ttl` unless it exists (SET NX): whether this call set it.
    pub fn claim_scratch(&self, key: &str, ttl: Duration) -> Result<bool, StorageError> {
        let ms = millis(ttl);
        let set: Option<String> = self.call(key, |c| {
            redis::cmd("SET")
                .arg(format!("{PREFIX}scratch:{key}"))
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(ms)
                .query(c)
        })?;
        Ok(set.is_some())
    }

    /// Counts one more under scratch key `key` (INCR; the first count starts its `ttl`).
    pub fn count_scratch(&self, key: &str, ttl: Duration) -> Result<u64, StorageError> {
        let ms = millis(ttl);
        self.call(key, |c| {
            redis::cmd("EVAL")
                .arg(COUNT)
                .arg(1)
                .arg(format!("{PREFIX}scratch:{key}"))
                .arg(ms)
                .query(c)
        })
    }

    /// Takes scratch key `key` (GETDEL: one taker wins).
    pub fn take_scratch(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.call(key, |c| {
            redis::cmd("GETDEL")
                .arg(format!("{PREFIX}scratch:{key}"))
                .query(c)
        })
    }

    /// Announces `path` on the changes channel without a record behind it (a request to
    /// the lease holder, such as CDN URLs to renew).
    pub fn announce(&self, path: &str) -> Result<(), StorageError> {
        self.call(path, |c| {
            redis::cmd("PUBLISH")
                .arg(CHANGES_CHANNEL)
                .arg(format!("{} {path}", self.origin))
                .query::<i64>(c)
        })
        .map(drop)
    }

    /// Takes or keeps lease `name` for `ttl`: its fencing token while this process holds
    /// it, `None` while another does.
    pub fn lease(&self, name: &str, ttl: Duration) -> Result<Option<u64>, StorageError> {
        let key = format!("{PREFIX}lease:{name}");
        let ms = millis(ttl);
        let fence: u64 = self.call(&format!("the {name} lease"), |c| {
            redis::cmd("EVAL")
                .arg(LEASE)
                .arg(1)
                .arg(&key)
                .arg(&self.origin)
                .arg(ms)
                .query(c)
        })?;
        Ok((fence > 0).then_some(fence))
    }

    /// Lets lease `name` go, if this process holds it (a clean stop hands over at once).
    pub fn release(&self, name: &str) -> Result<(), StorageError> {
        let key = format!("{PREFIX}lease:{name}");
        self.call(&format!("the {name} lease"), |c| {
            redis::cmd("EVAL")
                .arg(RELEASE)
                .arg(1)
                .arg(&key)
                .arg(&self.origin)
                .query::<i64>(c)
        })
        .map(drop)
    }

    /// Other replicas' changes. The first call starts a thread that listens on
    /// [`CHANGES_CHANNEL`] (reconnecting after an outage, then announcing a
    /// [`Change::Resync`]) until this storage is dropped.
    pub fn changes(&self) -> broadcast::Receiver<Change> {
        self.changes
            .get_or_init(|| {
                let (sender, _) = broadcast::channel(256);
                let (client, origin) = (self.client.clone(), self.origin.clone());
                let (listening, stop) = (sender.clone(), Arc::clone(&self.stop));
                let copy = Arc::clone(&self.copy);
                std::thread::Builder::new()
                    .name("igfeed-redis-changes".into())
                    .spawn(move || listen(&client, &origin, &listening, &stop, &copy))
                    .expect("a thread starts");
                sender
            })
            .subscribe()
    }

    /// Runs `f` on a pooled connection, or on a fresh one when the pooled one has gone
    /// stale (Redis restarted, an idle timeout). `what` names the record for errors.
    fn call<T>(
        &self,
        what: &str,
        mut f: impl FnMut(&mut Connection) -> RedisResult<T>,
    ) -> Result<T, StorageError> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some(mut connection) = pooled {
            match f(&mut connection) {
                Ok(value) => return Ok(self.reuse(connection, value)),
                // Only a connection found dead is worth a second try: after a timeout the
                // command may have run (a GETDEL taken, a write made), and after Redis's
                // own error a fresh connection would get the same.
                Err(e) if !is_transport(&e) || e.is_timeout() => return Err(self.failed(what, e)),
                Err(_) => {}
            }
        }
        let mut connection = self.open().map_err(|e| self.failed(what, e))?;
        match f(&mut connection) {
            Ok(value) => Ok(self.reuse(connection, value)),
            Err(e) => Err(self.failed(what, e)),
        }
    }

    /// Why Redis could not be reached by the latest call, if it could not.
    pub fn trouble(&self) -> Option<String> {
        self.trouble
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Puts `connection` back in the pool (when there is room) and passes `value` on.
    fn reuse<T>(&self, connection: Connection, value: T) -> T {
        *self.trouble.lock().unwrap_or_else(PoisonError::into_inner) = None;
        if self.offline.swap(false, Ordering::Relaxed) {
            tracing::info!("Redis answers: reading the shared records from it again");
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < POOL {
            idle.push(connection);
        }
        value
    }

    fn open(&self) -> RedisResult<Connection> {
        let connection = self.client.get_connection_with_timeout(TIMEOUT)?;
        connection.set_read_timeout(Some(TIMEOUT))?;
        connection.set_write_timeout(Some(TIMEOUT))?;
        Ok(connection)
    }

    fn failed(&self, what: &str, error: redis::RedisError) -> StorageError {
        // Unreachable, or refusing (READONLY, LOADING, MISCONF, OOM, NOAUTH): degraded
        // either way until a call works again.
        *self.trouble.lock().unwrap_or_else(PoisonError::into_inner) = Some(describe(&error));
        StorageError::Redis {
            address: self.address.clone(),
            what: what.to_owned(),
            reason: describe(&error),
            password_refused: error.kind() == redis::ErrorKind::AuthenticationFailed
                || matches!(error.code(), Some("NOAUTH" | "WRONGPASS")),
            unreachable: is_transport(&error)
                || matches!(
                    error.code(),
                    Some("LOADING" | "MASTERDOWN" | "BUSY" | "TRYAGAIN")
                ),
        }
    }
}

/// How long the listener waits for a message before checking that someone still listens.
const LISTEN_TICK: Duration = Duration::from_millis(500);
/// How often the listener checks that its connection is alive.
const LISTEN_PING: Duration = Duration::from_secs(5);
/// How often the listener sends a resync anyway: the safety net under pub/sub, which
/// drops messages for a subscriber that was briefly away.
const SAFETY_NET: Duration = Duration::from_secs(30);

/// The listener thread of [`Redis::changes`]: forwards other origins' paths until `stop`;
/// after a lost connection, reconnects (every [`LISTEN_TICK`]) and sends a resync.
fn listen(
    client: &redis::Client,
    origin: &str,
    sender: &broadcast::Sender<Change>,
    stop: &AtomicBool,
    copy: &LocalCopy,
) {
    while !stop.load(Ordering::Relaxed) {
        let connection = client.get_connection_with_timeout(TIMEOUT).and_then(|c| {
            c.set_read_timeout(Some(LISTEN_TICK))?;
            c.set_write_timeout(Some(TIMEOUT))?;
            Ok(c)
        });
        // A second connection, for the records the copy takes.
        let reading = client.get_connection_with_timeout(TIMEOUT).and_then(|c| {
            c.set_read_timeout(Some(TIMEOUT))?;
            c.set_write_timeout(Some(TIMEOUT))?;
            Ok(c)
        });
        let (Ok(mut connection), Ok(mut reading)) = (connection, reading) else {
            std::thread::sleep(LISTEN_TICK);
            continue;
        };
        let mut pubsub = connection.as_pubsub();
        if pubsub.subscribe(CHANGES_CHANNEL).is_err() {
            std::thread::sleep(LISTEN_TICK);
            continue;
        }
        // Subscribed first: a change made while copying is heard, and copied again after.
        if let Err(error) = copy_all(&mut reading, copy) {
            tracing::warn!(%error, "could not copy the shared records locally; trying again");
            std::thread::sleep(LISTEN_TICK);
            continue;
        }
        // Also after the first subscription: what changed between reading the records and
        // subscribing would be missed until the safety net.
        let _ = sender.send(Change::Resync);
        let (mut last_resync, mut last_ping) = (Instant::now(), Instant::now());
        while !stop.load(Ordering::Relaxed) {
            if last_resync.elapsed() >= SAFETY_NET {
                last_resync = Instant::now();
                let _ = sender.send(Change::Resync);
            }
            // A connection the network dropped without a word looks like a quiet channel:
            // asking proves it alive (messages arriving meanwhile are kept).
            if last_ping.elapsed() >= LISTEN_PING {
                last_ping = Instant::now();
                if pubsub.ping::<redis::Value>().is_err() {
                    break;
                }
            }
            match pubsub.get_message() {
                Ok(message) => {
                    let payload: String = message.get_payload().unwrap_or_default();
                    let Some((by, path)) = payload.split_once(' ') else {
                        continue;
                    };
                    if by != origin {
                        let _ = sender.send(Change::Record(path.to_owned()));
                    }
                    // This replica's own changes too: the copy follows Redis in its order.
                    if !copy_one(&mut reading, copy, path) {
                        break;
                    }
                }
                Err(e) if e.is_timeout() => {}
                Err(_) => break,
            }
        }
    }
}

/// Makes `copy` hold every record Redis holds (and nothing else).
fn copy_all(connection: &mut Connection, copy: &LocalCopy) -> RedisResult<()> {
    let pattern = format!("{PREFIX}record:*");
    let keys: Vec<String> = redis::cmd("SCAN")
        .arg(0)
        .arg("MATCH")
        .arg(&pattern)
        .arg("COUNT")
        .arg(1000)
        .clone()
        .iter(connection)?
        .collect::<RedisResult<_>>()?;
    let mut records = Vec::with_capacity(keys.len());
    for key in keys {
        let Some(path) = key
            .strip_prefix(&format!("{PREFIX}record:"))
            .map(str::to_owned)
        else {
            continue;
        };
        // Removed since the scan: not copied.
        if let Some(bytes) = redis::cmd("GET")
            .arg(&key)
            .query::<Option<Vec<u8>>>(connection)?
        {
            records.push((path, bytes));
        }
    }
    if !copy.replace_all(&records) {
        tracing::warn!("could not write the local copy of the shared records");
    }
    Ok(())
}

/// Copies record `path` as Redis holds it now (or forgets it); whether Redis answered.
/// Paths that name no record (a request to the lease holder) read as absent: nothing kept.
fn copy_one(connection: &mut Connection, copy: &LocalCopy, path: &str) -> bool {
    let held = redis::cmd("GET")
        .arg(format!("{PREFIX}record:{path}"))
        .query::<Option<Vec<u8>>>(connection);
    match held {
        Ok(held) => {
            if !copy.keep(path, held.as_deref()) {
                tracing::warn!(
                    record = path,
                    "could not update the local copy of a shared record"
                );
            }
            true
        }
        Err(_) => false,
    }
}

/// Whether `error` is the connection's fault rather than Redis's answer.
fn is_transport(error: &redis::RedisError) -> bool {
    error.is_io_error() || error.is_connection_dropped() || error.is_timeout()
}

/// `ttl` in whole milliseconds, at least one (Redis refuses a zero expiry).
fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// An EVAL of `source` with no declared keys and `args`.
fn script(source: &str, args: &[&[u8]]) -> redis::Cmd {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(source).arg(0);
    for arg in args {
        cmd.arg(*arg);
    }
    cmd
}

/// What went wrong, in words safe to log: redis-rs keeps the URL (and so the password) out
/// of its errors, which carry the kind and Redis's own message.
fn describe(error: &redis::RedisError) -> String {
    error.to_string()
}

/// The first line of `path`, without its line break.
fn read_password(path: &Path) -> Result<SecretString, StorageError> {
    let content = std::fs::read_to_string(path).map_err(|e| StorageError::BadSetting {
        setting: "storage.redis_password_file",
        reason: format!("cannot be read ({})", e.kind()),
    })?;
    let line = content.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(StorageError::BadSetting {
            setting: "storage.redis_password_file",
            reason: "the file is empty".into(),
        });
    }
    Ok(SecretString::from(line.to_owned()))
}
