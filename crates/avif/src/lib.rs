//! igfeed's AVIF encoder: 8-bit RGB in, an `.avif` file out, on the calling thread only.
//!
//! A crate of its own for one reason: ravif's and rav1e's generic code is compiled where it
//! is instantiated, and this crate is optimised in every profile (see the workspace's
//! `Cargo.toml`), so tests that make AVIF take milliseconds, not seconds.

/// Why an image could not be encoded (dimensions that do not match the pixels, or the
/// encoder's own refusal).
#[derive(Debug)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Encodes `rgb` (`width`×`height` pixels, 3 bytes each, row by row) at `quality` (ravif's
/// 1–100 scale) and rav1e `speed` (1 slowest … 10 fastest).
pub fn encode_rgb(
    rgb: &[u8],
    width: usize,
    height: usize,
    quality: u8,
    speed: u8,
) -> Result<Vec<u8>, Error> {
    if width == 0
        || height == 0
        || width.checked_mul(height).and_then(|n| n.checked_mul(3)) != Some(rgb.len())
    {
        return Err(Error(format!(
            "{} bytes are not {width}×{height} RGB pixels",
            rgb.len()
        )));
    }
    let pixels: Vec<ravif::RGB8> = rgb
        .chunks_exact(3)
        .map(|p| ravif::RGB8::new(p[0], p[1], p[2]))
        .collect();
    ravif::Encoder::new()
        .with_quality(f32::from(quality))
        .with_speed(speed)
        .with_num_threads(Some(1))
        .encode_rgb(ravif::Img::new(&pixels[..], width, height))
        .map(|encoded| encoded.avif_file)
        .map_err(|e| Error(e.to_string()))
}

/// Lowers the calling thread to the lowest CPU priority (nice 19 on Linux; nothing
/// elsewhere), so an encode running on it yields the CPU to anything a visitor waits for.
/// Call it only on a thread of its own: a thread cannot raise its priority back.
pub fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and setpriority take and return plain integers; PRIO_PROCESS with a
    // thread id changes only that thread's scheduling priority.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_must_match_the_dimensions() {
        assert!(encode_rgb(&[0; 12], 2, 2, 80, 10).is_ok());
        for (bytes, w, h) in [(11, 2, 2), (12, 0, 4), (0, 0, 0), (12, usize::MAX, 2)] {
            assert!(
                encode_rgb(&vec![0; bytes], w, h, 80, 10).is_err(),
                "{bytes} {w}x{h}"
            );
        }
    }
}
