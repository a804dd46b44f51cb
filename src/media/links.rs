//! The URLs `/feed.json` hands out: igfeed's own `/media/…` paths, content-versioned, with the
//! real pixel sizes once an original has been downloaded. Instagram's CDN URLs are moved out
//! of the public types into [`MediaSources`], so they never reach a visitor. The same rules
//! name the files of an export ([`MediaLinks::for_files`]), so an exported document lists
//! what `/feed.json` would.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};

use super::key::{Format, MAX_ITEMS, Target, Variant};
use super::rendition::{Rendition, scaled};
use crate::config::MediaSettings;
use crate::feed::domain::{
    Feed, ImageSource, ItemSources, MediaItem, MediaKind, MediaSize, MediaSources, Snapshot,
};
use igfeed_base::secret::hex;

/// What igfeed learnt from a downloaded original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// Which CDN file it came from.
    pub source_tag: String,
    /// Content version (`?v=`).
    pub version: String,
    /// Upright original width.
    pub width: u32,
    /// Upright original height.
    pub height: u32,
    /// Dominant colour, `#rrggbb` (`None` for images cached before placeholders).
    pub color: Option<String>,
    /// Formats beside JPEG made for every width.
    pub formats: Vec<Format>,
    /// `media.sizes` it was made under (made again under today's when they differ).
    pub sizes: Vec<u32>,
}

impl From<&Rendition> for Known {
    fn from(rendition: &Rendition) -> Self {
        Known {
            source_tag: rendition.source_tag.clone(),
            version: rendition.version.clone(),
            width: rendition.width,
            height: rendition.height,
            color: rendition.color.clone(),
            formats: rendition.formats(),
            sizes: rendition.sizes.clone(),
        }
    }
}

/// Where the URLs point.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Layout {
    /// igfeed's own `/media/…` routes under the public URL, `?v=` versioned.
    Served,
    /// An export's files under `{prefix}media/` ([`Target::file_path`]): only images whose
    /// rendition is known, only the widths it holds, no videos.
    Files,
}

/// One file an export writes for an image: its path below `media/` and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOf {
    /// Below the export's `media/` directory.
    pub path: String,
    /// The configured width it answers for.
    pub size: u32,
    /// Its format.
    pub format: Format,
}

/// Builds media URLs; cheap to clone, shared by the feed service and the media service.
#[derive(Clone)]
pub struct MediaLinks {
    inner: Arc<Inner>,
}

struct Inner {
    layout: Layout,
    /// Served: the public URL without its trailing `/`. Files: what comes before `media/`
    /// (empty for URLs relative to the document).
    base: String,
    sizes: Vec<u32>,
    /// `media.formats`: a format made under an earlier setting is not listed.
    formats: Vec<Format>,
    default_size: u32,
    proxy_video: bool,
    /// `account=<id>&` on profile picture URLs: the one image path accounts share.
    profile_query: String,
    known: RwLock<HashMap<String, Known>>,
}

impl MediaLinks {
    /// Links under `public_url` for the configured sizes.
    pub fn new(settings: &MediaSettings, public_url: &url::Url) -> Self {
        let mut sizes = settings.sizes.clone();
        sizes.sort_unstable();
        sizes.dedup();
        Self {
            inner: Arc::new(Inner {
                layout: Layout::Served,
                base: public_url.as_str().trim_end_matches('/').to_owned(),
                sizes,
                formats: settings.modern_formats(),
                default_size: settings.default_size,
                proxy_video: settings.proxy_video,
                profile_query: String::new(),
                known: RwLock::new(HashMap::new()),
            }),
        }
    }

