//! Every photo × size × encoder setting: bytes, DSSIM against the resized original, encode time.
//!
//! Sizes are resized exactly as igfeed does (`igfeed::media::scaled`, Lanczos3 from the
//! original) and encoded with igfeed's own functions; WebP through libwebp. Encodes run one at a
//! time on one thread each, timed in that thread's CPU time: what one background worker spends.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};
use dssim_core::{Dssim, DssimImage};
use image::imageops::FilterType;
use image::{DynamicImage, RgbImage};
use rgb::RGB8;

/// The widths igfeed serves by default (`media.sizes`).
pub const SIZES: [u32; 4] = [320, 480, 640, 1080];
/// Today's JPEG quality, the reference every other setting is held against.
pub const JPEG_QUALITY: u8 = 82;

/// A format and the setting that trades its time for its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Jpeg,
    /// rav1e speed (1 slowest … 10 fastest).
    Avif {
        speed: u8,
    },
    /// libwebp method (0 fastest … 6 slowest).
    Webp {
        method: u8,
    },
}

impl Format {
    pub fn label(self) -> String {
        match self {
            Format::Jpeg => "JPEG".to_owned(),
            Format::Avif { speed } => format!("AVIF s{speed}"),
            Format::Webp { method } => format!("WebP m{method}"),
        }
    }
}

/// Which settings each photo at each size is encoded with (JPEG q82 always).
#[derive(Debug, Clone)]
pub struct Grid {
    pub avif_q: Vec<u8>,
    pub avif_speeds: Vec<u8>,
    pub webp_q: Vec<u8>,
    pub webp_methods: Vec<u8>,
}

impl Grid {
    /// Every quality from far below JPEG q82's DSSIM to far above it.
    pub fn full() -> Grid {
        Grid {
            avif_q: vec![70, 75, 80, 85, 88, 90, 92, 94],
            avif_speeds: vec![6, 8, 10],
            webp_q: vec![80, 84, 88, 90, 92, 94, 96],
            webp_methods: vec![4, 6],
        }
    }

    /// Two settings per format: checks the pipeline.
    pub fn quick() -> Grid {
        Grid {
            avif_q: vec![70, 90],
            avif_speeds: vec![10],
            webp_q: vec![90],
            webp_methods: vec![4],
        }
    }

    fn settings(&self) -> Vec<(Format, u8)> {
        let mut all = vec![(Format::Jpeg, JPEG_QUALITY)];
        for &speed in &self.avif_speeds {
            all.extend(self.avif_q.iter().map(|&q| (Format::Avif { speed }, q)));
        }
        for &method in &self.webp_methods {
            all.extend(self.webp_q.iter().map(|&q| (Format::Webp { method }, q)));
        }
        all
    }
}

/// One encode of one photo at one size.
#[derive(Debug, Clone)]
pub struct Sample {
    pub photo: String,
    pub size: u32,
    pub width: u32,
    pub height: u32,
    pub format: Format,
    pub quality: u8,
    pub bytes: usize,
    pub dssim: f64,
    pub encode_ms: f64,
}

impl Sample {
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "photo": self.photo, "size": self.size, "width": self.width, "height": self.height,
            "format": self.format.label(), "quality": self.quality, "bytes": self.bytes,
            "dssim": self.dssim, "encode_ms": self.encode_ms,
        })
        .to_string()
    }
}

