//! Feed definitions: what an owner decides about a feed (which accounts, which posts, where
//! each links, how it looks). The JSON form is a contract: the admin API's body and answer,
//! and what is stored (`schema/feed-definition.schema.json`, `docs/feed-definitions.md`).
//!
//! [`parse`] reads a caller's JSON field by field, so a mistake is answered with the exact
//! field at fault (`links.1789…`), and fills every default: the stored definition says
//! everything it does.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::display::{self, Columns, Display};
use super::domain::PostKind;

mod hook;
pub use hook::{Hook, HookSecret, MAX_HOOKS, signature};

/// Most entries in `hidden` or `links` (posts an owner moderates by hand).
pub const MAX_MODERATED: usize = 1000;
/// Most pinned posts.
pub const MAX_PINNED: usize = 50;
/// Most hashtags or words in one filter.
pub const MAX_TERMS: usize = 100;
/// Longest hashtag or word in a filter (Instagram's own hashtags stay far below).
pub const MAX_TERM: usize = 100;
/// Longest link override.
pub const MAX_LINK: usize = 2048;
/// Longest post id (Instagram's are about 17 digits).
const MAX_POST_ID: usize = 64;
/// Largest `max_posts` (the setting `feed.max_posts` has the same bound).
pub const MAX_POSTS: usize = 10_000;
/// Most accounts merged into one feed.
pub const MAX_ACCOUNTS: usize = 100;
/// Longest feed name.
pub const MAX_NAME: usize = 64;

/// Every post type, in the order the definition lists them by default.
pub const ALL_TYPES: [PostKind; 4] = [
    PostKind::Image,
    PostKind::Carousel,
    PostKind::Video,
    PostKind::Reel,
];

/// A feed as the owner defined it, every default filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedDefinition {
    /// `[a-z0-9._-]{1,64}`.
    pub name: String,
    /// The accounts' feed names (their lowercased usernames); posts merged newest first.
    pub accounts: Vec<String>,
    /// Post types shown.
    pub types: Vec<PostKind>,
    /// Show reels that Instagram's profile grid leaves out (posted to the Reels tab only,
    /// trial reels).
    pub include_unshared_reels: bool,
    /// When not empty, only posts with at least one of these hashtags (lowercase, no `#`).
    pub hashtags_any: Vec<String>,
    /// Posts with any of these hashtags are left out.
    pub hashtags_none: Vec<String>,
    /// Posts whose caption has any of these whole words are left out (lowercase).
    pub words_none: Vec<String>,
    /// Post ids never shown.
    pub hidden: Vec<String>,
    /// Post ids shown first, in this order, even when a filter would leave them out.
    pub pinned: Vec<String>,
    /// Post id → `https:` URL the post links to instead of its permalink.
    pub links: BTreeMap<String, String>,
    /// Posts in the feed, pinned ones included.
    pub max_posts: usize,
    /// The widget's and `/embed`'s defaults for this feed.
    pub display: Display,
    /// Called when the feed's posts change (static sites' build hooks); secrets never
    /// serialise.
    #[serde(default)]
    pub hooks: Vec<Hook>,
}

/// A caller's mistake, naming the field (`links.17890000000314187`, `display.columns`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` {message}")]
pub struct Invalid {
    /// Where the mistake is, as a dotted path (`name` for the whole body's name).
    pub field: String,
    /// What is wrong, in a few words.
    pub message: String,
}

