//! One feed as visitors get it: its definition applied to its accounts' latest snapshots,
//! rebuilt only when one of those snapshots (or the definition, which makes a new view)
//! changes.

use std::sync::{Arc, PoisonError, RwLock};

use crate::accounts::{Account, AccountRegistry};
use crate::feed::FeedError;
use crate::feed::curate::{self, Source};
use crate::feed::definition::FeedDefinition;
use crate::feed::domain::Snapshot;
use crate::feed::pages::{Current, Pages};

/// Which snapshots a document was built from: each source account's id and the generation
/// of its snapshot (`None` while it has none).
type SourcesKey = Vec<(String, Option<u64>)>;

/// The accounts a feed takes posts from, in its definition's order.
pub type Sources = Arc<[Arc<Account>]>;

/// A feed's definition and the document built from it.
pub struct View {
    /// What the owner decided (or the defaults of an account's own feed).
    pub definition: Arc<FeedDefinition>,
    /// The document's serialised pages.
    pub pages: Pages,
    built: RwLock<Option<(Arc<SourcesKey>, Arc<Current>)>>,
    building: tokio::sync::Mutex<()>,
    /// The source accounts as found at an [`AccountRegistry::version`], so a request does
    /// not look each one up by name.
    sources: RwLock<Option<(u64, Sources)>>,
}

/// The document to serve and whether to call it stale.
pub struct Served {
    /// The document.
    pub current: Arc<Current>,
    /// Whether any of its accounts' snapshots is stale (a failed refresh, or too old).
    pub stale: bool,
}

impl View {
    pub(super) fn new(definition: Arc<FeedDefinition>) -> Self {
        Self {
            definition,
            pages: Pages::default(),
            built: RwLock::new(None),
            building: tokio::sync::Mutex::new(()),
            sources: RwLock::new(None),
        }
    }

    /// The accounts this feed takes posts from, in the definition's order (those still
    /// connected). An account is named by its feed name, or by its id until its username
    /// is known (before its first fetch), which keeps naming it afterwards.
    pub fn sources(&self, accounts: &AccountRegistry) -> Sources {
        let version = accounts.version();
        if let Some((seen, sources)) = self
            .sources
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            && *seen == version
        {
            return sources.clone();
        }
        let found: Sources = self
            .definition
            .accounts
            .iter()
            .filter_map(|name| accounts.by_feed(name).or_else(|| accounts.by_id(name)))
            .collect();
        // Kept only when every account was found: a name not found yet may be an account
        // whose username is learnt with its first fetch, which changes no version.
        if found.len() == self.definition.accounts.len() {
            *self.sources.write().unwrap_or_else(PoisonError::into_inner) =
                Some((version, found.clone()));
        }
        found
    }

    /// The document built last, whichever snapshots it was built from.
    pub fn built(&self) -> Option<Arc<Current>> {
        let built = self.built.read().unwrap_or_else(PoisonError::into_inner);
        built.as_ref().map(|(_, current)| current.clone())
    }

    /// The document as it is now, if it is built from the latest snapshots: no work, the
    /// path of almost every request.
    pub fn peek(&self, accounts: &AccountRegistry) -> Option<Served> {
        let (key, current) = self
            .built
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()?;
        let sources = self.sources(accounts);
        if key.len() != sources.len() {
            return None;
        }
        // Compared in place (no key built per request), staleness judged on the way.
        let mut stale = false;
        for ((id, generation), account) in key.iter().zip(sources.iter()) {
            let snapshot = account.feed.peek();
            if account.id() != id || snapshot.as_ref().map(|c| c.generation()) != *generation {
                return None;
            }
            stale |= snapshot.is_some_and(|c| account.feed.is_stale(&c));
        }
        Some(Served { current, stale })
    }

    /// The document, built first when a snapshot changed since; with no snapshot yet, waits
    /// for the first account's first load as its own feed would (up to 20 seconds).
    pub async fn current(&self, accounts: &AccountRegistry) -> Result<Served, FeedError> {
        if let Some(served) = self.peek(accounts) {
            return Ok(served);
        }
        let sources = self.sources(accounts);
        let first = sources.first().ok_or(FeedError::NotConnected)?;
        if sources.iter().all(|a| a.feed.peek().is_none()) {
            first.feed.current().await?;
        }
        self.build(accounts)
            .await
            .ok_or_else(|| FeedError::Unavailable("the feed's accounts have no posts yet".into()))
    }

    /// Builds the document from the latest snapshots (unless a build that saw them already
    /// ran), with its default page compressed before it is served. `None` while no source
    /// has a snapshot.
    pub async fn build(&self, accounts: &AccountRegistry) -> Option<Served> {
        let _building = self.building.lock().await;
        if let Some(served) = self.peek(accounts) {
            // Compressed in the state visitors now see (a failed refresh turns it stale).
            served.current.default_body(served.stale).await;
            return Some(served);
        }
        let sources = self.sources(accounts);
        let key = key_of(&sources);
        let currents: Vec<Arc<Current>> = sources.iter().filter_map(|a| a.feed.peek()).collect();
        let definition = self.definition.clone();
        let snapshot = tokio::task::spawn_blocking(move || {
            let sources: Vec<Source<'_>> = currents
                .iter()
                .map(|c| Source {
                    feed: &c.snapshot.feed,
                    unshared_reels: &c.snapshot.unshared_reels,
                    fetched_at: c.snapshot.fetched_at,
                })
                .collect();
            let fetched_at = curate::fetched_at(&sources)?;
            let feed = curate::curate(&definition, &sources)?;
            Some(Snapshot {
                feed,
                fetched_at,
                sources: Default::default(),
                unshared_reels: Default::default(),
            })
        })
        .await
        .ok()??;
        let current = Current::new(snapshot, self.definition.display.clone());
        let stale = is_stale(&sources);
        current.default_body(stale).await;
        *self.built.write().unwrap_or_else(PoisonError::into_inner) =
            Some((Arc::new(key), current.clone()));
        self.pages.clear();
        Some(Served { current, stale })
    }
}

fn key_of(sources: &[Arc<Account>]) -> SourcesKey {
    sources
        .iter()
        .map(|a| (a.id().to_owned(), a.feed.peek().map(|c| c.generation())))
        .collect()
}

/// Stale when any account's snapshot is (its refresh failed, or it is too old).
fn is_stale(sources: &[Arc<Account>]) -> bool {
    sources
        .iter()
        .any(|a| a.feed.peek().is_some_and(|c| a.feed.is_stale(&c)))
}
