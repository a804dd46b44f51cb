//! Turns one downloaded original into every configured width: decoded under limits (image
//! bombs), turned upright (EXIF orientation), resized with a Lanczos filter, encoded as
//! progressive JPEG ([`render`], while a visitor may wait) and, later and in the background,
//! as AVIF ([`render_modern`]). CPU work: callers run it on a blocking thread.

use std::io::Cursor;

use actix_web::web::Bytes;
use igfeed_base::secret::hex;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder as _, ImageFormat, ImageReader, Limits, RgbImage};
use sha2::{Digest as _, Sha256};

use super::encode::{self, Format};
use super::rendition::{Encoded, Rendition, scaled};

/// Bumped whenever resizing or encoding changes, so every content-versioned URL changes too.
const RENDER_VERSION: &str = "r1";
/// Decoder memory ceiling; an 8000×8000 RGBA image (the largest `media.max_dimension`
/// allows) needs 256 MB.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// What to produce.
#[derive(Debug, Clone)]
pub struct RenderParams {
    /// Configured widths, ascending.
    pub sizes: Vec<u32>,
    /// JPEG quality 1–100.
    pub quality: u8,
    /// Formats made beside JPEG, in the background.
    pub formats: Vec<Format>,
    /// AVIF quality 1–100 (ravif's scale).
    pub avif_quality: u8,
    /// Largest width or height accepted.
    pub max_dimension: u32,
}

/// Why an original was refused; the text is safe to log (no URL).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Not a JPEG, PNG or WebP image.
    #[error("the CDN answer is not a JPEG, PNG or WebP image")]
    NotAnImage,
    /// Wider or taller than `media.max_dimension`: more than Instagram serves.
    #[error("the original is {width}×{height} px, beyond media.max_dimension ({max_dimension} px)")]
    TooLarge {
        /// The original's width.
        width: u32,
        /// The original's height.
        height: u32,
        /// The setting it exceeds.
        max_dimension: u32,
    },
    /// Too many pixels, or a corrupt file.
    #[error("the image cannot be decoded within limits: {0}")]
    Decode(String),
    /// Encoding failed (should not happen for valid pixels).
    #[error(transparent)]
    Encode(#[from] encode::EncodeError),
}

/// rav1e's speed for AVIF (1 slowest … 10 fastest), chosen with `bench/images/run` (see
/// BENCHMARKS.md "Image formats"): 8 gives speed 6's bytes and DSSIM within 2% in 70% of
/// its time; 10 needs 5–21% more bytes for the same DSSIM.
const AVIF_SPEED: u8 = 8;

/// Decodes `original` and derives every width of `params` as JPEG, and the colour painted
/// while it loads.
pub fn render(
    original: &[u8],
    params: &RenderParams,
    source_tag: &str,
) -> Result<Rendition, RenderError> {
    let upright = upright(original, params)?;
    let (width, height) = (upright.width(), upright.height());
    let mut color = None;
    let variants = each_width(&upright, params, |resized| {
        // The smallest width comes first: plenty of pixels for one colour, and cheap.
        color.get_or_insert_with(|| dominant_color(resized));
        Ok(vec![(Format::Jpeg, encode::jpeg(resized, params.quality)?)])
    })?;
    Ok(Rendition {
        source_tag: source_tag.to_owned(),
        version: version(original, params),
        width,
        height,
        sizes: params.sizes.clone(),
        color,
        variants,
    })
}

/// The content version of what `original` renders to with `params` (`?v=`, ETags).
fn version(original: &[u8], params: &RenderParams) -> String {
    let mut hash = Sha256::new();
    hash.update(original);
    hash.update(RENDER_VERSION);
    hash.update([params.quality]);
    hex(&hash.finalize()[..8])
}

/// Whether `rendition` is what `original` renders to with `params`, so files of another
/// format made from `original` may join it.
pub fn same_original(rendition: &Rendition, original: &[u8], params: &RenderParams) -> bool {
    rendition.sizes == params.sizes && rendition.version == version(original, params)
}

