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

fn account(name: &str) -> AccountReadings {
    AccountReadings {
        account: name.into(),
        ..AccountReadings::default()
    }
}

#[test]
fn unknown_readings_are_absent_and_known_ones_present() {
    let metrics = Metrics::new();
    for readings in [
        Readings::default(),
        Readings {
            accounts: vec![account("sandbox.studio")],
        },
    ] {
        let text = render(&metrics, readings);
        for family in [
            "igfeed_token_expiry_seconds",
            "igfeed_token_needs_reconnect",
            "igfeed_feed_age_seconds",
            "igfeed_feed_stale",
        ] {
            assert!(!text.contains(family), "{text}");
        }
    }
    let text = render(
        &metrics,
        Readings {
            accounts: vec![AccountReadings {
                account: "sandbox.studio".into(),
                token_expiry_seconds: Some(3600.0),
                token_needs_reconnect: Some(false),
                feed_age_seconds: Some(12.5),
                feed_stale: Some(true),
            }],
        },
    );
    for line in [
        r#"igfeed_token_expiry_seconds{account="sandbox.studio"} 3600"#,
        r#"igfeed_token_needs_reconnect{account="sandbox.studio"} 0"#,
        r#"igfeed_feed_age_seconds{account="sandbox.studio"} 12.5"#,
        r#"igfeed_feed_stale{account="sandbox.studio"} 1"#,
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

#[test]
fn each_account_is_one_series_of_one_family() {
    let metrics = Metrics::new();
    let text = render(
        &metrics,
        Readings {
            accounts: vec![
                AccountReadings {
                    token_expiry_seconds: Some(86_400.0),
                    token_needs_reconnect: Some(false),
                    feed_age_seconds: Some(30.0),
                    feed_stale: Some(false),
                    ..account("sandbox.studio")
                },
                AccountReadings {
                    // An imported token: its expiry unknown, so absent for this account only.
                    token_expiry_seconds: None,
                    token_needs_reconnect: Some(true),
                    feed_age_seconds: Some(7200.0),
                    feed_stale: Some(true),
                    ..account("harness.cafe")
                },
            ],
        },
    );
    for family in [
        "igfeed_token_expiry_seconds",
        "igfeed_token_needs_reconnect",
        "igfeed_feed_age_seconds",
        "igfeed_feed_stale",
    ] {
        for head in [
            format!("# HELP {family} "),
            format!("# TYPE {family} gauge"),
        ] {
            let count = text.lines().filter(|l| l.starts_with(&head)).count();
            assert_eq!(count, 1, "{head:?} in\n{text}");
        }
        let unlabelled = format!("{family} ");
        assert!(!text.lines().any(|l| l.starts_with(&unlabelled)), "{text}");
    }
    for line in [
        r#"igfeed_token_expiry_seconds{account="sandbox.studio"} 86400"#,
        r#"igfeed_token_needs_reconnect{account="sandbox.studio"} 0"#,
        r#"igfeed_token_needs_reconnect{account="harness.cafe"} 1"#,
        r#"igfeed_feed_age_seconds{account="harness.cafe"} 7200"#,
        r#"igfeed_feed_stale{account="sandbox.studio"} 0"#,
        r#"igfeed_feed_stale{account="harness.cafe"} 1"#,
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(
        !text.contains(r#"igfeed_token_expiry_seconds{account="harness.cafe"}"#),
        "{text}"
    );
    // Every sample line of a family follows its own # TYPE line, before the next family's.
    let mut current = "";
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            current = rest.split(' ').next().unwrap_or_default();
        } else if !line.starts_with('#') && line.contains("account=") {
            assert!(line.starts_with(current), "{line:?} under {current:?}");
        }
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
