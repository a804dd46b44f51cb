//! How a sandbox is set up before it starts.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::accounts::{AccountSpec, FIRST_USERNAME};

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
    /// How many posts the first account (`sandbox.studio`) has at start.
    pub post_count: usize,
    /// The accounts after the first, offered on the consent page too (more can be added
    /// while the sandbox runs: `POST /_sandbox/accounts`).
    pub other_accounts: Vec<AccountSpec>,
    /// Serve HTTPS with a freshly generated CA (see `RunningSandbox::ca_pem`).
    pub tls: bool,
    /// How long signed CDN URLs stay valid after the Graph answer that carried them.
    pub cdn_url_ttl: Duration,
    /// A directory of JPEG photos (`*.jpg`, `*.jpeg`): when set, the CDN serves centre crops of
    /// them (chosen by the post's seed, resized to the post's size, JPEG q90) instead of the
    /// numbered gradients, so image formats and sizes can be measured on real pictures
    /// (`bench/images/photos` writes such a directory).
    pub photos_dir: Option<PathBuf>,
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
            other_accounts: vec![AccountSpec::new(SECOND_USERNAME, 12)],
            tls: false,
            cdn_url_ttl: Duration::from_secs(5 * 24 * 3600),
            photos_dir: None,
        }
    }
}

/// The second account every default sandbox has, so two accounts can be connected.
pub const SECOND_USERNAME: &str = "harness.cafe";

impl SandboxConfig {
    /// Every account to create at start, the first one first.
    pub(crate) fn account_specs(&self) -> Vec<AccountSpec> {
        let mut specs = vec![AccountSpec::new(FIRST_USERNAME, self.post_count)];
        specs.extend(self.other_accounts.iter().cloned());
        specs
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
            .field("other_accounts", &self.other_accounts)
            .field("tls", &self.tls)
            .field("cdn_url_ttl", &self.cdn_url_ttl)
            .field("photos_dir", &self.photos_dir)
            .finish()
    }
}
