//! One image's resized copies, and their on-disk form: a magic line, a JSON header, then the
//! JPEG bytes back to back, then those of other formats (AVIF). A file whose lengths do not
//! add up is treated as missing. Files from before AVIF (no `modern`, no `color`) load as
//! JPEG-only renditions, and gain AVIF when it is made.

use actix_web::web::Bytes;
use serde::{Deserialize, Serialize};

use super::encode::Format;

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
    /// Its format.
    pub format: Format,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// The file.
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
    /// `media.sizes` when it was made; under a different setting the missing widths are made
    /// in the background, the others kept.
    pub sizes: Vec<u32>,
    /// The dominant colour (`#rrggbb`), painted while the image loads; `None` in files from
    /// before placeholders.
    pub color: Option<String>,
    /// Distinct widths, ascending, as JPEG; then the same widths in each other format made.
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
    /// See [`Rendition::color`].
    #[serde(default)]
    pub color: Option<String>,
    /// The JPEGs: width, height, length.
    variants: Vec<(u32, u32, usize)>,
    /// The other formats' files, after the JPEGs: format, width, height, length.
    #[serde(default)]
    modern: Vec<(Format, u32, u32, usize)>,
}

impl Header {
    /// The formats beside JPEG the file holds for every width.
    pub fn formats(&self) -> Vec<Format> {
        complete_formats(
            self.variants.iter().map(|&(w, ..)| w),
            self.modern.iter().map(|&(f, w, ..)| (f, w)),
        )
    }
}

/// The formats beside JPEG present at every JPEG width, in [`Format::MODERN`] order.
fn complete_formats(
    jpeg_widths: impl Iterator<Item = u32> + Clone,
    modern: impl Iterator<Item = (Format, u32)> + Clone,
) -> Vec<Format> {
    Format::MODERN
        .into_iter()
        .filter(|format| {
            let mut widths = jpeg_widths.clone().peekable();
            widths.peek().is_some()
                && widths.all(|w| modern.clone().any(|(f, mw)| f == *format && mw == w))
        })
        .collect()
}

/// Parses the header at the start of a cache file (the first few kilobytes suffice).
pub fn read_header(prefix: &[u8]) -> Option<Header> {
    let rest = prefix.strip_prefix(MAGIC)?;
    let end = rest.iter().take(MAX_HEADER).position(|b| *b == b'\n')?;
    serde_json::from_slice(&rest[..end]).ok()
}

impl Rendition {
    /// The copy served for configured width `size` (the original's width when it is
    /// narrower) in `format`.
    pub fn variant(&self, size: u32, format: Format) -> Option<&Encoded> {
        let (w, _) = scaled(self.width, self.height, size);
        self.variants
            .iter()
            .find(|v| v.width == w && v.format == format)
    }

    /// The formats beside JPEG made for every width.
    pub fn formats(&self) -> Vec<Format> {
        let jpeg = self.variants.iter().filter(|v| v.format == Format::Jpeg);
        complete_formats(
            jpeg.map(|v| v.width),
            self.variants.iter().map(|v| (v.format, v.width)),
        )
    }

    /// What is served for width `size` in `format` until that file is made: the same format
    /// at the nearest width above (else below), else the JPEG likewise. The browser scales it
    /// to the tile; the width it picked from `srcset` was only the best fit.
    pub fn stand_in(&self, size: u32, format: Format) -> Option<&Encoded> {
        let (w, _) = scaled(self.width, self.height, size);
        let nearest = |format: Format| {
            self.variants
                .iter()
                .filter(|v| v.format == format)
                .min_by_key(|v| (v.width < w, v.width.abs_diff(w)))
        };
        nearest(format).or_else(|| nearest(Format::Jpeg))
    }

    /// Bytes held, for the memory budget.
    pub fn weight(&self) -> u32 {
        let bytes: usize = self.variants.iter().map(|v| v.bytes.len()).sum();
        u32::try_from(bytes.saturating_add(256)).unwrap_or(u32::MAX)
    }

