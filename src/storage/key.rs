//! The key that encrypts the state directory at rest.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use chacha20poly1305::{KeyInit as _, XChaCha20Poly1305};
use zeroize::Zeroizing;

/// Length of an XChaCha20-Poly1305 key.
const KEY_LEN: usize = 32;

/// What a valid key looks like; the error never repeats the value given, which is a secret.
const EXPECTED: &str = "expected 32 random bytes written as 64 hex characters or as base64 \
                        (generate one with `openssl rand -base64 32`)";

/// A 32-byte XChaCha20-Poly1305 key, wiped from memory when dropped.
pub struct EncryptionKey(Zeroizing<[u8; KEY_LEN]>);

impl EncryptionKey {
    /// Parses `storage.encryption_key`: 64 hex characters, or standard / URL-safe base64
    /// (padded or not) of exactly 32 bytes. Surrounding whitespace is ignored because keys
    /// pasted into env files often carry a trailing newline.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let bytes = if raw.len() == 2 * KEY_LEN && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            decode_hex(raw)
        } else {
            decode_base64(raw)
        };
        let bytes = bytes.ok_or_else(|| EXPECTED.to_owned())?;
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if bytes.len() != KEY_LEN {
            return Err(EXPECTED.to_owned());
        }
        key.copy_from_slice(&bytes);
        Ok(Self(key))
    }

    /// The AEAD keyed with this key; built per use because it is cheap and keeps one copy.
    pub(crate) fn cipher(&self) -> XChaCha20Poly1305 {
        // Borrowed, not copied, so the only copy of the key stays in the zeroizing box.
        let key: &chacha20poly1305::Key = (&*self.0).into();
        XChaCha20Poly1305::new(key)
    }
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey(<redacted>)")
    }
}

/// Decodes hex the caller already checked to be 64 hex digits.
fn decode_hex(raw: &str) -> Option<Zeroizing<Vec<u8>>> {
    let digits = raw.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(digits.len() / 2));
    for pair in digits.chunks_exact(2) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        out.push(u8::try_from(high * 16 + low).ok()?);
    }
    Some(out)
}

/// Tries every common base64 alphabet, since operators generate keys with different tools.
fn decode_base64(raw: &str) -> Option<Zeroizing<Vec<u8>>> {
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(raw).ok())
        .map(Zeroizing::new)
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn bytes_of(key: &EncryptionKey) -> [u8; KEY_LEN] {
        *key.0
    }

    #[test]
    fn accepts_hex_and_every_base64_alphabet() {
        let expected: Vec<u8> = (0u8..32).collect();
        let with_high_bits: Vec<u8> = (0u8..32).map(|b| b.wrapping_mul(37) | 0xc0).collect();
        let cases: Vec<(String, &Vec<u8>)> = vec![
            (HEX.to_owned(), &expected),
            (HEX.to_uppercase(), &expected),
            (format!("  {HEX}\n"), &expected),
            (STANDARD.encode(&expected), &expected),
            (STANDARD_NO_PAD.encode(&expected), &expected),
            (STANDARD.encode(&with_high_bits), &with_high_bits),
            (URL_SAFE.encode(&with_high_bits), &with_high_bits),
            (URL_SAFE_NO_PAD.encode(&with_high_bits), &with_high_bits),
        ];
        for (raw, want) in cases {
            let key = EncryptionKey::parse(&raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
            assert_eq!(bytes_of(&key).as_slice(), want.as_slice(), "{raw:?}");
        }
    }

    #[test]
    fn rejects_other_inputs_without_echoing_them() {
        let cases = [
            "",
            "hunter2-secret-password",
            &HEX[..62],
            &format!("{HEX}00"),
            &HEX.replace('0', "g"),
            &STANDARD.encode([7u8; 31]),
            &STANDARD.encode([7u8; 33]),
        ];
        for raw in cases {
            let err = match EncryptionKey::parse(raw) {
                Ok(_) => panic!("{raw:?} was accepted"),
                Err(e) => e,
            };
            assert!(err.contains("64 hex characters"), "{raw:?}: {err}");
            if !raw.is_empty() {
                assert!(!err.contains(raw), "error echoes the input: {err}");
            }
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let key = EncryptionKey::parse(HEX).expect("valid key");
        let shown = format!("{key:?}");
        assert_eq!(shown, "EncryptionKey(<redacted>)");
    }
}
