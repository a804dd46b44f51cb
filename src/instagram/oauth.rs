//! The OAuth steps: authorize URL, code → short-lived token, short → long-lived, refresh.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::wire::{Permissions, TokenBody, unwrap_data};
use super::{ApiError, InstagramClient, IssuedToken, SCOPE, join};

impl InstagramClient {
    /// The URL that sends the owner's browser to Instagram's consent screen.
    pub fn authorize_url(&self, state: &str) -> Result<url::Url, ApiError> {
        let app = self.app()?;
        let mut url = self.endpoints.authorize_url.clone();
        url.query_pairs_mut()
            .append_pair("client_id", &app.app_id)
            .append_pair("redirect_uri", app.redirect_uri.as_str())
            .append_pair("response_type", "code")
            .append_pair("scope", SCOPE)
            .append_pair("state", state);
        Ok(url)
    }

    /// Trades the one-time authorization code for a short-lived (1 hour) token.
    #[tracing::instrument(skip_all)]
    pub async fn exchange_code(&self, code: &str) -> Result<IssuedToken, ApiError> {
        let app = self.app()?;
        let code = clean_code(code)?;
        let url = join(&self.endpoints.api_base, &["oauth", "access_token"]);
        let form = [
            ("client_id", app.app_id.as_str()),
            ("client_secret", app.app_secret.expose_secret()),
            ("grant_type", "authorization_code"),
            ("redirect_uri", app.redirect_uri.as_str()),
            ("code", code.expose_secret()),
        ];
        // One attempt: a code spent by a first try whose answer was lost would make a retry
        // fail with "already used", hiding the real problem.
        let body = self
            .transport
            .call_up_to(1, "oauth_access_token", &[&app.app_secret, &code], |http| {
                http.post(url.clone()).form(&form)
            })
            .await?;
        issued_token(body, &[&app.app_secret])
    }

    /// Trades a short-lived token for a long-lived (60 day) one.
    #[tracing::instrument(skip_all)]
    pub async fn exchange_for_long_lived(
        &self,
        short_lived: &SecretString,
    ) -> Result<IssuedToken, ApiError> {
        let app = self.app()?;
        let mut url = join(&self.endpoints.graph_base, &["access_token"]);
        url.query_pairs_mut()
            .append_pair("grant_type", "ig_exchange_token")
            .append_pair("client_secret", app.app_secret.expose_secret())
            .append_pair("access_token", short_lived.expose_secret());
        let body = self
            .transport
            .call("exchange", &[&app.app_secret, short_lived], |http| {
                http.get(url.clone())
            })
            .await?;
        issued_token(body, &[&app.app_secret, short_lived])
    }

    /// Extends a long-lived token by 60 days from now; the value may change, so the caller
    /// must store what comes back.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, long_lived: &SecretString) -> Result<IssuedToken, ApiError> {
        let mut url = join(&self.endpoints.graph_base, &["refresh_access_token"]);
        url.query_pairs_mut()
            .append_pair("grant_type", "ig_refresh_token")
            .append_pair("access_token", long_lived.expose_secret());
        let body = self
            .transport
            .call("refresh", &[long_lived], |http| http.get(url.clone()))
            .await?;
        issued_token(body, &[long_lived])
    }
}

/// Accepts a code as Instagram sends it or as a human pastes it: `AQB…#_` loses its fragment.
fn clean_code(raw: &str) -> Result<SecretString, ApiError> {
    authorization_code(raw).ok_or_else(|| ApiError::BadRequest {
        code: 400,
        message: "the authorization code is empty or malformed".into(),
    })
}

/// The authorization code in `raw` as Instagram issues them (URL-safe characters, without the
/// `#_` Instagram appends, which a pasted redirect URL may still carry); `None` for anything
/// else, so the callback can refuse it as the caller's mistake without asking Instagram.
pub fn authorization_code(raw: &str) -> Option<SecretString> {
    let code = raw.split('#').next().unwrap_or_default().trim();
    let plausible = !code.is_empty()
        && code.len() <= 2048
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b));
    plausible.then(|| SecretString::from(code.to_owned()))
}

fn issued_token(
    body: serde_json::Value,
    secrets: &[&SecretString],
) -> Result<IssuedToken, ApiError> {
    let body: TokenBody = serde_json::from_value(unwrap_data(body)).map_err(|e| {
        // serde's message may quote a value, with Rust's escapes (`"` as `\"`): make sure it
        // cannot quote a secret in either spelling.
        let reason = secrets
            .iter()
            .map(|s| s.expose_secret())
            .filter(|s| !s.is_empty())
            .fold(format!("unexpected token body ({e})"), |text, secret| {
                let quoted = format!("{secret:?}");
                let escaped = quoted
                    .strip_prefix('"')
                    .and_then(|q| q.strip_suffix('"'))
                    .unwrap_or(secret);
                text.replace(secret, "[redacted]")
                    .replace(escaped, "[redacted]")
            });
        ApiError::Malformed { reason }
    })?;
    if body.access_token.is_empty() {
        return Err(ApiError::Malformed {
            reason: "token body without access_token".into(),
        });
    }
    Ok(IssuedToken {
        access_token: SecretString::from(body.access_token),
        user_id: body.user_id,
        permissions: body
            .permissions
            .map(Permissions::into_vec)
            .unwrap_or_default(),
        expires_in: body
            .expires_in
            .map(|seconds| Duration::from_secs(seconds).min(super::MAX_TOKEN_LIFETIME)),
    })
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_lose_the_fragment_and_bad_codes_are_refused() {
        let code = clean_code("AQBx-y_z#_").expect("valid");
        assert_eq!(code.expose_secret(), "AQBx-y_z");
        for bad in ["", "#_", "a b", "a&b=c", "<script>"] {
            assert!(clean_code(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn an_absurd_lifetime_is_bounded() {
        let body = serde_json::json!({"access_token": "IGAAx", "expires_in": u64::MAX});
        let issued = issued_token(body, &[]).expect("a token");
        assert_eq!(
            issued.expires_in,
            Some(crate::instagram::MAX_TOKEN_LIFETIME)
        );
        let body = serde_json::json!({"access_token": "IGAAx", "expires_in": 5_183_944});
        let issued = issued_token(body, &[]).expect("a token");
        assert_eq!(issued.expires_in, Some(Duration::from_secs(5_183_944)));
    }

    #[test]
    fn a_token_body_error_never_quotes_the_token() {
        let secret = SecretString::from("IGAAsecretvalue");
        let body = serde_json::json!({"access_token": 5, "note": "IGAAsecretvalue"});
        let err = issued_token(body, &[&secret]).expect_err("bad body");
        assert!(!err.to_string().contains("IGAAsecretvalue"), "{err}");
    }

    /// Found by the property tests: serde quotes a value with Rust's escapes, so a secret
    /// holding `"` or `\` appeared (escaped) in the message, past the plain-text replace.
    #[test]
    fn a_token_body_error_never_quotes_a_secret_spelled_with_escapes() {
        for secret in [
            "IGAAhead\"tail",
            "IGAAhead\\tail",
            "IGAAhead\ntail",
            "IGAAhead\u{301}tail",
        ] {
            let secret = SecretString::from(secret);
            let body = serde_json::json!({"access_token": "IGAAnew", "expires_in": secret.expose_secret()});
            let err = issued_token(body, &[&secret])
                .expect_err("bad body")
                .to_string();
            assert!(!err.contains("head") && !err.contains("tail"), "{err}");
        }
    }
}
