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
//! The client is the blocking one: every storage call already runs on a blocking thread.
//! Connections are pooled; one that fails is dropped and the call retried once on a new one
//! (a Redis restart closes them all).

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::{Connection, IntoConnectionInfo as _, RedisResult};
use secrecy::{ExposeSecret as _, SecretString};

use super::StorageError;

/// Every key igfeed writes starts with this.
pub(crate) const PREFIX: &str = "igfeed:";
/// The channel every change is announced on.
pub const CHANGES_CHANNEL: &str = "igfeed:changed";
/// How long a connection attempt or a command may take: Redis answers in microseconds, so
/// anything slower is an outage, and the caller (a blocking thread) must not hang on it.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Idle connections kept for reuse.
const POOL: usize = 8;

/// SET a record, list it in its directory, announce it; refused (0) when the directory was
/// removed from its parent. KEYS: none (computed); ARGV: directory, name, bytes, parent,
/// the directory's name in its parent ("" for the root).
const WRITE: &str = r"
local p, dir, name, parent, own = 'igfeed:', ARGV[1], ARGV[2], ARGV[4], ARGV[5]
if own ~= '' and redis.call('SISMEMBER', p..'dirs:'..parent, own) == 0 then return 0 end
redis.call('SET', p..'record:'..dir..name, ARGV[3])
redis.call('SADD', p..'files:'..dir, name)
redis.call('PUBLISH', p..'changed', dir..name)
return 1";

/// DEL a record and its listing, announce it. ARGV: directory, name.
const REMOVE: &str = r"
local p, dir, name = 'igfeed:', ARGV[1], ARGV[2]
if redis.call('DEL', p..'record:'..dir..name) == 1 then
  redis.call('SREM', p..'files:'..dir, name)
  redis.call('PUBLISH', p..'changed', dir..name)
end
return 1";

/// Removes directory ARGV[1]..ARGV[2]..'/' with everything under it, and its listing in
/// ARGV[1]; announces each record removed.
const REMOVE_DIR: &str = r"
local p = 'igfeed:'
local function drop(dir)
  for _, name in ipairs(redis.call('SMEMBERS', p..'files:'..dir)) do
    redis.call('DEL', p..'record:'..dir..name)
    redis.call('PUBLISH', p..'changed', dir..name)
  end
  for _, sub in ipairs(redis.call('SMEMBERS', p..'dirs:'..dir)) do drop(dir..sub..'/') end
  redis.call('DEL', p..'files:'..dir, p..'dirs:'..dir)
end
drop(ARGV[1]..ARGV[2]..'/')
redis.call('SREM', p..'dirs:'..ARGV[1], ARGV[2])
return 1";

/// Moves record ARGV[2] from directory ARGV[1] to ARGV[3] unless the target exists: 1 when
/// moved, 0 when there was nothing to move or the target was kept.
const MOVE: &str = r"
local p, from, name, to = 'igfeed:', ARGV[1], ARGV[2], ARGV[3]
if redis.call('EXISTS', p..'record:'..from..name) == 0 then return 0 end
if redis.call('EXISTS', p..'record:'..to..name) == 1 then return 0 end
redis.call('RENAME', p..'record:'..from..name, p..'record:'..to..name)
redis.call('SREM', p..'files:'..from, name)
redis.call('SADD', p..'files:'..to, name)
redis.call('PUBLISH', p..'changed', from..name)
redis.call('PUBLISH', p..'changed', to..name)
return 1";

/// A Redis server igfeed keeps its records in, with a small pool of connections.
pub struct Redis {
    client: redis::Client,
    /// `host:port`, for messages (never the URL: it may hold the password).
    address: String,
    idle: Mutex<Vec<Connection>>,
}

