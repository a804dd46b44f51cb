//! The one place where Instagram's wire types become igfeed's feed types.
//!
//! Only documented fields are carried over, one by one, so nothing Instagram adds later (and
//! nothing token-bearing, like paging links) can leak into `/feed.json`. Odd posts are mapped
//! as well as they can be rather than dropped: one strange post must not cost the whole feed.

use std::collections::{BTreeSet, HashSet};

use url::Url;

use super::domain::{Feed, MediaItem, MediaKind, Post, PostKind, Profile};
use super::text;
use crate::instagram::wire::{self, MediaType};

/// Maps a profile and its posts (newest first, as Instagram lists them) to a [`Feed`].
///
/// A post id seen twice (Instagram's pages can overlap when a post is published during a
/// fetch) is kept once, so `?after=` cursors point at exactly one post.
pub fn map_feed(profile: wire::Profile, media: Vec<wire::Media>) -> Feed {
    let mut seen = HashSet::new();
    let posts = media
        .into_iter()
        .filter(|m| seen.insert(m.id.clone()))
        .map(map_post)
        .collect();
    Feed {
        profile: map_profile(profile),
        posts,
    }
}

/// Ids of the reels Instagram says are not on the profile grid (`is_shared_to_feed` false:
/// posted to the Reels tab only, or trial reels). A missing flag, `true`, or a post that is not
/// a reel leaves the post out of the set: unknown means shown.
pub fn unshared_reels(media: &[wire::Media]) -> BTreeSet<String> {
    media
        .iter()
        .filter(|m| m.is_shared_to_feed == Some(false) && post_kind(m) == PostKind::Reel)
        .map(|m| m.id.clone())
        .collect()
}

fn map_profile(p: wire::Profile) -> Profile {
    let username = p.username.unwrap_or_default();
    // Only a well-formed handle goes into the path; anything else links to Instagram itself.
    let profile_url = if text::is_handle(&username) {
        format!("https://www.instagram.com/{username}/")
    } else {
        "https://www.instagram.com/".to_owned()
    };
    Profile {
        username,
        name: non_empty(p.name),
        picture: safe_url(p.profile_picture_url),
        picture_color: None,
        followers_count: p.followers_count,
        follows_count: p.follows_count,
        media_count: p.media_count,
        account_type: p.account_type.as_deref().and_then(account_type),
        biography: non_empty(p.biography),
        website: p.website.as_deref().and_then(website),
        profile_url,
    }
}

/// Instagram says `Business` or `Media_Creator`, in varying case.
fn account_type(raw: &str) -> Option<String> {
    let lower = raw.trim().to_lowercase();
    match lower.as_str() {
        "" => None,
        "media_creator" | "creator" => Some("creator".to_owned()),
        _ => Some(lower),
    }
}

/// The owner types their website by hand, often without a scheme (`example.com`): make it an
/// absolute http(s) URL a site can link to, or drop it (a `javascript:` link must not pass).
fn website(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let parsed = match Url::parse(raw) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            Url::parse(&format!("https://{raw}")).ok()?
        }
        Err(_) => return None,
    };
    safe_url(Some(parsed.into()))
}

fn map_post(m: wire::Media) -> Post {
    let kind = post_kind(&m);
    let media = match (&m.media_type, m.children.as_ref()) {
        (Some(MediaType::CarouselAlbum) | Some(MediaType::Other) | None, Some(children))
            if !children.data.is_empty() =>
        {
            children.data.iter().map(media_item).collect()
        }
        _ => vec![media_item(&m)],
    };
    let caption = non_empty(m.caption);
    let (hashtags, mentions) = caption
        .as_deref()
        .map(|c| (text::hashtags(c), text::mentions(c)))
        .unwrap_or_default();
    Post {
        id: m.id,
        kind,
        caption,
        hashtags,
        mentions,
        permalink: safe_url(m.permalink),
        // Set when a feed's definition is applied (`crate::feed::curate`).
        link: None,
        pinned: false,
        timestamp: m.timestamp,
        alt: non_empty(m.alt_text),
        media,
        like_count: m.like_count,
        comments_count: m.comments_count,
    }
}

fn post_kind(m: &wire::Media) -> PostKind {
    let has_children = m.children.as_ref().is_some_and(|c| !c.data.is_empty());
    match &m.media_type {
        Some(MediaType::Image) => PostKind::Image,
        Some(MediaType::CarouselAlbum) => PostKind::Carousel,
        Some(MediaType::Video) if is_reel(m) => PostKind::Reel,
        Some(MediaType::Video) => PostKind::Video,
        // Unknown or missing type: judge by what the post carries.
        Some(MediaType::Other) | None if has_children => PostKind::Carousel,
        Some(MediaType::Other) | None => match guess_media_kind(m) {
            MediaKind::Video => PostKind::Video,
            MediaKind::Image => PostKind::Image,
        },
    }
}

fn is_reel(m: &wire::Media) -> bool {
    m.media_product_type
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("REELS"))
        || m.permalink.as_deref().is_some_and(|p| p.contains("/reel/"))
}

/// Instagram only sends `thumbnail_url` for videos, so its presence tells an unknown item's kind.
fn guess_media_kind(m: &wire::Media) -> MediaKind {
    match &m.media_type {
        Some(MediaType::Video) => MediaKind::Video,
        Some(MediaType::Image) => MediaKind::Image,
        _ if m.thumbnail_url.is_some() => MediaKind::Video,
        _ => MediaKind::Image,
    }
}

/// One item from a post or carousel child's own URLs. For a video the cover frame is the image
/// to show and `media_url` is the video file.
fn media_item(m: &wire::Media) -> MediaItem {
    let kind = guess_media_kind(m);
    let media_url = safe_url(m.media_url.clone());
    let thumbnail_url = safe_url(m.thumbnail_url.clone());
    let (url, video_url) = match kind {
        MediaKind::Image => (media_url, None),
        MediaKind::Video => (thumbnail_url.clone(), media_url),
    };
    MediaItem {
        id: m.id.clone(),
        kind,
        url,
        video_url,
        thumbnail_url,
        width: None,
        height: None,
        sizes: Vec::new(),
        sources: Vec::new(),
        color: None,
    }
}

/// Keeps a URL only when it is an absolute http(s) URL that carries no access token.
///
/// Defence in depth: Instagram's CDN URLs never carry a token, but a token-bearing URL
/// reaching a public response would hand the account to anyone, so such values are dropped.
fn safe_url(raw: Option<String>) -> Option<String> {
    let raw = raw?;
    let url = Url::parse(&raw).ok()?;
    let carries_token = raw.to_ascii_lowercase().contains("access_token")
        || url
            .query_pairs()
            .any(|(key, _)| key.to_ascii_lowercase().contains("access_token"));
    (matches!(url.scheme(), "http" | "https") && !carries_token).then_some(raw)
}

/// Instagram sends an empty string where there is nothing to say.
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
pub(crate) mod tests;
