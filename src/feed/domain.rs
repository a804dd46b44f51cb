//! igfeed's own feed types. Their serde form **is** the public `/feed.json` contract, described
//! field by field in `schema/feed.schema.json` and `docs/feed-json.md`; a test keeps the three
//! in step.
//!
//! Every field is always present: absent values serialise as `null` rather than being left
//! out, so a site's template sees one fixed shape whatever Instagram withheld.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The account and its posts, newest first, as one refresh saw them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feed {
    /// The connected account.
    pub profile: Profile,
    /// Posts, newest first, at most `feed.max_posts`.
    pub posts: Vec<Post>,
}

/// The connected Instagram account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The `@handle` without `@`; empty only if Instagram did not say.
    pub username: String,
    /// Display name.
    pub name: Option<String>,
    /// Profile picture URL on igfeed's own origin (`/media/profile/{size}`).
    pub picture: Option<String>,
    /// The picture's average colour (`#rrggbb`), painted until it loads; `null` until igfeed
    /// has downloaded it.
    #[serde(default)]
    pub picture_color: Option<String>,
    /// Followers.
    pub followers_count: Option<u64>,
    /// Accounts followed.
    pub follows_count: Option<u64>,
    /// Posts on the account (may exceed the posts in the feed).
    pub media_count: Option<u64>,
    /// `business` or `creator`; any other value Instagram may add, lowercased.
    pub account_type: Option<String>,
    /// Bio, when Instagram returns it.
    pub biography: Option<String>,
    /// The account's website as an absolute `http(s)` URL, when set.
    pub website: Option<String>,
    /// `https://www.instagram.com/{username}/`.
    pub profile_url: String,
}

/// One post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    /// Instagram's media id (digits; kept as a string because it exceeds JavaScript numbers).
    pub id: String,
    /// What kind of post this is.
    #[serde(rename = "type")]
    pub kind: PostKind,
    /// The caption as plain text exactly as written (it may look like HTML: escape it).
    pub caption: Option<String>,
    /// Hashtags in the caption without `#`, in order, deduplicated case-insensitively.
    pub hashtags: Vec<String>,
    /// Mentioned handles without `@`, in order, deduplicated case-insensitively.
    pub mentions: Vec<String>,
    /// Link to the post on instagram.com.
    pub permalink: Option<String>,
    /// Where the post links: the owner's override from the feed's definition, else the
    /// permalink.
    #[serde(default)]
    pub link: Option<String>,
    /// Whether the owner pinned the post (pinned posts come first, in the owner's order).
    #[serde(default)]
    pub pinned: bool,
    /// Publication time (RFC 3339, UTC).
    pub timestamp: Option<DateTime<Utc>>,
    /// The owner's alternative text, when written.
    pub alt: Option<String>,
    /// What to show: one item, or one per carousel slide.
    pub media: Vec<MediaItem>,
    /// Likes; `null` when the owner hid them.
    pub like_count: Option<u64>,
    /// Comments.
    pub comments_count: Option<u64>,
}

/// The kind of a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostKind {
    /// A photo.
    Image,
    /// A video that is not a reel.
    Video,
    /// Several photos and/or videos.
    Carousel,
    /// A reel (a video Instagram shows in Reels).
    Reel,
}