impl Redis {
    /// Parses `storage.redis_url` (the password from `password_file` when the URL has
    /// none) and checks that the server answers. Errors never repeat the URL.
    pub fn connect(url: &SecretString, password_file: Option<&Path>) -> Result<Self, StorageError> {
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
        let client = redis::Client::open(info).map_err(|e| bad_url(e.category().into()))?;
        let redis = Self {
            client,
            address,
            idle: Mutex::new(Vec::new()),
        };
        redis.call("connecting", |c| redis::cmd("PING").query::<String>(c))?;
        Ok(redis)
    }

    /// The record at `path` (a directory's path and a name), if any.
    pub fn get(&self, path: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.call(path, |c| {
            redis::cmd("GET")
                .arg(format!("{PREFIX}record:{path}"))
                .query(c)
        })
    }

    /// Whether record `path` exists.
    pub fn exists(&self, path: &str) -> Result<bool, StorageError> {
        self.call(path, |c| {
            redis::cmd("EXISTS")
                .arg(format!("{PREFIX}record:{path}"))
                .query(c)
        })
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
                ],
            )
            .query(c)
        })?;
        Ok(done == 1)
    }

    /// Removes record `name` from `dir`.
    pub fn delete(&self, dir: &str, name: &str) -> Result<(), StorageError> {
        self.call(&format!("{dir}{name}"), |c| {
            script(REMOVE, &[dir.as_bytes(), name.as_bytes()]).query::<i64>(c)
        })
        .map(drop)
    }

    /// Lists directory `name` in `dir`.
    pub fn add_dir(&self, dir: &str, name: &str) -> Result<(), StorageError> {
        self.call(&format!("{dir}{name}/"), |c| {
            redis::cmd("SADD")
                .arg(format!("{PREFIX}dirs:{dir}"))
                .arg(name)
                .query::<i64>(c)
        })
        .map(drop)
    }

    /// Whether directory `name` is listed in `dir`.
    pub fn has_dir(&self, dir: &str, name: &str) -> Result<bool, StorageError> {
        self.call(&format!("{dir}{name}/"), |c| {
            redis::cmd("SISMEMBER")
                .arg(format!("{PREFIX}dirs:{dir}"))
                .arg(name)
                .query(c)
        })
    }

    /// The subdirectories listed in `dir`.
    pub fn dirs(&self, dir: &str) -> Result<Vec<String>, StorageError> {
        self.call(dir, |c| {
            redis::cmd("SMEMBERS")
                .arg(format!("{PREFIX}dirs:{dir}"))
                .query(c)
        })
    }

    /// Removes directory `name` of `dir` and everything under it.
    pub fn delete_dir(&self, dir: &str, name: &str) -> Result<(), StorageError> {
        self.call(&format!("{dir}{name}/"), |c| {
            script(REMOVE_DIR, &[dir.as_bytes(), name.as_bytes()]).query::<i64>(c)
        })
        .map(drop)
    }

    /// Moves record `name` from `from` to `to` unless `to` has one; whether it moved.
    pub fn rename(&self, from: &str, name: &str, to: &str) -> Result<bool, StorageError> {
        let moved: i64 = self.call(&format!("{from}{name}"), |c| {
            script(MOVE, &[from.as_bytes(), name.as_bytes(), to.as_bytes()]).query(c)
        })?;
        Ok(moved == 1)
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
                // Redis answered with an error: a fresh connection would get the same.
                Err(e) if !is_transport(&e) => return Err(self.failed(what, e)),
                Err(_) => {}
            }
        }
        let mut connection = self.open().map_err(|e| self.failed(what, e))?;
        match f(&mut connection) {
            Ok(value) => Ok(self.reuse(connection, value)),
            Err(e) => Err(self.failed(what, e)),
        }
    }

    /// Puts `connection` back in the pool (when there is room) and passes `value` on.
    fn reuse<T>(&self, connection: Connection, value: T) -> T {
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
        StorageError::Redis {
            address: self.address.clone(),
            what: what.to_owned(),
            reason: describe(&error),
        }
    }
}

/// Whether `error` is the connection's fault rather than Redis's answer.
fn is_transport(error: &redis::RedisError) -> bool {
    error.is_io_error() || error.is_connection_dropped() || error.is_timeout()
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
