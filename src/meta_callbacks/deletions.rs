//! The record of data-deletion requests behind `GET /instagram/data-deletion/{code}`.
//!
//! Meta asks for a confirmation code and a page where the user can check on their request.
//! A record keeps only what that page shows — the code, when, and the outcome — and no user
//! identifier at all, not even a hash: Instagram ids are short numbers, so a hash would be
//! reversed by trying them, and keeping anything that points at a person who asked to be
//! forgotten would defeat the request. The log is bounded, so a flood of (validly signed)
//! requests cannot grow the state directory without limit.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngExt as _;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::storage::{StateDir, StorageError};

/// The file in the state directory.
pub const DELETIONS_FILE: &str = "deletions.json";
/// Records kept; the oldest are dropped first.
pub const MAX_RECORDS: usize = 1000;
/// Random bytes in a confirmation code (128 bits: unguessable, so the page needs no login).
const CODE_BYTES: usize = 16;
/// Length of a code: 16 bytes in unpadded base64url.
const CODE_LEN: usize = 22;

/// A confirmation code: URL-safe, random, only ever built valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConfirmationCode(String);

impl ConfirmationCode {
    /// A fresh random code.
    pub fn generate() -> Self {
        let bytes: [u8; CODE_BYTES] = rand::rng().random();
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts exactly the shape [`ConfirmationCode::generate`] produces; anything else
    /// cannot be a code igfeed gave out.
    pub fn parse(raw: &str) -> Option<Self> {
        let valid = raw.len() == CODE_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        valid.then(|| Self(raw.to_owned()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a deletion request found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The user's account was connected: its token, feed and cached images were deleted.
    Deleted,
    /// igfeed held nothing about this user.
    NothingStored,
}

/// One request, as the status page shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeletionRecord {
    /// The confirmation code given to Meta.
    pub code: ConfirmationCode,
    /// When the request arrived.
    pub requested_at: DateTime<Utc>,
    /// When igfeed finished acting on it.
    pub completed_at: DateTime<Utc>,
    /// What was done.
    pub outcome: Outcome,
}

/// The bounded log, in memory and in `deletions.json`. Cheap to clone.
#[derive(Clone)]
pub struct DeletionLog {
    inner: Arc<Inner>,
}

struct Inner {
    dir: StateDir,
    /// [`MAX_RECORDS`], smaller in tests.
    limit: usize,
    /// Oldest first. An async mutex: it is held across the file write so that two requests
    /// never write the file out of order.
    records: Mutex<Vec<DeletionRecord>>,
}

impl DeletionLog {
    /// Loads the stored log. A damaged file only costs the old status pages, so it is
    /// logged and replaced on the next request rather than stopping igfeed.
    pub fn open(dir: StateDir) -> Self {
        Self::with_limit(dir, MAX_RECORDS)
    }

    fn with_limit(dir: StateDir, limit: usize) -> Self {
        let records = match dir.read::<Vec<DeletionRecord>>(DELETIONS_FILE) {
            Ok(records) => records.unwrap_or_default(),
            Err(error) => {
                tracing::warn!(%error, "ignoring the unreadable data-deletion log");
                Vec::new()
            }
        };
        Self {
            inner: Arc::new(Inner {
                dir,
                limit,
                records: Mutex::new(records),
            }),
        }
    }

    /// Adds `record`, dropping the oldest beyond [`MAX_RECORDS`], and writes the file. The
    /// record is kept in memory even if the write fails, so its status page still works
    /// until the next restart.
    ///
    /// With several replicas the record is added to the stored log (compare-and-set, so
    /// two replicas recording at once both land), which every replica reads.
    pub async fn record(&self, record: DeletionRecord) -> Result<(), StorageError> {
        let mut records = self.inner.records.lock().await;
        if self.inner.dir.is_shared() {
            let (dir, limit, added) = (self.inner.dir.clone(), self.inner.limit, record.clone());
            let stored = crate::storage::run_blocking(DELETIONS_FILE, move || {
                append_shared(&dir, added, limit)
            })
            .await;
            match stored {
                Ok(stored) => *records = stored,
                Err(error) => {
                    records.push(record);
                    return Err(error);
                }
            }
            return Ok(());
        }
        records.push(record);
        let excess = records.len().saturating_sub(self.inner.limit);
        records.drain(..excess);
        let copy = records.clone();
        let dir = self.inner.dir.clone();
        crate::storage::run_blocking(DELETIONS_FILE, move || dir.write(DELETIONS_FILE, &copy)).await
    }

    /// The record for `code`, if igfeed gave it out (and still remembers it): with several
    /// replicas from the stored log (Meta may send the person to any replica).
    pub async fn find(&self, code: &ConfirmationCode) -> Option<DeletionRecord> {
        let mut records = self.inner.records.lock().await;
        if self.inner.dir.is_shared() {
            let dir = self.inner.dir.clone();
            let stored = crate::storage::run_blocking(DELETIONS_FILE, move || {
                dir.read::<Vec<DeletionRecord>>(DELETIONS_FILE)
            })
            .await;
            match stored {
                Ok(stored) => *records = stored.unwrap_or_default(),
                Err(error) => {
                    tracing::warn!(%error, "could not read the data-deletion log; answering from memory")
                }
            }
        }
        records.iter().rev().find(|r| &r.code == code).cloned()
    }

    /// How many records are kept.
    pub async fn len(&self) -> usize {
        self.inner.records.lock().await.len()
    }

    /// Whether no request was recorded.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }
}

/// Adds `record` to the log `dir` stores, keeping the newest `limit`, written only over what
/// was read (another replica may record at the same moment); returns the log stored.
fn append_shared(
    dir: &StateDir,
    record: DeletionRecord,
    limit: usize,
) -> Result<Vec<DeletionRecord>, StorageError> {
    const ATTEMPTS: usize = 8;
    for _ in 0..ATTEMPTS {
        let (stored, stamp) = dir.read_stamped::<Vec<DeletionRecord>>(DELETIONS_FILE)?;
        let mut records = stored.unwrap_or_default();
        records.push(record.clone());
        let excess = records.len().saturating_sub(limit);
        records.drain(..excess);
        if dir.write_if(DELETIONS_FILE, &records, &stamp)?.is_some() {
            return Ok(records);
        }
    }
    Err(StorageError::Changed {
        path: DELETIONS_FILE.to_owned(),
    })
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StorageSettings;

    const LIMIT: usize = 5;

    fn log(dir: &std::path::Path) -> DeletionLog {
        let settings = StorageSettings::in_dir(dir, None);
        DeletionLog::with_limit(StateDir::open(&settings).expect("opens"), LIMIT)
    }

    fn record(code: ConfirmationCode) -> DeletionRecord {
        DeletionRecord {
            code,
            requested_at: Utc::now(),
            completed_at: Utc::now(),
            outcome: Outcome::NothingStored,
        }
    }

    #[test]
    fn codes_are_random_url_safe_and_parse_back() {
        let a = ConfirmationCode::generate();
        let b = ConfirmationCode::generate();
        assert_ne!(a, b);
        assert_eq!(ConfirmationCode::parse(a.as_str()), Some(a.clone()));
        let long = format!("{}x", a.as_str());
        for bad in ["", "short", "../../../../etc/passwd1", "a b", &long] {
            assert_eq!(ConfirmationCode::parse(bad), None, "{bad:?}");
        }
    }

    #[tokio::test]
    async fn records_survive_a_restart_and_stay_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = ConfirmationCode::generate();
        let log1 = log(dir.path());
        log1.record(record(first.clone())).await.expect("written");
        for _ in 0..LIMIT {
            log1.record(record(ConfirmationCode::generate()))
                .await
                .expect("written");
        }
        let log2 = log(dir.path());
        assert_eq!(log2.len().await, LIMIT);
        assert!(log2.find(&first).await.is_none(), "the oldest was dropped");
    }
}
