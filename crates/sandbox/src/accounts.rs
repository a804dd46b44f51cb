//! The sandbox's Instagram accounts: who can approve an app on the consent page, and whose
//! profile and posts a token reads.
//!
//! Every account owns a range of post seeds ([`SEED_SPAN`] wide), so a media id alone tells
//! which account published it, as on Instagram. The first account keeps the ids and posts the
//! sandbox has always had, so tests written for one account see the same feed.

use chrono::{DateTime, Utc};

use super::timeline::Timeline;

/// Seeds of account `n` are `n * SEED_SPAN + local seed`; local seeds stay below it.
pub(crate) const SEED_SPAN: u64 = 10_000_000;
/// The most accounts one sandbox holds, so the control API cannot grow it without bound.
pub(crate) const MAX_ACCOUNTS: usize = 50;

/// The first account's professional id (`user_id`), larger than 2^53 like the real ones.
const FIRST_USER_ID: u64 = 17_841_405_793_187_218;
/// The first account's app-scoped id (`/me` `id`).
const FIRST_APP_SCOPED_ID: u64 = 26_931_234_567_890_123;
/// Distance between the ids of consecutive accounts.
const ID_STEP: u64 = 1_000_003;

/// What a new account is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSpec {
    /// Instagram username: 1–30 of `a-z 0-9 . _`.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Posts published before the sandbox starts.
    pub post_count: usize,
}

impl AccountSpec {
    /// An account called `username` with a display name derived from it.
    pub fn new(username: &str, post_count: usize) -> AccountSpec {
        let name = username
            .split(['.', '_'])
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut chars = w.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_uppercase().chain(chars).collect()
                })
            })
            .collect::<Vec<_>>()
            .join(" ");
        AccountSpec {
            username: username.to_owned(),
            name,
            post_count,
        }
    }
}

/// The ids Instagram gives an account, as a client sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountIds {
    /// The username.
    pub username: String,
    /// The app-scoped id `/me` returns as `id`.
    pub app_scoped_id: String,
    /// The professional account id (`user_id`), which Meta's callbacks name.
    pub user_id: String,
}

/// Who an account is, copied out of the lock for rendering.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub(crate) index: u64,
    pub(crate) username: String,
    pub(crate) name: String,
    pub(crate) user_id: u64,
    pub(crate) app_scoped_id: String,
}

/// One account and its posts.
#[derive(Debug)]
pub(crate) struct Account {
    /// Position in creation order; decides the ids and the seed range.
    pub(crate) index: u64,
    pub(crate) username: String,
    pub(crate) name: String,
    pub(crate) timeline: Timeline,
}

impl Account {
    /// The professional account id as a number (`user_id` may be sent as one).
    pub(crate) fn user_id(&self) -> u64 {
        FIRST_USER_ID + self.index * ID_STEP
    }

    /// The app-scoped id (`/me` `id`).
    pub(crate) fn app_scoped_id(&self) -> String {
        (FIRST_APP_SCOPED_ID + self.index * ID_STEP).to_string()
    }

    /// Whether a Graph path segment names this account (`me` is resolved by the token).
    pub(crate) fn is_named_by(&self, node: &str) -> bool {
        node == "me" || node == self.app_scoped_id() || node == self.user_id().to_string()
    }

    /// Who it is, without its posts.
    pub(crate) fn identity(&self) -> Identity {
        Identity {
            index: self.index,
            username: self.username.clone(),
            name: self.name.clone(),
            user_id: self.user_id(),
            app_scoped_id: self.app_scoped_id(),
        }
    }

    /// Its ids as a client sees them.
    pub(crate) fn ids(&self) -> AccountIds {
        AccountIds {
            username: self.username.clone(),
            app_scoped_id: self.app_scoped_id(),
            user_id: self.user_id().to_string(),
        }
    }
}

/// Every account, in creation order; never empty.
#[derive(Debug)]
pub(crate) struct Accounts {
    list: Vec<Account>,
}

impl Accounts {
    /// The configured accounts, their histories ending at `epoch`. Invalid or repeated
    /// specs are skipped with a warning rather than failing the whole sandbox; an empty list
    /// still yields the first account.
    pub(crate) fn new(specs: &[AccountSpec], epoch: DateTime<Utc>) -> Accounts {
        let mut accounts = Accounts { list: Vec::new() };
        for spec in specs {
            if let Err(problem) = accounts.add(spec, epoch) {
                tracing::warn!(%problem, "sandbox account skipped");
            }
        }
        if accounts.list.is_empty() {
            let first = AccountSpec::new(FIRST_USERNAME, 36);
            let _ = accounts.add(&first, epoch);
        }
        accounts
    }

