//! Sample photos → stand-ins for Instagram's CDN originals: a centre crop to one of the three
//! shapes Instagram serves (1:1, 4:5, 1.91:1, in turn), 1080 px wide when the photo is large
//! enough, as a high-quality JPEG.

use std::path::{Path, PathBuf};

use anyhow::Context;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, RgbImage};

/// Instagram's original sizes: square, portrait (4:5), landscape (1.91:1).
const SHAPES: [(u32, u32); 3] = [(1080, 1080), (1080, 1350), (1080, 566)];
/// The originals' JPEG quality: high, as Instagram's CDN files are.
const ORIGINAL_QUALITY: u8 = 95;

/// Writes `OUT/NAME.jpg` for each source, skipping those already there.
pub fn run(out: &Path, sources: &[(String, PathBuf)]) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for (index, (name, path)) in sources.iter().enumerate() {
        let target = out.join(format!("{name}.jpg"));
        if target.exists() {
            continue;
        }
        let photo = image::open(path)
            .with_context(|| format!("cannot decode {}", path.display()))?
            .into_rgb8();
        let shaped = shape(&photo, SHAPES[index % SHAPES.len()]);
        let mut bytes = Vec::new();
        JpegEncoder::new_with_quality(&mut bytes, ORIGINAL_QUALITY).encode_image(&shaped)?;
        // Written whole then renamed: an interrupted run leaves no truncated original behind.
        let partial = target.with_extension("part");
        std::fs::write(&partial, bytes)?;
        std::fs::rename(&partial, &target)?;
        eprintln!(
            "photos: {name}: {}×{} → {}×{}",
            photo.width(),
            photo.height(),
            shaped.width(),
            shaped.height()
        );
    }
    Ok(())
}

/// The centre crop of `photo` with the aspect of `shape`, scaled down to its width if larger.
fn shape(photo: &RgbImage, (shape_w, shape_h): (u32, u32)) -> RgbImage {
    let (w, h) = photo.dimensions();
    let (crop_w, crop_h) = if u64::from(w) * u64::from(shape_h) > u64::from(h) * u64::from(shape_w)
    {
        (
            (u64::from(h) * u64::from(shape_w) / u64::from(shape_h)) as u32,
            h,
        )
    } else {
        (
            w,
            (u64::from(w) * u64::from(shape_h) / u64::from(shape_w)) as u32,
        )
    };
    let cropped =
        image::imageops::crop_imm(photo, (w - crop_w) / 2, (h - crop_h) / 2, crop_w, crop_h)
            .to_image();
    if crop_w <= shape_w {
        return cropped;
    }
    let target_h =
        (u64::from(crop_h) * u64::from(shape_w) + u64::from(crop_w) / 2) / u64::from(crop_w);
    DynamicImage::ImageRgb8(cropped)
        .resize_exact(shape_w, target_h as u32, FilterType::Lanczos3)
        .into_rgb8()
}

/// The originals in `dir` (`*.jpg`), sorted by name.
pub fn photos(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "jpg"))
        .collect();
    found.sort();
    anyhow::ensure!(!found.is_empty(), "no *.jpg in {}", dir.display());
    Ok(found)
}

/// A PNG of every original, 240 px wide, four to a row.
pub fn sheet(out: &Path, dir: &Path) -> anyhow::Result<()> {
    const CELL: u32 = 240;
    let thumbs: Vec<RgbImage> = photos(dir)?
        .iter()
        .map(|path| Ok(image::open(path)?.thumbnail(CELL, CELL).into_rgb8()))
        .collect::<anyhow::Result<_>>()?;
    let rows = thumbs.len().div_ceil(4) as u32;
    let mut canvas = RgbImage::from_pixel(CELL * 4, CELL * rows, image::Rgb([255, 255, 255]));
    for (i, thumb) in thumbs.iter().enumerate() {
        let (x, y) = ((i as u32 % 4) * CELL, (i as u32 / 4) * CELL);
        image::imageops::replace(&mut canvas, thumb, i64::from(x), i64::from(y));
    }
    canvas.save(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_to_instagram_shapes_and_never_enlarges() {
        let big = RgbImage::new(2560, 1600);
        assert_eq!(shape(&big, SHAPES[0]).dimensions(), (1080, 1080));
        assert_eq!(shape(&big, SHAPES[1]).dimensions(), (1080, 1350));
        assert_eq!(shape(&big, SHAPES[2]).dimensions(), (1080, 566));
        let small = RgbImage::new(451, 300);
        assert_eq!(shape(&small, SHAPES[0]).dimensions(), (300, 300));
        assert_eq!(shape(&small, SHAPES[1]).dimensions(), (240, 300));
        assert_eq!(shape(&small, SHAPES[2]).dimensions(), (451, 236));
    }
}
