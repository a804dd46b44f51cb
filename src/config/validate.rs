//! Rules a parsed [`Settings`] must satisfy before igfeed trusts it.

use std::time::Duration;

use secrecy::ExposeSecret;

use super::{Settings, SettingsError};

/// Instagram refuses to refresh a token younger than this.
const MIN_TOKEN_AGE_FOR_REFRESH: Duration = Duration::from_secs(24 * 3600);
/// A long-lived token dies after 60 days; refreshing later than this leaves no margin.
const MAX_REFRESH_AFTER: Duration = Duration::from_secs(50 * 24 * 3600);
/// Instagram serves at most the 10,000 most recent posts.
const MAX_POSTS: usize = 10_000;
/// Accounts at most: each runs its own refresher and keeps its own caches.
const MAX_ACCOUNTS: usize = 100;
/// The operator token guards detailed status; it must not be guessable.
const MIN_OPS_TOKEN_LEN: usize = 16;
/// The admin API token opens what the owner can do; it must not be guessable either.
const MIN_API_TOKEN_LEN: usize = 24;
/// An admin secret shorter than this is guessable despite login throttling.
const MIN_ADMIN_PASSWORD_LEN: usize = 8;
/// Longest interval or timeout igfeed accepts: longer ones are typos (`200000000y`), and
/// adding them to a date overflows.
const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);
/// More connections than this is a typo: each costs a file descriptor, and the kernel's
/// open-file limit is far lower on most hosts.
const MAX_CONNECTIONS: usize = 1_000_000;
/// Browsers alone send more than this (user agent, accept lists, a few cookies).
const MIN_HEADER_BYTES: u64 = 1024;
/// actix's own read buffer ends at 128 KiB of head, request line included; a limit near it
/// would never apply, and heads that large are abuse.
const MAX_HEADER_BYTES: u64 = 64 * 1024;

