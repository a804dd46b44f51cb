//! Label sets and the functions that keep label values to a small, fixed set: a label value a
//! client can choose freely would let it create unbounded time series.

use prometheus_client::encoding::EncodeLabelSet;

/// The `route` of a request that matched no route (404s, hostile paths).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// `igfeed_http_requests_total` labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RequestLabels {
    pub route: String,
    pub method: &'static str,
    pub status: u16,
}

/// `igfeed_http_request_duration_seconds` labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RouteLabels {
    pub route: String,
}

/// `igfeed_instagram_calls_total` labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct CallLabels {
    pub endpoint: &'static str,
    pub outcome: &'static str,
}

/// `igfeed_task_restarts_total` labels: the supervised tasks' names, a fixed set kept by
/// the caller.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct TaskLabels {
    pub task: &'static str,
}

/// Labels of the scrape-time gauges that describe one account (`igfeed_token_*`,
/// `igfeed_feed_age_seconds`, `igfeed_feed_stale`).
///
/// `account` is the account's feed name (its username lowercased). Its values are bounded:
/// only the owner connects accounts, never a visitor, and `accounts.max` (default 10) caps
/// how many can be connected; a disconnected account's series disappear with it, since the
/// gauges are rebuilt on every scrape.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct AccountLabels {
    pub account: String,
}

/// The method as a label: the standard ones by name, anything else (HTTP allows any token as
/// a method) as `other`.
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}
