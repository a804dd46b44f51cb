use super::*;

#[test]
fn cursor_round_trips_post_ids() {
    for id in ["1", "17900000000000000", "18031234567890123456789"] {
        let cursor = encode(id);
        assert!(
            cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{cursor:?} must be URL-safe without escaping"
        );
        assert_eq!(decode(&cursor), Ok(id.to_owned()), "round trip of {id:?}");
    }
}

#[test]
fn cursor_is_versioned_base64url() {
    assert_eq!(encode("123"), "djE6MTIz");
    assert_eq!(decode("djE6MTIz"), Ok("123".to_owned()));
}

#[test]
fn cursor_refuses_hostile_input() {
    let b64 = |raw: &str| URL_SAFE_NO_PAD.encode(raw);
    let too_long = "A".repeat(MAX_LEN + 1);
    let long_id = encode(&"9".repeat(200));
    let cases: Vec<(&str, String, CursorError)> = vec![
        ("empty", String::new(), CursorError::UnknownVersion),
        ("too long", too_long, CursorError::TooLong),
        ("long id", long_id, CursorError::TooLong),
        ("not base64", "not a cursor!".into(), CursorError::Malformed),
        ("padded", "djE6MTIzNA==".into(), CursorError::Malformed),
        ("standard alphabet", "+/+/".into(), CursorError::Malformed),
        (
            "non-canonical trailing bits",
            "djE6MTJ".into(),
            CursorError::Malformed,
        ),
        ("one stray char", "A".into(), CursorError::Malformed),
        (
            "not UTF-8",
            URL_SAFE_NO_PAD.encode([0xff, 0xfe]),
            CursorError::Malformed,
        ),
        ("no version", b64("123"), CursorError::UnknownVersion),
        ("future version", b64("v2:123"), CursorError::UnknownVersion),
        (
            "upper-case version",
            b64("V1:123"),
            CursorError::UnknownVersion,
        ),
        ("empty id", b64("v1:"), CursorError::InvalidId),
        ("non-numeric id", b64("v1:abc"), CursorError::InvalidId),
        ("signed id", b64("v1:-1"), CursorError::InvalidId),
        ("spaces", b64("v1: 123"), CursorError::InvalidId),
        ("injection", b64("v1:1' OR '1'='1"), CursorError::InvalidId),
        ("path", b64("v1:../../etc/passwd"), CursorError::InvalidId),
        ("unicode digits", b64("v1:١٢٣"), CursorError::InvalidId),
        ("nul", b64("v1:1\0"), CursorError::InvalidId),
    ];
    for (name, cursor, want) in cases {
        assert_eq!(decode(&cursor), Err(want), "{name}: {cursor:?}");
    }
    // Instagram's own paging cursors must never be taken for igfeed's.
    assert!(decode("QVFIUmx1WTBpMGpJWFdNNnZA").is_err());
}
