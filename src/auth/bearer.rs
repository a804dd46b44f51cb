//! `Authorization: Bearer <token>` checks, shared by the operator routes (`ops.token`) and the
//! admin API (`admin.api_token`).

use secrecy::{ExposeSecret as _, SecretString};

/// Whether `authorization` (the header's value) carries `expected` as a bearer token, compared
/// in constant time. Both sides are hashed first so that neither the content nor the length of
/// the configured token shows in the timing. No configured token, or an empty one, opens
/// nothing.
pub fn bearer_matches(authorization: Option<&str>, expected: Option<&SecretString>) -> bool {
    let (Some(header), Some(expected)) = (authorization, expected) else {
        return false;
    };
    let Some((scheme, given)) = header.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("bearer") || expected.expose_secret().is_empty() {
        return false;
    }
    igfeed_base::secret::secure_eq(given.trim().as_bytes(), expected.expose_secret().as_bytes())
}
