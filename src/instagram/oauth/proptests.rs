//! Properties of what the OAuth endpoints and callback hand igfeed, over generated input: an
//! authorization code is read exactly as Instagram writes it (with or without the `#_` it
//! appends) and anything else is refused; a token body is a token or an error that quotes no
//! secret, whatever the secret's characters and wherever the body echoes it.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

proptest! {
    #[test]
    fn codes_read_back_without_the_fragment(
        code in "[A-Za-z0-9_.~-]{1,300}",
        fragment in prop::option::of("#_?[A-Za-z0-9]{0,4}"),
        pad in "[ ]{0,2}",
    ) {
        let raw = format!("{pad}{code}{pad}{}", fragment.unwrap_or_default());
        let read = authorization_code(&raw).map(|c| c.expose_secret().to_owned());
        prop_assert_eq!(read, Some(code));
    }

    #[test]
    fn any_text_is_a_plausible_code_or_refused(raw in prop_oneof!["\\PC{0,40}", "[A-Za-z0-9_.~&=%# -]{0,40}"]) {
        if let Some(code) = authorization_code(&raw) {
            let code = code.expose_secret();
            prop_assert!(!code.is_empty() && code.len() <= 2048);
            prop_assert!(code.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b)), "{:?}", code);
            prop_assert!(raw.contains(code));
        }
    }

    #[test]
    fn a_token_body_is_a_token_or_an_error_quoting_no_secret(
        head in "[A-Z]{8,15}",
        middle in prop::sample::select(&["", "\"", "\\", "\n", "\u{7f}", "\u{301}", "\\\""][..]),
        tail in "[A-Z]{8,15}",
        field in prop::sample::select(&["access_token", "user_id", "permissions", "expires_in", "note"][..]),
        wrap in any::<bool>(),
    ) {
        let secret = SecretString::from(format!("{head}{middle}{tail}"));
        let mut body = json!({"access_token": "IGAAnew", "user_id": 17841400, "expires_in": 5_183_944});
        body[field] = Value::from(secret.expose_secret());
        let body = if wrap { json!({ "data": [body] }) } else { body };
        match issued_token(body, &[&secret]) {
            Ok(issued) => {
                prop_assert!(!issued.access_token.expose_secret().is_empty());
                prop_assert!(issued.expires_in.is_none_or(|d| d <= crate::instagram::MAX_TOKEN_LIFETIME));
            }
            Err(error) => {
                let text = error.to_string();
                prop_assert!(!text.contains(&head) && !text.contains(&tail), "{}", text);
            }
        }
    }
}
