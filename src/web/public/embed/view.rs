//! What `/embed` shows, computed from the snapshot: plain strings the template only prints
//! (askama escapes every one of them; captions stay text whatever they contain).

use crate::feed::cursor;
use crate::feed::domain::{ImageSource, MediaItem, Post, PostKind, Profile};

use super::options::EmbedOptions;

/// The header: who the feed belongs to.
pub(crate) struct HeaderView {
    pub(crate) name: String,
    pub(crate) username: String,
    pub(crate) picture: Option<String>,
    /// The picture's average colour (`#rrggbb`), painted until it loads.
    pub(crate) picture_color: Option<String>,
    pub(crate) profile_url: String,
}

/// One post.
pub(crate) struct TileView {
    /// The post on Instagram: every tile is a real link, so the page works without script.
    pub(crate) link: String,
    pub(crate) image: Option<ImageView>,
    pub(crate) alt: String,
    /// `multi` (carousel) or `video`, for the marker's class; empty for a photo.
    pub(crate) marker: &'static str,
    /// The same for screen readers.
    pub(crate) kind_label: &'static str,
    pub(crate) caption: Option<String>,
    /// In the first row (of the widest layout): fetched at once and first, where later
    /// tiles wait until they near the viewport.
    pub(crate) eager: bool,
    /// The image's average colour (`#rrggbb`), painted in the tile until it decodes.
    pub(crate) color: Option<String>,
}

/// An image with what the browser needs to reserve its box and pick a size and format.
pub(crate) struct ImageView {
    pub(crate) src: String,
    pub(crate) srcset: String,
    pub(crate) width: Option<u32>,
    pub(crate) height: Option<u32>,
    /// The `width`/`height` attributes: the image's size when known, else the tile's shape,
    /// so every image's box is reserved.
    pub(crate) box_width: u32,
    pub(crate) box_height: u32,
    /// Smaller formats than the JPEG `srcset`, best first: `<picture>`'s `<source>`s.
    pub(crate) sources: Vec<SourceView>,
}

/// One `<source type srcset>`: a format and its widths.
pub(crate) struct SourceView {
    pub(crate) mime: String,
    pub(crate) srcset: String,
}

impl SourceView {
    /// The source with only its safe candidates (`URL {width}w`, a web URL each); `None` when
    /// none is left or the type is not an image type.
    fn of(source: &ImageSource) -> Option<Self> {
        let (kind, subtype) = source.mime.split_once('/')?;
        let subtype_ok = !subtype.is_empty()
            && subtype
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b));
        if kind != "image" || !subtype_ok {
            return None;
        }
        let srcset = source
            .srcset
            .split(',')
            .filter_map(|candidate| {
                let mut parts = candidate.split_whitespace();
                let (url, width) = (parts.next()?, parts.next()?);
                let digits = width.strip_suffix('w')?;
                (parts.next().is_none()
                    && is_web_url(url)
                    && !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| format!("{url} {width}"))
            })
            .collect::<Vec<_>>()
            .join(", ");
        (!srcset.is_empty()).then(|| Self {
            mime: source.mime.clone(),
            srcset,
        })
    }
}

/// `#rrggbb` in lower case, or `None`: the only colour text that reaches the page's style.
pub(crate) fn hex_color(value: Option<&str>) -> Option<String> {
    let hex = value?.strip_prefix('#')?;
    (hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("#{}", hex.to_ascii_lowercase()))
}

impl ImageView {
    fn of(item: &MediaItem, aspect: &str) -> Option<Self> {
        let src = item.url.clone().filter(|u| is_web_url(u)).or_else(|| {
            let sizes = item.sizes.iter().filter(|s| is_web_url(&s.url));
            sizes
                .clone()
                .rfind(|s| s.width <= 640)
                .or_else(|| sizes.clone().next())
                .map(|s| s.url.clone())
        })?;
        let exact = item.sizes.iter().find(|s| s.url == src);
        let (width, height) = match (item.width, item.height, exact) {
            (Some(w), Some(h), _)
                if w > 0 && h > 0 && item.url.as_deref() == Some(src.as_str()) =>
            {
                (Some(w), Some(h))
            }
            (_, _, Some(size)) => (Some(size.width), Some(size.height)),
            _ => (None, None),
        };
        let mut entries: Vec<String> = item
            .sizes
            .iter()
            .filter(|s| is_web_url(&s.url) && s.width > 0)
            .map(|s| format!("{} {}w", s.url, s.width))
            .collect();
        if !entries.is_empty()
            && exact.is_none()
            && let Some(w) = width
        {
            entries.push(format!("{src} {w}w"));
        }
        let (box_width, box_height) = match (width, height) {
            (Some(w), Some(h)) => (w, h),
            _ if aspect == "portrait" => (600, 800),
            _ => (600, 600),
        };
        Some(Self {
            srcset: entries.join(", "),
            src,
            width,
            height,
            box_width,
            box_height,
            sources: item.sources.iter().filter_map(SourceView::of).collect(),
        })
    }

