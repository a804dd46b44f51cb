//! Instagram's JSON exactly as it arrives, with every documented variation accepted.
//!
//! Ids arrive as strings or as JSON numbers too big for JavaScript, so they are kept as
//! strings; bodies arrive flat or wrapped in `{"data":[…]}`; timestamps carry `+0000` offsets
//! that strict RFC 3339 parsers reject. Mapping to igfeed's own types happens elsewhere.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Deserializer};

/// A token as the OAuth and token endpoints hand it out.
#[derive(Deserialize)]
pub(crate) struct TokenBody {
    pub access_token: String,
    #[serde(default, deserialize_with = "opt_id")]
    pub user_id: Option<String>,
    #[serde(default)]
    pub permissions: Option<Permissions>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// `permissions` is documented as a comma-separated string; accept a list as well.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Permissions {
    Joined(String),
    List(Vec<String>),
}

impl Permissions {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Self::Joined(s) => s
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            Self::List(list) => list,
        }
    }
}

/// The account (`GET /me`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Profile {
    /// App-scoped user id.
    #[serde(deserialize_with = "id")]
    pub id: String,
    /// The professional account id (what Meta's callbacks name).
    #[serde(default, deserialize_with = "opt_id")]
    pub user_id: Option<String>,
    /// `@handle`.
    #[serde(default)]
    pub username: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// `Business` or `Media_Creator` (case varies).
    #[serde(default)]
    pub account_type: Option<String>,
    /// Signed, expiring CDN URL.
    #[serde(default)]
    pub profile_picture_url: Option<String>,
    /// Followers.
    #[serde(default)]
    pub followers_count: Option<u64>,
    /// Accounts followed.
    #[serde(default)]
    pub follows_count: Option<u64>,
    /// Posts on the account.
    #[serde(default)]
    pub media_count: Option<u64>,
    /// Bio, when Instagram returns it.
    #[serde(default)]
    pub biography: Option<String>,
    /// Website, when Instagram returns it.
    #[serde(default)]
    pub website: Option<String>,
}

/// The kind of a post or carousel child.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MediaType {
    /// A photo.
    Image,
    /// A video or reel.
    Video,
    /// Several photos/videos.
    CarouselAlbum,
    /// Anything Instagram adds later: kept, not fatal.
    #[serde(other)]
    Other,
}

/// A post (`GET /me/media`, `GET /{media-id}`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Media {
    /// Media id.
    #[serde(deserialize_with = "id")]
    pub id: String,
    /// Caption text as written (may look like HTML: it is text).
    #[serde(default)]
    pub caption: Option<String>,
    /// Absent when only `id` was requested.
    #[serde(default)]
    pub media_type: Option<MediaType>,
    /// `FEED`, `REELS`, … when returned.
    #[serde(default)]
    pub media_product_type: Option<String>,
    /// Signed CDN URL; missing on copyrighted or flagged media.
    #[serde(default)]
    pub media_url: Option<String>,
    /// Videos only.
    #[serde(default)]
    pub thumbnail_url: Option<String>,
    /// Link to the post on instagram.com.
    #[serde(default)]
    pub permalink: Option<String>,
    /// Short code of the permalink.
    #[serde(default)]
    pub shortcode: Option<String>,
    /// Publication time.
    #[serde(default, deserialize_with = "opt_timestamp")]
    pub timestamp: Option<DateTime<Utc>>,
    /// Owner's handle.
    #[serde(default)]
    pub username: Option<String>,
    /// Missing when the owner hid likes.
    #[serde(default)]
    pub like_count: Option<u64>,
    /// Comments.
    #[serde(default)]
    pub comments_count: Option<u64>,
    /// Accessibility text, when set.
    #[serde(default)]
    pub alt_text: Option<String>,
    /// Reels only: `false` for a reel posted to the Reels tab only (and trial reels), which
    /// the profile grid does not show; `None` when Instagram did not say.
    #[serde(default, deserialize_with = "opt_bool")]
    pub is_shared_to_feed: Option<bool>,
    /// Carousel items.
    #[serde(default)]
    pub children: Option<Page<Media>>,
}

/// One page of a list: `{"data":[…],"paging":{…}}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
pub struct Page<T> {
    /// The items that could be read (see [`readable_items`]).
    #[serde(deserialize_with = "readable_items")]
    pub data: Vec<T>,
    /// Cursors and links.
    #[serde(default)]
    pub paging: Option<Paging>,
}

/// Paging links; `next` carries the access token in its query string.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Paging {
    /// Absolute URL of the next page, absent on the last.
    #[serde(default)]
    pub next: Option<String>,
}

/// Takes the first item out of a `{"data":[…]}` wrapper, or returns a flat body as it is.
pub(crate) fn unwrap_data(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(mut map)
            if !map.contains_key("id") && !map.contains_key("access_token") =>
        {
            match map.remove("data") {
                Some(serde_json::Value::Array(items)) => {
                    items.into_iter().next().unwrap_or(serde_json::Value::Null)
                }
                Some(other) => other,
                None => serde_json::Value::Object(map),
            }
        }
        other => other,
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrNumber {
    String(String),
    Unsigned(u64),
    Signed(i64),
}

impl From<StringOrNumber> for String {
    fn from(value: StringOrNumber) -> Self {
        match value {
            StringOrNumber::String(s) => s,
            StringOrNumber::Unsigned(n) => n.to_string(),
            StringOrNumber::Signed(n) => n.to_string(),
        }
    }
}

fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    StringOrNumber::deserialize(d).map(String::from)
}

fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<StringOrNumber>::deserialize(d)?.map(String::from))
}

/// A flag that is not a boolean (or its string form) is unknown rather than fatal: it must
/// not cost the post.
fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(flag) => Some(flag),
        serde_json::Value::String(text) if text.eq_ignore_ascii_case("true") => Some(true),
        serde_json::Value::String(text) if text.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    })
}

/// One odd item must not cost the owner the whole feed (every refresh would fail on it for as
/// long as the post exists): items that cannot be read are left out with a warning. More than
/// one in ten unreadable is an error, though — that is a changed API, and a thinned-out feed
/// must not replace the last good one.
fn readable_items<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let raw = Vec::<serde_json::Value>::deserialize(d)?;
    let total = raw.len();
    let mut items = Vec::with_capacity(total);
    let mut first_problem = None;
    for value in raw {
        let id = value.get("id").map(ToString::to_string).unwrap_or_default();
        match serde_json::from_value(value) {
            Ok(item) => items.push(item),
            Err(error) => {
                tracing::warn!(%id, %error, "leaving out an item Instagram sent that igfeed cannot read");
                first_problem.get_or_insert(error);
            }
        }
    }
    let unreadable = total - items.len();
    match first_problem {
        Some(error) if unreadable > (total / 10).max(1) => Err(serde::de::Error::custom(format!(
            "{unreadable} of the {total} items could not be read: {error}"
        ))),
        _ => Ok(items),
    }
}

/// An unreadable time leaves the post without one rather than failing it.
fn opt_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let Some(raw) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let parsed = parse_timestamp(&raw);
    if parsed.is_none() {
        tracing::warn!(timestamp = %raw, "unreadable post timestamp; left out");
    }
    Ok(parsed)
}

/// Parses Instagram's `2024-05-01T12:00:00+0000` as well as RFC 3339 forms.
pub fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::<FixedOffset>::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| DateTime::parse_from_rfc3339(raw))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
