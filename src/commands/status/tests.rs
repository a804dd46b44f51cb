use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::config::Sources;
use crate::web::ops::details::{Account, Feed, RECONNECT_FIX, Reconnect, TaskTrouble};

fn settings(env: &[(&str, &str)]) -> Settings {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Settings::load(&Sources { file: None, env }).expect("settings")
}

fn url(raw: &str) -> url::Url {
    url::Url::parse(raw).expect("url")
}

#[test]
fn the_readyz_url_comes_from_the_argument_or_the_local_server() {
    let local = settings(&[
        ("IGFEED__SERVER__HOST", "0.0.0.0"),
        ("IGFEED__SERVER__PORT", "9000"),
    ]);
    let cases = [
        (None, "http://127.0.0.1:9000/readyz"),
        (
            Some("https://feed.example.com"),
            "https://feed.example.com/readyz",
        ),
        (
            Some("https://example.com/igfeed"),
            "https://example.com/igfeed/readyz",
        ),
        (
            Some("https://example.com/igfeed/"),
            "https://example.com/igfeed/readyz",
        ),
        (
            Some("http://10.0.0.5:8080/readyz"),
            "http://10.0.0.5:8080/readyz",
        ),
    ];
    for (given, expected) in cases {
        let got = readyz_url(&local, given.map(url)).expect("url builds");
        assert_eq!(got.as_str(), expected, "{given:?}");
    }
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0)
        .single()
        .expect("valid time")
}

#[test]
fn an_imported_token_says_its_age_is_unknown() {
    let readiness = Readiness {
        status: READY.into(),
        details: Some(Details {
            accounts: Vec::new(),
            account: Some(Account {
                username: Some("sandbox.cafe".into()),
                user_id: Some("1784".into()),
                app_scoped_id: None,
            }),
            connection: "connected".into(),
            reconnect: None,
            token: Some(Token {
                source: "imported".into(),
                ..Token::default()
            }),
            feed: Feed {
                updated_at: Some(at()),
                age_seconds: Some(120),
                posts: Some(36),
                stale: Some(false),
                last_success: Some(at()),
                ..Feed::default()
            },
            tasks: Vec::new(),
        }),
    };
    let text = render(&url("http://127.0.0.1:8080/readyz"), &readiness);
    for part in [
        "ready",
        "@sandbox.cafe",
        "unknown (imported token; established at the first refresh)",
        "36 posts, updated 2m ago",
        "fresh",
    ] {
        assert!(text.contains(part), "{part:?} in\n{text}");
    }
}

#[test]
fn needs_reconnect_shows_the_reason_and_the_fix() {
    let readiness = Readiness {
        status: "not-ready".into(),
        details: Some(Details {
            connection: "needs-reconnect".into(),
            reconnect: Some(Reconnect {
                reason: "Instagram rejected the access token (code 190)".into(),
                since: at(),
                fix: RECONNECT_FIX.into(),
            }),
            ..Details::default()
        }),
    };
    let text = render(&url("http://127.0.0.1:8080/readyz"), &readiness);
    for part in [
        "NOT READY",
        "NEEDS RECONNECT",
        "code 190",
        RECONNECT_FIX,
        "no snapshot yet",
    ] {
        assert!(text.contains(part), "{part:?} in\n{text}");
    }
}

#[test]
fn hidden_details_say_how_to_see_them() {
    let readiness = Readiness {
        status: READY.into(),
        details: None,
    };
    let text = render(&url("https://feed.example.com/readyz"), &readiness);
    assert!(text.contains("ops.token"), "{text}");
}

#[test]
fn the_ops_token_goes_only_over_https_or_loopback() {
    for (raw, allowed) in [
        ("https://feed.example.com", true),
        ("https://203.0.113.9:8443/readyz", true),
        ("http://127.0.0.1:8080", true),
        ("http://127.1.2.3:8080", true),
        ("http://[::1]:8080", true),
        ("http://[::ffff:127.0.0.1]:8080", true),
        ("http://localhost:8080", true),
        ("http://LOCALHOST:8080", true),
        ("http://feed.example.com", false),
        ("http://203.0.113.9:8080", false),
        ("http://[2001:db8::1]:8080", false),
        ("http://localhost.evil.example", false),
        ("http://127.0.0.1.nip.io", false),
        ("ftp://127.0.0.2", true),
    ] {
        let checked = check_token_destination(&url(raw));
        assert_eq!(checked.is_ok(), allowed, "{raw}: {checked:?}");
        if let Err(error) = checked {
            let message = error.to_string();
            assert!(
                message.contains("refusing to send ops.token over plain http")
                    && !message.contains('\n'),
                "{message}"
            );
        }
    }
}

#[test]
fn a_task_that_keeps_dying_is_named() {
    let readiness = Readiness {
        status: READY.into(),
        details: Some(Details {
            connection: "connected".into(),
            tasks: vec![TaskTrouble {
                task: "feed_refresh".into(),
                restarts: 4,
                panics_in_a_row: 4,
                keeps_dying: true,
                last_panic: "overflow when adding duration to instant".into(),
                last_panic_at: Some(at()),
            }],
            ..Details::default()
        }),
    };
    let text = render(&url("http://127.0.0.1:8080/readyz"), &readiness);
    assert!(
        text.contains("task:       feed_refresh KEEPS DYING (restarted 4 times)"),
        "{text}"
    );
}