    /// Links to an export's files (`igfeed export --with-media`): `{prefix}media/…`, where
    /// `prefix` is empty (relative to the document) or ends with `/`. Only images whose
    /// rendition was [remembered](MediaLinks::remember) get URLs, and only for the widths it
    /// holds, so every URL names a file the export writes ([`MediaLinks::files`]).
    pub fn for_files(settings: &MediaSettings, prefix: &str) -> Self {
        let mut links = Self::new(
            settings,
            &url::Url::parse("http://files.invalid/").expect("a valid URL"),
        );
        if let Some(inner) = Arc::get_mut(&mut links.inner) {
            inner.layout = Layout::Files;
            inner.base = prefix.to_owned();
            inner.proxy_video = false;
        }
        links
    }

    /// The files an export writes for `target` with the rendition `known` describes: the
    /// URLs [`MediaLinks::apply`] hands out for it, as paths below `media/`. Empty for links
    /// that are not [`MediaLinks::for_files`]'s.
    pub fn files(&self, target: &Target, known: &Known) -> Vec<FileOf> {
        if self.inner.layout != Layout::Files {
            return Vec::new();
        }
        let formats: Vec<Format> = match target {
            // The profile picture is listed as JPEG only, like /feed.json's.
            Target::Profile => vec![Format::Jpeg],
            Target::Item { .. } => std::iter::once(Format::Jpeg)
                .chain(self.listed_formats(known))
                .collect(),
        };
        let sizes: Vec<u32> = match target {
            Target::Profile => self.profile_size(known).into_iter().collect(),
            Target::Item { .. } => self
                .widths(known)
                .into_iter()
                .map(|(size, ..)| size)
                .collect(),
        };
        sizes
            .iter()
            .flat_map(|&size| formats.iter().map(move |&format| (size, format)))
            .filter_map(|(size, format)| {
                let path = target.file_path(size, format, &known.version)?;
                Some(FileOf { path, size, format })
            })
            .collect()
    }

    /// The configured widths listed for an image of `known`, each distinct pixel width once
    /// (the first size giving it): (size, width, height). An export lists only the widths
    /// its rendition holds (made under other `media.sizes`, it may lack some).
    fn widths(&self, known: &Known) -> Vec<(u32, u32, u32)> {
        let made: Vec<u32> = known
            .sizes
            .iter()
            .map(|&s| scaled(known.width, known.height, s).0)
            .collect();
        let mut widths: Vec<(u32, u32, u32)> = Vec::new();
        for &size in &self.inner.sizes {
            let (width, height) = scaled(known.width, known.height, size);
            let held = self.inner.layout == Layout::Served || made.contains(&width);
            if held && widths.iter().all(|&(_, w, _)| w != width) {
                widths.push((size, width, height));
            }
        }
        widths
    }

    /// The formats beside JPEG listed in `sources` for an image of `known`.
    fn listed_formats<'a>(&'a self, known: &'a Known) -> impl Iterator<Item = Format> + 'a {
        known
            .formats
            .iter()
            .copied()
            .filter(|format| self.inner.formats.contains(format))
    }

    /// The width the profile picture is listed at: the smallest configured one (in an
    /// export, the smallest its rendition holds).
    fn profile_size(&self, known: &Known) -> Option<u32> {
        match self.inner.layout {
            Layout::Served => Some(self.inner.sizes.first().copied().unwrap_or(320)),
            Layout::Files => self.widths(known).first().map(|&(size, ..)| size),
        }
    }

