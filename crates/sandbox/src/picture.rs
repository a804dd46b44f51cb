//! Real JPEGs for the sandbox CDN: a colour gradient with the post's number drawn big, or, in
//! photo mode (`SandboxConfig::photos_dir`), a crop of one of the operator's photos.
//!
//! Encoding a 1080 px JPEG costs tens of milliseconds, so each picture is made once and kept.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use actix_web::web::Bytes;

use anyhow::Context;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, Rgb, RgbImage};

use super::posts::mix;

/// What to draw: the same spec always gives the same picture.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Spec {
    /// Text drawn in the middle (digits, `.` and `+`; other characters are left blank).
    pub(crate) label: String,
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Chooses the colours.
    pub(crate) seed: u64,
}

/// Encoded pictures by spec, shared by all workers.
#[derive(Default)]
pub(crate) struct Pictures {
    cache: Mutex<HashMap<Spec, Bytes>>,
    /// The photos of photo mode, sorted by name; empty: gradients.
    photos: Vec<PathBuf>,
}

impl Pictures {
    /// Gradients, or crops of the JPEGs in `photos_dir` when given (refused without any).
    pub(crate) fn new(photos_dir: Option<&Path>) -> anyhow::Result<Pictures> {
        let Some(dir) = photos_dir else {
            return Ok(Pictures::default());
        };
        let mut photos: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read the photo directory {}", dir.display()))?
            .filter_map(|entry| Some(entry.ok()?.path()))
            .filter(|path| {
                path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg")
                })
            })
            .collect();
        anyhow::ensure!(
            !photos.is_empty(),
            "no JPEG (*.jpg, *.jpeg) in the photo directory {}",
            dir.display()
        );
        photos.sort();
        Ok(Pictures {
            cache: Mutex::default(),
            photos,
        })
    }

    /// The JPEG for `spec`, encoded on first use.
    ///
    /// The lock is not held while encoding; two racing first requests may both encode, which is
    /// cheaper than making every other picture wait.
    pub(crate) fn get(&self, spec: &Spec) -> anyhow::Result<Bytes> {
        // In photo mode the seed picks a photo (consecutive posts, consecutive photos) and the
        // label is not drawn: posts showing the same photo at the same size share one JPEG, so
        // the cache holds at most photos × shapes entries however many posts there are.
        let key = match self.photos.len() {
            0 => spec.clone(),
            n => Spec {
                label: String::new(),
                seed: spec.seed % n as u64,
                ..spec.clone()
            },
        };
        if let Some(found) = lock(&self.cache).get(&key) {
            return Ok(found.clone());
        }
        let bytes = Bytes::from(match self.photos.get(key.seed as usize) {
            Some(path) => photo(path, key.width, key.height)?,
            None => render(&key)?,
        });
        lock(&self.cache).insert(key, bytes.clone());
        Ok(bytes)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere cannot leave a half-written map entry, so a poisoned lock is usable.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Draws and encodes one picture.
pub(crate) fn render(spec: &Spec) -> anyhow::Result<Vec<u8>> {
    let (w, h) = (spec.width.max(1), spec.height.max(1));
    let hash = mix(spec.seed);
    let from = hsv((hash % 360) as f32, 0.65, 0.85);
    let to = hsv(((hash % 360) as f32 + 60.0) % 360.0, 0.75, 0.55);
    let span = (w + h) as f32;
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let t = (x + y) as f32 / span;
        Rgb(std::array::from_fn(|i| {
            (f32::from(from[i]) * (1.0 - t) + f32::from(to[i]) * t) as u8
        }))
    });
    draw_label(&mut img, &spec.label);
    let mut out = Vec::with_capacity((w * h / 8) as usize);
    JpegEncoder::new_with_quality(&mut out, 82).encode_image(&img)?;
    Ok(out)
}

/// The centre of the photo at `path` cut to the shape of `width`×`height`, resized to it.
fn photo(path: &Path, width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
    let original = image::open(path)
        .with_context(|| format!("cannot decode the photo {}", path.display()))?
        .into_rgb8();
    let (w, h) = (u64::from(original.width()), u64::from(original.height()));
    let (width, height) = (width.max(1), height.max(1));
    let (want_w, want_h) = (u64::from(width), u64::from(height));
    let (crop_w, crop_h) = if w * want_h > h * want_w {
        (h * want_w / want_h, h)
    } else {
        (w, w * want_h / want_w)
    };
    let (crop_w, crop_h) = (crop_w.max(1) as u32, crop_h.max(1) as u32);
    let (x, y) = (
        (original.width() - crop_w) / 2,
        (original.height() - crop_h) / 2,
    );
    let crop = image::imageops::crop_imm(&original, x, y, crop_w, crop_h).to_image();
    let resized = DynamicImage::ImageRgb8(crop)
        .resize_exact(width, height, FilterType::Lanczos3)
        .into_rgb8();
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90).encode_image(&resized)?;
    Ok(out)
}

