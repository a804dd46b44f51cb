//! How a sandbox is set up before it starts.

use std::fmt;
use std::time::Duration;

/// Settings of one sandbox instance.
#[derive(Clone)]
pub struct SandboxConfig {
    /// The Instagram app ID clients must send as `client_id`.
    pub app_id: String,
    /// The Instagram app secret clients must send as `client_secret`.
    pub app_secret: String,
    /// Registered redirect URIs; matched exactly, except that a trailing `/` more or less is
    /// tolerated because Meta may add one.
    pub redirect_uris: Vec<String>,
    /// How many posts the account has at start.
    pub post_count: usize,
    /// Serve HTTPS with a freshly generated CA (see `RunningSandbox::ca_pem`).
    pub tls: bool,
    /// How long signed CDN URLs stay valid after the Graph answer that carried them.
    pub cdn_url_ttl: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            app_id: "1000000000000001".to_owned(),
            app_secret: "sandbox-app-secret".to_owned(),
            redirect_uris: vec![
                "http://127.0.0.1:8080/auth/instagram/callback".to_owned(),
                "http://localhost:8080/auth/instagram/callback".to_owned(),
            ],
            post_count: 36,
            tls: false,
            cdn_url_ttl: Duration::from_secs(5 * 24 * 3600),
        }
    }
}

/// Hand-written so the secret never lands in a log line.
impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("app_id", &self.app_id)
            .field("app_secret", &"[redacted]")
            .field("redirect_uris", &self.redirect_uris)
            .field("post_count", &self.post_count)
            .field("tls", &self.tls)
            .field("cdn_url_ttl", &self.cdn_url_ttl)
            .finish()
    }
}
