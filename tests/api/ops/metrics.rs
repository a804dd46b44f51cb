//! `/metrics`: the families, route patterns instead of paths, Instagram call counts.

use igfeed_sandbox::Mode;

use super::super::helpers::{TestEnv, hours};
use super::{connected, get, sample};

#[tokio::test]
async fn metrics_label_requests_by_route_pattern_never_by_raw_path() {
    let (_env, app, _) = connected("15m").await;
    assert_eq!(get(&app, "/feed.json?limit=3", &[]).await.0, 200);
    assert_eq!(get(&app, "/feed.json", &[]).await.0, 200);
    let hostile = "/probe-7f3a9c/..%2F..%2Fetc%2Fpasswd";
    assert_eq!(get(&app, hostile, &[]).await.0, 404);
    let brew = reqwest::Method::from_bytes(b"BREW").expect("method");
    let response = app
        .http
        .request(brew, format!("{}/feed.json", app.address))
        .send();
    let _ = response.await.expect("answers");

    let (status, text) = get(&app, "/metrics", &[]).await;
    assert_eq!(status, 200);
    for family in [
        "# TYPE igfeed_http_requests_total counter",
        "# TYPE igfeed_http_request_duration_seconds histogram",
        "# TYPE igfeed_instagram_calls_total counter",
        "# TYPE igfeed_feed_cache_hits_total counter",
        "# TYPE igfeed_feed_cache_misses_total counter",
        "# TYPE igfeed_token_expiry_seconds gauge",
        "# TYPE igfeed_feed_age_seconds gauge",
        "# TYPE igfeed_feed_stale gauge",
    ] {
        assert!(text.contains(family), "{family} in\n{text}");
    }
    let ok = r#"igfeed_http_requests_total{route="/feed.json",method="GET",status="200"}"#;
    assert_eq!(sample(&text, ok), Some(2.0), "{text}");
    let unmatched = r#"igfeed_http_requests_total{route="unmatched",method="GET",status="404"}"#;
    assert_eq!(sample(&text, unmatched), Some(1.0), "{text}");
    assert!(
        text.contains(r#"method="other""#),
        "odd methods folded: {text}"
    );
    for raw in ["probe-7f3a9c", "limit=3", "passwd", "%2F", "BREW"] {
        assert!(
            !text.contains(raw),
            "raw request text {raw:?} leaked into\n{text}"
        );
    }
    assert_eq!(
        sample(&text, "igfeed_feed_cache_hits_total"),
        Some(2.0),
        "{text}"
    );
    let stale = r#"igfeed_feed_stale{account="sandbox.studio"}"#;
    assert_eq!(sample(&text, stale), Some(0.0), "{text}");
    let expiry = r#"igfeed_token_expiry_seconds{account="sandbox.studio"}"#;
    let expiry = sample(&text, expiry).expect("expiry");
    assert!(expiry > 58.0 * 86_400.0, "{expiry}");
}

#[tokio::test]
async fn instagram_calls_are_counted_per_attempt_by_endpoint_and_outcome() {
    let (env, app, _) = connected("15m").await;
    let count = |text: &str, endpoint: &str, outcome: &str| {
        let series =
            format!(r#"igfeed_instagram_calls_total{{endpoint="{endpoint}",outcome="{outcome}"}}"#);
        sample(text, &series).unwrap_or(0.0) as u64
    };
    let (_, text) = get(&app, "/metrics", &[]).await;
    let stats = env.sandbox.stats();
    assert!(stats.calls.me >= 1);
    assert_eq!(count(&text, "me", "ok"), stats.calls.me, "{text}");
    assert_eq!(count(&text, "media_list", "ok"), stats.calls.media_list);

    env.sandbox.set_mode(Mode::Outage);
    let _ = app.account().feed.refresh().await;
    let (_, text) = get(&app, "/metrics", &[]).await;
    let failed = env.sandbox.stats().calls.me - stats.calls.me;
    assert_eq!(failed, 3, "IGFEED__INSTAGRAM__RETRY_ATTEMPTS = 3");
    assert_eq!(
        count(&text, "me", "transient"),
        failed,
        "every attempt counted: {text}"
    );
    assert_eq!(count(&text, "me", "ok"), stats.calls.me, "no new success");
}

#[tokio::test]
async fn a_cold_feed_counts_a_cache_miss() {
    let app = TestEnv::start().await.spawn_app().await;
    assert_eq!(get(&app, "/feed.json", &[]).await.0, 503);
    let (_, text) = get(&app, "/metrics", &[]).await;
    assert_eq!(
        sample(&text, "igfeed_feed_cache_misses_total"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "igfeed_feed_cache_hits_total"), Some(0.0));
    assert!(
        !text.contains("igfeed_feed_age_seconds"),
        "no snapshot, no age"
    );
}

/// The scrape-time gauges that describe one account each.
const ACCOUNT_GAUGES: [&str; 4] = [
    "igfeed_token_expiry_seconds",
    "igfeed_token_needs_reconnect",
    "igfeed_feed_age_seconds",
    "igfeed_feed_stale",
];

#[tokio::test]
async fn account_gauges_carry_one_series_per_account_labelled_with_its_username() {
    let (env, app, first_token) = connected("15m").await;
    let (cafe, cafe_token) = env.connect_other(&app, "harness.cafe", hours(2)).await;
    let first = app.account().feed_name();
    assert_eq!(first, "sandbox.studio");

    let (status, text) = get(&app, "/metrics", &[]).await;
    assert_eq!(status, 200);
    for family in ACCOUNT_GAUGES {
        for head in [
            format!("# HELP {family} "),
            format!("# TYPE {family} gauge"),
        ] {
            let count = text.lines().filter(|l| l.starts_with(&head)).count();
            assert_eq!(count, 1, "one {head:?} per family in\n{text}");
        }
        assert!(
            !text.lines().any(|l| l.starts_with(&format!("{family} "))),
            "no unlabelled {family} in\n{text}"
        );
        for account in [first.as_str(), "harness.cafe"] {
            let series = format!(r#"{family}{{account="{account}"}}"#);
            assert!(sample(&text, &series).is_some(), "{series} in\n{text}");
        }
    }
    let expiry = |text: &str, account: &str| {
        let series = format!(r#"igfeed_token_expiry_seconds{{account="{account}"}}"#);
        sample(text, &series).expect("expiry known")
    };
    // Issued an hour and two hours ago with a 60-day lifetime.
    assert!(
        expiry(&text, &first) > expiry(&text, "harness.cafe") + 3000.0,
        "{text}"
    );

    // One account's tokens revoked: only its series says so.
    assert!(env.sandbox.revoke_tokens_of("harness.cafe"));
    assert!(cafe.feed.refresh().await.is_err(), "a revoked token fails");
    let (_, text) = get(&app, "/metrics", &[]).await;
    let reconnect = |account: &str| {
        let series = format!(r#"igfeed_token_needs_reconnect{{account="{account}"}}"#);
        sample(&text, &series)
    };
    assert_eq!(reconnect("harness.cafe"), Some(1.0), "{text}");
    assert_eq!(reconnect(&first), Some(0.0), "{text}");
    for token in [&first_token, &cafe_token] {
        assert!(!text.contains(token.as_str()), "no token in /metrics");
    }
}
