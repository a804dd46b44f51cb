//! One fetch of the feed from Instagram: the profile, then the kept posts, mapped to igfeed's
//! types with image links in place. The feed service's refresh and `igfeed export` both use it,
//! so the exported document is built exactly as the served one.

use secrecy::SecretString;

use super::ImageLinks;
use super::domain::Snapshot;
use super::mapping::{map_feed, unshared_reels};
use crate::clock::SharedClock;
use crate::instagram::{ApiError, InstagramClient};

/// Fetches `/me` and up to `max_posts` posts with `token`; the snapshot is dated when the
/// last answer arrived and records which reels Instagram left off the profile grid.
pub async fn fetch_snapshot(
    client: &InstagramClient,
    token: &SecretString,
    max_posts: usize,
    links: &dyn ImageLinks,
    clock: &SharedClock,
) -> Result<Snapshot, ApiError> {
    let profile = client.profile(token).await?;
    let media = client.media(token, max_posts).await?;
    let unshared_reels = unshared_reels(&media);
    let mut snapshot = links.snapshot(map_feed(profile, media), clock.now());
    snapshot.unshared_reels = unshared_reels;
    Ok(snapshot)
}
