//! [`AppState`]: the services the routes share. It lives with the routes that read it;
//! `startup` only opens the services and fills it in.

use actix_web::http::header::HeaderValue;

use crate::accounts::AccountRegistry;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::instagram::InstagramClient;
use crate::metrics::Metrics;
use crate::tasks::supervisor::TaskHealth;

/// What every request handler may read; `startup` builds it once and hands it to the routes.
pub struct AppState {
    /// Validated settings.
    pub settings: Settings,
    /// The one upstream client.
    pub instagram: InstagramClient,
    /// The process's clock.
    pub clock: SharedClock,
    /// Where visitors reach igfeed.
    pub public_url: url::Url,
    /// Admin login: secret, session cookie, live sessions, throttle.
    pub admin: super::admin::AdminAccess,
    /// The admin API's token and its throttle.
    pub api: super::api::ApiAccess,
    /// `server.trusted_proxies`, parsed once (see [`super::client_ip`]).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The connected accounts: each one's token, keeper, feed, media and refresh trigger.
    pub accounts: AccountRegistry,
    /// Every feed (the accounts' own and the owner's): definitions and built documents.
    pub feeds: crate::feeds::Feeds,
    /// Meta's data-deletion requests, for their status page.
    pub deletions: crate::meta_callbacks::DeletionLog,
    /// Meta callbacks acted on within their freshness window, so a replay is refused.
    pub meta_replays: crate::meta_callbacks::ReplayGuard,
    /// Conditions that need the owner: shown on the status page, sent to the webhook.
    pub alerts: crate::alerts::Alerts,
    /// The feeds' rebuild hooks and their delivery logs.
    pub hooks: crate::hooks::RebuildHooks,

    /// `Cache-Control` of `/feed.json`, computed once.
    pub feed_cache_control: HeaderValue,
    /// Authorizations the owner started and Instagram has not answered yet.
    pub pending_authorizations: super::oauth::pending::PendingAuthorizations,
    /// This application's counters (per instance: tests run many apps in one process).
    pub metrics: Metrics,
    /// Panics of the background tasks, for `/readyz` details.
    pub task_health: TaskHealth,
    /// Whether this replica holds the refresher lease (always, with the file backend): the
    /// lease task sets it, the refreshers, hooks and alerts follow it, `/readyz` shows it.
    pub refresher_lease: tokio::sync::watch::Sender<bool>,
}

/// The state, for extractors (handlers take `web::Data<AppState>` instead). Missing only if
/// the app was built without it: igfeed's fault, answered as a 500.
pub(crate) fn app_state(
    req: &actix_web::HttpRequest,
) -> Result<&actix_web::web::Data<AppState>, actix_web::Error> {
    req.app_data::<actix_web::web::Data<AppState>>()
        .ok_or_else(|| super::WebError::Unexpected(anyhow::anyhow!("app state missing")).into())
}

/// `Cache-Control` of `/feed.json`: `public, max-age=…, stale-while-revalidate=…`, so caches
/// may keep serving a copy while they fetch the next, for as long as one refresh interval.
/// (Only ASCII words and digits, so always a valid header value.)
#[allow(clippy::expect_used)]
pub fn feed_cache_control(settings: &Settings) -> HeaderValue {
    let value = format!(
        "public, max-age={}, stale-while-revalidate={}",
        settings.feed.cache_max_age.as_secs(),
        settings.feed.refresh_interval.as_secs().max(1)
    );
    HeaderValue::try_from(value).expect("ASCII is a valid header value")
}
