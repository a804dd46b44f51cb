//! Resizing correctness: sizes per aspect ratio, no upscaling, format, orientation, limits.

use image::{Rgb, RgbImage};

use super::*;
use crate::media::encode::avif_size;

fn params() -> RenderParams {
    RenderParams {
        sizes: vec![320, 640, 1080],
        quality: 82,
        formats: vec![Format::Avif],
        avif_quality: 70,
        max_dimension: 8000,
    }
}

/// A JPEG of `w`×`h`, left half red and right half blue, optionally with an EXIF block.
fn jpeg(w: u32, h: u32, exif: Option<&[u8]>) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    if let Some(exif) = exif {
        encoder.add_app_segment(1, exif).expect("APP1 segment");
    }
    encoder
        .encode(
            img.as_raw(),
            w as u16,
            h as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .expect("encodes");
    out
}

/// `Exif\0\0` + a big-endian TIFF header with one IFD entry: Orientation = `value`.
fn exif_orientation(value: u16) -> Vec<u8> {
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    exif.extend_from_slice(&1u16.to_be_bytes());
    exif.extend_from_slice(&0x0112u16.to_be_bytes());
    exif.extend_from_slice(&3u16.to_be_bytes());
    exif.extend_from_slice(&1u32.to_be_bytes());
    exif.extend_from_slice(&value.to_be_bytes());
    exif.extend_from_slice(&[0, 0]);
    exif.extend_from_slice(&0u32.to_be_bytes());
    exif
}

fn decoded(bytes: &[u8]) -> RgbImage {
    image::load_from_memory_with_format(bytes, ImageFormat::Jpeg)
        .expect("served bytes are a JPEG")
        .into_rgb8()
}

#[test]
fn every_size_keeps_the_aspect_ratio_of_instagram_shapes() {
    for ((w, h), expected) in [
        ((1080, 1080), [(320, 320), (640, 640), (1080, 1080)]),
        ((1080, 1350), [(320, 400), (640, 800), (1080, 1350)]),
        ((1080, 566), [(320, 168), (640, 335), (1080, 566)]),
    ] {
        let r = render(&jpeg(w, h, None), &params(), "s").expect("renders");
        assert_eq!((r.width, r.height), (w, h));
        let sizes: Vec<(u32, u32)> = r.variants.iter().map(|v| (v.width, v.height)).collect();
        assert_eq!(sizes, expected, "{w}x{h}");
        for v in &r.variants {
            let img = decoded(&v.bytes);
            assert_eq!((img.width(), img.height()), (v.width, v.height));
            // SOF2: a progressive JPEG.
            assert!(v.bytes.windows(2).any(|m| m == [0xFF, 0xC2]), "progressive");
        }
    }
}

#[test]
fn small_originals_are_never_upscaled() {
    let r = render(&jpeg(500, 400, None), &params(), "s").expect("renders");
    let sizes: Vec<(u32, u32)> = r.variants.iter().map(|v| (v.width, v.height)).collect();
    assert_eq!(sizes, [(320, 256), (500, 400)]);
    assert_eq!(r.variant(1080, Format::Jpeg).map(|v| v.width), Some(500));
    assert_eq!(r.variant(640, Format::Jpeg).map(|v| v.width), Some(500));
}

#[test]
fn exif_orientation_is_applied() {
    // Orientation 6: stored sideways, shown rotated 90° clockwise.
    let r = render(&jpeg(80, 40, Some(&exif_orientation(6))), &params(), "s").expect("renders");
    assert_eq!((r.width, r.height), (40, 80), "turned upright");
    let img = decoded(&r.variants[0].bytes);
    let top = img.get_pixel(20, 10);
    let bottom = img.get_pixel(20, 70);
    assert!(
        top[0] > 150 && top[2] < 100,
        "the stored left (red) is now on top: {top:?}"
    );
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "blue is now at the bottom: {bottom:?}"
    );
    let plain = render(&jpeg(80, 40, None), &params(), "s").expect("renders");
    assert_eq!((plain.width, plain.height), (80, 40));
}

#[test]
fn non_images_and_image_bombs_are_refused() {
    for junk in [
        &b"<html>not an image</html>"[..],
        b"",
        b"\xFF\xD8\xFF\xE0garbage",
    ] {
        assert!(render(junk, &params(), "s").is_err());
    }
    let tight = RenderParams {
        max_dimension: 1000,
        ..params()
    };
    assert!(matches!(
        render(&jpeg(1080, 1080, None), &tight, "s"),
        Err(RenderError::TooLarge {
            width: 1080,
            height: 1080,
            max_dimension: 1000
        })
    ));
}

