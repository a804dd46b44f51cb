//! Applying a feed definition to its accounts' snapshots: merge newest first, filter, hide,
//! pin, link, cap. Pure and run once per change of a snapshot or a definition, never per
//! request.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Utc};

use super::definition::FeedDefinition;
use super::domain::{Feed, Post, PostKind, Profile};

/// One account's posts as its latest refresh saw them.
pub struct Source<'a> {
    /// The account's profile and posts, newest first.
    pub feed: &'a Feed,
    /// Reels Instagram's profile grid leaves out (`is_shared_to_feed: false`).
    pub unshared_reels: &'a BTreeSet<String>,
    /// When that refresh finished.
    pub fetched_at: DateTime<Utc>,
}

/// The feed `definition` describes, from `sources` (its accounts in the definition's order;
/// the first gives the profile). `None` without any source.
pub fn curate(definition: &FeedDefinition, sources: &[Source<'_>]) -> Option<Feed> {
    let profile: Profile = sources.first()?.feed.profile.clone();
    let mut seen = HashSet::new();
    let mut merged: Vec<(&Post, bool)> = sources
        .iter()
        .flat_map(|source| {
            source
                .feed
                .posts
                .iter()
                .map(|post| (post, source.unshared_reels.contains(&post.id)))
        })
        .filter(|(post, _)| seen.insert(post.id.as_str()))
        .collect();
    // Newest first across accounts; a post without a time goes last. Stable, so one
    // account's own order (Instagram's) holds among equal times.
    merged.sort_by_key(|(post, _)| std::cmp::Reverse(post.timestamp));

    let hidden: HashSet<&str> = definition.hidden.iter().map(String::as_str).collect();
    let pinned: Vec<&Post> = definition
        .pinned
        .iter()
        .filter_map(|id| merged.iter().find(|(post, _)| &post.id == id))
        .map(|(post, _)| *post)
        .collect();
    let is_pinned = |post: &Post| definition.pinned.contains(&post.id);
    let shown = merged
        .iter()
        .filter(|(post, unshared)| {
            !hidden.contains(post.id.as_str())
                && !is_pinned(post)
                && passes_filters(definition, post, *unshared)
        })
        .map(|(post, _)| *post);

    let posts = pinned
        .into_iter()
        .map(|post| (post, true))
        .chain(shown.map(|post| (post, false)))
        .take(definition.max_posts)
        .map(|(post, pinned)| Post {
            link: definition
                .links
                .get(&post.id)
                .cloned()
                .or_else(|| post.permalink.clone()),
            pinned,
            ..post.clone()
        })
        .collect();
    Some(Feed { profile, posts })
}

/// When the oldest of the sources was fetched: a merged feed is as fresh as its stalest part.
pub fn fetched_at(sources: &[Source<'_>]) -> Option<DateTime<Utc>> {
    sources.iter().map(|s| s.fetched_at).min()
}

fn passes_filters(definition: &FeedDefinition, post: &Post, unshared: bool) -> bool {
    if !definition.types.contains(&post.kind) {
        return false;
    }
    if unshared && post.kind == PostKind::Reel && !definition.include_unshared_reels {
        return false;
    }
    let has_tag = |tags: &[String]| {
        post.hashtags
            .iter()
            .any(|tag| tags.iter().any(|t| t.as_str() == tag.to_lowercase()))
    };
    if !definition.hashtags_any.is_empty() && !has_tag(&definition.hashtags_any) {
        return false;
    }
    if has_tag(&definition.hashtags_none) {
        return false;
    }
    if !definition.words_none.is_empty()
        && let Some(caption) = &post.caption
    {
        let lower = caption.to_lowercase();
        let mut words = lower.split(|c: char| !c.is_alphanumeric());
        if words.any(|w| definition.words_none.iter().any(|n| n == w)) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests;
