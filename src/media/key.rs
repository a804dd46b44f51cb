//! What a `/media/…` path names, parsed strictly: the only input a visitor controls.
//!
//! Accepted forms (everything else is refused before any lookup or file access):
//! `profile/{size}`, `{post-id}/{size}`, `{post-id}/{index}/{size}`, `{size}.avif` in place
//! of `{size}` for a post's image as AVIF, and `video` in place of `{size}` for a video item.
//! `{index}` counts a carousel's items from 0; item 0 has the short form, and JPEG has no
//! extension, so every file has exactly one URL.

use std::fmt;

pub use super::encode::Format;

/// Longest media id accepted (Instagram's are 17–19 digits).
const MAX_ID_DIGITS: usize = 32;
/// Instagram carousels hold at most 20 items.
pub const MAX_ITEMS: usize = 20;

/// Whose image: the profile picture or one item of a post.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// The account's profile picture.
    Profile,
    /// Item `index` of post `post` (0 for a single image or video).
    Item {
        /// The post's media id (digits only).
        post: String,
        /// Position in the post's `media` list.
        index: usize,
    },
}

/// What of the target is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The image resized to this configured width, in this format.
    Size(u32, Format),
    /// The video file (only with `media.proxy_video`).
    Video,
}

/// A parsed `/media/…` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPath {
    /// Whose image.
    pub target: Target,
    /// Which rendition.
    pub variant: Variant,
}

impl Target {
    /// The cache key: also the disk file's stem, so it holds only `[a-z0-9_]`.
    pub fn key(&self) -> String {
        match self {
            Target::Profile => "profile".to_owned(),
            Target::Item { post, index } => format!("p{post}_{index}"),
        }
    }

    /// The path below `/media/` naming `variant` of this target.
    pub fn path(&self, variant: Variant) -> String {
        let last = match variant {
            Variant::Size(size, format) => match format.extension() {
                Some(extension) => format!("{size}.{extension}"),
                None => size.to_string(),
            },
            Variant::Video => "video".to_owned(),
        };
        match self {
            Target::Profile => format!("profile/{last}"),
            Target::Item { post, index: 0 } => format!("{post}/{last}"),
            Target::Item { post, index } => format!("{post}/{index}/{last}"),
        }
    }
}

/// The file extension of `format` in an export (`igfeed export --with-media`): static hosts
/// pick the `Content-Type` from it.
pub fn file_extension(format: Format) -> &'static str {
    match format {
        Format::Jpeg => "jpg",
        Format::Avif => "avif",
    }
}

/// Longest content version accepted in a file name (igfeed's are 16 hex digits).
const MAX_VERSION: usize = 32;

impl Target {
    /// The path below an export's `media/` directory of width `size` in `format` at content
    /// version `version`: `{post}[/{index}]/{size}.{version}.{jpg|avif}`, `profile/…` for the
    /// profile picture. The version is in the name, so a changed image gets a new URL however
    /// long a static host lets browsers cache the old one. `None` for a version that is not
    /// hex digits: nothing else ever becomes part of a path.
    pub fn file_path(&self, size: u32, format: Format, version: &str) -> Option<String> {
        let post_ok = match self {
            Target::Profile => format == Format::Jpeg,
            Target::Item { post, index } => {
                digits(post, MAX_ID_DIGITS).is_some() && *index < MAX_ITEMS
            }
        };
        let version_ok = !version.is_empty()
            && version.len() <= MAX_VERSION
            && version
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        (post_ok && version_ok).then(|| {
            let name = format!("{size}.{version}.{}", file_extension(format));
            match self {
                Target::Profile => format!("profile/{name}"),
                Target::Item { post, index: 0 } => format!("{post}/{name}"),
                Target::Item { post, index } => format!("{post}/{index}/{name}"),
            }
        })
    }
}

/// One file of an export, as [`Target::file_path`] names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    /// Whose image.
    pub target: Target,
    /// The configured width.
    pub size: u32,
    /// The format.
    pub format: Format,
    /// The content version.
    pub version: String,
}