pub(super) fn validate(settings: &Settings) -> Result<(), SettingsError> {
    let server = &settings.server;
    if server.host.trim().is_empty() {
        return Err(SettingsError::invalid("server.host", "must not be empty"));
    }
    if let Some(url) = &server.public_url {
        origin_url("server.public_url", url)?;
        // Every route, the redirect URI and the widget's own lookups live at the root.
        if url.path() != "/" {
            return Err(SettingsError::invalid(
                "server.public_url",
                "must be an origin like https://feed.example.com (igfeed is served at the root \
                 of its host; give it its own subdomain rather than a path)",
            ));
        }
    }
    positive("server.shutdown_timeout", server.shutdown_timeout)?;
    if !(1..=MAX_CONNECTIONS).contains(&server.max_connections) {
        return Err(SettingsError::invalid(
            "server.max_connections",
            format!("must be between 1 and {MAX_CONNECTIONS}"),
        ));
    }
    positive("server.body_timeout", server.body_timeout)?;
    if !(MIN_HEADER_BYTES..=MAX_HEADER_BYTES).contains(&server.max_header_bytes) {
        return Err(SettingsError::invalid(
            "server.max_header_bytes",
            "must be between 1KB and 64KB (actix refuses heads over 128KB by itself)",
        ));
    }

    if settings.storage.dir.as_os_str().is_empty() {
        return Err(SettingsError::invalid("storage.dir", "must not be empty"));
    }
    storage_backend(&settings.storage)?;
    if settings.storage.lease_ttl < Duration::from_millis(300) {
        return Err(SettingsError::invalid(
            "storage.lease_ttl",
            "must be at least 300ms (it is renewed every third of it)",
        ));
    }
    if let Some(password) = &settings.admin.password
        && password.expose_secret().chars().count() < MIN_ADMIN_PASSWORD_LEN
    {
        return Err(SettingsError::invalid(
            "admin.password",
            format!("must be at least {MIN_ADMIN_PASSWORD_LEN} characters"),
        ));
    }
    if settings.admin.password.is_some() && settings.admin.password_hash.is_some() {
        return Err(SettingsError::invalid(
            "admin.password_hash",
            "set either admin.password or admin.password_hash, not both",
        ));
    }
    if let Some(hash) = &settings.admin.password_hash
        && let Some(problem) = crate::auth::password_hash_problem(hash.expose_secret())
    {
        return Err(SettingsError::invalid("admin.password_hash", problem));
    }
    positive("admin.session_lifetime", settings.admin.session_lifetime)?;
    if settings.admin.login_attempts_per_minute == 0 {
        return Err(SettingsError::invalid(
            "admin.login_attempts_per_minute",
            "must be at least 1",
        ));
    }
    for entry in &settings.server.trusted_proxies {
        if let Err(problem) = crate::net::parse_trusted_proxy(entry) {
            return Err(SettingsError::invalid("server.trusted_proxies", problem));
        }
    }
    if let Some(key) = &settings.storage.encryption_key
        && let Err(problem) = crate::storage::EncryptionKey::parse(key.expose_secret())
    {
        return Err(SettingsError::invalid("storage.encryption_key", problem));
    }
    if let Some(token) = &settings.ops.token
        && token.expose_secret().chars().count() < MIN_OPS_TOKEN_LEN
    {
        return Err(SettingsError::invalid(
            "ops.token",
            format!("must be at least {MIN_OPS_TOKEN_LEN} characters"),
        ));
    }
    if let Some(token) = &settings.admin.api_token {
        let token = token.expose_secret();
        if token.chars().count() < MIN_API_TOKEN_LEN {
            return Err(SettingsError::invalid(
                "admin.api_token",
                format!(
                    "must be at least {MIN_API_TOKEN_LEN} characters (e.g. `openssl rand -hex 32`)"
                ),
            ));
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(SettingsError::invalid(
                "admin.api_token",
                "must be a single word without spaces (it travels in an HTTP header)",
            ));
        }
    }
    for origin in &settings.cors.allowed_origins {
        if !is_origin(origin) {
            return Err(SettingsError::invalid(
                "cors.allowed_origins",
                format!("`{origin}` is not \"*\" or an origin like https://www.example.com"),
            ));
        }
    }
    if let Some(url) = &settings.alerts.webhook_url {
        web_url("alerts.webhook_url", url)?;
    }
    positive("alerts.check_interval", settings.alerts.check_interval)?;
    positive("hooks.debounce", settings.hooks.debounce)?;
    positive("hooks.retry_delay", settings.hooks.retry_delay)?;
    positive("token.check_interval", settings.token.check_interval)?;
    at_most_a_year("feed.cache_max_age", settings.feed.cache_max_age)?;
    validate_instagram(settings)?;
    super::media::validate(&settings.media)?;
    super::embed::validate(&settings.embed)?;

    positive("feed.refresh_interval", settings.feed.refresh_interval)?;
    if !(1..=MAX_ACCOUNTS).contains(&settings.accounts.max) {
        return Err(SettingsError::invalid(
            "accounts.max",
            format!("must be between 1 and {MAX_ACCOUNTS}"),
        ));
    }
    if !(1..=MAX_POSTS).contains(&settings.feed.max_posts) {
        return Err(SettingsError::invalid(
            "feed.max_posts",
            format!("must be between 1 and {MAX_POSTS}"),
        ));
    }
    let refresh_after = settings.token.refresh_after;
    if !(MIN_TOKEN_AGE_FOR_REFRESH..=MAX_REFRESH_AFTER).contains(&refresh_after) {
        return Err(SettingsError::invalid(
            "token.refresh_after",
            "must be between 24h (Instagram refuses younger tokens) and 50days (tokens die at 60)",
        ));
    }
    Ok(())
}