impl Invalid {
    /// A mistake in `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What a definition's defaults come from.
#[derive(Debug, Clone)]
pub struct Defaults {
    /// `accounts` when the body leaves it out: the default feed's account.
    pub accounts: Vec<String>,
    /// `max_posts` when the body leaves it out (the setting `feed.max_posts`).
    pub max_posts: usize,
}

/// A feed name as written (`[a-z0-9._-]{1,64}`, any case), lowercased.
pub fn parse_name(raw: &str) -> Option<String> {
    let valid = (1..=MAX_NAME).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    valid.then(|| raw.to_ascii_lowercase())
}

/// Reads a definition for the feed `name` (from the URL) from a caller's JSON, checking every
/// field and filling every default. Account names are checked for form only: which accounts
/// exist is the caller's business.
pub fn parse(name: &str, body: &Value, defaults: &Defaults) -> Result<FeedDefinition, Invalid> {
    let Value::Object(body) = body else {
        return Err(Invalid::new("", "the body must be a JSON object"));
    };
    let name = match body.get("name") {
        None => name.to_owned(),
        Some(Value::String(given)) if parse_name(given).as_deref() == Some(name) => name.to_owned(),
        Some(_) => {
            return Err(Invalid::new(
                "name",
                format!("must be the feed name in the URL, `{name}`"),
            ));
        }
    };
    let mut fields = Fields {
        body,
        seen: BTreeSet::from(["name"]),
    };
    let accounts = fields.strings("accounts", MAX_ACCOUNTS, |raw| {
        parse_name(raw).ok_or("is not an account's feed name (its Instagram username)")
    })?;
    let definition = FeedDefinition {
        name,
        accounts: if accounts.is_empty() {
            defaults.accounts.clone()
        } else {
            accounts
        },
        types: fields.types()?,
        include_unshared_reels: fields.flag("include_unshared_reels", false)?,
        hashtags_any: fields.strings("hashtags_any", MAX_TERMS, hashtag)?,
        hashtags_none: fields.strings("hashtags_none", MAX_TERMS, hashtag)?,
        words_none: fields.strings("words_none", MAX_TERMS, word)?,
        hidden: fields.strings("hidden", MAX_MODERATED, post_id)?,
        pinned: fields.strings("pinned", MAX_PINNED, post_id)?,
        links: fields.links()?,
        max_posts: fields.max_posts(defaults.max_posts)?,
        display: fields.display()?,
        hooks: match fields.get("hooks") {
            None => Vec::new(),
            Some(value) => hook::parse(value)?,
        },
    };
    if let Some(key) = fields.unknown() {
        return Err(Invalid::new(
            printable(key),
            "is not a field of a feed definition",
        ));
    }
    if let Some(i) = definition
        .pinned
        .iter()
        .position(|id| definition.hidden.contains(id))
    {
        return Err(Invalid::new(
            format!("pinned.{i}"),
            "is also hidden: a post is either pinned or hidden",
        ));
    }
    Ok(definition)
}

/// The body's fields, remembering which were read so unknown ones (typos) can be refused.
struct Fields<'a> {
    body: &'a Map<String, Value>,
    seen: BTreeSet<&'static str>,
}

