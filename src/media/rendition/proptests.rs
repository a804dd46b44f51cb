//! Properties of cached image files over generated renditions and damage: what is written
//! reads back as it was, a file cut short or with anything appended is treated as missing,
//! any bytes are read or refused without a panic, and scaling never upscales or reaches zero.

use proptest::prelude::*;

use super::*;

fn rendition() -> impl Strategy<Value = Rendition> {
    (
        "[a-f0-9]{0,16}",
        "\\PC{0,16}",
        any::<u32>(),
        any::<u32>(),
        prop::collection::vec(any::<u32>(), 0..4),
        files(1..4),
        files(0..4),
        prop::option::of("#[0-9a-f]{6}"),
    )
        .prop_map(
            |(source_tag, version, width, height, sizes, jpeg, avif, color)| Rendition {
                source_tag,
                version,
                width,
                height,
                sizes,
                color,
                // The file form keeps the JPEGs first, as renditions are built.
                variants: encoded(jpeg, Format::Jpeg)
                    .chain(encoded(avif, Format::Avif))
                    .collect(),
            },
        )
}

type File = (u32, u32, Vec<u8>);

fn files(count: std::ops::Range<usize>) -> impl Strategy<Value = Vec<File>> {
    prop::collection::vec(
        (
            1u32..5000,
            1u32..5000,
            prop::collection::vec(any::<u8>(), 0..64),
        ),
        count,
    )
}

fn encoded(files: Vec<File>, format: Format) -> impl Iterator<Item = Encoded> {
    files
        .into_iter()
        .map(move |(width, height, bytes)| Encoded {
            format,
            width,
            height,
            bytes: Bytes::from(bytes),
        })
}

proptest! {
    #[test]
    fn a_written_file_reads_back(rendition in rendition()) {
        let file = rendition.to_file();
        let header = read_header(&file).expect("the header of a written file");
        prop_assert_eq!(&header.version, &rendition.version);
        prop_assert_eq!(Rendition::from_file(Bytes::from(file)), Some(rendition));
    }

    #[test]
    fn a_cut_or_extended_file_is_missing(
        rendition in rendition(),
        cut in any::<prop::sample::Index>(),
        extra in prop::collection::vec(any::<u8>(), 1..8),
    ) {
        let file = rendition.to_file();
        let kept = cut.index(file.len());
        prop_assert_eq!(Rendition::from_file(Bytes::copy_from_slice(&file[..kept])), None);
        let mut longer = file;
        longer.extend_from_slice(&extra);
        prop_assert_eq!(Rendition::from_file(Bytes::from(longer)), None);
    }

    /// Any bytes, including a valid magic line before junk or a header with absurd lengths.
    #[test]
    fn any_bytes_are_read_or_refused(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            (prop::collection::vec((any::<u32>(), any::<u32>(), any::<usize>()), 0..3), prop::collection::vec(any::<u8>(), 0..32))
                .prop_map(|(variants, tail)| {
                    let header = serde_json::json!({
                        "source_tag": "t", "version": "v", "width": 1, "height": 1,
                        "sizes": [], "variants": variants,
                    });
                    let mut body = header.to_string().into_bytes();
                    body.push(b'\n');
                    body.extend_from_slice(&tail);
                    body
                }),
        ],
        with_magic in any::<bool>(),
    ) {
        let mut file = if with_magic { MAGIC.to_vec() } else { Vec::new() };
        file.extend_from_slice(&body);
        if let Some(read) = Rendition::from_file(Bytes::from(file.clone())) {
            let held: usize = read.variants.iter().map(|v| v.bytes.len()).sum();
            prop_assert!(held < file.len());
            prop_assert!(read.variants.iter().all(|v| v.width > 0 && v.height > 0));
        }
        let _ = read_header(&file);
    }

    #[test]
    fn scaling_never_upscales_and_keeps_the_shape(width in any::<u32>(), height in any::<u32>(), size in any::<u32>()) {
        let (w, h) = scaled(width, height, size);
        prop_assert!(w >= 1 && h >= 1);
        prop_assert!(w <= size.max(1) && w <= width.max(1));
        if width > 0 && height > 0 && h < u32::MAX {
            // Rounded to the nearest pixel: within half a pixel of the exact height.
            let exact = f64::from(height) * f64::from(w) / f64::from(width);
            prop_assert!((f64::from(h) - exact).abs() <= 0.5 + 1e-9 || h == 1, "{}x{} at {}: {}x{}", width, height, size, w, h);
        }
    }
}
