//! Properties of the request headers `/feed.json` and the widget files read, over generated
//! values: any `Accept-Encoding` picks an encoding without a panic, and the one the header
//! weighs highest (never one it refuses); any q-value igfeed can write reads back; any
//! `If-None-Match` matches exactly when it lists the current tag.

use proptest::prelude::*;

use super::*;

/// A q-value in thousandths as clients write it: `1`, `1.0`, `0`, `0.5`, `0.125`.
fn written_q(q: u16) -> String {
    match q {
        1000 => "1".to_owned(),
        0 => "0".to_owned(),
        q => format!("0.{q:03}").trim_end_matches('0').to_owned(),
    }
}

fn coding() -> impl Strategy<Value = &'static str> {
    prop::sample::select(
        &[
            "br", "BR", "gzip", "x-gzip", "identity", "*", "deflate", "zstd",
        ][..],
    )
}

proptest! {
    #[test]
    fn q_values_read_back(q in 0u16..=1000) {
        prop_assert_eq!(parse_qvalue(&written_q(q)), Some(q));
        let as_decimal = format!("{}", f64::from(q) / 1000.0);
        prop_assert_eq!(parse_qvalue(&as_decimal), Some(q), "{}", as_decimal);
    }

    #[test]
    fn any_q_text_is_a_weight_of_at_most_one_or_nothing(raw in "\\PC{0,8}") {
        if let Some(q) = parse_qvalue(&raw) {
            prop_assert!(q <= 1000);
        }
    }

    /// Against a reference reading of well-formed headers: each coding's weight is its own
    /// entry's (the lowest when listed twice), else `*`'s; identity is acceptable unless
    /// refused. The highest weight wins, ties going to br, then gzip, then identity.
    #[test]
    fn the_highest_weighted_acceptable_encoding_is_chosen(
        entries in prop::collection::vec((coding(), prop::option::of(0u16..=1000), "[ ]{0,2}"), 0..6)
    ) {
        let header = entries
            .iter()
            .map(|(coding, q, space)| match q {
                Some(q) => format!("{space}{coding}{space};{space}q={}", written_q(*q)),
                None => format!("{space}{coding}"),
            })
            .collect::<Vec<_>>()
            .join(",");
        let weight = |names: &[&str]| -> Option<u16> {
            entries
                .iter()
                .filter(|(c, _, _)| names.iter().any(|n| c.eq_ignore_ascii_case(n)))
                .map(|(_, q, _)| q.unwrap_or(1000))
                .min()
        };
        let star = weight(&["*"]);
        let br = weight(&["br"]).or(star).unwrap_or(0);
        let gzip = weight(&["gzip", "x-gzip"]).or(star).unwrap_or(0);
        let identity = weight(&["identity"]).or(star).unwrap_or(1);
        let best = br.max(gzip).max(identity);
        let expected = if best == 0 {
            Encoding::Identity
        } else if br == best {
            Encoding::Brotli
        } else if gzip == best {
            Encoding::Gzip
        } else {
            Encoding::Identity
        };
        prop_assert_eq!(negotiate(Some(&header)), expected, "{}", header);
    }

    #[test]
    fn any_accept_encoding_picks_an_encoding(header in prop_oneof!["\\PC{0,40}", "[a-z*;=., 0-9]{0,40}"]) {
        let chosen = negotiate(Some(&header));
        // Whatever is chosen besides identity was named (or covered by `*`) in the header.
        match chosen {
            Encoding::Brotli => prop_assert!(header.to_ascii_lowercase().contains("br") || header.contains('*')),
            Encoding::Gzip => prop_assert!(header.to_ascii_lowercase().contains("gzip") || header.contains('*')),
            Encoding::Identity => {}
        }
    }

    /// `If-None-Match` matches when any listed tag is the current one, weak or strong, or `*`.
    #[test]
    fn if_none_match_matches_exactly_a_listed_tag(
        current in "[A-Za-z0-9-]{1,12}",
        weak_current in any::<bool>(),
        others in prop::collection::vec(("[A-Za-z0-9-]{1,12}", any::<bool>()), 0..4),
        include in any::<bool>(),
        position in any::<prop::sample::Index>(),
    ) {
        let etag = if weak_current { format!("W/\"{current}\"") } else { format!("\"{current}\"") };
        let mut listed: Vec<String> = others
            .iter()
            .map(|(tag, weak)| if *weak { format!("W/\"{tag}\"") } else { format!("\"{tag}\"") })
            .collect();
        if include {
            let at = position.index(listed.len() + 1);
            listed.insert(at, format!("\"{current}\""));
        }
        let header = listed.join(", ");
        let expected = include || others.iter().any(|(tag, _)| *tag == current);
        prop_assert_eq!(etag_matches(Some(&header), &etag), expected, "{}", header);
        prop_assert!(etag_matches(Some(" * "), &etag));
    }

    #[test]
    fn any_if_none_match_is_answered(header in "\\PC{0,40}", etag in "\\PC{0,12}") {
        let matched = etag_matches(Some(&header), &etag);
        if matched && header.trim() != "*" {
            prop_assert!(header.contains('"'));
        }
    }
}
