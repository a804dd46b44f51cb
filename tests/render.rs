//! `media::render` on originals larger than Instagram's: refused by default with a reason,
//! and when allowed, resized without copying the decoded original for every width.
//!
//! Its own test binary because it counts heap bytes with a global allocator (per thread, so
//! tests running side by side do not disturb each other's numbers).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use igfeed::config::{Settings, Sources};
use igfeed::media::{RenderParams, render, render_complete};

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, keeping the live and peak heap bytes of each thread.
struct Counting;

// SAFETY: every call is passed to the system allocator unchanged; the counters are
// const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on as is.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract is passed on as is.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        new
    }
}

fn grew(bytes: usize) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + bytes);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

fn shrank(bytes: usize) {
    // Memory freed here may have been allocated by another thread.
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(bytes)));
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A JPEG of `w`×`h` with some structure (a gradient), so decoding and resizing do real work.
fn jpeg(w: u16, h: u16) -> Vec<u8> {
    let pixels: Vec<u8> = (0..u32::from(w) * u32::from(h) * 3)
        .map(|i| (i % 251) as u8)
        .collect();
    encoded(&pixels, w, h)
}

fn encoded(pixels: &[u8], w: u16, h: u16) -> Vec<u8> {
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 85)
        .encode(pixels, w, h, jpeg_encoder::ColorType::Rgb)
        .expect("encodes");
    out
}

/// A photo-like JPEG: smooth gradients (stripes as in [`jpeg`] make AV1 slow, and the
/// encoder's memory depends on the frame size, not the content).
fn smooth_jpeg(w: u16, h: u16) -> Vec<u8> {
    let (wi, hi) = (u32::from(w), u32::from(h));
    let pixels: Vec<u8> = (0..wi * hi)
        .flat_map(|i| {
            let (x, y) = (i % wi, i / wi);
            [
                (x * 255 / wi) as u8,
                (y * 255 / hi) as u8,
                ((x + y) % 256) as u8,
            ]
        })
        .collect();
    encoded(&pixels, w, h)
}

fn params(max_dimension: u32) -> RenderParams {
    RenderParams {
        sizes: vec![320, 640, 1080],
        quality: 82,
        formats: vec![igfeed::config::ImageFormat::Avif],
        avif_quality: 80,
        max_dimension,
    }
}

#[test]
fn every_width_is_resized_from_the_one_decoded_original() {
    let (w, h) = (2000_u16, 2000_u16);
    let original = jpeg(w, h);
    let decoded = usize::from(w) * usize::from(h) * 3;
    let base = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(base));
    let rendition = render(&original, &params(4000), "s").expect("renders");
    let extra = PEAK.with(Cell::get) - base;
    assert_eq!(rendition.variants.len(), 3);
    // What the widest resize needs at once: the decoded original, the image crate's
    // floating-point working image for the Lanczos passes (the original's width × the new
    // height, four f32 channels) and the result. A copy of the original per width came on
    // top (another `decoded`); allow half of that for the encoder's and decoder's buffers.
    let working = usize::from(w) * 1080 * 16;
    let result = 1080 * 1080 * 3;
    let needed = decoded + working + result;
    assert!(
        extra < needed + decoded / 2,
        "peak heap during render: {extra} bytes; the original, working image and result \
         take {needed}"
    );
    println!("render peak: {extra} bytes above the start; {needed} unavoidable");
}

/// Instagram serves feed images at most 1440×1800 (stories 1080×1920): the default
/// `media.max_dimension` leaves room for that and refuses originals far beyond anything it
/// serves, saying why.
#[test]
fn the_default_max_dimension_fits_what_instagram_serves() {
    let settings = Settings::load(&Sources::default()).expect("the defaults load");
    let defaults = params(settings.media.max_dimension);
    let portrait = render(&jpeg(1440, 1800), &defaults, "s").expect("renders");
    assert_eq!((portrait.width, portrait.height), (1440, 1800));
    let reason = match render(&jpeg(1000, 4100), &defaults, "s") {
        Ok(accepted) => panic!(
            "a {}×{} original was accepted",
            accepted.width, accepted.height
        ),
        Err(refused) => refused.to_string(),
    };
    assert!(
        reason.contains("1000×4100") && reason.contains("media.max_dimension"),
        "{reason}"
    );
}

/// AVIF is made in the background beside JPEG: its peak heap for a full-width portrait
/// (about 66 MB measured: rav1e keeps 16-bit planes and reference frames) stays under
/// 100 MB, so `media.encode_concurrency` jobs at once fit beside the caches. (One width: the encoder's memory follows the frame
/// size, and each width is encoded after the previous one is dropped.)
#[test]
fn avif_encoding_of_a_full_width_portrait_stays_bounded() {
    let (w, h) = (1080_u16, 1350_u16);
    let original = smooth_jpeg(w, h);
    let decoded = usize::from(w) * usize::from(h) * 3;
    let largest_only = RenderParams {
        sizes: vec![1080],
        ..params(2048)
    };
    let base = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(base));
    let made = render_complete(&original, &largest_only, "s", None).expect("encodes");
    let extra = PEAK.with(Cell::get) - base;
    assert_eq!(made.formats().len(), 1, "AVIF made");
    println!("AVIF peak: {extra} bytes above the start; decoded original {decoded}");
    assert!(
        extra < 100 << 20,
        "peak heap while making AVIF: {extra} bytes, {}x the decoded original",
        extra / decoded
    );
}