fn validate_instagram(settings: &Settings) -> Result<(), SettingsError> {
    let ig = &settings.instagram;
    if let Some(app_id) = &ig.app_id
        && (app_id.is_empty() || !app_id.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(SettingsError::invalid(
            "instagram.app_id",
            "must be the numeric Instagram app ID (App Dashboard → Instagram → API setup with Instagram login)",
        ));
    }
    if let Some(secret) = &ig.app_secret
        && secret.expose_secret().trim().is_empty()
    {
        return Err(SettingsError::invalid(
            "instagram.app_secret",
            "must not be empty",
        ));
    }
    if let Some(uri) = &ig.redirect_uri {
        web_url("instagram.redirect_uri", uri)?;
    }
    web_url("instagram.authorize_url", &ig.authorize_url)?;
    origin_url("instagram.api_base", &ig.api_base)?;
    origin_url("instagram.graph_base", &ig.graph_base)?;
    if !is_graph_version(&ig.graph_version) {
        return Err(SettingsError::invalid(
            "instagram.graph_version",
            format!("`{}` is not a version like v23.0", ig.graph_version),
        ));
    }
    if let Some(token) = &ig.access_token {
        let token = token.expose_secret();
        if token.trim().is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(SettingsError::invalid(
                "instagram.access_token",
                "must be a single token without spaces",
            ));
        }
    }
    positive("instagram.connect_timeout", ig.connect_timeout)?;
    positive("instagram.request_timeout", ig.request_timeout)?;
    at_most_a_year("instagram.retry_max_delay", ig.retry_max_delay)?;
    if !(1..=10).contains(&ig.retry_attempts) {
        return Err(SettingsError::invalid(
            "instagram.retry_attempts",
            "must be between 1 and 10",
        ));
    }
    if ig.retry_base_delay > ig.retry_max_delay {
        return Err(SettingsError::invalid(
            "instagram.retry_base_delay",
            "must not exceed instagram.retry_max_delay",
        ));
    }
    Ok(())
}

/// Longer than zero and at most [`MAX_DURATION`].
pub(super) fn positive(key: &str, value: Duration) -> Result<(), SettingsError> {
    if value.is_zero() {
        return Err(SettingsError::invalid(key, "must be longer than zero"));
    }
    at_most_a_year(key, value)
}

fn at_most_a_year(key: &str, value: Duration) -> Result<(), SettingsError> {
    if value > MAX_DURATION {
        return Err(SettingsError::invalid(key, "must be at most 366 days"));
    }
    Ok(())
}

fn web_url(key: &str, url: &url::Url) -> Result<(), SettingsError> {
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(SettingsError::invalid(
            key,
            "must be an http(s) URL with a host",
        ));
    }
    Ok(())
}

/// A base URL that paths are appended to: no query or fragment to lose.
fn origin_url(key: &str, url: &url::Url) -> Result<(), SettingsError> {
    web_url(key, url)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(SettingsError::invalid(
            key,
            "must not carry a query or fragment",
        ));
    }
    Ok(())
}

/// `*`, or `scheme://host[:port]` exactly as browsers send it in `Origin` (no path, no slash).
fn is_origin(origin: &str) -> bool {
    if origin == "*" {
        return true;
    }
    url::Url::parse(origin).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some()
            && url.origin().ascii_serialization() == origin
    })
}

fn is_graph_version(version: &str) -> bool {
    let Some(rest) = version.strip_prefix('v') else {
        return false;
    };
    let mut parts = rest.split('.');
    let (Some(major), Some(minor), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    [major, minor]
        .iter()
        .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `storage.backend = "redis"` needs a Redis URL and the key (records leave the machine).
fn storage_backend(storage: &crate::storage::StorageSettings) -> Result<(), SettingsError> {
    if storage.backend != crate::storage::Backend::Redis {
        for (set, name) in [
            (storage.redis_url.is_some(), "storage.redis_url"),
            (
                storage.redis_password_file.is_some(),
                "storage.redis_password_file",
            ),
        ] {
            if set {
                return Err(SettingsError::invalid(
                    name,
                    "is used only with storage.backend = \"redis\"",
                ));
            }
        }
        return Ok(());
    }
    let Some(url) = &storage.redis_url else {
        return Err(SettingsError::invalid(
            "storage.redis_url",
            "is required with storage.backend = \"redis\" (redis://host:6379 or rediss://…)",
        ));
    };
    let url = url.expose_secret();
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err(SettingsError::invalid(
            "storage.redis_url",
            "must start with redis:// or rediss:// (TLS)",
        ));
    }
    if storage.encryption_key.is_none() {
        return Err(SettingsError::invalid(
            "storage.encryption_key",
            "is required with storage.backend = \"redis\": records shared over the network are sealed",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::is_graph_version;

    #[test]
    fn graph_versions_are_recognised() {
        for good in ["v23.0", "v21.0", "v100.10"] {
            assert!(is_graph_version(good), "{good} should be accepted");
        }
        for bad in ["23.0", "v23", "v23.0.1", "v.0", "va.b", "", "v23.0/"] {
            assert!(!is_graph_version(bad), "{bad} should be rejected");
        }
    }
}