    /// Links for the account `id`: its profile picture's URLs name it (`/media/profile/…`
    /// without it is the default account's). Call before sharing the links.
    pub fn for_account(mut self, id: &str) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.profile_query = format!("account={id}&");
        }
        self
    }

    /// Configured widths, ascending.
    pub fn sizes(&self) -> &[u32] {
        &self.inner.sizes
    }

    /// A snapshot of a freshly mapped feed: CDN URLs moved to `sources`, igfeed's in place
    /// (`unshared_reels` left empty for the caller, who has Instagram's answer).
    pub fn snapshot(&self, mut feed: Feed, fetched_at: DateTime<Utc>) -> Snapshot {
        let sources = extract(&mut feed);
        let mut snapshot = Snapshot {
            feed,
            fetched_at,
            sources,
            unshared_reels: Default::default(),
        };
        self.apply(&mut snapshot);
        snapshot
    }

    /// Readies a stored snapshot: one from before igfeed served images still holds CDN URLs
    /// in the public fields; every snapshot gets links for today's settings.
    pub fn restore(&self, snapshot: &mut Snapshot) {
        if snapshot.sources.is_empty() {
            snapshot.sources = extract(&mut snapshot.feed);
        }
        self.apply(snapshot);
    }

    /// Rewrites every public media URL of `snapshot` from its sources and what is known.
    pub fn apply(&self, snapshot: &mut Snapshot) {
        let sources = &snapshot.sources;
        let picture = sources.profile_picture.as_deref().and_then(|src| {
            let tag = source_tag(src);
            let known = match self.inner.layout {
                Layout::Served => self.known(&Target::Profile).filter(|k| k.source_tag == tag),
                // The export chose the rendition to ship (perhaps an older picture, offline).
                Layout::Files => Some(self.known(&Target::Profile)?),
            };
            let size = match &known {
                Some(known) => self.profile_size(known)?,
                None => self.inner.sizes.first().copied().unwrap_or(320),
            };
            let color = known.as_ref().and_then(|k| k.color.clone());
            let version = known.map_or(tag, |k| k.version);
            let url = self.url(
                &Target::Profile,
                Variant::Size(size, Format::Jpeg),
                &version,
            )?;
            Some((url, color))
        });
        let profile = &mut snapshot.feed.profile;
        let (picture, color) = picture.unzip();
        (profile.picture, profile.picture_color) = (picture, color.flatten());
        for post in &mut snapshot.feed.posts {
            let addressable = is_digits(&post.id);
            for (index, item) in post.media.iter_mut().enumerate() {
                let target = Target::Item {
                    post: post.id.clone(),
                    index,
                };
                let src = sources
                    .items
                    .get(&item.id)
                    .filter(|_| addressable && index < MAX_ITEMS);
                self.apply_item(item, &target, src);
            }
        }
    }

    fn apply_item(&self, item: &mut MediaItem, target: &Target, src: Option<&ItemSources>) {
        self.apply_image(item, target, src);
        // A video's cover is the image at `url` (Instagram's `thumbnail_url`, served by igfeed).
        item.thumbnail_url = item.url.clone().filter(|_| item.kind == MediaKind::Video);
    }

    fn apply_image(&self, item: &mut MediaItem, target: &Target, src: Option<&ItemSources>) {
        item.video_url = src
            .and_then(|s| s.video.as_deref())
            .filter(|_| self.inner.proxy_video)
            .and_then(|video| self.url(target, Variant::Video, &source_tag(video)));
        (item.sources, item.color) = (Vec::new(), None);
        let Some(image) = src.and_then(|s| s.image.as_deref()) else {
            (item.url, item.width, item.height, item.sizes) = (None, None, None, Vec::new());
            return;
        };
        let Some(known) = self.known(target) else {
            // Until the original is known: igfeed's URL at the default width (an export has
            // no file to point at).
            let url = self.url(
                target,
                Variant::Size(self.inner.default_size, Format::Jpeg),
                &source_tag(image),
            );
            (item.url, item.width, item.height, item.sizes) = (url, None, None, Vec::new());
            return;
        };
        let mut sizes: Vec<(u32, MediaSize)> = Vec::new();
        for (size, width, height) in self.widths(&known) {
            if let Some(url) = self.url(target, Variant::Size(size, Format::Jpeg), &known.version) {
                sizes.push((size, MediaSize { url, width, height }));
            }
        }
        item.color = known.color.clone();
        item.sources = self
            .listed_formats(&known)
            .map(|format| ImageSource {
                mime: format.mime().to_owned(),
                srcset: sizes
                    .iter()
                    .filter_map(|(size, s)| {
                        let url = self.url(target, Variant::Size(*size, format), &known.version)?;
                        Some(format!("{url} {}w", s.width))
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect();
        let default = sizes
            .iter()
            .rev()
            .find(|(size, _)| *size <= self.inner.default_size)
            .or(sizes.first())
            .map(|(_, s)| s.clone());
        item.url = default.as_ref().map(|s| s.url.clone());
        item.width = default.as_ref().map(|s| s.width);
        item.height = default.as_ref().map(|s| s.height);
        item.sizes = sizes.into_iter().map(|(_, s)| s).collect();
    }

    /// The URL of `variant` of `target` at `version`; `None` in an export for a video or a
    /// version that is not hex (neither has a file).
    fn url(&self, target: &Target, variant: Variant, version: &str) -> Option<String> {
        match self.inner.layout {
            Layout::Served => {
                let account = match target {
                    Target::Profile => self.inner.profile_query.as_str(),
                    Target::Item { .. } => "",
                };
                Some(format!(
                    "{}/media/{}?{account}v={version}",
                    self.inner.base,
                    target.path(variant)
                ))
            }
            Layout::Files => {
                let Variant::Size(size, format) = variant else {
                    return None;
                };
                let path = target.file_path(size, format, version)?;
                Some(format!("{}media/{path}", self.inner.base))
            }
        }
    }

    fn known(&self, target: &Target) -> Option<Known> {
        self.inner.known.read().ok()?.get(&target.key()).cloned()
    }

    /// Whether an original for `key` from the CDN file `tag` is already rendered, at every
    /// configured width and in every format of `formats`.
    pub fn knows(&self, key: &str, tag: Option<&str>, formats: &[Format]) -> bool {
        self.inner.known.read().is_ok_and(|known| {
            known.get(key).is_some_and(|k| {
                tag.is_none_or(|tag| k.source_tag == tag)
                    && k.sizes == self.inner.sizes
                    && formats.iter().all(|f| k.formats.contains(f))
            })
        })
    }

    /// Records a rendered original; returns whether the feed's links change.
    pub fn remember(&self, key: String, known: Known) -> bool {
        match self.inner.known.write() {
            Ok(mut map) => map
                .insert(key, known.clone())
                .is_none_or(|old| old != known),
            Err(_) => false,
        }
    }

    /// Keeps only the keys `keep` accepts (`None`: forgets everything).
    pub fn retain(&self, keep: Option<&dyn Fn(&str) -> bool>) {
        if let Ok(mut map) = self.inner.known.write() {
            match keep {
                Some(keep) => map.retain(|k, _| keep(k)),
                None => map.clear(),
            }
        }
    }
}

impl crate::feed::ImageLinks for MediaLinks {
    fn snapshot(&self, feed: Feed, fetched_at: DateTime<Utc>) -> Snapshot {
        MediaLinks::snapshot(self, feed, fetched_at)
    }

    fn restore(&self, snapshot: &mut Snapshot) {
        MediaLinks::restore(self, snapshot);
    }

    fn apply(&self, snapshot: &mut Snapshot) {
        MediaLinks::apply(self, snapshot);
    }
}

/// Moves the CDN URLs out of the public fields.
fn extract(feed: &mut Feed) -> MediaSources {
    let mut sources = MediaSources {
        profile_picture: feed.profile.picture.take(),
        ..MediaSources::default()
    };
    for item in feed.posts.iter_mut().flat_map(|p| p.media.iter_mut()) {
        let image = item.url.take().or_else(|| item.thumbnail_url.take());
        item.thumbnail_url = None;
        let video = item.video_url.take();
        sources
            .items
            .insert(item.id.clone(), ItemSources { image, video });
    }
    sources
}

/// Identifies the CDN file (host and signature excluded: both change when Instagram renews a
/// URL for the same file).
pub fn source_tag(url: &str) -> String {
    let path = url::Url::parse(url)
        .map(|u| u.path().to_owned())
        .unwrap_or_default();
    format!("s{}", hex(&Sha256::digest(path.as_bytes())[..7]))
}

fn is_digits(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests;
