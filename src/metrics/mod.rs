//! Prometheus metrics for one running igfeed, rendered in the Prometheus text format.
//!
//! One [`Metrics`] is built per [`Application`](crate::startup::Application) and handed to the
//! parts that count (request middleware, Instagram transport, `/feed.json`), instead of
//! process-global statics: tests run many applications in one process, and each must see only
//! its own numbers. Values that describe the current state (token expiry, feed age) are not
//! kept here at all but read at scrape time ([`Readings`]), so they can never be out of date;
//! they carry an `account` label, one series per connected account.

mod labels;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use labels::{AccountLabels, CallLabels, RequestLabels, RouteLabels, TaskLabels};

pub use labels::{UNMATCHED_ROUTE, method_label};

/// `Content-Type` of the rendered metrics (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Request latency buckets in seconds: `/feed.json` answers in well under a millisecond from
/// ready bytes, a cold load waits for Instagram (seconds).
const DURATION_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5, 10.0,
];

type DurationFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The counters of one application; cheap to clone (all clones count into the same values).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: DurationFamily,
    instagram_calls: Family<CallLabels, Counter>,
    cache_hits: Counter,
    cache_misses: Counter,
    task_restarts: Family<TaskLabels, Counter>,
}

/// Values computed from the application's state at scrape time: one [`AccountReadings`] per
/// connected account, each becoming a series labelled `account` in every scrape-time family.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Readings {
    /// Every connected account's values, first connected first.
    pub accounts: Vec<AccountReadings>,
}

/// One account's scrape-time values. `None` leaves the account's series out (e.g. the expiry
/// of an imported token nobody knows yet), which Prometheus reads as "absent" rather than as
/// a misleading number.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountReadings {
    /// The `account` label: the account's feed name, its username lowercased (its id until
    /// the username is known). The owner connects accounts, visitors cannot, and
    /// `accounts.max` (default 10) caps how many: the label's values stay few.
    pub account: String,
    /// Seconds until the token expires (negative once expired).
    pub token_expiry_seconds: Option<f64>,
    /// Whether only the owner reconnecting can help.
    pub token_needs_reconnect: Option<bool>,
    /// Seconds since the served snapshot was fetched.
    pub feed_age_seconds: Option<f64>,
    /// Whether visitors are told the feed may be old.
    pub feed_stale: Option<bool>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh set of zeroed counters.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "igfeed_http_requests",
            "HTTP requests answered, by matched route pattern, method and status",
            requests.clone(),
        );
        let durations: DurationFamily =
            Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS));
        registry.register(
            "igfeed_http_request_duration_seconds",
            "Time to answer HTTP requests, by matched route pattern",
            durations.clone(),
        );
        let instagram_calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "igfeed_instagram_calls",
            "Instagram API call attempts (retries included), by endpoint and outcome",
            instagram_calls.clone(),
        );
        let cache_hits = Counter::default();
        registry.register(
            "igfeed_feed_cache_hits",
            "/feed.json requests served from the held snapshot",
            cache_hits.clone(),
        );
        let cache_misses = Counter::default();
        registry.register(
            "igfeed_feed_cache_misses",
            "/feed.json requests that found no snapshot and needed a load",
            cache_misses.clone(),
        );
        let task_restarts = Family::<TaskLabels, Counter>::default();
        registry.register(
            "igfeed_task_restarts",
            "Background tasks restarted after a panic, by task",
            task_restarts.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                requests,
                durations,
                instagram_calls,
                cache_hits,
                cache_misses,
                task_restarts,
            }),
        }
    }

    /// Counts one answered request. `route` must be a route *pattern* (or [`UNMATCHED_ROUTE`]),
    /// never a raw path: every distinct value becomes a time series kept forever.
    pub fn record_request(&self, route: String, method: &str, status: u16, elapsed: Duration) {
        self.inner
            .requests
            .get_or_create(&RequestLabels {
                route: route.clone(),
                method: method_label(method),
                status,
            })
            .inc();
        self.inner
            .durations
            .get_or_create(&RouteLabels { route })
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one attempt at an Instagram endpoint with its outcome (`ok`, or a label from a
    /// small fixed set the caller keeps, such as `rate_limited`).
    pub fn record_instagram_call(&self, endpoint: &'static str, outcome: &'static str) {
        self.inner
            .instagram_calls
            .get_or_create(&CallLabels { endpoint, outcome })
            .inc();
    }

    /// Shows `task`'s restart counter at 0 before its first restart. `task` comes from a
    /// small fixed set the caller keeps (the supervised tasks' names).
    pub fn register_task(&self, task: &'static str) {
        let _ = self.inner.task_restarts.get_or_create(&TaskLabels { task });
    }

    /// Counts one restart of `task` after a panic.
    pub fn record_task_restart(&self, task: &'static str) {
        self.inner
            .task_restarts
            .get_or_create(&TaskLabels { task })
            .inc();
    }

    /// Counts a `/feed.json` request as served from the snapshot (`true`) or needing a load.
    pub fn record_feed_cache(&self, hit: bool) {
        if hit {
            self.inner.cache_hits.inc();
        } else {
            self.inner.cache_misses.inc();
        }
    }

    /// The whole exposition: the counters plus the scrape-time `readings`.
    pub fn render(&self, readings: &Readings) -> Result<String, std::fmt::Error> {
        let mut out = String::with_capacity(4096);
        prometheus_text::encode(&mut out, &self.inner.registry)?;
        // A registry per scrape holds only the readings that are known now, so unknown values
        // are absent instead of a stale or made-up number.
        let mut now = Registry::default();
        let accounts = &readings.accounts;
        gauges(
            &mut now,
            "igfeed_token_expiry_seconds",
            "Seconds until the account's Instagram token expires (absent while unknown)",
            accounts,
            |a| a.token_expiry_seconds,
        );
        gauges(
            &mut now,
            "igfeed_token_needs_reconnect",
            "1 when Instagram rejected the account's token for good and the owner must reconnect",
            accounts,
            |a| a.token_needs_reconnect.map(flag),
        );
        gauges(
            &mut now,
            "igfeed_feed_age_seconds",
            "Seconds since the account's served feed snapshot was fetched",
            accounts,
            |a| a.feed_age_seconds,
        );
        gauges(
            &mut now,
            "igfeed_feed_stale",
            "1 when the account's feed reports stale: true",
            accounts,
            |a| a.feed_stale.map(flag),
        );
        prometheus_text::encode(&mut out, &now)?;
        Ok(out)
    }
}

fn flag(value: bool) -> f64 {
    if value { 1.0 } else { 0.0 }
}

type AccountGauge = Gauge<f64, std::sync::atomic::AtomicU64>;

/// Registers family `name` with one series per account whose `value` is known; nothing at
/// all (not even `# HELP`) when no account's is, so the family reads as absent.
fn gauges(
    registry: &mut Registry,
    name: &str,
    help: &str,
    accounts: &[AccountReadings],
    value: impl Fn(&AccountReadings) -> Option<f64>,
) {
    let family = Family::<AccountLabels, AccountGauge>::default();
    let mut any = false;
    for account in accounts {
        if let Some(value) = value(account) {
            let labels = AccountLabels {
                account: account.account.clone(),
            };
            family.get_or_create(&labels).set(value);
            any = true;
        }
    }
    if any {
        registry.register(name, help, family);
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}
