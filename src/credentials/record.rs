//! The on-disk form of [`Credentials`].
//!
//! A private mirror keeps `Serialize` off the public type: only the store can write the
//! token in clear, and only into its 0600 (optionally encrypted) file.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize, Serializer};

use super::{Credentials, TokenSource, TokenState};

/// `credentials.json`'s `data`. Optional fields default so that a file written before a
/// field existed still loads; the envelope's format version covers incompatible changes.
#[derive(Serialize, Deserialize)]
pub(super) struct Record {
    #[serde(serialize_with = "expose")]
    access_token: SecretString,
    #[serde(default)]
    app_scoped_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    token_user_id: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    permissions: Vec<String>,
    source: TokenSource,
    obtained_at: DateTime<Utc>,
    #[serde(default)]
    issued_at: Option<DateTime<Utc>>,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    last_refresh_attempt: Option<DateTime<Utc>>,
    state: TokenState,
}

fn expose<S: Serializer>(token: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(token.expose_secret())
}

impl From<Credentials> for Record {
    fn from(c: Credentials) -> Self {
        Self {
            access_token: c.access_token,
            app_scoped_id: c.app_scoped_id,
            user_id: c.user_id,
            token_user_id: c.token_user_id,
            username: c.username,
            permissions: c.permissions,
            source: c.source,
            obtained_at: c.obtained_at,
            issued_at: c.issued_at,
            expires_at: c.expires_at,
            last_refresh_attempt: c.last_refresh_attempt,
            state: c.state,
        }
    }
}

impl From<Record> for Credentials {
    fn from(r: Record) -> Self {
        Self {
            access_token: r.access_token,
            app_scoped_id: r.app_scoped_id,
            user_id: r.user_id,
            token_user_id: r.token_user_id,
            username: r.username,
            permissions: r.permissions,
            source: r.source,
            obtained_at: r.obtained_at,
            issued_at: r.issued_at,
            expires_at: r.expires_at,
            last_refresh_attempt: r.last_refresh_attempt,
            state: r.state,
        }
    }
}