/// Measures every photo in `dir`.
pub fn run(dir: &Path, grid: &Grid) -> anyhow::Result<Vec<Sample>> {
    let scratch = Scratch::new()?;
    let dssim = Dssim::new();
    let settings = grid.settings();
    let mut samples = Vec::new();
    for path in crate::prepare::photos(dir)? {
        let photo = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        // As igfeed holds it: one decoded, upright original every width is resized from.
        let original = DynamicImage::ImageRgb8(image::open(&path)?.into_rgb8());
        for size in SIZES.into_iter().filter(|&s| s <= original.width()) {
            let (w, h) = igfeed::media::scaled(original.width(), original.height(), size);
            let resized = if w == original.width() {
                original.to_rgb8()
            } else {
                original
                    .resize_exact(w, h, FilterType::Lanczos3)
                    .into_rgb8()
            };
            let reference = dssim_image(&dssim, &resized)?;
            for &(format, quality) in &settings {
                let started = thread_cpu_ms();
                let encoded = encode(&resized, format, quality)?;
                let encode_ms = thread_cpu_ms() - started;
                let decoded = decode(&encoded, format, &scratch)?;
                ensure!(
                    decoded.dimensions() == (w, h),
                    "{photo} {size} {format:?} q{quality}: decoded {:?}, expected {w}×{h}",
                    decoded.dimensions()
                );
                let (score, _) = dssim.compare(&reference, dssim_image(&dssim, &decoded)?);
                samples.push(Sample {
                    photo: photo.clone(),
                    size,
                    width: w,
                    height: h,
                    format,
                    quality,
                    bytes: encoded.len(),
                    dssim: f64::from(score),
                    encode_ms,
                });
            }
            eprintln!("images: {photo} at {size} ({w}×{h}) measured");
        }
    }
    Ok(samples)
}

/// CPU time of the calling thread: what an encode costs, whatever else the machine runs
/// meanwhile (wall time on a shared 2-core machine measures the neighbours too).
fn thread_cpu_ms() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the valid, exclusively borrowed `now`.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    now.tv_sec as f64 * 1000.0 + now.tv_nsec as f64 / 1e6
}

fn dssim_image(dssim: &Dssim, image: &RgbImage) -> anyhow::Result<DssimImage<f32>> {
    let pixels: Vec<RGB8> = image
        .pixels()
        .map(|p| RGB8::new(p[0], p[1], p[2]))
        .collect();
    dssim
        .create_image_rgb(&pixels, image.width() as usize, image.height() as usize)
        .context("DSSIM cannot take this image")
}

fn encode(image: &RgbImage, format: Format, quality: u8) -> anyhow::Result<Vec<u8>> {
    use igfeed::media::encode;
    Ok(match format {
        Format::Jpeg => encode::jpeg(image, quality)?,
        Format::Avif { speed } => encode::avif(image, quality, speed)?,
        Format::Webp { method } => {
            let mut config = webp::WebPConfig::new().map_err(|()| anyhow::anyhow!("libwebp"))?;
            config.quality = f32::from(quality);
            config.method = i32::from(method);
            webp::Encoder::from_rgb(image.as_raw(), image.width(), image.height())
                .encode_advanced(&config)
                .map_err(|e| anyhow::anyhow!("libwebp: {e:?}"))?
                .to_vec()
        }
    })
}

/// Decodes with each format's reference decoder: image's for JPEG, libwebp, libavif's avifdec
/// (the image crate cannot decode AVIF without dav1d).
fn decode(bytes: &[u8], format: Format, scratch: &Scratch) -> anyhow::Result<RgbImage> {
    Ok(match format {
        Format::Jpeg => image::load_from_memory(bytes)?.into_rgb8(),
        Format::Webp { .. } => {
            let decoded = webp::Decoder::new(bytes)
                .decode()
                .context("libwebp cannot decode its own output")?;
            ensure!(
                !decoded.is_alpha(),
                "lossy WebP of an RGB image has no alpha"
            );
            RgbImage::from_raw(decoded.width(), decoded.height(), decoded.to_vec())
                .context("libwebp's buffer has the wrong length")?
        }
        Format::Avif { .. } => {
            std::fs::write(&scratch.avif, bytes)?;
            let status = Command::new("avifdec")
                .args(["--depth", "8"])
                .arg(&scratch.avif)
                .arg(&scratch.png)
                .stdout(std::process::Stdio::null())
                .status()
                .context("avifdec (Debian package libavif-bin) is needed to decode AVIF")?;
            if !status.success() {
                bail!("avifdec failed ({status})");
            }
            image::open(&scratch.png)?.into_rgb8()
        }
    })
}

/// A private directory for avifdec's input and output, removed at the end.
struct Scratch {
    dir: PathBuf,
    avif: PathBuf,
    png: PathBuf,
}

impl Scratch {
    fn new() -> anyhow::Result<Scratch> {
        let dir = std::env::temp_dir().join(format!("igfeed-image-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch {
            avif: dir.join("x.avif"),
            png: dir.join("x.png"),
            dir,
        })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
