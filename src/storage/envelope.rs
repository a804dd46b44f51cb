//! The bytes of a state file: a versioned JSON envelope, sealed with XChaCha20-Poly1305 when
//! a key is configured.
//!
//! Clear:  `{"format":1,"written_at":"…","data":…}`
//! Sealed: `{"format":1,"cipher":"xchacha20poly1305","nonce":"<b64>","ciphertext":"<b64>"}`,
//! where the ciphertext is the clear envelope and the file name is the associated data, so a
//! sealed file copied over another name fails to decrypt instead of being read as that file.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::XNonce;
use chacha20poly1305::aead::{Aead as _, Generate as _, Payload};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::{EncryptionKey, StorageError};

/// The envelope version this build writes and reads; bump it when the layout changes.
pub const FORMAT: u64 = 1;

/// The only cipher igfeed writes; named in the file so another can be added later.
const CIPHER: &str = "xchacha20poly1305";

/// The clear envelope as written.
#[derive(Serialize)]
struct Clear<'a, T> {
    format: u64,
    written_at: DateTime<Utc>,
    data: &'a T,
}

/// The sealed envelope, both ways (it holds nothing secret).
#[derive(Serialize, Deserialize)]
struct Sealed {
    format: u64,
    cipher: String,
    nonce: String,
    ciphertext: String,
}

/// Turns `value` into the bytes of file `name`, sealed when `key` is given.
pub fn encode<T: Serialize>(
    path: &Path,
    name: &str,
    value: &T,
    key: Option<&EncryptionKey>,
    written_at: DateTime<Utc>,
) -> Result<Zeroizing<Vec<u8>>, StorageError> {
    let failed = |reason: String| StorageError::Encode {
        path: path.to_owned(),
        reason,
    };
    let clear = Clear {
        format: FORMAT,
        written_at,
        data: value,
    };
    // Zeroizing: the clear bytes may hold the token and must not linger in freed memory.
    let plain = Zeroizing::new(serde_json::to_vec(&clear).map_err(|e| failed(e.to_string()))?);
    let Some(key) = key else {
        return Ok(plain);
    };
    let nonce = XNonce::try_generate()
        .map_err(|e| failed(format!("the system random generator failed: {e}")))?;
    let payload = Payload {
        msg: &plain,
        aad: name.as_bytes(),
    };
    let ciphertext = key
        .cipher()
        .encrypt(&nonce, payload)
        .map_err(|_| failed("encryption failed".to_owned()))?;
    let sealed = Sealed {
        format: FORMAT,
        cipher: CIPHER.to_owned(),
        nonce: BASE64.encode(nonce),
        ciphertext: BASE64.encode(ciphertext),
    };
    let bytes = serde_json::to_vec(&sealed).map_err(|e| failed(e.to_string()))?;
    Ok(Zeroizing::new(bytes))
}

/// Reads the bytes of file `name` back into a value, refusing anything it cannot vouch for.
pub fn decode<T: DeserializeOwned>(
    path: &Path,
    name: &str,
    bytes: &[u8],
    key: Option<&EncryptionKey>,
) -> Result<T, StorageError> {
    let corrupt = |reason: String| StorageError::Corrupt {
        path: path.to_owned(),
        reason,
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(corrupt("the file is empty".to_owned()));
    }
    let outer = parse_object(path, bytes)?;
    if !outer.contains_key("cipher") {
        if key.is_some() {
            return Err(StorageError::NotEncrypted {
                path: path.to_owned(),
            });
        }
        return clear_data(path, outer);
    }
    let Some(key) = key else {
        return Err(StorageError::Crypto {
            path: path.to_owned(),
            reason: "the file is encrypted but storage.encryption_key is not set".to_owned(),
        });
    };
    let sealed: Sealed = serde_json::from_value(Value::Object(outer))
        .map_err(|e| corrupt(format!("bad encrypted envelope: {e}")))?;
    if sealed.cipher != CIPHER {
        return Err(corrupt(format!("unknown cipher {:?}", sealed.cipher)));
    }
    let nonce = BASE64
        .decode(&sealed.nonce)
        .ok()
        .and_then(|n| XNonce::try_from(n.as_slice()).ok())
        .ok_or_else(|| corrupt("bad nonce".to_owned()))?;
    let ciphertext = BASE64
        .decode(&sealed.ciphertext)
        .map_err(|e| corrupt(format!("bad ciphertext encoding: {e}")))?;
    let payload = Payload {
        msg: &ciphertext,
        aad: name.as_bytes(),
    };
    let plain = Zeroizing::new(key.cipher().decrypt(&nonce, payload).map_err(|_| {
        StorageError::Crypto {
            path: path.to_owned(),
            reason: "wrong storage.encryption_key? (or the file was altered)".to_owned(),
        }
    })?);
    let inner = parse_object(path, &plain)?;
    if inner.contains_key("cipher") {
        return Err(corrupt("encrypted twice".to_owned()));
    }
    clear_data(path, inner)
}

