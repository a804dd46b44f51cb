use std::time::Duration;

use super::*;

fn render(metrics: &Metrics, readings: Readings) -> String {
    metrics.render(&readings).expect("renders")
}

#[test]
fn counters_render_in_prometheus_text_format() {
    let metrics = Metrics::new();
    metrics.record_request("/feed.json".into(), "GET", 200, Duration::from_millis(2));
    metrics.record_request("/feed.json".into(), "GET", 200, Duration::from_millis(3));
    metrics.record_instagram_call("me", "ok");
    metrics.record_feed_cache(true);
    metrics.record_feed_cache(false);
    let text = render(&metrics, Readings::default());
    for line in [
        "# TYPE igfeed_http_requests_total counter",
        r#"igfeed_http_requests_total{route="/feed.json",method="GET",status="200"} 2"#,
        r#"igfeed_http_request_duration_seconds_count{route="/feed.json"} 2"#,
        r#"igfeed_instagram_calls_total{endpoint="me",outcome="ok"} 1"#,
        "igfeed_feed_cache_hits_total 1",
        "igfeed_feed_cache_misses_total 1",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

#[test]
fn unknown_readings_are_absent_and_known_ones_present() {
    let metrics = Metrics::new();
    let text = render(&metrics, Readings::default());
    assert!(!text.contains("igfeed_token_expiry_seconds"), "{text}");
    assert!(!text.contains("igfeed_feed_age_seconds"), "{text}");
    let text = render(
        &metrics,
        Readings {
            token_expiry_seconds: Some(3600.0),
            token_needs_reconnect: Some(false),
            feed_age_seconds: Some(12.5),
            feed_stale: Some(true),
        },
    );
    for line in [
        "igfeed_token_expiry_seconds 3600",
        "igfeed_token_needs_reconnect 0",
        "igfeed_feed_age_seconds 12.5",
        "igfeed_feed_stale 1",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

#[test]
fn each_instance_counts_on_its_own() {
    let (a, b) = (Metrics::new(), Metrics::new());
    a.record_feed_cache(true);
    assert!(render(&b, Readings::default()).contains("igfeed_feed_cache_hits_total 0"));
}

#[test]
fn odd_methods_share_one_label() {
    assert_eq!(method_label("GET"), "GET");
    assert_eq!(method_label("BREW"), "other");
    assert_eq!(method_label("get"), "other");
}
