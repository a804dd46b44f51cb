//! Peak memory and time of rendering one large original, for judging changes to
//! `media::render` (issue #13: every width once cloned the whole decoded original).
//!
//! Usage: `render_memory SIDE [FILE.jpg]`. Without a file it writes a SIDE×SIDE noisy JPEG to
//! a temporary file and runs itself again on it, so the generator's buffers do not count
//! towards the peak reported (`getrusage` maximum resident set size, whole process).

use std::time::Instant;

use igfeed::media::{RenderParams, render};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let side: u16 = args
        .next()
        .ok_or("usage: render_memory SIDE [FILE.jpg]")?
        .parse()?;
    let Some(path) = args.next() else {
        let file = std::env::temp_dir().join(format!("igfeed-render-{side}.jpg"));
        std::fs::write(&file, synthetic_jpeg(side)?)?;
        let status = std::process::Command::new(std::env::current_exe()?)
            .arg(side.to_string())
            .arg(&file)
            .status()?;
        std::fs::remove_file(&file)?;
        return if status.success() {
            Ok(())
        } else {
            Err("the measuring run failed".into())
        };
    };
    let original = std::fs::read(path)?;
    let before = peak_rss_kib();
    let params = RenderParams {
        sizes: vec![320, 640, 1080],
        quality: 82,
        formats: Vec::new(),
        avif_quality: 80,
        max_dimension: u32::from(side),
    };
    let started = Instant::now();
    let rendition = render(&original, &params, "measure")?;
    let took = started.elapsed();
    println!(
        "{side}x{side} original ({} KiB): rendered {} widths in {took:?}; peak RSS {} MiB \
         (before rendering {} MiB)",
        original.len() / 1024,
        rendition.variants.len(),
        peak_rss_kib() / 1024,
        before / 1024,
    );
    Ok(())
}

/// Noise, so the JPEG is photo-sized rather than a few kilobytes of flat colour.
fn synthetic_jpeg(side: u16) -> Result<Vec<u8>, jpeg_encoder::EncodingError> {
    let n = usize::from(side);
    let mut seed: u32 = 0x2545_f491;
    let pixels: Vec<u8> = (0..n * n * 3)
        .map(|i| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            ((i % (n * 3)) as u32 / 12 + (seed & 0x3f)) as u8
        })
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90).encode(
        &pixels,
        side,
        side,
        jpeg_encoder::ColorType::Rgb,
    )?;
    Ok(out)
}

/// The process's peak resident set size so far, in KiB (Linux reports `ru_maxrss` in KiB).
fn peak_rss_kib() -> i64 {
    // SAFETY: getrusage only writes into the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer is always allowed.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_maxrss
}