/// A 5×7 bitmap font: each row is five bits, the leftmost pixel in bit 4.
fn glyph(c: char) -> Option<[u8; 7]> {
    Some(match c {
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        '+' => [0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00],
        _ => return None,
    })
}

/// Draws `label` centred, as large as fits in 70 % of the width and half the height.
fn draw_label(img: &mut RgbImage, label: &str) {
    let chars: Vec<char> = label.chars().take(12).collect();
    if chars.is_empty() {
        return;
    }
    let cells_w = chars.len() as u32 * 6 - 1;
    let scale = (img.width() * 7 / 10 / cells_w)
        .min(img.height() / 2 / 7)
        .max(1);
    let left = img.width().saturating_sub(cells_w * scale) / 2;
    let top = img.height().saturating_sub(7 * scale) / 2;
    let shadow = (scale / 6).max(1);
    // A dark offset copy first, so the white digits read on light colours too.
    for (colour, offset) in [(Rgb([0, 0, 0]), shadow), (Rgb([255, 255, 255]), 0)] {
        for (i, c) in chars.iter().enumerate() {
            let Some(rows) = glyph(*c) else { continue };
            for (row, bits) in rows.iter().enumerate() {
                for col in 0..5u32 {
                    if bits & (0x10 >> col) != 0 {
                        let x = left + (i as u32 * 6 + col) * scale + offset;
                        let y = top + row as u32 * scale + offset;
                        fill(img, x, y, scale, colour);
                    }
                }
            }
        }
    }
}

fn fill(img: &mut RgbImage, x0: u32, y0: u32, size: u32, colour: Rgb<u8>) {
    for y in y0..(y0 + size).min(img.height()) {
        for x in x0..(x0 + size).min(img.width()) {
            img.put_pixel(x, y, colour);
        }
    }
}

fn hsv(hue: f32, s: f32, v: f32) -> [u8; 3] {
    let c = v * s;
    let x = c * (1.0 - ((hue / 60.0) % 2.0 - 1.0).abs());
    let (r, g, b) = match (hue / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [r, g, b].map(|channel| ((channel + m) * 255.0).round() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_have_the_requested_size_and_are_jpegs() {
        for (width, height) in [(1080, 1080), (1080, 1350), (1080, 566), (320, 320)] {
            let spec = Spec {
                label: "12.3+".into(),
                width,
                height,
                seed: 7,
            };
            let bytes = render(&spec).expect("encodes");
            let format = image::guess_format(&bytes).expect("recognisable");
            assert_eq!(format, image::ImageFormat::Jpeg);
            let decoded = image::load_from_memory(&bytes).expect("decodes");
            assert_eq!((decoded.width(), decoded.height()), (width, height));
        }
    }

    #[test]
    fn pictures_are_memoised() {
        let pictures = Pictures::default();
        let spec = Spec {
            label: "1".into(),
            width: 64,
            height: 64,
            seed: 1,
        };
        let first = pictures.get(&spec).expect("first");
        let second = pictures.get(&spec).expect("second");
        assert_eq!(
            first.as_ptr(),
            second.as_ptr(),
            "the same buffer, not a second encoding"
        );
    }

    #[test]
    fn photos_are_cut_from_the_centre() {
        let dir = tempfile::tempdir().expect("a directory");
        // Green sides around a red middle third: a square crop is all red.
        let photo = RgbImage::from_fn(300, 100, |x, _| {
            Rgb(if (100..200).contains(&x) {
                [220, 0, 0]
            } else {
                [0, 200, 0]
            })
        });
        photo.save(dir.path().join("p.jpg")).expect("saved");
        let pictures = Pictures::new(Some(dir.path())).expect("one photo");
        let spec = Spec {
            label: "1".into(),
            width: 40,
            height: 40,
            seed: 5,
        };
        let bytes = pictures.get(&spec).expect("encodes");
        let img = image::load_from_memory(&bytes).expect("decodes").to_rgb8();
        assert_eq!(img.dimensions(), (40, 40));
        for x in [0, 20, 39] {
            let [r, g, _] = img.get_pixel(x, 20).0;
            assert!(
                r > 180 && g < 60,
                "red at x={x}: {:?}",
                img.get_pixel(x, 20)
            );
        }
    }

    #[test]
    fn the_label_is_drawn_in_white() {
        let spec = Spec {
            label: "8".into(),
            width: 200,
            height: 200,
            seed: 3,
        };
        let img = image::load_from_memory(&render(&spec).expect("encodes")).expect("decodes");
        let centre = img.to_rgb8().get_pixel(100, 100).0;
        assert!(
            centre.iter().all(|c| *c > 200),
            "centre of an 8 is white: {centre:?}"
        );
    }
}