impl<'a> Fields<'a> {
    fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.seen.insert(key);
        self.body.get(key).filter(|v| !v.is_null())
    }

    fn unknown(&self) -> Option<&'a str> {
        self.body
            .keys()
            .map(String::as_str)
            .find(|key| !self.seen.contains(key))
    }

    fn flag(&mut self, key: &'static str, default: bool) -> Result<bool, Invalid> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(Invalid::new(key, "must be true or false")),
        }
    }

    /// A list of strings, each checked (and normalised) by `check`, duplicates dropped.
    fn strings(
        &mut self,
        key: &'static str,
        max: usize,
        check: impl Fn(&str) -> Result<String, &'static str>,
    ) -> Result<Vec<String>, Invalid> {
        let Some(value) = self.get(key) else {
            return Ok(Vec::new());
        };
        let Value::Array(items) = value else {
            return Err(Invalid::new(key, "must be a list"));
        };
        if items.len() > max {
            return Err(Invalid::new(key, format!("may hold at most {max} entries")));
        }
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let field = || format!("{key}.{i}");
            let Value::String(raw) = item else {
                return Err(Invalid::new(field(), "must be a string"));
            };
            let value = check(raw.trim()).map_err(|message| Invalid::new(field(), message))?;
            if !out.contains(&value) {
                out.push(value);
            }
        }
        Ok(out)
    }

    fn types(&mut self) -> Result<Vec<PostKind>, Invalid> {
        if self.body.get("types").is_none_or(Value::is_null) {
            self.seen.insert("types");
            return Ok(ALL_TYPES.to_vec());
        }
        let names = self.strings("types", ALL_TYPES.len() * 4, |raw| {
            let lower = raw.to_ascii_lowercase();
            ["image", "carousel", "video", "reel"]
                .contains(&lower.as_str())
                .then_some(lower)
                .ok_or("must be one of: image, carousel, video, reel")
        })?;
        if names.is_empty() {
            return Err(Invalid::new(
                "types",
                "must name at least one type (leave it out for all)",
            ));
        }
        Ok(ALL_TYPES
            .into_iter()
            .filter(|kind| names.iter().any(|n| n == kind_name(*kind)))
            .collect())
    }

    fn links(&mut self) -> Result<BTreeMap<String, String>, Invalid> {
        let Some(value) = self.get("links") else {
            return Ok(BTreeMap::new());
        };
        let Value::Object(links) = value else {
            return Err(Invalid::new(
                "links",
                "must be an object of post id → https URL",
            ));
        };
        if links.len() > MAX_MODERATED {
            return Err(Invalid::new(
                "links",
                format!("may hold at most {MAX_MODERATED} entries"),
            ));
        }
        let mut out = BTreeMap::new();
        for (id, url) in links {
            let field = || format!("links.{}", printable(id));
            let id = post_id(id).map_err(|message| Invalid::new(field(), message))?;
            let Value::String(url) = url else {
                return Err(Invalid::new(field(), "must be an https URL"));
            };
            let url = link(url.trim()).map_err(|message| Invalid::new(field(), message))?;
            out.insert(id, url);
        }
        Ok(out)
    }

    fn max_posts(&mut self, default: usize) -> Result<usize, Invalid> {
        match self.get("max_posts") {
            None => Ok(default),
            Some(value) => value
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| (1..=MAX_POSTS).contains(n))
                .ok_or_else(|| {
                    Invalid::new(
                        "max_posts",
                        format!("must be a whole number from 1 to {MAX_POSTS}"),
                    )
                }),
        }
    }

    fn display(&mut self) -> Result<Display, Invalid> {
        let Some(value) = self.get("display") else {
            return Ok(Display::default());
        };
        let Value::Object(body) = value else {
            return Err(Invalid::new("display", "must be an object"));
        };
        let mut fields = Fields {
            body,
            seen: BTreeSet::new(),
        };
        let d = Display::default();
        let display = Display {
            layout: fields.choice("layout", display::LAYOUTS, &d.layout)?,
            columns: fields.columns()?,
            aspect: fields.choice("aspect", display::ASPECTS, &d.aspect)?,
            captions: fields.choice("captions", display::CAPTIONS, &d.captions)?,
            header: fields.flag("header", d.header).map_err(in_display)?,
            load_more: fields.flag("load_more", d.load_more).map_err(in_display)?,
            theme: fields.choice("theme", display::THEMES, &d.theme)?,
            gap: match fields.get("gap") {
                None => None,
                Some(Value::String(raw)) => Some(
                    display::parse_gap(&raw.trim().to_ascii_lowercase())
                        .map_err(|message| Invalid::new("display.gap", message))?,
                ),
                Some(Value::Number(n)) => Some(
                    display::parse_gap(&n.to_string())
                        .map_err(|message| Invalid::new("display.gap", message))?,
                ),
                Some(_) => return Err(Invalid::new("display.gap", "must be a CSS length")),
            },
            lightbox: fields.flag("lightbox", d.lightbox).map_err(in_display)?,
        };
        if let Some(key) = fields.unknown() {
            return Err(Invalid::new(
                format!("display.{}", printable(key)),
                "is not a display option",
            ));
        }
        Ok(display)
    }

    /// One of `allowed`, any case (within `display`).
    fn choice(
        &mut self,
        key: &'static str,
        allowed: &[&str],
        default: &str,
    ) -> Result<String, Invalid> {
        match self.get(key) {
            None => Ok(default.to_owned()),
            Some(Value::String(raw)) => {
                let lower = raw.trim().to_ascii_lowercase();
                if allowed.contains(&lower.as_str()) {
                    Ok(lower)
                } else {
                    Err(Invalid::new(
                        format!("display.{key}"),
                        format!("must be one of: {}", allowed.join(", ")),
                    ))
                }
            }
            Some(_) => Err(Invalid::new(
                format!("display.{key}"),
                format!("must be one of: {}", allowed.join(", ")),
            )),
        }
    }

    fn columns(&mut self) -> Result<Columns, Invalid> {
        let field = "display.columns";
        let count = |n: &serde_json::Number| {
            n.as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .filter(|n| (display::MIN_COLUMNS..=display::MAX_COLUMNS).contains(n))
        };
        match self.get("columns") {
            None => Ok(Columns::default()),
            Some(Value::Number(n)) => count(n)
                .map(Columns::Fixed)
                .ok_or_else(|| Invalid::new(field, "must be a whole number from 1 to 8")),
            Some(Value::String(raw)) => {
                Columns::parse_text(raw).map_err(|message| Invalid::new(field, message))
            }
            Some(Value::Object(points)) => {
                let mut parsed = BTreeMap::new();
                for (width, n) in points {
                    let entry = || format!("{field}.{}", printable(width));
                    let width = (!width.is_empty()
                        && width.len() <= 4
                        && width.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| width.parse::<u16>().ok())
                    .flatten()
                    .ok_or_else(|| {
                        Invalid::new(entry(), "must be a width in CSS pixels, 0 to 9999")
                    })?;
                    let n = match n {
                        Value::Number(n) => count(n),
                        _ => None,
                    }
                    .ok_or_else(|| Invalid::new(entry(), "must be a whole number from 1 to 8"))?;
                    parsed.insert(width, n);
                }
                Columns::from_breakpoints(parsed).map_err(|message| Invalid::new(field, message))
            }
            Some(_) => Err(Invalid::new(
                field,
                "must be a number of columns or an object of width → columns",
            )),
        }
    }
}

