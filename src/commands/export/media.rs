//! `igfeed export --with-media`: the document and every image it names, as files. Images come
//! from igfeed's media cache (each account's `media/`); online, one missing or lacking a
//! width is downloaded from the CDN URL in the snapshot under the live proxy's rules (allowed
//! hosts, size limits: [`Cdn`]) and rendered as igfeed would. Formats beside JPEG (AVIF) are
//! shipped where igfeed has made them already, like `/feed.json` lists them: encoding one
//! takes seconds of CPU per image. URLs are made by [`MediaLinks::for_files`], the same rules
//! as `/feed.json`'s, and every one is checked to name a file written before the document
//! is.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;

use super::files::{Counts, MEDIA, Output};
use crate::config::Settings;
use crate::feed::display::Display;
use crate::feed::document::{self, PageRequest};
use crate::feed::domain::{Feed, MediaSources, Snapshot};
use crate::media::key::{Format, MAX_ITEMS, Target};
use crate::media::links::{Known, source_tag};
use crate::media::{Cdn, FetchError, MediaLinks, RenderParams, Rendition, render, render_complete};

/// Downloads and renders at once: each holds an original and its pixels.
const MAX_PARALLEL: usize = 4;

/// One account whose posts the feed takes.
pub(super) struct Account<'a> {
    /// Its snapshot (CDN URLs in `sources`).
    pub snapshot: &'a Snapshot,
    /// Its media cache directory.
    pub media_dir: &'a Path,
}

/// One export with media.
pub(super) struct Export<'a> {
    pub settings: &'a Settings,
    /// The feed's accounts; the first gives the profile.
    pub accounts: &'a [Account<'a>],
    /// Only cached images: nothing is downloaded.
    pub offline: bool,
    /// What comes before `media/` in URLs (empty: relative to the document).
    pub prefix: &'a str,
}

/// What an export did, printed when it ends.
pub(super) struct Report {
    dir: PathBuf,
    posts: usize,
    images: usize,
    downloaded: usize,
    without_image: usize,
    counts: Counts,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        write!(
            f,
            "exported {} posts and {} images to {}: {} files, {} bytes ({} written, {} unchanged, {} removed); {} images downloaded",
            self.posts,
            self.images,
            self.dir.display(),
            c.files,
            c.bytes,
            c.written,
            c.files - c.written,
            c.removed,
            self.downloaded,
        )?;
        if self.without_image > 0 {
            write!(
                f,
                "; {} exported without an image (see the warnings)",
                self.without_image
            )?;
        }
        Ok(())
    }
}

/// One image of the document.
struct Job {
    target: Target,
    /// Which account's cache holds it.
    account: usize,
    /// Its CDN URL.
    src: String,
}