    /// Adds an account whose history ends at `epoch`; the error names the problem.
    pub(crate) fn add(
        &mut self,
        spec: &AccountSpec,
        epoch: DateTime<Utc>,
    ) -> Result<&Account, String> {
        check_username(&spec.username)?;
        if self.by_username(&spec.username).is_some() {
            return Err(format!("the account {} exists already", spec.username));
        }
        if self.list.len() >= MAX_ACCOUNTS {
            return Err(format!("the sandbox holds at most {MAX_ACCOUNTS} accounts"));
        }
        if spec.name.chars().count() > 100 {
            return Err("name: at most 100 characters".to_owned());
        }
        let index = self.list.len() as u64;
        self.list.push(Account {
            index,
            username: spec.username.clone(),
            name: spec.name.clone(),
            timeline: Timeline::new(epoch, spec.post_count, index * SEED_SPAN),
        });
        Ok(&self.list[self.list.len() - 1])
    }

    /// The account at `index`; the first one for an index that was never handed out.
    pub(crate) fn get(&self, index: u64) -> &Account {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.list.get(i))
            .unwrap_or(&self.list[0])
    }

    /// Mutable access to the account at `index`, if it exists.
    pub(crate) fn get_mut(&mut self, index: u64) -> Option<&mut Account> {
        self.list.get_mut(usize::try_from(index).ok()?)
    }

    /// The first account: the one every single-account helper acts on.
    pub(crate) fn first(&self) -> &Account {
        &self.list[0]
    }

    /// The account called `username`.
    pub(crate) fn by_username(&self, username: &str) -> Option<&Account> {
        self.list.iter().find(|a| a.username == username)
    }

    /// The account that published the post with this seed.
    pub(crate) fn owner_of(&self, seed: u64) -> Option<&Account> {
        self.list.get(usize::try_from(seed / SEED_SPAN).ok()?)
    }

    /// All accounts, in creation order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Account> {
        self.list.iter()
    }
}

/// The first account's username, when the configuration names none.
pub(crate) const FIRST_USERNAME: &str = "sandbox.studio";

/// Instagram's username rule: 1–30 of lowercase letters, digits, `.` and `_`.
pub(crate) fn check_username(username: &str) -> Result<(), String> {
    let valid = (1..=30).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "username: 1-30 of a-z, 0-9, '.' and '_', got {:?}",
            username.chars().take(40).collect::<String>()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_account_keeps_the_historic_ids_and_others_differ() {
        let now = Utc::now();
        let accounts = Accounts::new(
            &[
                AccountSpec::new("sandbox.studio", 3),
                AccountSpec::new("harness.cafe", 2),
            ],
            now,
        );
        let first = accounts.first();
        assert_eq!(first.user_id(), 17_841_405_793_187_218);
        assert_eq!(first.app_scoped_id(), "26931234567890123");
        let second = accounts.by_username("harness.cafe").expect("added");
        assert_ne!(second.user_id(), first.user_id());
        assert!(second.is_named_by(&second.app_scoped_id()));
        assert!(!second.is_named_by(&first.app_scoped_id()));
        let seed = second.timeline.entries()[0].0;
        assert_eq!(accounts.owner_of(seed).map(|a| a.index), Some(1));
        assert_eq!(second.name, "Harness Cafe");
    }

    #[test]
    fn bad_and_repeated_usernames_are_refused() {
        let now = Utc::now();
        let mut accounts = Accounts::new(&[], now);
        assert_eq!(accounts.first().username, FIRST_USERNAME);
        for bad in ["", "UPPER", "has space", "a/b", &"x".repeat(31)] {
            assert!(
                accounts.add(&AccountSpec::new(bad, 1), now).is_err(),
                "{bad}"
            );
        }
        assert!(
            accounts
                .add(&AccountSpec::new(FIRST_USERNAME, 1), now)
                .is_err()
        );
        for i in 1..MAX_ACCOUNTS {
            accounts
                .add(&AccountSpec::new(&format!("a{i}"), 0), now)
                .expect("room");
        }
        assert!(accounts.add(&AccountSpec::new("one.more", 0), now).is_err());
    }
}
