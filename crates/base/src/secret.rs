//! Comparing secrets without leaking them through timing, and the digests and hex that go
//! with it.

use ring::digest::{SHA256, digest};
use subtle::ConstantTimeEq as _;

/// Constant-time equality of two secrets of possibly different lengths (compared as
/// SHA-256 digests, so the length of neither leaks).
pub fn secure_eq(a: &[u8], b: &[u8]) -> bool {
    sha256(a).ct_eq(&sha256(b)).into()
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_eq_compares_content_not_length() {
        assert!(secure_eq(b"same", b"same"));
        assert!(!secure_eq(b"same", b"same "));
        assert!(!secure_eq(b"", b"x"));
        assert!(secure_eq(b"", b""));
    }

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
    }

    #[test]
    fn sha256_matches_the_published_test_vectors() {
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
