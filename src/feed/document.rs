//! The `/feed.json` document: a page of the snapshot plus freshness, serialised once.

use super::cursor;
use super::display::Display;
use super::domain::{FeedDocument, Snapshot};

/// Most posts one page may hold (`?limit=` upper bound).
pub const MAX_PAGE: usize = 100;

/// Which slice of the feed a caller asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PageRequest {
    /// Posts per page; `None` = the default page (everything kept, up to [`MAX_PAGE`]).
    /// The HTTP handler bounds it to [`MAX_PAGE`]; `igfeed export` asks for everything.
    pub limit: Option<usize>,
    /// Continue after this post id (decoded from igfeed's own cursor).
    pub after: Option<String>,
}

impl PageRequest {
    /// The page served most: no parameters.
    pub fn is_default(&self) -> bool {
        self.limit.is_none() && self.after.is_none()
    }
}

/// Serialises the requested page of `snapshot`. A cursor naming a post that has left the
/// feed yields an empty last page rather than an error: load-more simply ends.
pub fn render(snapshot: &Snapshot, display: &Display, page: &PageRequest, stale: bool) -> Vec<u8> {
    let posts = &snapshot.feed.posts;
    let start = match &page.after {
        None => 0,
        Some(id) => posts
            .iter()
            .position(|p| &p.id == id)
            .map_or(posts.len(), |i| i + 1),
    };
    let limit = page.limit.unwrap_or(MAX_PAGE).max(1);
    let end = start.saturating_add(limit).min(posts.len());
    let slice = &posts[start..end];
    let next = (end < posts.len())
        .then(|| slice.last().map(|p| cursor::encode(&p.id)))
        .flatten();
    let document = FeedDocument {
        profile: &snapshot.feed.profile,
        posts: slice,
        next,
        updated_at: snapshot.fetched_at,
        stale,
        display,
    };
    // Serialising plain data structures cannot fail; an empty object is the safe fallback.
    serde_json::to_vec(&document).unwrap_or_else(|_| b"{}".to_vec())
}
