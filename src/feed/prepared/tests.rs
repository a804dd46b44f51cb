use std::io::Read as _;

use super::*;

fn sample_json() -> Vec<u8> {
    let posts: Vec<String> = (0..200)
        .map(|i| format!(r#"{{"id":"{i}","caption":"post {i} #tag","media":[]}}"#))
        .collect();
    format!(r#"{{"posts":[{}]}}"#, posts.join(",")).into_bytes()
}

#[test]
fn compressed_bodies_decompress_to_the_json() {
    let json = sample_json();
    let body = PreparedBody::new(json.clone());
    assert_eq!(body.json, json);

    let mut gunzipped = Vec::new();
    flate2::read::GzDecoder::new(&body.gzip[..])
        .read_to_end(&mut gunzipped)
        .expect("gzip body decodes");
    assert_eq!(gunzipped, json, "gzip round trip");

    let mut unbrotlied = Vec::new();
    brotli::Decompressor::new(&body.brotli[..], 4096)
        .read_to_end(&mut unbrotlied)
        .expect("brotli body decodes");
    assert_eq!(unbrotlied, json, "brotli round trip");

    assert!(body.gzip.len() < json.len() / 4, "gzip compresses");
    assert!(body.brotli.len() < json.len() / 4, "brotli compresses");
}

#[test]
fn fast_bodies_decompress_and_carry_their_own_compressed_etags() {
    let json = sample_json();
    let best = PreparedBody::new(json.clone());
    let fast = PreparedBody::new_fast(json.clone());

    let mut gunzipped = Vec::new();
    flate2::read::GzDecoder::new(&fast.gzip[..])
        .read_to_end(&mut gunzipped)
        .expect("fast gzip decodes");
    assert_eq!(gunzipped, json, "fast gzip round trip");
    let mut unbrotlied = Vec::new();
    brotli::Decompressor::new(&fast.brotli[..], 4096)
        .read_to_end(&mut unbrotlied)
        .expect("fast brotli decodes");
    assert_eq!(unbrotlied, json, "fast brotli round trip");

    let hash = text(&best.etag_identity).trim_matches('"');
    assert_eq!(
        fast.etag_identity, best.etag_identity,
        "same bytes, same tag"
    );
    assert_eq!(fast.etag_gzip, format!("\"{hash}-gzf\""));
    assert_eq!(fast.etag_brotli, format!("\"{hash}-brf\""));
}

/// An ETag's text (they are ASCII by construction).
fn text(etag: &actix_web::http::header::HeaderValue) -> &str {
    etag.to_str().expect("ETags are ASCII")
}

#[test]
fn empty_body_is_prepared_too() {
    let body = PreparedBody::new(Vec::new());
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&body.gzip[..])
        .read_to_end(&mut out)
        .expect("empty gzip decodes");
    assert!(out.is_empty());
}

#[test]
fn etags_are_strong_per_encoding_and_follow_content() {
    let a = PreparedBody::new(b"{\"a\":1}".to_vec());
    let again = PreparedBody::new(b"{\"a\":1}".to_vec());
    let b = PreparedBody::new(b"{\"a\":2}".to_vec());
    assert_eq!(a.etag_identity, again.etag_identity, "same bytes, same tag");
    assert_ne!(a.etag_identity, b.etag_identity, "other bytes, other tag");

    let hash = text(&a.etag_identity).trim_matches('"');
    assert_eq!(a.etag_identity, format!("\"{hash}\""));
    assert_eq!(a.etag_gzip, format!("\"{hash}-gz\""));
    assert_eq!(a.etag_brotli, format!("\"{hash}-br\""));
    assert!(
        hash.len() >= 22 && !text(&a.etag_identity).starts_with("W/"),
        "strong, 128-bit: {hash}"
    );
    assert!(
        a.etag_brotli
            .as_bytes()
            .iter()
            .all(|&b| b == b'"' || b.is_ascii_graphic()),
        "etagc characters only"
    );

    assert_eq!(a.select(Encoding::Identity), (&a.json, &a.etag_identity));
    assert_eq!(a.select(Encoding::Gzip), (&a.gzip, &a.etag_gzip));
    assert_eq!(a.select(Encoding::Brotli), (&a.brotli, &a.etag_brotli));
}

#[test]
fn negotiate_honours_q_values_then_prefers_br() {
    use Encoding::{Brotli, Gzip, Identity};
    let cases: &[(Option<&str>, Encoding)] = &[
        (None, Identity),
        (Some(""), Identity),
        (Some("gzip"), Gzip),
        (Some("br"), Brotli),
        (Some("gzip, deflate, br, zstd"), Brotli),
        (Some("GZIP, BR"), Brotli),
        (Some("x-gzip"), Gzip),
        (Some("deflate, zstd"), Identity),
        (Some("gzip;q=1.0, br;q=0.5"), Gzip),
        (Some("br;q=0.9, gzip;q=0.8"), Brotli),
        (Some("br;q=0, gzip"), Gzip),
        (Some("br; q=0 , gzip ; Q=0.001"), Gzip),
        (Some("*"), Brotli),
        (Some("*;q=0.5, br;q=0"), Gzip),
        (Some("*;q=0"), Identity),
        (Some("identity;q=0, *;q=0"), Identity),
        (Some("gzip;q=0.5"), Gzip),
        (Some("identity, gzip;q=0.5"), Identity),
        (Some("gzip;q=0, identity;q=0"), Identity),
        (Some("br;q=2, gzip"), Gzip),
        (Some("br;q=0.1234, gzip"), Gzip),
        (Some("br;q=abc"), Identity),
        (Some("br;q=, gzip;q=-1"), Identity),
        (Some("br;q=1.5"), Identity),
        (Some("br;level=3"), Brotli),
        (Some("br;q=0.5, br;q=0"), Identity),
        (Some(",,,;;;==="), Identity),
        (Some("\u{1F600}, br"), Brotli),
    ];
    for (header, want) in cases {
        assert_eq!(negotiate(*header), *want, "Accept-Encoding: {header:?}");
    }
}

#[test]
fn negotiate_survives_huge_headers() {
    let header = "x;q=0.5, ".repeat(10_000) + "gzip";
    assert_eq!(negotiate(Some(&header)), Encoding::Gzip);
}

#[test]
fn content_encoding_names_match_http() {
    assert_eq!(Encoding::Identity.content_encoding(), None);
    assert_eq!(Encoding::Gzip.content_encoding(), Some("gzip"));
    assert_eq!(Encoding::Brotli.content_encoding(), Some("br"));
}

#[test]
fn etag_matches_uses_weak_comparison() {
    let tag = "\"abc-gz\"";
    let cases: &[(Option<&str>, bool)] = &[
        (None, false),
        (Some(""), false),
        (Some("\"abc-gz\""), true),
        (Some("W/\"abc-gz\""), true),
        (Some("*"), true),
        (Some(" * "), true),
        (Some("\"abc\""), false),
        (Some("\"abc-br\""), false),
        (Some("\"x\", \"abc-gz\""), true),
        (Some("\"x\",W/\"abc-gz\""), true),
        (Some("\"a,b\", \"abc-gz\""), true),
        (Some("\"x\" , , \"y\""), false),
        (Some("abc-gz"), false),
        (Some("\"abc-gz"), false),
        (Some("w/\"abc-gz\""), false),
        (Some("\"x\", junk, \"abc-gz\""), false),
        (Some("\"ABC-GZ\""), false),
        (Some("*, \"x\""), false),
    ];
    for (header, want) in cases {
        assert_eq!(
            etag_matches(*header, tag),
            *want,
            "If-None-Match: {header:?} vs {tag}"
        );
    }
    assert!(etag_matches(Some("\"abc\""), "W/\"abc\""), "weak own tag");
    assert!(
        !etag_matches(Some("\"\""), "junk"),
        "a malformed own tag matches nothing"
    );
}

#[test]
fn etag_matches_survives_huge_headers() {
    let header = "\"x\", ".repeat(20_000) + "\"abc\"";
    assert!(etag_matches(Some(&header), "\"abc\""));
}