fn in_display(error: Invalid) -> Invalid {
    Invalid::new(format!("display.{}", error.field), error.message)
}

/// The name a definition uses for a post type.
pub fn kind_name(kind: PostKind) -> &'static str {
    match kind {
        PostKind::Image => "image",
        PostKind::Carousel => "carousel",
        PostKind::Video => "video",
        PostKind::Reel => "reel",
    }
}

/// A key echoed in an error, cut short and stripped of anything unprintable.
fn printable(key: &str) -> String {
    key.chars()
        .filter(|c| !c.is_control())
        .take(MAX_POST_ID + 1)
        .collect()
}

/// A hashtag as igfeed parses them (letters, digits, `_`), without `#`, lowercased.
fn hashtag(raw: &str) -> Result<String, &'static str> {
    let tag = raw.strip_prefix('#').unwrap_or(raw);
    let ok = !tag.is_empty()
        && tag.chars().count() <= MAX_TERM
        && tag.chars().all(|c| c.is_alphanumeric() || c == '_');
    ok.then(|| tag.to_lowercase())
        .ok_or("must be a hashtag: letters, digits and _ (with or without #), at most 100")
}

/// One word: letters and digits only (the filter compares whole words of the caption).
fn word(raw: &str) -> Result<String, &'static str> {
    let ok = !raw.is_empty()
        && raw.chars().count() <= MAX_TERM
        && raw.chars().all(char::is_alphanumeric);
    ok.then(|| raw.to_lowercase())
        .ok_or("must be one word of letters and digits, at most 100")
}

/// A post id as Instagram writes them (digits; letters and `_` tolerated).
fn post_id(raw: &str) -> Result<String, &'static str> {
    let ok = (1..=MAX_POST_ID).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then(|| raw.to_owned())
        .ok_or("must be a post id (digits, at most 64)")
}

/// A link override: an absolute `https:` URL with a host and no user name or password.
fn link(raw: &str) -> Result<String, &'static str> {
    if raw.len() > MAX_LINK {
        return Err("must be at most 2048 characters");
    }
    let url = url::Url::parse(raw).map_err(|_| "must be an absolute https URL")?;
    if url.scheme() != "https" {
        return Err("must be an https URL (http:, javascript: and others are refused)");
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must be an https URL with a host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password");
    }
    Ok(url.to_string())
}

/// Whether every value of a definition read from storage is still within today's rules
/// (a definition stored by a later release, or edited by hand, is not trusted blindly).
pub fn check_stored(definition: &FeedDefinition) -> Result<(), Invalid> {
    let value =
        serde_json::to_value(definition).map_err(|error| Invalid::new("", error.to_string()))?;
    let defaults = Defaults {
        accounts: definition.accounts.clone(),
        max_posts: definition.max_posts,
    };
    let reparsed = parse(&definition.name, &value, &defaults)?;
    if parse_name(&definition.name).as_deref() != Some(definition.name.as_str()) {
        return Err(Invalid::new("name", "is not a feed name"));
    }
    if reparsed.display.columns.is_valid() {
        Ok(())
    } else {
        Err(Invalid::new("display.columns", "is out of bounds"))
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
