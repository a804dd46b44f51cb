//! Turns one downloaded original into every configured width: decoded under limits (image
//! bombs), turned upright (EXIF orientation), resized with a Lanczos filter, encoded as
//! progressive JPEG ([`render`], while a visitor may wait) and, later and in the background,
//! in every format and width still missing ([`render_complete`]). CPU work: callers run it
//! on a blocking thread.

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

impl RenderParams {
    /// What `media.*` asks for: its widths ascending and each once, its formats.
    pub fn new(media: &crate::config::MediaSettings) -> Self {
        let mut sizes = media.sizes.clone();
        sizes.sort_unstable();
        sizes.dedup();
        Self {
            sizes,
            quality: media.jpeg_quality,
            formats: media.modern_formats(),
            avif_quality: media.avif_quality,
            max_dimension: media.max_dimension,
        }
    }
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
    let mut color = None;
    let variants = each_width(&upright, params, |width| {
        // The smallest width comes first: plenty of pixels for one colour, and cheap.
        let pixels = width.pixels();
        color.get_or_insert_with(|| dominant_color(pixels));
        Ok(vec![(
            Format::Jpeg,
            Bytes::from(encode::jpeg(pixels, params.quality)?),
        )])
    })?;
    Ok(Rendition {
        source_tag: source_tag.to_owned(),
        version: version(original, params),
        width: upright.width(),
        height: upright.height(),
        sizes: params.sizes.clone(),
        color,
        variants,
    })
}

/// Every width of `params` in JPEG and each other format: the slow part (AVIF takes tens of
/// times longer than JPEG), so it never runs while a visitor waits. Files of `made` that
/// came from the same original and settings are kept, not encoded again: an image cached
/// before a format was configured gains only that format, one cached under other
/// `media.sizes` only the new widths.
pub fn render_complete(
    original: &[u8],
    params: &RenderParams,
    source_tag: &str,
    made: Option<&Rendition>,
) -> Result<Rendition, RenderError> {
    let version = version(original, params);
    let made = made.filter(|m| m.version == version);
    let upright = upright(original, params)?;
    let mut color = made.and_then(|m| m.color.clone());
    let formats: Vec<Format> = std::iter::once(Format::Jpeg)
        .chain(params.formats.iter().copied())
        .collect();
    let variants = each_width(&upright, params, |width| {
        if color.is_none() {
            color = Some(dominant_color(width.pixels()));
        }
        let mut files = Vec::with_capacity(formats.len());
        for &format in &formats {
            let kept = made.and_then(|m| {
                m.variants
                    .iter()
                    .find(|v| v.format == format && v.width == width.width)
            });
            let bytes = match kept {
                Some(file) => file.bytes.clone(),
                None => Bytes::from(match format {
                    Format::Avif => encode::avif(width.pixels(), params.avif_quality, AVIF_SPEED)?,
                    Format::Jpeg => encode::jpeg(width.pixels(), params.quality)?,
                }),
            };
            files.push((format, bytes));
        }
        Ok(files)
    })?;
    Ok(Rendition {
        source_tag: source_tag.to_owned(),
        version,
        width: upright.width(),
        height: upright.height(),
        sizes: params.sizes.clone(),
        color,
        variants,
    })
}

/// The content version of what `original` renders to with `params` (`?v=`, ETags). Widths
/// and formats are not part of it: a file at one width is the same whatever else is made.
fn version(original: &[u8], params: &RenderParams) -> String {
    let mut hash = Sha256::new();
    hash.update(original);
    hash.update(RENDER_VERSION);
    hash.update([params.quality]);
    hex(&hash.finalize()[..8])
}

/// The decoded, upright original: one owned reference every width is resized from.
fn upright(original: &[u8], params: &RenderParams) -> Result<DynamicImage, RenderError> {
    Ok(DynamicImage::ImageRgb8(decode(
        original,
        params.max_dimension,
    )?))
}

/// One width of the upright original, resized only once a file must be encoded from it.
struct Width<'a> {
    upright: &'a DynamicImage,
    width: u32,
    height: u32,
    resized: Option<RgbImage>,
}

impl Width<'_> {
    fn pixels(&mut self) -> &RgbImage {
        let (upright, width, height) = (self.upright, self.width, self.height);
        if let Some(same) = upright.as_rgb8().filter(|_| width == upright.width()) {
            return same;
        }
        // DynamicImage's methods are compiled (optimised) inside `image`; the generic
        // `imageops::resize` would be instantiated here, five times slower in debug builds.
        // Every width from the original (Lanczos3), never from the previous smaller result,
        // which would compound the filter's blur. `resize_exact` borrows the original, so no
        // width costs a copy of it (48 MB for 4000×4000).
        self.resized.get_or_insert_with(|| {
            upright
                .resize_exact(width, height, FilterType::Lanczos3)
                .into_rgb8()
        })
    }
}

/// Calls `encode` for each distinct width of `params`, smallest first (it names the format
/// of each file it made), each width's pixels dropped before the next.
fn each_width(
    upright: &DynamicImage,
    params: &RenderParams,
    mut encode: impl FnMut(&mut Width<'_>) -> Result<Vec<(Format, Bytes)>, RenderError>,
) -> Result<Vec<Encoded>, RenderError> {
    let mut widths: Vec<u32> = Vec::new();
    let mut variants: Vec<Encoded> = Vec::new();
    for &size in &params.sizes {
        let (width, height) = scaled(upright.width(), upright.height(), size);
        if widths.contains(&width) {
            continue;
        }
        widths.push(width);
        let mut pixels = Width {
            upright,
            width,
            height,
            resized: None,
        };
        let files = encode(&mut pixels)?;
        variants.extend(files.into_iter().map(|(format, bytes)| Encoded {
            format,
            width,
            height,
            bytes,
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
