//! [`Account`]: one connected Instagram account and everything igfeed keeps for it.

use std::sync::Arc;

use crate::credentials::{CredentialStore, Credentials, TokenKeeper};
use crate::feed::{FeedConfig, FeedService, RefreshTrigger};
use crate::media::{MEDIA_DIR, MediaLinks, MediaService};
use crate::storage::StateDir;

use super::Services;

/// One connected account: its token and keeper, its feed (snapshot on disk, refreshes), its
/// media cache and the trigger that wakes its refresher. Each lives in the account's own
/// directory, `accounts/<id>/`.
pub struct Account {
    id: String,
    dir: StateDir,
    /// The token and the ids Instagram gave for the account.
    pub credentials: CredentialStore,
    /// Keeps the token alive.
    pub keeper: TokenKeeper,
    /// The account's feed: the snapshot served and its refreshes.
    pub feed: FeedService,
    /// The account's images from igfeed's origin.
    pub media: MediaService,
    /// Wakes the account's refresher ahead of its schedule.
    pub trigger: RefreshTrigger,
}

impl Account {
    /// Opens the account stored in `dir` (credentials already there), with its stored feed
    /// and media cache.
    pub(super) async fn open(
        id: String,
        dir: StateDir,
        credentials: CredentialStore,
        services: &Services,
    ) -> anyhow::Result<Arc<Self>> {
        let settings = &services.settings;
        let links = MediaLinks::new(&settings.media, &services.public_url).for_account(&id);
        let feed = FeedService::new(
            services.instagram.clone(),
            credentials.clone(),
            dir.clone(),
            services.clock.clone(),
            FeedConfig {
                refresh_interval: settings.feed.refresh_interval,
                max_posts: settings.feed.max_posts,
            },
            links.clone(),
        );
        // The disk cache is indexed first, so the stored feed is served with known sizes.
        let media = MediaService::open(
            settings,
            &services.media_pools,
            dir.path().join(MEDIA_DIR),
            links,
            feed.clone(),
            services.clock.clone(),
        )
        .await?;
        feed.load_stored().await;
        let keeper = TokenKeeper::new(
            services.instagram.clone(),
            credentials.clone(),
            services.clock.clone(),
            settings.token.refresh_after,
        );
        Ok(Arc::new(Self {
            id,
            dir,
            credentials,
            keeper,
            feed,
            media,
            trigger: RefreshTrigger::default(),
        }))
    }

    /// The account's id: Instagram's user id (the name of its directory).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The account's directory.
    pub fn dir(&self) -> &StateDir {
        &self.dir
    }

    /// The username, as Instagram last gave it.
    pub fn username(&self) -> Option<String> {
        self.credentials
            .username()
            .or_else(|| {
                self.feed
                    .peek()
                    .map(|current| current.snapshot.feed.profile.username.clone())
            })
            .filter(|name| !name.is_empty())
    }

    /// The name of the account's own feed: its username lowercased (the account id until the
    /// username is known).
    pub fn feed_name(&self) -> String {
        self.username()
            .map_or_else(|| self.id.clone(), |name| name.to_lowercase())
    }

    /// Whether this account's feed is called `name` (lowercase): [`Self::feed_name`] ==
    /// `name`, without lowercasing a copy for usernames that are ASCII (Instagram's all are),
    /// since `?feed=` asks it of every account on every request.
    pub fn is_feed(&self, name: &str) -> bool {
        let same = |username: &str| {
            if username.is_ascii() {
                username.eq_ignore_ascii_case(name)
            } else {
                username.to_lowercase() == name
            }
        };
        let stored = self
            .credentials
            .with_username(|u| u.filter(|u| !u.is_empty()).map(same));
        match stored {
            Some(matches) => matches,
            None => match self.username() {
                Some(username) => same(&username),
                None => self.id == name,
            },
        }
    }

    /// Whether `credentials` belong to this account: any id Instagram gave for one matches
    /// any it gave for the other (an imported token knows the app-scoped id, an authorized
    /// one the user id as well).
    pub fn owns(&self, credentials: &Credentials) -> bool {
        let ids = credentials.ids();
        ids.contains(&self.id.as_str())
            || self
                .credentials
                .current()
                .is_some_and(|mine| mine.ids().iter().any(|id| ids.contains(id)))
    }

    /// Whether Instagram's `user_id` (a Meta callback's) names this account.
    pub fn is_named_by(&self, user_id: &str) -> bool {
        self.id == user_id
            || self
                .credentials
                .current()
                .is_some_and(|c| c.ids().contains(&user_id))
    }
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account").field("id", &self.id).finish()
    }
}

/// The directory name for an account id: Instagram's ids are digits; anything else is kept
/// to a safe alphabet so it can never leave `accounts/`.
pub(super) fn dir_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(64)
        .collect();
    if safe.is_empty() {
        "account".to_owned()
    } else {
        safe
    }
}
