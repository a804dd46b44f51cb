//! Meta's `signed_request`: `<signature>.<payload>`, both base64url, where the signature is
//! HMAC-SHA256 of the *encoded* payload keyed with the Instagram app secret.
//!
//! Everything here is hostile input until the signature checks out: the size is bounded
//! before any work, the signature is compared in constant time, and the JSON is parsed only
//! once it is known to come from Meta.

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, KeyInit as _, Mac as _};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use sha2::Sha256;

/// Longest `signed_request` accepted. Meta's are a few hundred bytes; the bound keeps a
/// caller from making igfeed decode and hash megabytes.
pub const MAX_LEN: usize = 8 * 1024;

/// Meta sends base64url without padding; padded input is accepted too, since a proxy or a
/// hand-made test request may add it and it carries the same bytes.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A verified request: the signature matched and the payload named a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The Instagram user the request is about, always as a string (Meta sends a string or,
    /// in some payloads, a JSON number; numbers are kept digit for digit).
    pub user_id: String,
    /// When Meta issued the request (Unix seconds).
    pub issued_at: i64,
    /// When the request expires (Unix seconds), if Meta said so.
    pub expires: Option<i64>,
}

/// Why a `signed_request` was refused. Messages are safe to show to the caller: they name
/// the problem, never the secret or the expected signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedRequestError {
    /// Longer than [`MAX_LEN`].
    #[error("signed_request is longer than {MAX_LEN} bytes")]
    TooLarge,
    /// Not two non-empty parts separated by one dot.
    #[error("signed_request must be <signature>.<payload>")]
    Malformed,
    /// A part is not base64url.
    #[error("signed_request is not base64url")]
    BadEncoding,
    /// The signature does not match the payload and the app secret.
    #[error("signed_request signature does not match")]
    BadSignature,
    /// The signed payload is not the expected JSON object.
    #[error("signed_request payload is not valid: {0}")]
    BadPayload(String),
    /// Signed with something other than HMAC-SHA256.
    #[error("signed_request algorithm must be HMAC-SHA256")]
    UnsupportedAlgorithm,
    /// No (or an empty) `user_id`.
    #[error("signed_request payload has no user_id")]
    MissingUserId,
}

/// The payload as Meta writes it; unknown fields are ignored (Meta may add some).
#[derive(Deserialize)]
struct RawPayload {
    algorithm: String,
    #[serde(default)]
    user_id: Option<serde_json::Value>,
    issued_at: i64,
    #[serde(default)]
    expires: Option<i64>,
}

/// Checks `signed_request` against `app_secret` and returns what it says.
pub fn verify(
    signed_request: &str,
    app_secret: &SecretString,
) -> Result<Payload, SignedRequestError> {
    if signed_request.len() > MAX_LEN {
        return Err(SignedRequestError::TooLarge);
    }
    let (signature, payload) = signed_request
        .split_once('.')
        .ok_or(SignedRequestError::Malformed)?;
    if signature.is_empty() || payload.is_empty() || payload.contains('.') {
        return Err(SignedRequestError::Malformed);
    }
    let signature = BASE64URL
        .decode(signature)
        .map_err(|_| SignedRequestError::BadEncoding)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.expose_secret().as_bytes())
        .map_err(|_| SignedRequestError::BadSignature)?;
    // Over the payload exactly as sent: that string is what Meta signed.
    mac.update(payload.as_bytes());
    // `verify_slice` compares in constant time and refuses a wrong length.
    mac.verify_slice(&signature)
        .map_err(|_| SignedRequestError::BadSignature)?;
    let json = BASE64URL
        .decode(payload)
        .map_err(|_| SignedRequestError::BadEncoding)?;
    let raw: RawPayload = serde_json::from_slice(&json)
        .map_err(|e| SignedRequestError::BadPayload(short(&e.to_string())))?;
    if !raw.algorithm.eq_ignore_ascii_case("HMAC-SHA256") {
        return Err(SignedRequestError::UnsupportedAlgorithm);
    }
    let user_id = match raw.user_id {
        Some(serde_json::Value::String(id)) if !id.trim().is_empty() => id.trim().to_owned(),
        Some(serde_json::Value::Number(n)) if n.is_u64() => n.to_string(),
        _ => return Err(SignedRequestError::MissingUserId),
    };
    Ok(Payload {
        user_id,
        issued_at: raw.issued_at,
        expires: raw.expires,
    })
}

/// serde's messages may quote input; the payload is Meta-signed, but keep replies short.
fn short(message: &str) -> String {
    message.chars().take(120).collect()
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
