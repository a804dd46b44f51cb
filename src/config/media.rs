//! `[media]`: how igfeed serves Instagram's images from its own origin (see `src/media`).

use std::time::Duration;

use serde::Deserialize;

use super::SettingsError;
use super::sections::list_or_comma_separated;
use super::units::{byte_size, u32_list};

/// An image format igfeed serves (a settings value: `media.formats` names them; the media
/// module encodes them).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// Progressive JPEG: every browser, always made first (the fallback).
    Jpeg,
    /// AVIF (AV1): far fewer bytes for the same look, made in the background.
    Avif,
}

impl ImageFormat {
    /// Every format beside JPEG igfeed can make, in the order a `<picture>` lists them.
    pub const MODERN: [ImageFormat; 1] = [ImageFormat::Avif];

    /// The media type (`Content-Type`, `<source type>`).
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Avif => "image/avif",
        }
    }

    /// The URL's extension (`/media/{post}/{size}.avif`); JPEG's URL has none, so URLs
    /// handed out before other formats existed stay the only URL of their image.
    pub fn extension(self) -> Option<&'static str> {
        match self {
            ImageFormat::Jpeg => None,
            ImageFormat::Avif => Some("avif"),
        }
    }

    /// The setting's spelling (`media.formats`).
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Avif => "avif",
        }
    }

    /// Reads a setting's spelling; only modern formats (JPEG is always made).
    pub fn parse_modern(name: &str) -> Option<ImageFormat> {
        ImageFormat::MODERN.into_iter().find(|f| f.name() == name)
    }
}

/// Widths beyond this are refused: Instagram's originals are 1080 px wide.
const MAX_SIZE: u32 = 4096;
/// Each width costs a resize and an encode per image; a handful covers every screen.
const MAX_SIZES: usize = 8;

/// Images (and optionally videos) proxied, resized and cached by igfeed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSettings {
    /// Widths in pixels igfeed serves (`/media/{post}/{size}`); never upscaled.
    #[serde(deserialize_with = "u32_list")]
    pub sizes: Vec<u32>,
    /// The width `/feed.json`'s `url` points at (one of `sizes`).
    pub default_size: u32,
    /// Bytes of resized images kept in memory.
    #[serde(deserialize_with = "byte_size")]
    pub memory_budget: u64,
    /// Bytes of resized images kept on disk under `storage.dir/media`; least recently used go
    /// first; 0 keeps none.
    #[serde(deserialize_with = "byte_size")]
    pub disk_budget: u64,
    /// Hosts igfeed downloads from: exact names or `*.domain` (any subdomain).
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub allowed_hosts: Vec<String>,
    /// Largest original accepted from the CDN, enforced while downloading.
    #[serde(deserialize_with = "byte_size")]
    pub max_source_bytes: u64,
    /// Largest width or height of an original, checked before decoding (image bombs).
    pub max_dimension: u32,
    /// JPEG quality of the resized images (1–100).
    pub jpeg_quality: u8,
    /// Formats made beside JPEG (`avif`), in the background; empty for JPEG only.
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub formats: Vec<String>,
    /// AVIF quality (1–100, ravif's scale).
    pub avif_quality: u8,
    /// AVIF encodes at once, process-wide: each holds one core for about a second.
    pub encode_concurrency: usize,
    /// Downloads started at once after a refresh; 0 turns fetching ahead off.
    pub prefetch_concurrency: usize,
    /// Time allowed for one image download.
    #[serde(with = "humantime_serde")]
    pub download_timeout: Duration,
    /// Stream videos through igfeed (`/media/{post}/video`) instead of linking the permalink.
    pub proxy_video: bool,
    /// Video streams at once: each holds a CDN connection for minutes, so beyond this a
    /// visitor is told to retry instead of every stream slowing down.
    pub max_video_streams: usize,
    /// Longest life of one video stream, so a stalled CDN or a visitor that stopped reading
    /// cannot hold a stream's place for ever.
    #[serde(with = "humantime_serde")]
    pub video_stream_timeout: Duration,
}

impl MediaSettings {
    /// The formats made beside JPEG, each once, in the order `<picture>` lists them
    /// (validated: unknown names never reach here).
    pub fn modern_formats(&self) -> Vec<ImageFormat> {
        ImageFormat::MODERN
            .into_iter()
            .filter(|f| self.formats.iter().any(|name| name == f.name()))
            .collect()
    }
}

pub(super) fn validate(media: &MediaSettings) -> Result<(), SettingsError> {
    if media.sizes.is_empty() || media.sizes.len() > MAX_SIZES {
        return Err(SettingsError::invalid(
            "media.sizes",
            format!("must list 1 to {MAX_SIZES} widths"),
        ));
    }
    if let Some(bad) = media.sizes.iter().find(|s| !(16..=MAX_SIZE).contains(*s)) {
        return Err(SettingsError::invalid(
            "media.sizes",
            format!("{bad} is not a width from 16 to {MAX_SIZE}"),
        ));
    }
    if !media.sizes.contains(&media.default_size) {
        return Err(SettingsError::invalid(
            "media.default_size",
            "must be one of media.sizes",
        ));
    }
    if media.memory_budget < 1024 * 1024 {
        return Err(SettingsError::invalid(
            "media.memory_budget",
            "must be at least 1MB",
        ));
    }
    if media.max_source_bytes < 1024 {
        return Err(SettingsError::invalid(
            "media.max_source_bytes",
            "must be at least 1KB",
        ));
    }
    // Below the profile picture's 320 px nothing would be served; above 8000 the decoder's
    // memory ceiling refuses the image anyway.
    if !(320..=8000).contains(&media.max_dimension) {
        return Err(SettingsError::invalid(
            "media.max_dimension",
            "must be between 320 and 8000",
        ));
    }
    if !(1..=1024).contains(&media.max_video_streams) {
        return Err(SettingsError::invalid(
            "media.max_video_streams",
            "must be between 1 and 1024",
        ));
    }
    super::validate::positive("media.video_stream_timeout", media.video_stream_timeout)?;
    if media.video_stream_timeout > Duration::from_secs(3600) {
        return Err(SettingsError::invalid(
            "media.video_stream_timeout",
            "must be at most 1h",
        ));
    }
    if !(1..=100).contains(&media.jpeg_quality) {
        return Err(SettingsError::invalid(
            "media.jpeg_quality",
            "must be between 1 and 100",
        ));
    }
    if let Some(unknown) = media
        .formats
        .iter()
        .find(|f| ImageFormat::parse_modern(f).is_none())
    {
        return Err(SettingsError::invalid(
            "media.formats",
            format!("{unknown:?} is not a format igfeed makes beside JPEG (known: \"avif\")"),
        ));
    }
    if !(1..=100).contains(&media.avif_quality) {
        return Err(SettingsError::invalid(
            "media.avif_quality",
            "must be between 1 and 100",
        ));
    }
    if !(1..=16).contains(&media.encode_concurrency) {
        return Err(SettingsError::invalid(
            "media.encode_concurrency",
            "must be between 1 and 16",
        ));
    }
    if media.prefetch_concurrency > 64 {
        return Err(SettingsError::invalid(
            "media.prefetch_concurrency",
            "must be at most 64",
        ));
    }
    super::validate::positive("media.download_timeout", media.download_timeout)?;
    for host in &media.allowed_hosts {
        if let Err(problem) = crate::net::HostPattern::parse(host) {
            return Err(SettingsError::invalid("media.allowed_hosts", problem));
        }
    }
    Ok(())
}