#[test]
fn the_version_follows_the_content() {
    let a = render(&jpeg(100, 100, None), &params(), "s").expect("renders");
    let again = render(&jpeg(100, 100, None), &params(), "other").expect("renders");
    let b = render(&jpeg(100, 120, None), &params(), "s").expect("renders");
    assert_eq!(a.version, again.version);
    assert_ne!(a.version, b.version);
    assert_eq!(a.version.len(), 16);
}

#[test]
fn avif_is_made_for_every_jpeg_width_and_only_when_asked() {
    let original = jpeg(1080, 566, None);
    let jpegs = render(&original, &params(), "s").expect("renders");
    assert!(
        jpegs.variants.iter().all(|v| v.format == Format::Jpeg),
        "JPEG only at first"
    );
    let both = render_complete(&original, &params(), "s", Some(&jpegs)).expect("encodes");
    let files: Vec<(Format, u32, u32)> = both
        .variants
        .iter()
        .map(|v| (v.format, v.width, v.height))
        .collect();
    assert_eq!(
        files,
        [
            (Format::Jpeg, 320, 168),
            (Format::Jpeg, 640, 335),
            (Format::Jpeg, 1080, 566),
            (Format::Avif, 320, 168),
            (Format::Avif, 640, 335),
            (Format::Avif, 1080, 566)
        ]
    );
    for v in both.variants.iter().filter(|v| v.format == Format::Avif) {
        assert_eq!(avif_size(&v.bytes), (v.width, v.height));
    }
    assert_eq!(both.formats(), vec![Format::Avif]);
    assert_eq!((both.version, both.color), (jpegs.version, jpegs.color));
    let none = RenderParams {
        formats: Vec::new(),
        ..params()
    };
    let jpeg_only = render_complete(&original, &none, "s", None).expect("renders");
    assert_eq!(jpeg_only.formats(), Vec::<Format>::new());
    assert_eq!(jpeg_only.variants.len(), 3);
}

/// An image cached under another `media.sizes` gains the new widths; the files it had are
/// kept as they are, not encoded again. Files of another original are never kept.
#[test]
fn completing_keeps_the_files_of_the_same_original_and_adds_the_missing_widths() {
    let original = jpeg(1080, 1080, None);
    let old_sizes = RenderParams {
        sizes: vec![320, 1080],
        formats: Vec::new(),
        ..params()
    };
    let mut made = render(&original, &old_sizes, "s").expect("renders");
    // Marked, so a file kept is told from one encoded again.
    for file in &mut made.variants {
        file.bytes = Bytes::from(format!("kept {}", file.width));
    }
    made.color = Some("#010203".into());
    let now = RenderParams {
        sizes: vec![320, 480, 1080],
        ..params()
    };
    let done = render_complete(&original, &now, "s", Some(&made)).expect("completes");
    assert_eq!(done.sizes, [320, 480, 1080]);
    assert_eq!(done.color.as_deref(), Some("#010203"), "the colour is kept");
    let jpeg_at = |w| done.variant(w, Format::Jpeg).map(|v| v.bytes.clone());
    assert_eq!(jpeg_at(320).as_deref(), Some(&b"kept 320"[..]));
    assert_eq!(jpeg_at(1080).as_deref(), Some(&b"kept 1080"[..]));
    let new = jpeg_at(480).expect("the new width");
    assert!(new.starts_with(&[0xFF, 0xD8]), "a JPEG was encoded for 480");
    assert_eq!(done.formats(), vec![Format::Avif], "AVIF at every width");
    let other = render_complete(&jpeg(1080, 1000, None), &now, "s", Some(&made)).expect("renders");
    assert!(
        other.variants.iter().all(|v| !v.bytes.starts_with(b"kept")),
        "another original keeps nothing"
    );
}

#[test]
fn the_placeholder_is_the_dominant_colour_not_the_average() {
    // Three quarters red, a quarter blue: the average would be purple.
    let img = RgbImage::from_fn(40, 40, |x, _| {
        if x < 30 {
            Rgb([200, 30, 30])
        } else {
            Rgb([30, 30, 200])
        }
    });
    assert_eq!(dominant_color(&img), "#c81e1e");
    let r = render(&jpeg(80, 40, None), &params(), "s").expect("renders");
    let color = r.color.expect("a colour");
    assert!(color.len() == 7 && color.starts_with('#'), "{color}");
}
