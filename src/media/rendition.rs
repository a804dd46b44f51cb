//! One image's resized copies, and their on-disk form: a magic line, a JSON header, then the
//! JPEG bytes back to back. A file whose lengths do not add up is treated as missing.

use actix_web::web::Bytes;
use serde::{Deserialize, Serialize};

/// First line of every cache file; a new layout gets a new magic.
const MAGIC: &[u8] = b"IGFEED-MEDIA-1\n";
/// A header is a few hundred bytes; anything longer is not one of ours.
const MAX_HEADER: usize = 16 * 1024;

/// The width and height of `size` for an original of `width`×`height`: never upscaled, the
/// aspect ratio kept, rounded to the nearest pixel.
pub fn scaled(width: u32, height: u32, size: u32) -> (u32, u32) {
    let w = size.min(width).max(1);
    let h = (u64::from(height) * u64::from(w) + u64::from(width) / 2) / u64::from(width.max(1));
    (w, u32::try_from(h).unwrap_or(u32::MAX).max(1))
}

/// One resized copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// The JPEG.
    pub bytes: Bytes,
}

/// Every width of one image, derived from one download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    /// Which CDN file it came from (hash of the URL's path), to notice a new profile picture.
    pub source_tag: String,
    /// Content version: hash of the original and the render settings (`?v=` and ETag).
    pub version: String,
    /// The upright original's width.
    pub width: u32,
    /// The upright original's height.
    pub height: u32,
    /// `media.sizes` when it was made; a different setting means it must be made again.
    pub sizes: Vec<u32>,
    /// Distinct widths, ascending.
    pub variants: Vec<Encoded>,
}

/// What a cache file's header says, readable without loading the images.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    /// See [`Rendition::source_tag`].
    pub source_tag: String,
    /// See [`Rendition::version`].
    pub version: String,
    /// See [`Rendition::width`].
    pub width: u32,
    /// See [`Rendition::height`].
    pub height: u32,
    /// See [`Rendition::sizes`].
    pub sizes: Vec<u32>,
    variants: Vec<(u32, u32, usize)>,
}

/// Parses the header at the start of a cache file (the first few kilobytes suffice).
pub fn read_header(prefix: &[u8]) -> Option<Header> {
    let rest = prefix.strip_prefix(MAGIC)?;
    let end = rest.iter().take(MAX_HEADER).position(|b| *b == b'\n')?;
    serde_json::from_slice(&rest[..end]).ok()
}

impl Rendition {
    /// The copy served for configured width `size` (the original's width when it is narrower).
    pub fn variant(&self, size: u32) -> Option<&Encoded> {
        let (w, _) = scaled(self.width, self.height, size);
        self.variants.iter().find(|v| v.width == w)
    }

    /// Bytes held, for the memory budget.
    pub fn weight(&self) -> u32 {
        let bytes: usize = self.variants.iter().map(|v| v.bytes.len()).sum();
        u32::try_from(bytes.saturating_add(256)).unwrap_or(u32::MAX)
    }

    /// The file form.
    pub fn to_file(&self) -> Vec<u8> {
        let header = Header {
            source_tag: self.source_tag.clone(),
            version: self.version.clone(),
            width: self.width,
            height: self.height,
            sizes: self.sizes.clone(),
            variants: self
                .variants
                .iter()
                .map(|v| (v.width, v.height, v.bytes.len()))
                .collect(),
        };
        // A struct of strings and numbers always serialises.
        let header = serde_json::to_vec(&header).unwrap_or_default();
        let total: usize = self.variants.iter().map(|v| v.bytes.len()).sum();
        let mut out = Vec::with_capacity(MAGIC.len() + header.len() + 1 + total);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&header);
        out.push(b'\n');
        for v in &self.variants {
            out.extend_from_slice(&v.bytes);
        }
        out
    }

    /// Reads the file form; `None` for anything damaged or foreign.
    pub fn from_file(file: Bytes) -> Option<Rendition> {
        let rest = file.strip_prefix(MAGIC)?;
        let end = rest.iter().take(MAX_HEADER).position(|b| *b == b'\n')?;
        let header: Header = serde_json::from_slice(&rest[..end]).ok()?;
        let mut offset = MAGIC.len() + end + 1;
        let mut variants = Vec::with_capacity(header.variants.len());
        for (width, height, len) in header.variants {
            let stop = offset.checked_add(len)?;
            if stop > file.len() || width == 0 || height == 0 {
                return None;
            }
            variants.push(Encoded {
                width,
                height,
                bytes: file.slice(offset..stop),
            });
            offset = stop;
        }
        (offset == file.len() && !variants.is_empty()).then_some(Rendition {
            source_tag: header.source_tag,
            version: header.version,
            width: header.width,
            height: header.height,
            sizes: header.sizes,
            variants,
        })
    }
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_rounds_and_never_returns_zero() {
        assert_eq!(scaled(1080, 566, 320), (320, 168));
        assert_eq!(scaled(5000, 1, 320), (320, 1));
        assert_eq!(scaled(0, 0, 320), (1, 1));
    }

    fn sample() -> Rendition {
        Rendition {
            source_tag: "s1".into(),
            version: "0123456789abcdef".into(),
            width: 1080,
            height: 1350,
            sizes: vec![320, 640, 1080],
            variants: vec![
                Encoded {
                    width: 320,
                    height: 400,
                    bytes: Bytes::from_static(b"small"),
                },
                Encoded {
                    width: 640,
                    height: 800,
                    bytes: Bytes::from_static(b"medium!"),
                },
            ],
        }
    }

    #[test]
    fn the_file_form_round_trips_and_damage_is_noticed() {
        let file = Bytes::from(sample().to_file());
        assert_eq!(Rendition::from_file(file.clone()), Some(sample()));
        for damaged in [
            file.slice(..file.len() - 1),
            Bytes::from([file.as_ref(), b"x"].concat()),
            file.slice(1..),
            Bytes::from_static(b""),
            Bytes::from_static(b"IGFEED-MEDIA-1\n{}\n"),
        ] {
            assert_eq!(Rendition::from_file(damaged), None);
        }
    }

    #[test]
    fn a_size_maps_to_the_variant_of_its_width() {
        let r = sample();
        assert_eq!(r.variant(320).map(|v| v.width), Some(320));
        assert_eq!(r.variant(640).map(|v| v.width), Some(640));
        assert_eq!(r.variant(1080), None, "not rendered in this sample");
    }
}