/// What the URL prefix of `--base-url` is: empty without one (URLs relative to the
/// document), else the base ending with `/`: an absolute `http(s)` URL or a path from the
/// site's root.
pub(super) fn url_prefix(base: Option<&str>) -> anyhow::Result<String> {
    let Some(base) = base else {
        return Ok(String::new());
    };
    let bad = |why: &str| anyhow::anyhow!("--base-url {base:?} {why}");
    let text = if base.starts_with('/') && !base.starts_with("//") {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "/-._~%".contains(c);
        if !base.chars().all(allowed) || base.split('/').any(|s| s == ".." || s == ".") {
            return Err(bad(
                "must be a plain path (letters, digits, - . _ ~ %), or an absolute URL",
            ));
        }
        base.to_owned()
    } else {
        let url = url::Url::parse(base)
            .map_err(|_| bad("must be an absolute http(s) URL or a path starting with /"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(bad("must be an http or https URL"));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(bad("must have no query, fragment or user name"));
        }
        url.to_string()
    };
    Ok(if text.ends_with('/') {
        text
    } else {
        format!("{text}/")
    })
}

impl Export<'_> {
    /// Writes `feed` (curated) as `dir/feed.json` and its images under `dir/media/`.
    pub fn write(
        &self,
        feed: Feed,
        fetched_at: DateTime<Utc>,
        display: &Display,
        stale: bool,
        dir: &Path,
    ) -> anyhow::Result<Report> {
        let sources = self.sources(&feed);
        let jobs = self.jobs(&feed, &sources);
        let media = &self.settings.media;
        let params = RenderParams::new(media);
        let links = MediaLinks::for_files(media, self.prefix);

        // Cached first: offline, what is missing is known before anything is written.
        let mut ready: Vec<(usize, Rendition)> = Vec::new();
        let mut wanted: Vec<(usize, Option<Rendition>)> = Vec::new();
        for (index, job) in jobs.iter().enumerate() {
            let cached = crate::media::cached(self.accounts[job.account].media_dir, &job.target);
            match cached {
                Some(found) if self.offline || !lacks(&found, job, &params) => {
                    ready.push((index, found));
                }
                found if !self.offline => wanted.push((index, found)),
                _ => {}
            }
        }
        let missing = jobs.len() - ready.len();
        if self.offline && missing > 0 {
            bail!(
                "{missing} of the feed's {} images are not in igfeed's media cache yet: run \
                 igfeed until it has fetched them ahead (media.prefetch_concurrency above 0; \
                 /feed.json lists `sizes` for every image once they are), or export without \
                 --offline to download them",
                jobs.len()
            );
        }

        let mut out = Output::open(dir)?;
        let mut exported = 0;
        for (index, rendition) in ready {
            self.put(&mut out, &links, &jobs[index].target, &rendition)?;
            exported += 1;
        }
        let made = self.download(&jobs, wanted, &params)?;
        for (index, rendition) in made.renditions {
            self.put(&mut out, &links, &jobs[index].target, &rendition)?;
            exported += 1;
        }

        let posts = feed.posts.len();
        let mut snapshot = Snapshot {
            feed,
            fetched_at,
            sources,
            unshared_reels: Default::default(),
        };
        links.apply(&mut snapshot);
        self.check_urls(&snapshot.feed, &out)?;
        let page = PageRequest {
            limit: Some(posts),
            after: None,
        };
        let json = document::render(&snapshot, display, &page, stale);
        out.sync()?;
        out.put("feed.json", &json)?;
        out.sync()?;
        let counts = out.remove_unreferenced()?;
        Ok(Report {
            dir: dir.to_owned(),
            posts,
            images: exported,
            downloaded: made.downloaded,
            without_image: made.refused,
            counts,
        })
    }

    /// The CDN URLs of the curated feed's images: the profile picture of the first account,
    /// every item of every account (post ids are unique across Instagram).
    fn sources(&self, feed: &Feed) -> MediaSources {
        let mut sources = MediaSources {
            profile_picture: self
                .accounts
                .first()
                .and_then(|a| a.snapshot.sources.profile_picture.clone()),
            ..MediaSources::default()
        };
        let items: BTreeSet<&str> = feed
            .posts
            .iter()
            .flat_map(|p| p.media.iter().map(|m| m.id.as_str()))
            .collect();
        for account in self.accounts {
            for (id, item) in &account.snapshot.sources.items {
                if items.contains(id.as_str()) {
                    sources
                        .items
                        .entry(id.clone())
                        .or_insert_with(|| item.clone());
                }
            }
        }
        sources
    }

    /// Every image the document names, with the account whose cache holds it.
    fn jobs(&self, feed: &Feed, sources: &MediaSources) -> Vec<Job> {
        let mut owner: HashMap<&str, usize> = HashMap::new();
        for (index, account) in self.accounts.iter().enumerate() {
            for post in &account.snapshot.feed.posts {
                owner.entry(post.id.as_str()).or_insert(index);
            }
        }
        let mut jobs = Vec::new();
        if let Some(src) = &sources.profile_picture {
            jobs.push(Job {
                target: Target::Profile,
                account: 0,
                src: src.clone(),
            });
        }
        for post in &feed.posts {
            let addressable = !post.id.is_empty()
                && post.id.len() <= 32
                && post.id.bytes().all(|b| b.is_ascii_digit());
            let Some(&account) = owner.get(post.id.as_str()).filter(|_| addressable) else {
                continue;
            };
            for (index, item) in post.media.iter().enumerate().take(MAX_ITEMS) {
                let Some(src) = sources.items.get(&item.id).and_then(|s| s.image.clone()) else {
                    continue;
                };
                jobs.push(Job {
                    target: Target::Item {
                        post: post.id.clone(),
                        index,
                    },
                    account,
                    src,
                });
            }
        }
        jobs
    }

    /// Writes the files of one image and tells the links about it.
    fn put(
        &self,
        out: &mut Output,
        links: &MediaLinks,
        target: &Target,
        rendition: &Rendition,
    ) -> anyhow::Result<()> {
        let mut known = Known::from(rendition);
        // The widths it holds, whatever `media.sizes` it was made under.
        known.sizes = self
            .settings
            .media
            .sizes
            .iter()
            .chain(&rendition.sizes)
            .copied()
            .filter(|&size| rendition.variant(size, Format::Jpeg).is_some())
            .collect();
        for file in links.files(target, &known) {
            let encoded = rendition.variant(file.size, file.format).with_context(|| {
                format!("the cached image for media/{} is incomplete", file.path)
            })?;
            out.put(&format!("{MEDIA}/{}", file.path), &encoded.bytes)?;
        }
        links.remember(target.key(), known);
        Ok(())
    }

    /// Downloads and renders `wanted` (several at once); a download that fails leaves the
    /// cached rendition in use when there is one.
    fn download(
        &self,
        jobs: &[Job],
        wanted: Vec<(usize, Option<Rendition>)>,
        params: &RenderParams,
    ) -> anyhow::Result<Made> {
        let mut made = Made::default();
        if wanted.is_empty() {
            return Ok(made);
        }
        let cdn = Cdn::from_settings(self.settings)?;
        let parallel = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, MAX_PARALLEL);
        // JPEG only: other formats are shipped where igfeed has made them (seconds each).
        let params = Arc::new(RenderParams {
            formats: Vec::new(),
            ..params.clone()
        });
        let runtime = super::super::runtime()?;
        let results: Vec<(usize, Option<Rendition>, Result<Rendition, Failure>)> = runtime
            .block_on(
                futures_util::stream::iter(wanted)
                    .map(|(index, cached)| {
                        let (cdn, params) = (cdn.clone(), params.clone());
                        let src = jobs[index].src.clone();
                        async move {
                            let result = make(&cdn, &src, params, cached.clone()).await;
                            (index, cached, result)
                        }
                    })
                    .buffer_unordered(parallel)
                    .collect(),
            );
        let mut failures = Vec::new();
        for (index, cached, result) in results {
            let job = &jobs[index];
            match (result, cached) {
                (Ok(rendition), _) => {
                    made.downloaded += 1;
                    made.renditions.push((index, rendition));
                }
                (Err(_), Some(cached)) => made.renditions.push((index, cached)),
                (Err(Failure::Refused(why)), None) => {
                    tracing::warn!(image = %job.target.key(), %why, "exported without this image");
                    made.refused += 1;
                }
                (Err(Failure::Failed(why)), None) => failures.push(why),
            }
        }
        if let Some(first) = failures.first() {
            bail!(
                "{} of the feed's images could not be downloaded (first: {first}); nothing was \
                 published: try again, or export with --offline for the images igfeed has cached",
                failures.len()
            );
        }
        Ok(made)
    }

    /// Checks that every image URL of `feed` names a file of this export.
    fn check_urls(&self, feed: &Feed, out: &Output) -> anyhow::Result<()> {
        for url in image_urls(feed) {
            let file = url.strip_prefix(self.prefix).unwrap_or(url);
            if !out.has(file) {
                bail!("the document names {url}, which the export did not write (a bug)");
            }
        }
        Ok(())
    }
}

