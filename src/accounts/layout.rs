//! Where accounts live in the state directory, and the upgrade from the one-account layout.
//!
//! ```text
//! storage.dir/
//!   accounts.json                 the order accounts were connected in, and the default
//!   accounts/<id>/credentials.json   the token (0600, encrypted when a key is set)
//!   accounts/<id>/feed-snapshot.json the last good snapshot
//!   accounts/<id>/media/             resized images
//!   admin-sessions.json, session-key.json, deletions.json, alerts.json, .lock   (igfeed's own)
//! ```
//! Releases before several accounts kept `credentials.json`, `feed-snapshot.json` and
//! `media/` at the top. [`upgrade_single_account`] moves them into the account's directory,
//! the credentials last: each move is one rename, so a start interrupted half-way finishes
//! the move on the next start, and nothing is ever copied or rewritten (an encrypted file
//! stays valid: its authenticated data is its name).

use serde::{Deserialize, Serialize};

use super::account::dir_name;
use crate::credentials::{CREDENTIALS_FILE, CredentialStore};
use crate::feed::service::SNAPSHOT_FILE;
use crate::media::MEDIA_DIR;
use crate::storage::{StateDir, StorageError};

/// The file listing the accounts, in connection order, and the default one.
pub const INDEX_FILE: &str = "accounts.json";
/// The directory holding one directory per account.
pub const ACCOUNTS_DIR: &str = "accounts";

/// `accounts.json`. Rebuilt from the directories when missing or out of step (a crash
/// between a directory's creation and this file's write).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// Account ids, first connected first.
    #[serde(default)]
    pub order: Vec<String>,
    /// The account whose feed is served without a `feed` parameter.
    #[serde(default)]
    pub default: Option<String>,
}

impl Index {
    /// The index for the accounts whose directories exist: known ones in their order, any
    /// others (a crash before the index was written) after them; the default kept if it
    /// still exists, else the first.
    pub fn reconciled(&self, present: &[String]) -> Self {
        let mut order: Vec<String> = self
            .order
            .iter()
            .filter(|id| present.contains(id))
            .cloned()
            .collect();
        order.dedup();
        for id in present {
            if !order.contains(id) {
                order.push(id.clone());
            }
        }
        let default = self
            .default
            .clone()
            .filter(|id| order.contains(id))
            .or_else(|| order.first().cloned());
        Self { order, default }
    }
}

/// Moves a one-account state directory's files into `accounts/<id>/`; returns the id when
/// there was one to move. A directory that already has the account's credentials keeps
/// them: the top-level file is then left for the operator (and a warning logged).
pub fn upgrade_single_account(
    root: &StateDir,
    accounts: &StateDir,
) -> Result<Option<String>, StorageError> {
    if !root.contains(CREDENTIALS_FILE) {
        return Ok(None);
    }
    let store = CredentialStore::open(root.clone())?;
    let Some(credentials) = store.current() else {
        return Ok(None);
    };
    let id = dir_name(credentials.account_id().unwrap_or_default());
    let target = accounts.subdir(&id)?;
    root.move_into(MEDIA_DIR, &target)?;
    root.move_into(SNAPSHOT_FILE, &target)?;
    if root.move_into(CREDENTIALS_FILE, &target)? {
        tracing::info!(account = %id, "moved the connected account into its own directory");
    } else {
        tracing::warn!(
            account = %id,
            "both storage.dir/credentials.json and the account's own directory hold \
             credentials; igfeed uses the account's and leaves the top-level file alone"
        );
    }
    Ok(Some(id))
}

/// A stored account found without opening the registry (which moves files and needs the
/// lock): for commands that may run beside a server, such as `igfeed export`.
#[derive(Debug)]
pub struct StoredAccount {
    /// Its id (the directory's name; `None` in a directory not yet upgraded).
    pub id: Option<String>,
    /// The directory holding its credentials and snapshot.
    pub dir: StateDir,
}

/// The stored account whose feed is `feed` (a username, compared lowercased, or an id), or
/// the default one without a name; `None` when there is none. Reads only.
pub fn find_stored(
    root: &StateDir,
    feed: Option<&str>,
) -> Result<Option<StoredAccount>, StorageError> {
    let wanted = feed.map(str::to_ascii_lowercase);
    if root.contains(CREDENTIALS_FILE) {
        // Not upgraded yet: the one account is the default.
        let store = CredentialStore::open(root.clone())?;
        let matches = match &wanted {
            None => true,
            Some(name) => store
                .current()
                .is_some_and(|c| names_of(root, &c).contains(name)),
        };
        return Ok(matches.then(|| StoredAccount {
            id: None,
            dir: root.clone(),
        }));
    }
    if !root.contains(ACCOUNTS_DIR) {
        return Ok(None);
    }
    let dirs = root.subdir(ACCOUNTS_DIR)?;
    let present: Vec<String> = dirs
        .subdirs()?
        .into_iter()
        .filter(|id| dirs.subdir(id).is_ok_and(|d| d.contains(CREDENTIALS_FILE)))
        .collect();
    let index = root
        .read::<Index>(INDEX_FILE)?
        .unwrap_or_default()
        .reconciled(&present);
    let found = match &wanted {
        None => index.default.clone(),
        Some(name) => {
            let mut found = None;
            for id in &index.order {
                let dir = dirs.subdir(id)?;
                let credentials = CredentialStore::open(dir.clone())?.current();
                let mut names = credentials.map(|c| names_of(&dir, &c)).unwrap_or_default();
                names.push(id.clone());
                if names.contains(name) {
                    found = Some(id.clone());
                    break;
                }
            }
            found
        }
    };
    found
        .map(|id| {
            Ok(StoredAccount {
                dir: dirs.subdir(&id)?,
                id: Some(id),
            })
        })
        .transpose()
}

/// The names an account's feed answers to: its username as stored with the token, else as
/// its stored snapshot has it, lowercased.
fn names_of(dir: &StateDir, credentials: &crate::credentials::Credentials) -> Vec<String> {
    let username = credentials.username.clone().or_else(|| {
        dir.read::<crate::feed::domain::Snapshot>(SNAPSHOT_FILE)
            .ok()
            .flatten()
            .map(|s| s.feed.profile.username)
    });
    username.map(|u| u.to_lowercase()).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::Index;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn an_index_keeps_its_order_and_default_for_present_accounts() {
        let index = Index {
            order: ids(&["2", "1"]),
            default: Some("1".into()),
        };
        assert_eq!(index.reconciled(&ids(&["1", "2"])), index);
    }

    #[test]
    fn accounts_missing_from_the_index_come_after_and_gone_ones_leave() {
        let index = Index {
            order: ids(&["3", "2"]),
            default: Some("3".into()),
        };
        let reconciled = index.reconciled(&ids(&["1", "2"]));
        assert_eq!(reconciled.order, ids(&["2", "1"]));
        assert_eq!(reconciled.default.as_deref(), Some("2"));
    }

    #[test]
    fn no_accounts_means_no_default() {
        let reconciled = Index::default().reconciled(&[]);
        assert_eq!(reconciled, Index::default());
    }
}
