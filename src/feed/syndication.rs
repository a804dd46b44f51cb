//! A feed for feed readers and automations (Zapier, IFTTT, a static site's build): RSS 2.0
//! (`/rss.xml`) and JSON Feed 1.1 (`/jsonfeed.json`), made from the same document as
//! `/feed.json`. Images are igfeed's own URLs, like everywhere else; titles are the
//! caption's first line. The XML is written by hand (a few elements, every text escaped and
//! stripped of characters XML 1.0 forbids), so no XML crate joins the build.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::document::MAX_PAGE;
use super::domain::{MediaItem, MediaKind, Post, PostKind, Profile, Snapshot};

/// A title longer than this many characters is cut at a word and ends with `…`.
const MAX_TITLE_CHARS: usize = 100;

/// Which syndication format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syndication {
    /// RSS 2.0 with Media RSS (`media:content`).
    Rss,
    /// JSON Feed 1.1.
    JsonFeed,
}

impl Syndication {
    /// The route serving it, without the query.
    pub fn path(self) -> &'static str {
        match self {
            Syndication::Rss => "/rss.xml",
            Syndication::JsonFeed => "/jsonfeed.json",
        }
    }

    /// Its media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Syndication::Rss => "application/rss+xml; charset=utf-8",
            Syndication::JsonFeed => "application/feed+json",
        }
    }

    /// The serialised feed of `snapshot`'s newest posts (at most a page of
    /// [`MAX_PAGE`]); `feed_url` is where it is served, as its own self link.
    pub fn render(self, snapshot: &Snapshot, feed_url: &str) -> Vec<u8> {
        let posts = &snapshot.feed.posts[..snapshot.feed.posts.len().min(MAX_PAGE)];
        let profile = &snapshot.feed.profile;
        match self {
            Syndication::Rss => rss(profile, posts, snapshot.fetched_at, feed_url).into_bytes(),
            Syndication::JsonFeed => json_feed(profile, posts, feed_url),
        }
    }
}

/// The channel's title: "Name (@user) on Instagram".
fn channel_title(profile: &Profile) -> String {
    let user = if profile.username.is_empty() {
        String::new()
    } else {
        format!("@{}", profile.username)
    };
    match (profile.name.as_deref().map(str::trim), user.is_empty()) {
        (Some(name), false) if !name.is_empty() && name != profile.username => {
            format!("{name} ({user}) on Instagram")
        }
        (_, false) => format!("{user} on Instagram"),
        (Some(name), true) if !name.is_empty() => format!("{name} on Instagram"),
        _ => "Instagram posts".to_owned(),
    }
}

/// The post's title: the caption's first non-empty line, shortened at a word; else what the
/// post is ("Photo", "Reel", …).
pub fn post_title(post: &Post) -> String {
    // Control characters and the non-characters XML forbids say nothing in a title.
    let readable = |line: &str| -> String {
        line.chars()
            .filter(|c| !c.is_control() && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
            .collect::<String>()
            .trim()
            .to_owned()
    };
    let line = post
        .caption
        .as_deref()
        .and_then(|c| c.lines().map(readable).find(|l| !l.is_empty()));
    let Some(line) = line else {
        return match post.kind {
            PostKind::Image => "Photo",
            PostKind::Video => "Video",
            PostKind::Carousel => "Album",
            PostKind::Reel => "Reel",
        }
        .to_owned();
    };
    if line.chars().count() <= MAX_TITLE_CHARS {
        return line;
    }
    let cut: String = line.chars().take(MAX_TITLE_CHARS).collect();
    let at_word = cut
        .rfind(char::is_whitespace)
        .filter(|&i| i > MAX_TITLE_CHARS / 2)
        .map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end())
}

/// Where the post leads: the owner's link, else Instagram's permalink.
fn post_url(post: &Post) -> Option<&str> {
    post.link.as_deref().or(post.permalink.as_deref())
}

/// The largest image igfeed serves of `item`, with its size when known.
fn largest_image(item: &MediaItem) -> Option<(&str, Option<(u32, u32)>)> {
    match item.sizes.last() {
        Some(size) => Some((size.url.as_str(), Some((size.width, size.height)))),
        None => item.url.as_deref().map(|url| (url, None)),
    }
}