/// One picture or video of a post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaItem {
    /// Instagram's id of this item (the post's own id unless it is a carousel slide).
    pub id: String,
    /// Picture or video.
    #[serde(rename = "type")]
    pub kind: MediaKind,
    /// The image to show (the photo, or a video's cover frame) on igfeed's own origin, at
    /// `media.default_size`. `null` when Instagram withheld it (copyrighted music on a reel,
    /// flagged media).
    pub url: Option<String>,
    /// The video file streamed by igfeed, when `media.proxy_video` is on; otherwise `null`
    /// and sites link the post's permalink for playback.
    pub video_url: Option<String>,
    /// A video's cover image: the same URL as `url` (on igfeed's own origin, never
    /// Instagram's CDN); `null` for pictures and when `url` is `null`.
    pub thumbnail_url: Option<String>,
    /// Pixel width of `url`'s image; `null` until igfeed has downloaded the original.
    pub width: Option<u32>,
    /// Pixel height of `url`'s image; `null` until igfeed has downloaded the original.
    pub height: Option<u32>,
    /// Every width igfeed serves of this image, ascending (for `srcset`); empty until igfeed
    /// has downloaded the original.
    #[serde(default)]
    pub sizes: Vec<MediaSize>,
    /// The same widths in smaller formats than JPEG (AVIF), best first, for `<picture>`'s
    /// `<source type srcset>`; only formats igfeed has made already, so often empty just
    /// after a post appears. `sizes` stays the fallback every browser shows.
    #[serde(default)]
    pub sources: Vec<ImageSource>,
    /// The image's average colour (`#rrggbb`), painted in the tile until the image decodes;
    /// `null` until igfeed has downloaded the original.
    #[serde(default)]
    pub color: Option<String>,
}

/// Every width of an image in one format: a ready `<source type srcset>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSource {
    /// Media type, e.g. `image/avif`.
    #[serde(rename = "type")]
    pub mime: String,
    /// `url width"w"` pairs, ascending, the same widths as `sizes`.
    pub srcset: String,
}

/// One width of an image, with its exact pixel size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaSize {
    /// Content-versioned URL on igfeed's own origin.
    pub url: String,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
}

/// The kind of a media item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// A photo.
    Image,
    /// A video.
    Video,
}

/// A feed with the moment Instagram delivered it: what the service keeps in memory and
/// persists, so a restart can serve the last good feed before Instagram answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The feed.
    pub feed: Feed,
    /// When the refresh that produced it finished.
    pub fetched_at: DateTime<Utc>,
    /// Where Instagram's CDN serves each image: igfeed downloads from here and never shows
    /// these URLs to anyone. Absent in snapshots from before igfeed served images itself.
    #[serde(default)]
    pub sources: MediaSources,
    /// Ids of the reels Instagram says were not shared to the profile grid
    /// (`is_shared_to_feed` false: posted to the Reels tab only, or trial reels). Not part of
    /// `/feed.json`: feeds that mirror the grid leave these posts out. Empty in snapshots from
    /// before igfeed asked, and when Instagram did not say.
    #[serde(default)]
    pub unshared_reels: BTreeSet<String>,
}

/// Instagram CDN URLs of the snapshot's images (signed, expiring: INSTAGRAM.md §7).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaSources {
    /// The profile picture.
    pub profile_picture: Option<String>,
    /// Per media item id (a post's own id, or a carousel item's).
    pub items: BTreeMap<String, ItemSources>,
}

/// The CDN URLs of one media item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemSources {
    /// The picture, or a video's cover frame.
    pub image: Option<String>,
    /// A video's file.
    pub video: Option<String>,
}

impl MediaSources {
    /// Whether nothing was recorded (an old snapshot, or an empty account).
    pub fn is_empty(&self) -> bool {
        self.profile_picture.is_none() && self.items.is_empty()
    }
}

/// The whole `/feed.json` document, borrowing from the snapshot so building a page copies
/// nothing but the serialised bytes.
#[derive(Debug, Clone, Serialize)]
pub struct FeedDocument<'a> {
    /// The connected account.
    pub profile: &'a Profile,
    /// This page of posts.
    pub posts: &'a [Post],
    /// Cursor for `?after=` to get the next page, `null` on the last page.
    pub next: Option<String>,
    /// When the snapshot was fetched from Instagram.
    pub updated_at: DateTime<Utc>,
    /// True when the last refresh failed or the snapshot is older than twice the refresh
    /// interval.
    pub stale: bool,
    /// The look the owner chose for this feed (the widget's and `/embed`'s defaults).
    pub display: &'a super::display::Display,
}

#[cfg(test)]
mod tests;
