//! igfeed's own opaque cursor for `/feed.json?after=`.
//!
//! Instagram's paging cursors are tied to a token-bearing request and must never reach a
//! visitor, so load-more uses a cursor of igfeed's own: the id of the last post shown, in a
//! versioned form (`v1:<post id>`) encoded as base64url without padding. The version lets the
//! format change later without misreading old cursors; the strict decoder means a cursor is
//! either one igfeed could have produced or a 400 naming `after`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Longest cursor accepted, checked before any decoding so hostile input costs nothing.
pub const MAX_LEN: usize = 200;

const PREFIX: &str = "v1:";

/// Why an `after=` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// Longer than [`MAX_LEN`] characters.
    #[error("cursor is longer than {MAX_LEN} characters")]
    TooLong,
    /// Not canonical unpadded base64url, or not UTF-8 inside.
    #[error("cursor is not a valid igfeed cursor")]
    Malformed,
    /// A format this version of igfeed does not know.
    #[error("cursor has an unknown version")]
    UnknownVersion,
    /// The post id inside is empty or not a number.
    #[error("cursor does not name a post")]
    InvalidId,
}

/// The cursor that continues after the post `post_id`.
///
/// Instagram's media ids are numbers; a non-numeric id yields a cursor that [`decode`]
/// refuses: such a post cannot be continued from.
pub fn encode(post_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{PREFIX}{post_id}"))
}

/// The post id inside `cursor`, or why `cursor` is not one igfeed produced.
pub fn decode(cursor: &str) -> Result<String, CursorError> {
    if cursor.len() > MAX_LEN {
        return Err(CursorError::TooLong);
    }
    // The engine refuses padding and non-zero trailing bits, so every post has one cursor.
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| CursorError::Malformed)?;
    let text = String::from_utf8(bytes).map_err(|_| CursorError::Malformed)?;
    let id = text
        .strip_prefix(PREFIX)
        .ok_or(CursorError::UnknownVersion)?;
    if is_post_id(id) {
        Ok(id.to_owned())
    } else {
        Err(CursorError::InvalidId)
    }
}

fn is_post_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
