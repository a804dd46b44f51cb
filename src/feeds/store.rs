//! The owner's feed definitions on disk: one file in the state directory (`feeds.json`),
//! written atomically and sealed like every state file when a key is set.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

use crate::feed::definition::{self, FeedDefinition, HookSecret, Invalid};
use crate::storage::{StateDir, StorageError, run_blocking};

/// File holding the definitions.
pub const FEEDS_FILE: &str = "feeds.json";

/// The file's content. Hook secrets never serialise with a definition, so they are kept
/// beside them: feed name → hook URL → secret (files from before hooks have none).
#[derive(Default, Serialize, Deserialize)]
struct Stored {
    feeds: Vec<FeedDefinition>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    hook_secrets: BTreeMap<String, BTreeMap<String, StoredSecret>>,
}

/// A hook's secret as the store writes it: the one place it serialises (the file is written
/// 0600, and sealed when a key is set).
#[derive(Deserialize)]
#[serde(transparent)]
struct StoredSecret(HookSecret);

impl Serialize for StoredSecret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.expose())
    }
}

impl Stored {
    fn new(definitions: &BTreeMap<String, Arc<FeedDefinition>>) -> Self {
        let hook_secrets = definitions
            .values()
            .filter(|d| !d.hooks.is_empty())
            .map(|d| {
                let secrets = d
                    .hooks
                    .iter()
                    .filter_map(|h| Some((h.url.clone(), StoredSecret(h.secret.clone()?))))
                    .collect();
                (d.name.clone(), secrets)
            })
            .collect();
        Self {
            feeds: definitions.values().map(|d| (**d).clone()).collect(),
            hook_secrets,
        }
    }

    /// The definitions with their hooks' secrets back in place.
    fn into_definitions(mut self) -> impl Iterator<Item = FeedDefinition> {
        self.feeds.into_iter().map(move |mut feed| {
            let secrets = self.hook_secrets.remove(&feed.name).unwrap_or_default();
            for hook in &mut feed.hooks {
                hook.secret = secrets.get(&hook.url).map(|s| s.0.clone());
            }
            feed
        })
    }
}

/// The definitions, read once and kept in memory; one write at a time.
pub(super) struct DefinitionStore {
    dir: StateDir,
    definitions: RwLock<Arc<BTreeMap<String, Arc<FeedDefinition>>>>,
    writer: tokio::sync::Mutex<()>,
    /// Counts the changes, so lookups made at one count can be reused while it stays.
    version: std::sync::atomic::AtomicU64,
}

