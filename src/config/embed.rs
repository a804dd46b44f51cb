//! `[embed]`: the iframe page `/embed` (see `src/web/public/embed`).

use serde::Deserialize;

use super::SettingsError;
use super::sections::list_or_comma_separated;

/// Who may show `/embed` in a frame.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbedSettings {
    /// The `frame-ancestors` sources of `/embed`'s Content-Security-Policy: `*` (any site),
    /// `'self'`, `'none'`, or origins such as `https://www.example.com` / `https://*.example.com`.
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub frame_ancestors: Vec<String>,
}

impl EmbedSettings {
    /// The directive's value, e.g. `https://a.example https://b.example`.
    pub fn frame_ancestors_directive(&self) -> String {
        self.frame_ancestors.join(" ")
    }
}

pub(super) fn validate(embed: &EmbedSettings) -> Result<(), SettingsError> {
    let invalid = |problem: String| SettingsError::invalid("embed.frame_ancestors", problem);
    if embed.frame_ancestors.is_empty() {
        return Err(invalid(
            "must not be empty (use \"'none'\" to forbid framing)".into(),
        ));
    }
    for source in &embed.frame_ancestors {
        if !is_source(source) {
            return Err(invalid(format!(
                "`{source}` is not \"*\", \"'self'\", \"'none'\" or an origin like https://www.example.com"
            )));
        }
    }
    if embed.frame_ancestors.len() > 1 && embed.frame_ancestors.iter().any(|s| s == "'none'") {
        return Err(invalid(
            "\"'none'\" cannot be combined with other sources".into(),
        ));
    }
    Ok(())
}

/// A CSP source expression igfeed accepts: the keywords, or `scheme://host[:port]` where the
/// host may start with `*.`. Anything else (paths, spaces, `;`) could change the policy.
fn is_source(source: &str) -> bool {
    if matches!(source, "*" | "'self'" | "'none'") {
        return true;
    }
    let Some((scheme, rest)) = source.split_once("://") else {
        return false;
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let host = host.strip_prefix("*.").unwrap_or(host);
    matches!(scheme, "http" | "https")
        && !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(list: &[&str]) -> Result<(), SettingsError> {
        validate(&EmbedSettings {
            frame_ancestors: list.iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    #[test]
    fn keywords_and_origins_are_accepted() {
        for list in [
            &["*"][..],
            &["'self'"],
            &["'none'"],
            &["https://www.example.com", "http://127.0.0.1:8000"],
            &["https://*.example.com", "'self'"],
        ] {
            assert!(check(list).is_ok(), "{list:?}");
        }
    }

    #[test]
    fn anything_that_could_change_the_policy_is_refused() {
        for list in [
            &[][..],
            &["https://a.example; script-src *"],
            &["https://a.example/path"],
            &["a.example"],
            &["javascript://x"],
            &["https://a.example:port"],
            &["'none'", "https://a.example"],
            &["self"],
        ] {
            let error = check(list).expect_err("refused").to_string();
            assert!(error.contains("embed.frame_ancestors"), "{list:?}: {error}");
        }
    }
}