    /// The file form.
    pub fn to_file(&self) -> Vec<u8> {
        let (jpeg, modern): (Vec<&Encoded>, Vec<&Encoded>) =
            self.variants.iter().partition(|v| v.format == Format::Jpeg);
        let header = Header {
            source_tag: self.source_tag.clone(),
            version: self.version.clone(),
            width: self.width,
            height: self.height,
            sizes: self.sizes.clone(),
            color: self.color.clone(),
            variants: jpeg
                .iter()
                .map(|v| (v.width, v.height, v.bytes.len()))
                .collect(),
            modern: modern
                .iter()
                .map(|v| (v.format, v.width, v.height, v.bytes.len()))
                .collect(),
        };
        // A struct of strings and numbers always serialises.
        let header = serde_json::to_vec(&header).unwrap_or_default();
        let total: usize = self.variants.iter().map(|v| v.bytes.len()).sum();
        let mut out = Vec::with_capacity(MAGIC.len() + header.len() + 1 + total);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&header);
        out.push(b'\n');
        for v in jpeg.iter().chain(&modern) {
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
        let mut variants = Vec::with_capacity(header.variants.len() + header.modern.len());
        let jpeg = header
            .variants
            .iter()
            .map(|&(w, h, len)| (Format::Jpeg, w, h, len));
        for (format, width, height, len) in jpeg.chain(header.modern.iter().copied()) {
            let stop = offset.checked_add(len)?;
            if stop > file.len() || width == 0 || height == 0 {
                return None;
            }
            variants.push(Encoded {
                format,
                width,
                height,
                bytes: file.slice(offset..stop),
            });
            offset = stop;
        }
        (offset == file.len() && !header.variants.is_empty()).then_some(Rendition {
            source_tag: header.source_tag,
            version: header.version,
            width: header.width,
            height: header.height,
            sizes: header.sizes,
            color: header.color,
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
            color: Some("#102030".into()),
            variants: vec![jpeg(320, 400, b"small"), jpeg(640, 800, b"medium!")],
        }
    }

    fn jpeg(width: u32, height: u32, bytes: &'static [u8]) -> Encoded {
        Encoded {
            format: Format::Jpeg,
            width,
            height,
            bytes: Bytes::from_static(bytes),
        }
    }

    fn avif(width: u32, height: u32, bytes: &'static [u8]) -> Encoded {
        Encoded {
            format: Format::Avif,
            ..jpeg(width, height, bytes)
        }
    }

    #[test]
    fn avif_joins_the_file_and_counts_only_when_every_width_has_it() {
        let mut half = sample();
        half.variants.push(avif(320, 400, b"av-small"));
        assert_eq!(half.formats(), Vec::<Format>::new(), "640 has no AVIF yet");
        assert_eq!(
            half.variant(320, Format::Avif).map(|v| &v.bytes[..]),
            Some(&b"av-small"[..])
        );
        let mut full = half.clone();
        full.variants.push(avif(640, 800, b"a22"));
        assert_eq!(full.formats(), vec![Format::Avif]);
        let file = Bytes::from(full.to_file());
        let back = Rendition::from_file(file.clone()).expect("reads back");
        assert_eq!(back, full);
        assert_eq!(
            read_header(&file).map(|h| h.formats()),
            Some(vec![Format::Avif])
        );
        assert_eq!(
            back.variant(640, Format::Jpeg).map(|v| &v.bytes[..]),
            Some(&b"medium!"[..])
        );
        assert_eq!(
            back.variant(640, Format::Avif).map(|v| &v.bytes[..]),
            Some(&b"a22"[..])
        );
    }

    /// Until a file is made, the nearest one stands in: the same format above, else below,
    /// else the JPEG.
    #[test]
    fn the_nearest_file_stands_in_for_one_not_made_yet() {
        let mut r = sample();
        r.variants.push(avif(640, 800, b"a22"));
        let stand_in =
            |r: &Rendition, size, format| r.stand_in(size, format).map(|v| (v.format, v.width));
        assert_eq!(stand_in(&r, 480, Format::Jpeg), Some((Format::Jpeg, 640)));
        assert_eq!(stand_in(&r, 1080, Format::Jpeg), Some((Format::Jpeg, 640)));
        assert_eq!(stand_in(&r, 200, Format::Jpeg), Some((Format::Jpeg, 320)));
        assert_eq!(stand_in(&r, 320, Format::Avif), Some((Format::Avif, 640)));
        assert_eq!(stand_in(&r, 1080, Format::Avif), Some((Format::Avif, 640)));
        r.variants.retain(|v| v.format == Format::Jpeg);
        assert_eq!(stand_in(&r, 320, Format::Avif), Some((Format::Jpeg, 320)));
    }

    /// A cache file written before AVIF and placeholders existed (byte for byte what that
    /// release wrote) loads as a JPEG-only rendition without a colour.
    #[test]
    fn a_file_from_before_avif_loads_as_jpeg_only() {
        let old = [
            &b"IGFEED-MEDIA-1\n"[..],
            br#"{"source_tag":"s1","version":"0123456789abcdef","width":1080,"height":1350,"sizes":[320,640,1080],"variants":[[320,400,5],[640,800,7]]}"#,
            b"\nsmallmedium!",
        ]
        .concat();
        let loaded = Rendition::from_file(Bytes::from(old)).expect("loads");
        assert_eq!(
            loaded,
            Rendition {
                color: None,
                ..sample()
            }
        );
        assert!(loaded.formats().is_empty());
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
        assert_eq!(r.variant(320, Format::Jpeg).map(|v| v.width), Some(320));
        assert_eq!(r.variant(640, Format::Jpeg).map(|v| v.width), Some(640));
        assert_eq!(
            r.variant(1080, Format::Jpeg),
            None,
            "not rendered in this sample"
        );
        assert_eq!(r.variant(320, Format::Avif), None, "no AVIF made yet");
    }
}
