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
}