/// Reads a path below an export's `media/` directory back (`None` for anything
/// [`Target::file_path`] does not build): what an export may remove as its own.
pub fn parse_file_path(path: &str) -> Option<ExportFile> {
    let (dirs, name) = path.rsplit_once('/')?;
    let target = match dirs.split('/').collect::<Vec<_>>().as_slice() {
        ["profile"] => Target::Profile,
        [post] => item(post, "0").ok()?,
        [post, index] => item(post, index).ok()?,
        _ => return None,
    };
    let mut parts = name.split('.');
    let (size, version, extension) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let format = [Format::Jpeg, Format::Avif]
        .into_iter()
        .find(|f| file_extension(*f) == extension)?;
    let size = digits(size, 5)?.parse().ok()?;
    let file = ExportFile {
        target,
        size,
        format,
        version: version.to_owned(),
    };
    // One spelling per file: leading zeros, `/0/` and the like are not ours.
    (file.target.file_path(size, format, version).as_deref() == Some(path)).then_some(file)
}

/// Why a path was refused; the message is safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPath(pub &'static str);

impl fmt::Display for BadPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Parses the part of the path after `/media/`, already percent-decoded or not: only ASCII
/// digits, `profile` and `video` are accepted, so `..`, `%2e` or separators cannot pass.
pub fn parse(tail: &str) -> Result<MediaPath, BadPath> {
    let segments: Vec<&str> = tail.split('/').collect();
    let (target, last) = match segments.as_slice() {
        ["profile", last] => (Target::Profile, *last),
        [post, last] => (item(post, "0")?, *last),
        [post, index, last] => (item(post, index)?, *last),
        _ => {
            return Err(BadPath(
                "expected /media/{post-id}/{size} or /media/{post-id}/{index}/{size}",
            ));
        }
    };
    let variant = match last {
        "video" if target != Target::Profile => Variant::Video,
        last => {
            let (size, format) = match last.split_once('.') {
                None => (last, Format::Jpeg),
                Some((size, extension)) if target != Target::Profile => (
                    size,
                    Format::MODERN
                        .into_iter()
                        .find(|f| f.extension() == Some(extension))
                        .ok_or(BadPath(
                            "the format must be .avif, or no extension for JPEG",
                        ))?,
                ),
                Some(_) => return Err(BadPath("profile pictures are served as JPEG only")),
            };
            let size = digits(size, 5)
                .and_then(|s| s.parse().ok())
                .ok_or(BadPath("the size must be a width in pixels, e.g. 640"))?;
            Variant::Size(size, format)
        }
    };
    // One URL per image: `0640`, `/0/` for the first item and the like would each be cached
    // separately by browsers and CDNs.
    if target.path(variant) != tail {
        return Err(BadPath(
            "not a media URL igfeed hands out (no leading zeros; the first item has no index)",
        ));
    }
    Ok(MediaPath { target, variant })
}

fn item(post: &str, index: &str) -> Result<Target, BadPath> {
    let post = digits(post, MAX_ID_DIGITS).ok_or(BadPath("the post id must be digits"))?;
    let index = digits(index, 2)
        .and_then(|i| i.parse::<usize>().ok())
        .filter(|i| *i < MAX_ITEMS)
        .ok_or(BadPath("the item index must be a number from 0 to 19"))?;
    Ok(Target::Item {
        post: post.to_owned(),
        index,
    })
}