/// Derives every width of `params` in each of its formats beside JPEG: the slow part (AVIF
/// takes tens of times longer than JPEG), so it never runs while a visitor waits.
pub fn render_modern(original: &[u8], params: &RenderParams) -> Result<Vec<Encoded>, RenderError> {
    if params.formats.is_empty() {
        return Ok(Vec::new());
    }
    let upright = upright(original, params)?;
    each_width(&upright, params, |resized| {
        params
            .formats
            .iter()
            .map(|&format| {
                let bytes = match format {
                    Format::Avif => encode::avif(resized, params.avif_quality, AVIF_SPEED)?,
                    Format::Jpeg => encode::jpeg(resized, params.quality)?,
                };
                Ok((format, bytes))
            })
            .collect()
    })
}

/// The decoded, upright original: one owned reference every width is resized from.
fn upright(original: &[u8], params: &RenderParams) -> Result<DynamicImage, RenderError> {
    Ok(DynamicImage::ImageRgb8(decode(
        original,
        params.max_dimension,
    )?))
}

/// Resizes `upright` to each distinct width of `params`, smallest first, and encodes each
/// with `encode` (which names the format of each file it made).
fn each_width(
    upright: &DynamicImage,
    params: &RenderParams,
    mut encode: impl FnMut(&RgbImage) -> Result<Vec<(Format, Vec<u8>)>, RenderError>,
) -> Result<Vec<Encoded>, RenderError> {
    let (width, height) = (upright.width(), upright.height());
    let mut widths: Vec<u32> = Vec::new();
    let mut variants: Vec<Encoded> = Vec::new();
    for &size in &params.sizes {
        let (w, h) = scaled(width, height, size);
        if widths.contains(&w) {
            continue;
        }
        widths.push(w);
        // DynamicImage's methods are compiled (optimised) inside `image`; the generic
        // `imageops::resize` would be instantiated here, five times slower in debug builds.
        // Every width from the original (Lanczos3), never from the previous smaller result,
        // which would compound the filter's blur. `resize_exact` borrows the original, so no
        // width costs a copy of it (48 MB for 4000×4000).
        let files = match upright.as_rgb8() {
            Some(same) if w == width => encode(same)?,
            _ => encode(&upright.resize_exact(w, h, FilterType::Lanczos3).into_rgb8())?,
        };
        variants.extend(files.into_iter().map(|(format, bytes)| Encoded {
            format,
            width: w,
            height: h,
            bytes: Bytes::from(bytes),
        }));
    }
    // JPEGs first, then each other format: the order of the cache file.
    variants.sort_by_key(|v| v.format);
    Ok(variants)
}

/// The most common colour, coarsely: pixels are counted in 512 bins (3 bits a channel) and
/// the fullest bin's mean is the answer, so a photo's sky or wall wins over the muddy average
/// of everything.
pub fn dominant_color(image: &RgbImage) -> String {
    let mut bins = vec![(0u32, [0u64; 3]); 512];
    for pixel in image.pixels() {
        let [r, g, b] = pixel.0;
        let bin =
            &mut bins[usize::from(r >> 5) << 6 | usize::from(g >> 5) << 3 | usize::from(b >> 5)];
        bin.0 += 1;
        for (sum, channel) in bin.1.iter_mut().zip([r, g, b]) {
            *sum += u64::from(channel);
        }
    }
    let (count, sums) = bins
        .into_iter()
        .max_by_key(|(count, _)| *count)
        .unwrap_or_default();
    let mean = |sum: u64| u8::try_from(sum / u64::from(count.max(1))).unwrap_or(u8::MAX);
    format!(
        "#{:02x}{:02x}{:02x}",
        mean(sums[0]),
        mean(sums[1]),
        mean(sums[2])
    )
}

/// Decodes under limits and applies the EXIF orientation; transparency is laid on white.
fn decode(original: &[u8], max_dimension: u32) -> Result<RgbImage, RenderError> {
    let mut reader = ImageReader::new(Cursor::new(original))
        .with_guessed_format()
        .map_err(|_| RenderError::NotAnImage)?;
    if !matches!(
        reader.format(),
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)
    ) {
        return Err(RenderError::NotAnImage);
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| RenderError::Decode(e.to_string()))?;
    // Read from the header, before a single pixel is decoded (image bombs).
    let (width, height) = decoder.dimensions();
    if width.max(height) > max_dimension {
        return Err(RenderError::TooLarge {
            width,
            height,
            max_dimension,
        });
    }
    // A broken EXIF block is no reason to refuse the picture: show it as stored.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|e| RenderError::Decode(e.to_string()))?;
    image.apply_orientation(orientation);
    Ok(flatten(image))
}

fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

#[cfg(test)]
mod tests;
