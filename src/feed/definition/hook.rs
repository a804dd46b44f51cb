//! A feed's rebuild hooks: where igfeed POSTs when the feed's posts change (a static host's
//! build hook), and the secret that signs each call. The secret is write-only: it never
//! serialises with the definition (API answers, the editor, exports carry `{url}` only); the
//! store keeps it beside the definitions, and a hook sent again without its secret keeps
//! the stored one (see `crate::feeds`).

use std::fmt;

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Invalid, MAX_LINK};

/// Most hooks on one feed.
pub const MAX_HOOKS: usize = 10;
/// Shortest secret: 128 bits of hex.
pub const MIN_SECRET: usize = 16;
/// Longest secret.
pub const MAX_SECRET: usize = 256;

/// One rebuild hook.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Hook {
    /// Absolute `http(s):` URL called with a JSON POST.
    pub url: String,
    /// Signs each call's body (`X-Igfeed-Signature`); never serialised.
    #[serde(default, skip_serializing)]
    pub secret: Option<HookSecret>,
}

impl fmt::Debug for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hook")
            .field("url", &self.url)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// A hook's signing secret.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct HookSecret(SecretString);

impl HookSecret {
    /// The secret, for signing and for the store's own file only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl From<&str> for HookSecret {
    fn from(secret: &str) -> Self {
        Self(SecretString::from(secret.to_owned()))
    }
}

impl PartialEq for HookSecret {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl fmt::Debug for HookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HookSecret([redacted])")
    }
}

/// Reads `hooks`: a list of `{url, secret}`, the secret optional here (a hook sent again
/// keeps its stored secret; a new one without is refused where the store is known).
pub(super) fn parse(value: &Value) -> Result<Vec<Hook>, Invalid> {
    let Value::Array(items) = value else {
        return Err(Invalid::new("hooks", "must be a list of {url, secret}"));
    };
    if items.len() > MAX_HOOKS {
        return Err(Invalid::new(
            "hooks",
            format!("may hold at most {MAX_HOOKS} hooks"),
        ));
    }
    let mut hooks: Vec<Hook> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = |name: &str| format!("hooks.{i}{name}");
        let Value::Object(fields) = item else {
            return Err(Invalid::new(field(""), "must be an object {url, secret}"));
        };
        if let Some(key) = fields
            .keys()
            .find(|k| !matches!(k.as_str(), "url" | "secret"))
        {
            let key: String = key.chars().filter(|c| !c.is_control()).take(64).collect();
            return Err(Invalid::new(
                field(&format!(".{key}")),
                "is not a field of a hook (url, secret)",
            ));
        }
        let url = match fields.get("url") {
            Some(Value::String(raw)) => {
                url(raw.trim()).map_err(|m| Invalid::new(field(".url"), m))?
            }
            _ => return Err(Invalid::new(field(".url"), "must be an http(s) URL")),
        };
        if hooks.iter().any(|h| h.url == url) {
            return Err(Invalid::new(
                field(".url"),
                "is already a hook of this feed",
            ));
        }
        let secret = match fields.get("secret") {
            None | Some(Value::Null) => None,
            Some(Value::String(raw)) => {
                Some(secret(raw).map_err(|m| Invalid::new(field(".secret"), m))?)
            }
            Some(_) => return Err(Invalid::new(field(".secret"), "must be a string")),
        };
        hooks.push(Hook { url, secret });
    }
    Ok(hooks)
}

/// A hook URL: absolute `http(s):` with a host, no user name or password (they would show
/// wherever the URL does).
fn url(raw: &str) -> Result<String, &'static str> {
    if raw.len() > MAX_LINK {
        return Err("must be at most 2048 characters");
    }
    let url = url::Url::parse(raw).map_err(|_| "must be an absolute http(s) URL")?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("must be an http(s) URL with a host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password");
    }
    // Normalising (percent-encoding, punycode) may lengthen it; the stored form is bounded.
    if url.as_str().len() > MAX_LINK {
        return Err("must be at most 2048 characters");
    }
    Ok(url.to_string())
}

fn secret(raw: &str) -> Result<HookSecret, &'static str> {
    let ok =
        (MIN_SECRET..=MAX_SECRET).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| HookSecret::from(raw))
        .ok_or("must be 16 to 256 printable ASCII characters (no spaces)")
}

/// Signs `body` with `secret`: `sha256=<hex HMAC-SHA256>`, the `X-Igfeed-Signature` value
/// (`None` only if HMAC refused the key, which it never does).
pub fn signature(secret: &HookSecret, body: &[u8]) -> Option<String> {
    use hmac::{KeyInit as _, Mac as _};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.expose().as_bytes()).ok()?;
    mac.update(body);
    Some(format!(
        "sha256={}",
        igfeed_base::secret::hex(&mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231-style check against a well-known HMAC-SHA256 value.
    #[test]
    fn the_signature_is_hex_hmac_sha256_of_the_body() {
        let secret = HookSecret::from("key");
        assert_eq!(
            signature(&secret, b"The quick brown fox jumps over the lazy dog").as_deref(),
            Some("sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
        );
    }

    #[test]
    fn hooks_are_checked_field_by_field_and_secrets_never_serialise() {
        let ok = serde_json::json!([{"url": "https://api.netlify.com/build_hooks/abc", "secret": "0123456789abcdef"}]);
        let hooks = parse(&ok).expect("valid");
        assert_eq!(hooks[0].url, "https://api.netlify.com/build_hooks/abc");
        let shown = serde_json::to_string(&hooks).expect("serialises");
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
        assert!(!format!("{hooks:?}").contains("0123456789abcdef"));
        for (bad, field) in [
            (serde_json::json!({}), "hooks"),
            (serde_json::json!([1]), "hooks.0"),
            (
                serde_json::json!([{"url": "ftp://x.example/"}]),
                "hooks.0.url",
            ),
            (
                serde_json::json!([{"url": "https://u:p@x.example/"}]),
                "hooks.0.url",
            ),
            (
                serde_json::json!([{"url": "https://x.example/", "secret": "short"}]),
                "hooks.0.secret",
            ),
            (
                serde_json::json!([{"url": "https://x.example/", "secret": 5}]),
                "hooks.0.secret",
            ),
            (
                serde_json::json!([{"url": "https://x.example/", "header": "x"}]),
                "hooks.0.header",
            ),
            (
                serde_json::json!([{"url": "https://x.example/"}, {"url": "https://x.example/"}]),
                "hooks.1.url",
            ),
            (
                serde_json::Value::Array(vec![
                    serde_json::json!({"url": "https://x.example/"});
                    MAX_HOOKS + 1
                ]),
                "hooks",
            ),
        ] {
            assert_eq!(
                parse(&bad).map_err(|e| e.field),
                Err(field.to_owned()),
                "{bad}"
            );
        }
    }
}
