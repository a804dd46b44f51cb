//! The feed service's side of serving images: republishing links once originals are known,
//! and renewing expired CDN URLs — the only Graph calls image serving ever causes, made by
//! the refresher, never on a visitor's request.

use super::{FeedError, FeedService};
use crate::feed::domain::{MediaKind, Snapshot};
use crate::instagram::ApiError;

/// Asked per media when renewing: just the URLs.
const RENEW_FIELDS: &str = "media_url,thumbnail_url";
/// How `crate::media` names the profile picture in a renewal request.
const PROFILE: &str = "profile";

impl FeedService {
    /// Rebuilds the snapshot's media links (sizes and versions learnt since), serving the new
    /// document only if something changed.
    pub async fn republish(&self) {
        let _guard = self.lock_loads().await;
        let Some(current) = self.peek() else {
            return;
        };
        let mut snapshot = current.snapshot.clone();
        self.inner.links.apply(&mut snapshot);
        if snapshot != current.snapshot {
            self.install(snapshot).await;
        }
    }

    /// Re-reads the CDN URLs of `ids` (media ids, or `profile`) and serves the renewed
    /// snapshot. Returns how many were renewed; ids no longer in the feed are skipped.
    pub async fn renew_media(&self, ids: &[String]) -> Result<usize, FeedError> {
        let _guard = self.lock_loads().await;
        let Some(current) = self.peek() else {
            return Ok(0);
        };
        // As a fetch: never while a token refresh is replacing the token.
        let store = self.inner.credentials.clone();
        let _calls = store.lock_calls().await;
        let credentials = self.active_credentials()?;
        let token = &credentials.access_token;
        let client = &self.inner.instagram;
        let mut snapshot = current.snapshot.clone();
        let mut renewed = 0;
        for id in ids {
            let result = if id == PROFILE {
                client.profile(token).await.map(|profile| {
                    if let Some(url) = profile.profile_picture_url {
                        snapshot.sources.profile_picture = Some(url);
                    }
                })
            } else {
                let Some(kind) = item_kind(&snapshot, id) else {
                    continue;
                };
                client
                    .media_item(token, id, RENEW_FIELDS)
                    .await
                    .map(|media| {
                        let entry = snapshot.sources.items.entry(id.clone()).or_default();
                        let (image, video) = match kind {
                            MediaKind::Image => (media.media_url, None),
                            MediaKind::Video => (media.thumbnail_url, media.media_url),
                        };
                        entry.image = image.or(entry.image.take());
                        entry.video = video.or(entry.video.take());
                    })
            };
            match result {
                Ok(()) => renewed += 1,
                // Only the owner can help: no more calls with this token, and the status page
                // and alerts must say so, as after a failed feed refresh.
                Err(
                    error @ (ApiError::TokenInvalid { .. } | ApiError::PermissionMissing { .. }),
                ) => {
                    tracing::warn!(%error, "stopped renewing CDN URLs");
                    let reason = error.to_string();
                    self.inner
                        .credentials
                        .mark_needs_reconnect(token, &reason, self.inner.clock.now())
                        .await;
                    break;
                }
                Err(error @ ApiError::RateLimited { .. }) => {
                    tracing::warn!(%error, "stopped renewing CDN URLs");
                    break;
                }
                Err(error) => tracing::warn!(%error, "could not renew a CDN URL"),
            }
        }
        if renewed > 0 {
            self.inner.links.apply(&mut snapshot);
            self.install(snapshot).await;
        }
        Ok(renewed)
    }

    /// Persists and serves `snapshot` (same fetch time: freshness is unchanged).
    async fn install(&self, snapshot: Snapshot) {
        self.persist(&snapshot).await;
        self.serve(self.wrap(snapshot));
    }
}

fn item_kind(snapshot: &Snapshot, id: &str) -> Option<MediaKind> {
    snapshot
        .feed
        .posts
        .iter()
        .flat_map(|p| p.media.iter())
        .find(|m| m.id == id)
        .map(|m| m.kind)
}
