//! Turns one downloaded original into every configured width: decoded under limits (image
//! bombs), turned upright (EXIF orientation), resized with a Lanczos filter, encoded as
//! progressive JPEG. CPU work: callers run it on a blocking thread.

use std::io::Cursor;

use actix_web::web::Bytes;
use igfeed_base::secret::hex;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder as _, ImageFormat, ImageReader, Limits, RgbImage};
use sha2::{Digest as _, Sha256};

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
    Encode(#[from] super::encode::EncodeError),
}

/// Decodes `original` and derives every width of `params`.
pub fn render(
    original: &[u8],
    params: &RenderParams,
    source_tag: &str,
) -> Result<Rendition, RenderError> {
    // One owned reference every width is resized from: `resize_exact` borrows it, so no
    // width costs a copy of the decoded original (48 MB for 4000×4000).
    let upright = DynamicImage::ImageRgb8(decode(original, params.max_dimension)?);
    let (width, height) = (upright.width(), upright.height());
    let mut variants: Vec<Encoded> = Vec::new();
    for &size in &params.sizes {
        let (w, h) = scaled(width, height, size);
        if variants.iter().any(|v| v.width == w) {
            continue;
        }
        // DynamicImage's methods are compiled (optimised) inside `image`; the generic
        // `imageops::resize` would be instantiated here, five times slower in debug builds.
        // Every width from the original (Lanczos3), never from the previous smaller result,
        // which would compound the filter's blur.
        let bytes = match upright.as_rgb8() {
            Some(same) if w == width => super::encode::jpeg(same, params.quality)?,
            _ => super::encode::jpeg(
                &upright.resize_exact(w, h, FilterType::Lanczos3).into_rgb8(),
                params.quality,
            )?,
        };
        variants.push(Encoded {
            width: w,
            height: h,
            bytes: Bytes::from(bytes),
        });
    }
    let mut hash = Sha256::new();
    hash.update(original);
    hash.update(RENDER_VERSION);
    hash.update([params.quality]);
    let version = hex(&hash.finalize()[..8]);
    Ok(Rendition {
        source_tag: source_tag.to_owned(),
        version,
        width,
        height,
        sizes: params.sizes.clone(),
        variants,
    })
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
