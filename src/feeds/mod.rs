//! The feeds visitors read: each account's own feed (named after its username) and the
//! owner's named feeds, each its definition applied to its accounts' snapshots.
//!
//! - here: [`Feeds`], which feed a name means, saving and deleting definitions;
//! - [`store`]: the definitions on disk;
//! - [`view`]: one feed's document, rebuilt when a snapshot or its definition changes.
//!
//! Visitors only read built documents; the `feed_views` task rebuilds them as snapshots
//! change, and a saved definition is built before the save is answered.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use serde_json::Value;

use crate::accounts::AccountRegistry;
use crate::feed::definition::{self, Defaults, FeedDefinition, Invalid};
use crate::storage::{StateDir, StorageError};

pub mod store;
pub mod view;

pub use store::{FEEDS_FILE, find_stored};
pub use view::{Served, View};

/// Why a definition was not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The caller's mistake, naming the field.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The file could not be written; nothing changed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why a feed was not deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    /// No feed has that name.
    #[error("no feed is called `{0}`")]
    Unknown(String),
    /// An account's own feed goes only with its account.
    #[error("`{0}` is an account's own feed: disconnect the account to remove it")]
    InUse(String),
    /// The file could not be written; nothing changed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What a feed's definition is made of: the owner's stored definition and the account whose
/// own feed it is (either may be absent, not both).
#[derive(Clone)]
struct Origin {
    stored: Option<Arc<FeedDefinition>>,
    account: Option<String>,
}

impl PartialEq for Origin {
    fn eq(&self, other: &Self) -> bool {
        let same_stored = match (&self.stored, &other.stored) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same_stored && self.account == other.account
    }
}

/// A view with what its definition was made of, and the versions of the store and the
/// accounts it was looked up at (while both stay, the lookup is not repeated).
struct Entry {
    origin: Origin,
    versions: (u64, u64),
    view: Arc<View>,
}

/// Every feed; cheap to clone.
#[derive(Clone)]
pub struct Feeds {
    inner: Arc<Inner>,
}

struct Inner {
    accounts: AccountRegistry,
    store: store::DefinitionStore,
    /// Built views by name with what their definition was made of, each replaced when its
    /// definition changes.
    views: RwLock<HashMap<String, Entry>>,
    /// `max_posts` of a definition that does not say (`feed.max_posts`).
    max_posts: usize,
    /// Wakes the `feed_views` task: a definition changed.
    changed: tokio::sync::Notify,
}

impl Feeds {
    /// Reads the stored definitions from the state directory's root.
    pub fn open(
        root: StateDir,
        accounts: AccountRegistry,
        max_posts: usize,
    ) -> Result<Self, StorageError> {
        Ok(Self {
            inner: Arc::new(Inner {
                accounts,
                store: store::DefinitionStore::open(root)?,
                views: RwLock::new(HashMap::new()),
                max_posts,
                changed: tokio::sync::Notify::new(),
            }),
        })
    }

    /// The accounts the feeds take their posts from.
    pub fn accounts(&self) -> &AccountRegistry {
        &self.inner.accounts
    }

    /// The definition of the feed `name` (lowercase): the owner's, else an account's own
    /// feed's defaults. An account's own feed always takes its posts from that account.
    pub fn definition(&self, name: &str) -> Option<Arc<FeedDefinition>> {
        let origin = self.origin(name);
        self.definition_from(name, &origin)
    }

    /// What the definition of `name` is made from now.
    fn origin(&self, name: &str) -> Origin {
        Origin {
            stored: self.inner.store.get(name),
            account: self.inner.accounts.by_feed(name).map(|a| a.id().to_owned()),
        }
    }

    fn definition_from(&self, name: &str, origin: &Origin) -> Option<Arc<FeedDefinition>> {
        let stored = origin.stored.clone();
        if let Some(account) = origin
            .account
            .as_deref()
            .and_then(|id| self.inner.accounts.by_id(id))
        {
            let own = vec![account.feed_name()];
            return Some(match stored {
                Some(stored) if stored.accounts == own => stored,
                Some(stored) => Arc::new(FeedDefinition {
                    accounts: own,
                    ..(*stored).clone()
                }),
                None => Arc::new(self.defaults_for(name, own)),
            });
        }
        stored
    }

    fn defaults_for(&self, name: &str, accounts: Vec<String>) -> FeedDefinition {
        let defaults = Defaults {
            accounts,
            max_posts: self.inner.max_posts,
        };
        // An empty object is always a valid definition.
        definition::parse(name, &Value::Object(Default::default()), &defaults)
            .unwrap_or_else(|_| unreachable!("the empty definition is valid"))
    }

    /// Every feed's definition: the accounts' own feeds first (in the order they were
    /// connected), then the owner's feeds by name.
    pub fn definitions(&self) -> Vec<Arc<FeedDefinition>> {
        self.names()
            .iter()
            .filter_map(|name| self.definition(name))
            .collect()
    }

    /// Every feed's name, the accounts' own first.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .inner
            .accounts
            .accounts()
            .iter()
            .map(|a| a.feed_name())
            .collect();
        for name in self.inner.store.all().keys() {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }

