//! Known-device cookies (OWASP's "slow down online guessing attacks with device cookies"): a
//! browser that has logged in before carries a signed, random device id. Its login attempts
//! are counted against that device alone, with the same small limit a single address has, and
//! never against the global cap — so a flood of wrong passwords from many addresses can slow
//! down strangers but never lock the owner out of a browser they have used before.
//!
//! The id means nothing by itself: only igfeed's signature makes it a device. Someone who
//! stole the cookie gets the device's own budget of guesses, no more.

use hmac::{Hmac, KeyInit as _, Mac as _};
use igfeed_base::secret::{hex, secure_eq};
use sha2::Sha256;

use super::random_hex;

/// Random bytes in a device id (as hex in the cookie).
const ID_BYTES: usize = 16;
/// Separates this use of the key from any other (the key also seals the session cookie).
const PURPOSE: &[u8] = b"igfeed known-device v1\0";

/// A device that logged in before, as its signed cookie proves.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceId(String);

impl DeviceId {
    /// The id as its cookie carries it (random, signed): throttling counts per device.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Issues and checks device cookies with a key kept in the state directory.
pub struct DeviceCookies {
    key: Vec<u8>,
}

impl DeviceCookies {
    /// Signs with `key` (at least 32 random bytes that survive restarts).
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    /// A cookie value for a new device: `<id>.<signature>`.
    pub fn issue(&self) -> String {
        let id = random_hex(ID_BYTES);
        let signature = self.sign(&id);
        format!("{id}.{signature}")
    }

    /// The device a cookie value names, if igfeed signed it. Anything else (missing, forged,
    /// from another installation, oversized) is no device: the caller is a stranger.
    pub fn verify(&self, value: &str) -> Option<DeviceId> {
        let (id, signature) = value.split_once('.')?;
        let well_formed = id.len() == ID_BYTES * 2
            && signature.len() == 64
            && id
                .bytes()
                .chain(signature.bytes())
                .all(|b| b.is_ascii_hexdigit());
        if !well_formed || !secure_eq(self.sign(id).as_bytes(), signature.as_bytes()) {
            return None;
        }
        Some(DeviceId(id.to_owned()))
    }

    fn sign(&self, id: &str) -> String {
        // HMAC accepts keys of any length, so this cannot fail; an empty tag would never match.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(PURPOSE);
        mac.update(id.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_cookie_names_a_device_and_a_tampered_one_does_not() {
        let cookies = DeviceCookies::new(&[7; 32]);
        let value = cookies.issue();
        let device = cookies.verify(&value).expect("its own cookie verifies");
        assert_eq!(cookies.verify(&value), Some(device));
        assert_ne!(cookies.verify(&cookies.issue()), cookies.verify(&value));

        let (id, signature) = value.split_once('.').expect("two parts");
        let mut flipped = id.to_owned().into_bytes();
        flipped[0] = if flipped[0] == b'a' { b'b' } else { b'a' };
        let forged = format!("{}.{signature}", String::from_utf8_lossy(&flipped));
        let other_install = DeviceCookies::new(&[8; 32]);
        for bad in [
            forged.as_str(),
            "",
            ".",
            id,
            &value[..value.len() - 1],
            &format!("{value}0"),
            &value.to_uppercase(),
        ] {
            assert_eq!(cookies.verify(bad), None, "{bad:?}");
        }
        assert_eq!(other_install.verify(&value), None, "another key");
    }
}