fn rss(profile: &Profile, posts: &[Post], fetched_at: DateTime<Utc>, feed_url: &str) -> String {
    let title = channel_title(profile);
    let description = profile
        .biography
        .as_deref()
        .filter(|b| !b.trim().is_empty())
        .map_or_else(|| format!("The latest posts of {title}"), str::to_owned);
    let mut out = String::with_capacity(1024 + posts.len() * 1024);
    out.push_str(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        "\n",
        r#"<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">"#,
        "\n<channel>\n"
    ));
    element(&mut out, "title", &title);
    element(&mut out, "link", &profile.profile_url);
    element(&mut out, "description", &description);
    let _ = writeln!(
        out,
        r#"<atom:link href="{}" rel="self" type="application/rss+xml"/>"#,
        escape(feed_url)
    );
    element(&mut out, "lastBuildDate", &fetched_at.to_rfc2822());
    element(&mut out, "generator", "igfeed");
    if let Some(picture) = &profile.picture {
        out.push_str("<image>");
        element(&mut out, "url", picture);
        element(&mut out, "title", &title);
        element(&mut out, "link", &profile.profile_url);
        out.push_str("</image>\n");
    }
    for post in posts {
        out.push_str("<item>\n");
        element(&mut out, "title", &post_title(post));
        if let Some(url) = post_url(post) {
            element(&mut out, "link", url);
        }
        element_with(&mut out, "guid", r#" isPermaLink="false""#, &post.id);
        if let Some(at) = post.timestamp {
            element(&mut out, "pubDate", &at.to_rfc2822());
        }
        if let Some(caption) = post.caption.as_deref().filter(|c| !c.trim().is_empty()) {
            // Readers render a description as HTML: the caption is text, so it is escaped
            // as HTML (line breaks kept), then as XML.
            element(&mut out, "description", &html_text(caption));
        }
        for tag in &post.hashtags {
            element(&mut out, "category", tag);
        }
        let images: Vec<(&str, Option<(u32, u32)>)> =
            post.media.iter().filter_map(largest_image).collect();
        // One enclosure per item is what readers show; its length is not known up front
        // (RSS says 0 then). Every image is in `media:content`.
        if let Some((url, _)) = images.first() {
            let _ = writeln!(
                out,
                r#"<enclosure url="{}" length="0" type="image/jpeg"/>"#,
                escape(url)
            );
        }
        for (url, size) in &images {
            let _ = write!(
                out,
                r#"<media:content url="{}" medium="image" type="image/jpeg""#,
                escape(url)
            );
            if let Some((width, height)) = size {
                let _ = write!(out, r#" width="{width}" height="{height}""#);
            }
            out.push_str("/>\n");
        }
        for video in post.media.iter().filter_map(|m| m.video_url.as_deref()) {
            let _ = writeln!(
                out,
                r#"<media:content url="{}" medium="video" type="video/mp4"/>"#,
                escape(video)
            );
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

fn element(out: &mut String, name: &str, text: &str) {
    element_with(out, name, "", text);
}

fn element_with(out: &mut String, name: &str, attributes: &str, text: &str) {
    let _ = writeln!(out, "<{name}{attributes}>{}</{name}>", escape(text));
}

/// Plain `text` as HTML: markup escaped (the same escapes as XML's), line breaks as `<br>`.
fn html_text(text: &str) -> String {
    escape(text).replace("\r\n", "\n").replace('\n', "<br>")
}

/// `text` as XML character data or an attribute value: markup escaped, and characters XML
/// 1.0 does not allow (most control characters, U+FFFE, U+FFFF) left out, so a hostile
/// caption cannot break a reader's parser.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>).
#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: String,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    icon: Option<&'a str>,
    authors: [Author<'a>; 1],
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: String,
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    avatar: Option<&'a str>,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    /// Instagram's page of the post, when `url` is the owner's own link.
    #[serde(skip_serializing_if = "Option::is_none")]
    external_url: Option<&'a str>,
    title: String,
    content_text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_published: Option<String>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment<'a>>,
}

#[derive(Serialize)]
struct Attachment<'a> {
    url: &'a str,
    mime_type: &'static str,
}

fn json_feed(profile: &Profile, posts: &[Post], feed_url: &str) -> Vec<u8> {
    let title = channel_title(profile);
    let items = posts
        .iter()
        .map(|post| {
            let url = post_url(post);
            let mut attachments = Vec::new();
            for item in &post.media {
                if let Some((image, _)) = largest_image(item) {
                    attachments.push(Attachment {
                        url: image,
                        mime_type: "image/jpeg",
                    });
                }
                if let Some(video) = item.video_url.as_deref()
                    && item.kind == MediaKind::Video
                {
                    attachments.push(Attachment {
                        url: video,
                        mime_type: "video/mp4",
                    });
                }
            }
            Item {
                id: &post.id,
                url,
                external_url: post.permalink.as_deref().filter(|p| Some(*p) != url),
                title: post_title(post),
                content_text: post.caption.as_deref().unwrap_or_default(),
                image: post.media.first().and_then(|m| m.url.as_deref()),
                date_published: post.timestamp.map(|t| t.to_rfc3339()),
                tags: &post.hashtags,
                attachments,
            }
        })
        .collect();
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        home_page_url: &profile.profile_url,
        feed_url,
        description: profile
            .biography
            .as_deref()
            .filter(|b| !b.trim().is_empty()),
        icon: profile.picture.as_deref(),
        authors: [Author {
            name: if profile.username.is_empty() {
                title.clone()
            } else {
                format!("@{}", profile.username)
            },
            url: &profile.profile_url,
            avatar: profile.picture.as_deref(),
        }],
        title,
        items,
    };
    // Plain data always serialises; an empty object is the safe fallback.
    serde_json::to_vec(&feed).unwrap_or_else(|_| b"{}".to_vec())
}

#[cfg(test)]
mod tests;