impl DefinitionStore {
    /// Reads the stored definitions. A definition that breaks today's rules (edited by hand,
    /// or written by a later release) is left out with an error in the log; the file keeps
    /// it until the owner next saves a feed.
    pub(super) fn open(dir: StateDir) -> Result<Self, StorageError> {
        let definitions = read_definitions(&dir)?;
        Ok(Self {
            dir,
            definitions: RwLock::new(Arc::new(definitions)),
            writer: tokio::sync::Mutex::new(()),
            version: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Reads the stored definitions again (another replica saved or deleted one); `true`
    /// when they differ from those in memory, which are then replaced.
    pub(super) async fn reload(&self) -> Result<bool, StorageError> {
        let _writer = self.writer.lock().await;
        let dir = self.dir.clone();
        let stored = run_blocking(FEEDS_FILE, move || read_definitions(&dir)).await?;
        if *self.all() == stored {
            return Ok(false);
        }
        *self
            .definitions
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(stored);
        self.version
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(true)
    }

    /// The number of changes so far.
    pub(super) fn version(&self) -> u64 {
        self.version.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Every definition, by name.
    pub(super) fn all(&self) -> Arc<BTreeMap<String, Arc<FeedDefinition>>> {
        self.definitions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The definition called `name`.
    pub(super) fn get(&self, name: &str) -> Option<Arc<FeedDefinition>> {
        self.all().get(name).cloned()
    }

    /// Stores `definition` (replacing one of the same name); `true` when it is new. A hook
    /// sent without its secret keeps the one stored for its URL — read under the writer's
    /// lock, so a concurrent save that rotated it is not undone — and a new hook needs one.
    pub(super) async fn put(
        &self,
        mut definition: FeedDefinition,
    ) -> Result<Result<bool, Invalid>, StorageError> {
        let _writer = self.writer.lock().await;
        let stored = self.get(&definition.name);
        if let Err(invalid) = keep_hook_secrets(&mut definition, stored) {
            return Ok(Err(invalid));
        }
        let definition = Arc::new(definition);
        self.change_locked(move |all| {
            all.insert(definition.name.clone(), Arc::clone(&definition))
                .is_none()
        })
        .await
        .map(Ok)
    }

    /// Forgets the definition called `name`; `true` when there was one.
    pub(super) async fn remove(&self, name: &str) -> Result<bool, StorageError> {
        let _writer = self.writer.lock().await;
        let name = name.to_owned();
        self.change_locked(move |all| all.remove(&name).is_some())
            .await
    }

    /// Applies `edit` to a copy, writes the copy, then serves it: a failed write changes
    /// nothing. The caller holds the writer's lock. With several replicas the copy is of what
    /// is stored now, written only if no other replica wrote in between (tried again if one
    /// did), so two feeds saved on two replicas at once both stay.
    async fn change_locked(
        &self,
        edit: impl Fn(&mut BTreeMap<String, Arc<FeedDefinition>>) -> bool + Send + 'static,
    ) -> Result<bool, StorageError> {
        if self.dir.is_shared() {
            let dir = self.dir.clone();
            let (changed, next) =
                run_blocking(FEEDS_FILE, move || change_shared(&dir, &edit)).await?;
            *self
                .definitions
                .write()
                .unwrap_or_else(PoisonError::into_inner) = Arc::new(next);
            self.version
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            return Ok(changed);
        }
        let mut next = (*self.all()).clone();
        let changed = edit(&mut next);
        let stored = Stored::new(&next);
        let dir = self.dir.clone();
        run_blocking(FEEDS_FILE, move || dir.write(FEEDS_FILE, &stored)).await?;
        *self
            .definitions
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(next);
        self.version
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(changed)
    }
}

/// Applies `edit` to the definitions `dir` stores with compare-and-set writes; whether it
/// changed anything, and the definitions stored in the end.
#[allow(clippy::type_complexity)]
fn change_shared(
    dir: &StateDir,
    edit: &dyn Fn(&mut BTreeMap<String, Arc<FeedDefinition>>) -> bool,
) -> Result<(bool, BTreeMap<String, Arc<FeedDefinition>>), StorageError> {
    const ATTEMPTS: usize = 8;
    for _ in 0..ATTEMPTS {
        let (stored, stamp) = dir.read_stamped::<Stored>(FEEDS_FILE)?;
        let mut definitions = checked(stored.unwrap_or_default());
        let changed = edit(&mut definitions);
        if dir
            .write_if(FEEDS_FILE, &Stored::new(&definitions), &stamp)?
            .is_some()
        {
            return Ok((changed, definitions));
        }
    }
    Err(StorageError::Changed {
        path: FEEDS_FILE.to_owned(),
    })
}

/// The definitions `dir` stores; one that breaks today's rules (edited by hand, or written
/// by a later release) is left out with an error in the log.
fn read_definitions(dir: &StateDir) -> Result<BTreeMap<String, Arc<FeedDefinition>>, StorageError> {
    let stored: Stored = dir.read(FEEDS_FILE)?.unwrap_or_default();
    Ok(checked(stored))
}

/// The definitions of `stored` that pass today's rules (the others logged and left out).
fn checked(stored: Stored) -> BTreeMap<String, Arc<FeedDefinition>> {
    let mut definitions = BTreeMap::new();
    for feed in stored.into_definitions() {
        match definition::check_stored(&feed) {
            Ok(()) => {
                definitions.insert(feed.name.clone(), Arc::new(feed));
            }
            Err(error) => {
                tracing::error!(feed = %feed.name, %error, "ignoring a stored feed definition");
            }
        }
    }
    definitions
}

/// Fills the secret of each hook of `definition` sent without one from `stored` (the same
/// feed's stored definition): the secret is never shown, so a definition read and sent back
/// must not lose it. A new hook without a secret is refused.
fn keep_hook_secrets(
    definition: &mut FeedDefinition,
    stored: Option<Arc<FeedDefinition>>,
) -> Result<(), Invalid> {
    for (i, hook) in definition.hooks.iter_mut().enumerate() {
        if hook.secret.is_some() {
            continue;
        }
        hook.secret = stored
            .as_ref()
            .and_then(|d| d.hooks.iter().find(|h| h.url == hook.url))
            .and_then(|h| h.secret.clone());
        if hook.secret.is_none() {
            return Err(Invalid::new(
                format!("hooks.{i}.secret"),
                "is required for a new hook: it signs each call (igfeed never shows it again)",
            ));
        }
    }
    Ok(())
}

/// The stored definition of `name`, read without opening the service (`igfeed export`).
pub fn find_stored(root: &StateDir, name: &str) -> Result<Option<FeedDefinition>, StorageError> {
    let stored: Stored = root.read(FEEDS_FILE)?.unwrap_or_default();
    Ok(stored
        .into_definitions()
        .find(|feed| feed.name == name && definition::check_stored(feed).is_ok()))
}