    /// Both dimensions known: the `original` aspect can let the image shape its tile.
    pub(crate) fn has_size(&self) -> bool {
        self.width.is_some() && self.height.is_some()
    }
}

/// Only `http(s)` URLs become `href`/`src`: a `javascript:` link would run in igfeed's origin.
fn is_web_url(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        || value.starts_with('/') && !value.starts_with("//")
}

impl HeaderView {
    pub(crate) fn of(profile: &Profile) -> Self {
        Self {
            name: profile
                .name
                .clone()
                .unwrap_or_else(|| profile.username.clone()),
            username: profile.username.clone(),
            picture: profile.picture.clone().filter(|u| is_web_url(u)),
            picture_color: hex_color(profile.picture_color.as_deref()),
            profile_url: profile.profile_url.clone(),
        }
    }
}

impl TileView {
    /// `aspect`: the tiles' shape option, for an image of unknown size; `eager`: the tile is
    /// in the first row.
    pub(crate) fn of(post: &Post, profile_url: &str, aspect: &str, eager: bool) -> Self {
        let item = post.media.first();
        let multi = post.kind == PostKind::Carousel || post.media.len() > 1;
        let video = matches!(post.kind, PostKind::Video | PostKind::Reel);
        let (marker, kind_label) = match (multi, video) {
            (true, _) => ("multi", " (Carousel)"),
            (false, true) => ("video", " (Video)"),
            _ => ("", ""),
        };
        Self {
            link: post
                .link
                .clone()
                .or_else(|| post.permalink.clone())
                .filter(|u| is_web_url(u))
                .unwrap_or_else(|| profile_url.to_owned()),
            image: item.and_then(|item| ImageView::of(item, aspect)),
            alt: alt_text(post.alt.as_deref().or(post.caption.as_deref()), 120),
            marker,
            kind_label,
            caption: post.caption.clone(),
            eager,
            color: item.and_then(|item| hex_color(item.color.as_deref())),
        }
    }
}

/// The page of posts `options` asks for and the cursor after it (if more follow): the same
/// slicing as `/feed.json`, so `after` cursors work across both.
pub(crate) fn page<'a>(posts: &'a [Post], options: &EmbedOptions) -> (&'a [Post], Option<String>) {
    let start = match &options.after {
        None => 0,
        Some(id) => posts
            .iter()
            .position(|p| &p.id == id)
            .map_or(posts.len(), |i| i + 1),
    };
    let end = start.saturating_add(options.limit).min(posts.len());
    let slice = &posts[start..end];
    let next = (end < posts.len())
        .then(|| slice.last().map(|p| cursor::encode(&p.id)))
        .flatten();
    (slice, next)
}

/// Alternative text: one line, trimmed at a word boundary to `max` characters with "…"
/// (the widget's `altText` does the same).
pub(crate) fn alt_text(text: Option<&str>, max: usize) -> String {
    let text = text
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max - 1).collect();
    let trimmed = match cut.rfind(' ') {
        Some(space) if cut[..space].chars().count() > max / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!(
        "{}…",
        trimmed.trim_end_matches(|c: char| c.is_whitespace() || ".,;:!?-".contains(c))
    )
}

#[cfg(test)]
mod tests {
    use super::alt_text;

    #[test]
    fn alt_text_is_one_trimmed_line() {
        assert_eq!(
            alt_text(Some("Line one\n\nline  two"), 120),
            "Line one line two"
        );
        assert_eq!(alt_text(None, 120), "");
        let long = "word ".repeat(40);
        let alt = alt_text(Some(&long), 50);
        assert!(alt.ends_with("word…") && alt.chars().count() <= 50, "{alt}");
        assert_eq!(
            alt_text(Some(&"👋".repeat(60)), 10),
            format!("{}…", "👋".repeat(9))
        );
    }
}