/// What downloading made.
#[derive(Default)]
struct Made {
    renditions: Vec<(usize, Rendition)>,
    downloaded: usize,
    /// Originals the CDN served but igfeed refuses (not an image, too large).
    refused: usize,
}

/// Why an image was not made.
enum Failure {
    /// For good: the original is not something igfeed shows (the live proxy answers 502).
    Refused(String),
    /// Perhaps for now: the CDN, the network, an expired URL, a host not allowed.
    Failed(String),
}

async fn make(
    cdn: &Cdn,
    src: &str,
    params: Arc<RenderParams>,
    cached: Option<Rendition>,
) -> Result<Rendition, Failure> {
    let original = cdn.image(src, Utc::now()).await.map_err(|e| match e {
        FetchError::WrongType(_) | FetchError::TooLarge => Failure::Refused(e.to_string()),
        other => Failure::Failed(other.to_string()),
    })?;
    let tag = source_tag(src);
    let rendered = tokio::task::spawn_blocking(move || match &cached {
        // Widths it lacks are made, the files it has kept (same original and settings).
        Some(cached) => render_complete(&original, &params, &tag, Some(cached)),
        None => render(&original, &params, &tag),
    })
    .await
    .map_err(|e| Failure::Failed(e.to_string()))?;
    rendered.map_err(|e| Failure::Refused(e.to_string()))
}

/// Whether a cached rendition lacks what an online export should ship: a width of today's
/// `media.sizes`, or (the profile picture) the picture the snapshot names now.
fn lacks(found: &Rendition, job: &Job, params: &RenderParams) -> bool {
    let widths = params
        .sizes
        .iter()
        .any(|&size| found.variant(size, Format::Jpeg).is_none());
    let old_picture = job.target == Target::Profile && found.source_tag != source_tag(&job.src);
    widths || old_picture
}

/// Every image URL in `feed`: the profile picture, each item's `url`, `thumbnail_url`,
/// `sizes` and `sources` srcsets.
fn image_urls(feed: &Feed) -> Vec<&str> {
    let mut urls: Vec<&str> = feed.profile.picture.iter().map(String::as_str).collect();
    for item in feed.posts.iter().flat_map(|p| &p.media) {
        urls.extend(item.url.as_deref());
        urls.extend(item.thumbnail_url.as_deref());
        urls.extend(item.sizes.iter().map(|s| s.url.as_str()));
        for source in &item.sources {
            urls.extend(
                source
                    .srcset
                    .split(", ")
                    .filter_map(|candidate| candidate.split(' ').next()),
            );
        }
    }
    urls
}