    /// Whether `name` is an account's own feed (which cannot be deleted).
    pub fn is_account_feed(&self, name: &str) -> bool {
        self.inner.accounts.by_feed(name).is_some()
    }

    /// The name of the feed served without a `feed` parameter: the default account's.
    pub fn default_name(&self) -> Option<String> {
        self.inner.accounts.default_account().map(|a| a.feed_name())
    }

    /// The view of the feed `name` (lowercase), `None` when no feed has that name. Every
    /// public request asks this, so the view is reused while what its definition is made of
    /// (the stored definition, the account) is the same, compared by pointer and id.
    pub fn view(&self, name: &str) -> Option<Arc<View>> {
        let versions = (self.inner.store.version(), self.inner.accounts.version());
        {
            let views = self
                .inner
                .views
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = views.get(name).filter(|e| e.versions == versions) {
                return Some(entry.view.clone());
            }
        }
        let origin = self.origin(name);
        if origin.stored.is_none() && origin.account.is_none() {
            return None;
        }
        let definition = self.definition_from(name, &origin)?;
        let mut views = self
            .inner
            .views
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let entry = views
            .entry(name.to_owned())
            .and_modify(|entry| {
                if entry.origin != origin || entry.view.definition != definition {
                    entry.view = Arc::new(View::new(definition.clone()));
                }
                entry.origin = origin.clone();
                entry.versions = versions;
            })
            .or_insert_with(|| Entry {
                origin: origin.clone(),
                versions,
                view: Arc::new(View::new(definition.clone())),
            });
        Some(entry.view.clone())
    }

    /// Reads `body` as the definition of the feed `name` and stores it, building the feed
    /// before answering; `true` when the feed is new. An account's own feed keeps its one
    /// account; every account named must be connected.
    pub async fn save(
        &self,
        name: &str,
        body: &Value,
    ) -> Result<(bool, Arc<FeedDefinition>), SaveError> {
        let own = self.inner.accounts.by_feed(name).map(|a| a.feed_name());
        let defaults = Defaults {
            accounts: own
                .clone()
                .or_else(|| self.default_name())
                .into_iter()
                .collect(),
            max_posts: self.inner.max_posts,
        };
        let definition = definition::parse(name, body, &defaults)?;
        self.check_accounts(&definition)?;
        let created = self.definition(name).is_none();
        self.inner.store.put(definition).await??;
        self.inner.changed.notify_one();
        let saved = self
            .definition(name)
            .ok_or_else(|| Invalid::new("name", "vanished while being saved"))?;
        if let Some(view) = self.view(name) {
            view.build(&self.inner.accounts).await;
        }
        Ok((created, saved))
    }

    fn check_accounts(&self, definition: &FeedDefinition) -> Result<(), Invalid> {
        if let Some(account) = self.inner.accounts.by_feed(&definition.name) {
            let own = account.feed_name();
            return match definition.accounts.iter().position(|a| *a != own) {
                Some(i) => Err(Invalid::new(
                    format!("accounts.{i}"),
                    format!(
                        "`{}` is an account's own feed: it shows only `{own}`",
                        definition.name
                    ),
                )),
                None => Ok(()),
            };
        }
        if definition.accounts.is_empty() {
            return Err(Invalid::new(
                "accounts",
                "no account is connected to take posts from",
            ));
        }
        match definition
            .accounts
            .iter()
            .position(|name| self.inner.accounts.by_feed(name).is_none())
        {
            Some(i) => Err(Invalid::new(
                format!("accounts.{i}"),
                "no connected account has this feed name (its username, lowercased)",
            )),
            None => Ok(()),
        }
    }

    /// Deletes the owner's feed `name`. An account's own feed cannot be deleted.
    pub async fn delete(&self, name: &str) -> Result<(), DeleteError> {
        if self.is_account_feed(name) {
            return Err(DeleteError::InUse(name.to_owned()));
        }
        if !self.inner.store.remove(name).await? {
            return Err(DeleteError::Unknown(name.to_owned()));
        }
        self.inner
            .views
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        self.inner.changed.notify_one();
        Ok(())
    }

    /// Builds every feed whose accounts' snapshots changed since it was built (and compresses
    /// the page of a feed that turned stale), and forgets the views of feeds that are gone.
    pub async fn build_changed(&self) {
        let names = self.names();
        self.inner
            .views
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|name, _| names.contains(name));
        for name in names {
            if let Some(view) = self.view(&name) {
                view.build(&self.inner.accounts).await;
            }
        }
    }

    /// Reads the definitions again after another replica changed them; the views of those
    /// that changed are rebuilt.
    pub async fn follow_stored(&self) -> Result<(), StorageError> {
        if self.inner.store.reload().await? {
            self.inner.changed.notify_one();
        }
        Ok(())
    }

    /// Waits until a definition changes (the `feed_views` task also wakes on snapshots).
    pub async fn definitions_changed(&self) {
        self.inner.changed.notified().await;
    }
}