fn digits(raw: &str, max: usize) -> Option<&str> {
    (!raw.is_empty() && raw.len() <= max && raw.bytes().all(|b| b.is_ascii_digit())).then_some(raw)
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    fn post(index: usize) -> Target {
        Target::Item {
            post: "17900000000001009".into(),
            index,
        }
    }

    #[test]
    fn good_paths_parse_and_round_trip() {
        for (raw, target, variant) in [
            (
                "profile/320",
                Target::Profile,
                Variant::Size(320, Format::Jpeg),
            ),
            (
                "17900000000001009/640",
                post(0),
                Variant::Size(640, Format::Jpeg),
            ),
            (
                "17900000000001009/2/1080",
                post(2),
                Variant::Size(1080, Format::Jpeg),
            ),
            (
                "17900000000001009/640.avif",
                post(0),
                Variant::Size(640, Format::Avif),
            ),
            (
                "17900000000001009/3/320.avif",
                post(3),
                Variant::Size(320, Format::Avif),
            ),
            ("17900000000001009/video", post(0), Variant::Video),
            ("17900000000001009/1/video", post(1), Variant::Video),
        ] {
            let parsed = parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(
                parsed,
                MediaPath {
                    target: target.clone(),
                    variant
                },
                "{raw}"
            );
            assert_eq!(target.path(variant), raw);
        }
        for other_spelling in [
            "17900000000001009/0/640",
            "17900000000001009/0640",
            "17900000000001009/01/640",
            "profile/0320",
            "17900000000001009/0640.avif",
            "17900000000001009/0/640.avif",
        ] {
            assert!(
                parse(other_spelling).is_err(),
                "{other_spelling}: one URL per image"
            );
        }
    }

    #[test]
    fn export_file_paths_round_trip_and_refuse_anything_else() {
        for (target, size, format, path) in [
            (
                post(0),
                640,
                Format::Jpeg,
                "17900000000001009/640.0123abcd.jpg",
            ),
            (
                post(3),
                320,
                Format::Avif,
                "17900000000001009/3/320.0123abcd.avif",
            ),
            (
                Target::Profile,
                320,
                Format::Jpeg,
                "profile/320.0123abcd.jpg",
            ),
        ] {
            assert_eq!(
                target.file_path(size, format, "0123abcd").as_deref(),
                Some(path)
            );
            assert_eq!(
                parse_file_path(path),
                Some(ExportFile {
                    target,
                    size,
                    format,
                    version: "0123abcd".into()
                })
            );
        }
        for version in ["", "../x", "ABCD", "a/b", "abc.d", &"a".repeat(33)] {
            assert_eq!(
                post(0).file_path(640, Format::Jpeg, version),
                None,
                "{version:?}"
            );
        }
        assert_eq!(Target::Profile.file_path(320, Format::Avif, "ab"), None);
        for raw in [
            "17900000000001009/0/640.ab.jpg",
            "17900000000001009/0640.ab.jpg",
            "17900000000001009/640.ab.jpeg",
            "17900000000001009/640.ab.jpg.tmp",
            "17900000000001009/.640.ab.jpg.tmp-1",
            "17900000000001009/640.jpg",
            "profile/320.ab.avif",
            "../640.ab.jpg",
            "x/640.ab.jpg",
            "640.ab.jpg",
            "1/2/3/640.ab.jpg",
            "17900000000001009/640.AB.jpg",
        ] {
            assert_eq!(parse_file_path(raw), None, "{raw}");
        }
    }

    #[test]
    fn hostile_paths_are_refused() {
        for raw in [
            "",
            "/",
            "../credentials.json",
            "..%2fcredentials.json",
            "%2e%2e/640",
            "1/../640",
            "profile/video",
            "profile/1/640",
            "abc/640",
            "1/abc",
            "1/640/extra/x",
            "1/20/640",
            "1/-1/640",
            "1/99999999",
            "1/640.jpg",
            "1/640.jpeg",
            "1/640.AVIF",
            "1/640.webp",
            "1/640.avif.avif",
            "1/.avif",
            "1/640.",
            "profile/320.avif",
            "1/video.avif",
            "1 /640",
            "１/640",
            "123456789012345678901234567890123/640",
            "1//640",
            "1/640/",
        ] {
            assert!(parse(raw).is_err(), "{raw:?} should be refused");
        }
    }
}
