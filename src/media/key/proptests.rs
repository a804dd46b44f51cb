//! Properties of `/media/…` path parsing over generated paths: every path igfeed builds parses
//! back to what it was built from, and any other path is refused or is exactly the one path
//! of what it names (one URL per image, nothing but digits and known words inside).

use proptest::prelude::*;

use super::*;

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        1 => Just(Target::Profile),
        4 => ("[0-9]{1,32}", 0..MAX_ITEMS).prop_map(|(post, index)| Target::Item { post, index }),
    ]
}

fn target_and_variant() -> impl Strategy<Value = (Target, Variant)> {
    target().prop_flat_map(|target| {
        let jpeg = (0u32..100_000).prop_map(|size| Variant::Size(size, Format::Jpeg));
        let variant = if target == Target::Profile {
            jpeg.boxed()
        } else {
            let avif = (0u32..100_000).prop_map(|size| Variant::Size(size, Format::Avif));
            prop_oneof![3 => jpeg, 1 => avif, 1 => Just(Variant::Video)].boxed()
        };
        (Just(target), variant)
    })
}

proptest! {
    #[test]
    fn built_paths_parse_back_to_what_built_them((target, variant) in target_and_variant()) {
        let path = target.path(variant);
        prop_assert_eq!(parse(&path), Ok(MediaPath { target, variant }));
    }

    /// Paths from the characters that matter (digits, separators, dots, the known words) and
    /// from anything at all.
    #[test]
    fn any_path_is_refused_or_is_the_one_path_of_what_it_names(
        tail in prop_oneof![
            "((profile|video|[0-9]{0,6}|\\.\\.|%2e|0)/){0,3}(profile|video|[0-9]{0,6}|\\.\\.)(\\.avif|\\.jpg|\\.)?",
            "\\PC{0,40}",
            // Other spellings of real paths: leading zeros, an explicit first index.
            "(profile|0?[0-9]{1,3})(/0?[0-9]{1,2})?/(0?[0-9]{1,4}|video)",
        ]
    ) {
        if let Ok(parsed) = parse(&tail) {
            prop_assert_eq!(parsed.target.path(parsed.variant), tail.clone());
            prop_assert!(
                tail.strip_suffix(".avif")
                    .unwrap_or(&tail)
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'/'),
                "{:?} reached a lookup", tail
            );
            prop_assert!(tail.split('/').all(|s| !s.is_empty() && s != ".."));
        }
    }

    /// The key is a disk file's stem: only `[a-z0-9_]`, and two targets never share one.
    #[test]
    fn keys_are_file_safe_and_distinct(a in target(), b in target()) {
        for key in [a.key(), b.key()] {
            prop_assert!(
                key.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'),
                "{:?}", key
            );
        }
        prop_assert_eq!(a.key() == b.key(), a == b);
    }

    /// An export's file names: built ones parse back; anything else parsed is the one
    /// spelling of what it names and holds no `..`, so cleaning up never leaves `media/`.
    #[test]
    fn export_file_paths_parse_back_and_nothing_else_passes(
        (target, variant) in target_and_variant(),
        version in "[0-9a-f]{1,32}",
        tail in prop_oneof![
            "((profile|[0-9]{0,4}|\\.\\.|0)/){0,3}[0-9]{0,5}\\.[0-9a-fA-F.]{0,6}\\.(jpg|avif|jpeg)",
            "\\PC{0,40}",
        ],
    ) {
        if let Variant::Size(size, format) = variant
            && let Some(path) = target.file_path(size, format, &version)
        {
            let parsed = parse_file_path(&path).expect("parses back");
            prop_assert_eq!(
                (parsed.target, parsed.size, parsed.format, parsed.version),
                (target, size, format, version)
            );
        }
        if let Some(parsed) = parse_file_path(&tail) {
            prop_assert_eq!(
                parsed.target.file_path(parsed.size, parsed.format, &parsed.version),
                Some(tail.clone())
            );
            prop_assert!(tail.split('/').all(|s| !s.is_empty() && s != ".." && !s.starts_with('.')));
        }
    }
}
