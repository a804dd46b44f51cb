//! The encoders behind every rendition, one function per format, so `bench/images` measures
//! exactly what igfeed serves. CPU work: callers run them on a blocking thread.

use image::RgbImage;

pub use crate::config::ImageFormat as Format;

/// Why encoding failed (should not happen for valid pixels).
#[derive(Debug, thiserror::Error)]
#[error("the resized image cannot be encoded as {format}: {detail}")]
pub struct EncodeError {
    format: &'static str,
    detail: String,
}

fn failed(format: Format, detail: impl ToString) -> EncodeError {
    EncodeError {
        format: format.name(),
        detail: detail.to_string(),
    }
}

/// Progressive JPEG with optimised Huffman tables: smaller, and it shows early on slow links.
pub fn jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, EncodeError> {
    let (w, h) = (
        u16::try_from(image.width()).map_err(|e| failed(Format::Jpeg, e))?,
        u16::try_from(image.height()).map_err(|e| failed(Format::Jpeg, e))?,
    );
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_progressive(true);
    encoder.set_optimized_huffman_tables(true);
    encoder
        .encode(image.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| failed(Format::Jpeg, e))?;
    Ok(out)
}

/// AVIF at `quality` (ravif's 1–100 scale) and rav1e `speed` (1 slowest … 10 fastest), on
/// the calling thread only.
pub fn avif(image: &RgbImage, quality: u8, speed: u8) -> Result<Vec<u8>, EncodeError> {
    let width = usize::try_from(image.width()).map_err(|e| failed(Format::Avif, e))?;
    let height = usize::try_from(image.height()).map_err(|e| failed(Format::Avif, e))?;
    igfeed_avif::encode_rgb(image.as_raw(), width, height, quality, speed)
        .map_err(|e| failed(Format::Avif, e))
}

/// The width and height an AVIF file's header states (its `ispe` box), for tests.
#[cfg(test)]
pub(crate) fn avif_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[4..12], b"ftypavif", "an AVIF file type box first");
    let at = bytes
        .windows(4)
        .position(|w| w == b"ispe")
        .expect("an image spatial extents box");
    let field = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
    (field(at + 8), field(at + 12))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 90]))
    }

    #[test]
    fn avif_is_an_avif_file_and_names_its_size() {
        let bytes = avif(&gradient(37, 21), 60, 10).expect("encodes");
        assert_eq!(avif_size(&bytes), (37, 21));
    }

    #[test]
    fn jpeg_decodes_to_its_size() {
        let bytes = jpeg(&gradient(37, 21), 82).expect("encodes");
        let decoded = image::load_from_memory(&bytes).expect("decodes");
        assert_eq!((decoded.width(), decoded.height()), (37, 21));
    }

    #[test]
    fn settings_name_only_modern_formats() {
        assert_eq!(Format::parse_modern("avif"), Some(Format::Avif));
        for other in ["jpeg", "AVIF", "webp", ""] {
            assert_eq!(Format::parse_modern(other), None, "{other}");
        }
    }
}