/// Parses a JSON object and checks its format version.
fn parse_object(path: &Path, bytes: &[u8]) -> Result<Map<String, Value>, StorageError> {
    let corrupt = |reason: String| StorageError::Corrupt {
        path: path.to_owned(),
        reason,
    };
    // serde_json's syntax errors give a position, never the text, so they are safe to show.
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(format!("not valid JSON, perhaps truncated: {e}")))?;
    let Value::Object(object) = value else {
        return Err(corrupt("not a JSON object".to_owned()));
    };
    match object.get("format").and_then(Value::as_u64) {
        None => Err(corrupt("no format version".to_owned())),
        Some(FORMAT) => Ok(object),
        Some(found) if found > FORMAT => Err(StorageError::UnsupportedFormat {
            path: path.to_owned(),
            found,
            supported: FORMAT,
        }),
        Some(found) => Err(corrupt(format!("unknown format {found}"))),
    }
}

/// Extracts and deserialises `data` from a clear envelope.
fn clear_data<T: DeserializeOwned>(
    path: &Path,
    mut envelope: Map<String, Value>,
) -> Result<T, StorageError> {
    let corrupt = |reason: String| StorageError::Corrupt {
        path: path.to_owned(),
        reason,
    };
    let data = envelope
        .remove("data")
        .ok_or_else(|| corrupt("no data in the envelope".to_owned()))?;
    serde_json::from_value(data)
        .map_err(|e| corrupt(format!("unexpected content: {}", redact(&e.to_string()))))
}

/// Blanks every quoted string in a serde message: a type error on a string field would
/// otherwise quote the field's value, and that value may be the token. serde writes the value
/// with Rust's escapes, so a `\"` inside it does not end the quote. An enum value serde does
/// not know is named in backticks (`unknown variant `…``), and is blanked too; the other
/// backticked names (`missing field `x``, the expected variants) are igfeed's own and stay.
fn redact(message: &str) -> String {
    /// Where the scan is: in plain text, in a quoted value, or in an unknown variant's name.
    enum In {
        Text,
        Quote,
        Variant,
    }
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    let mut at = In::Text;
    while let Some(c) = chars.next() {
        match (&at, c) {
            (In::Text, '"') => {
                out.push_str("\"…");
                at = In::Quote;
            }
            (In::Text, '`') if out.ends_with("unknown variant ") => {
                out.push_str("`…");
                at = In::Variant;
            }
            (In::Text, c) => out.push(c),
            (In::Quote, '\\') => {
                chars.next();
            }
            (In::Quote, '"') | (In::Variant, '`') => {
                out.push(c);
                at = In::Text;
            }
            (In::Quote | In::Variant, _) => {}
        }
    }
    match at {
        In::Quote => out.push('"'),
        In::Variant => out.push('`'),
        In::Text => {}
    }
    out
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_blanks_quoted_values_and_keeps_the_rest() {
        let message = r#"invalid type: string "IGAAsecret", expected u64 at line 1 column 20"#;
        assert_eq!(
            redact(message),
            r#"invalid type: string "…", expected u64 at line 1 column 20"#
        );
        assert_eq!(redact("missing field `x`"), "missing field `x`");
    }

    /// Found by the property tests: serde names an enum value it does not know in backticks,
    /// not quotes, so a token in a `source` or `state` field was shown.
    #[test]
    fn redact_blanks_unknown_variant_names() {
        let message = "unknown variant `IGAAsecret`, expected `active` or `needs_reconnect`";
        assert_eq!(
            redact(message),
            "unknown variant `…`, expected `active` or `needs_reconnect`"
        );
    }

    /// Found by the property tests: serde writes a quote inside a value as `\"`, which ended
    /// the blanking early and showed the rest of the value.
    #[test]
    fn redact_blanks_values_holding_escaped_quotes() {
        let message = r#"invalid type: string "IGAA\"secret\\", expected u64"#;
        assert_eq!(redact(message), r#"invalid type: string "…", expected u64"#);
    }
}
