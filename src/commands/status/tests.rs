use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::config::Sources;
use crate::web::ops::details::{
    Account, AccountDetails, Feed, RECONNECT_FIX, Reconnect, TaskTrouble,
};

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
            storage: None,
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

fn account(username: &str, id: &str, default: bool) -> AccountDetails {
    AccountDetails {
        id: id.into(),
        feed_name: username.into(),
        default,
        account: Some(Account {
            username: Some(username.into()),
            user_id: Some(id.into()),
            app_scoped_id: None,
        }),
        connection: "connected".into(),
        reconnect: None,
        token: Some(Token {
            source: "authorized".into(),
            age_known: true,
            age_seconds: Some(3600),
            seconds_until_expiry: Some(30 * 86_400),
            expires_at: Some(at()),
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
    }
}

fn revoked(mut a: AccountDetails) -> AccountDetails {
    a.connection = "needs-reconnect".into();
    a.reconnect = Some(Reconnect {
        reason: "Instagram rejected the access token (code 190)".into(),
        since: at(),
        fix: RECONNECT_FIX.into(),
    });
    a.feed.stale = Some(true);
    a.feed.last_error = Some("the token was rejected".into());
    a.feed.consecutive_failures = 2;
    a
}

/// A server with several accounts: the top level describes the default one, as it does.
fn several(accounts: Vec<AccountDetails>) -> Readiness {
    let default = accounts.iter().find(|a| a.default).cloned();
    Readiness {
        status: READY.into(),
        details: Some(Details {
            account: default.as_ref().and_then(|a| a.account.clone()),
            connection: default
                .as_ref()
                .map_or("not-connected".into(), |a| a.connection.clone()),
            token: default.as_ref().and_then(|a| a.token.clone()),
            feed: default.map(|a| a.feed).unwrap_or_default(),
            accounts,
            ..Details::default()
        }),
    }
}

/// The lines of the block that starts with `account:    @username `.
fn block<'a>(text: &'a str, username: &str) -> &'a str {
    let header = format!("account:    @{username} ");
    text.split("\n\n")
        .find(|b| b.starts_with(&header))
        .unwrap_or_else(|| panic!("no block for {username} in\n{text}"))
}

#[test]
fn every_account_gets_its_own_block() {
    let readiness = several(vec![
        account("sandbox.studio", "1784", true),
        revoked(account("harness.cafe", "1785", false)),
    ]);
    let text = render(&url("http://127.0.0.1:8080/readyz"), &readiness);
    assert!(text.contains("2 accounts connected"), "{text}");
    let studio = block(&text, "sandbox.studio");
    assert!(
        studio.starts_with(
            "account:    @sandbox.studio (user id 1784), feed sandbox.studio (default)\n"
        ),
        "{studio}"
    );
    for part in [
        "connection: connected",
        "authorized, 1h 0m old, expires in 30d",
        "36 posts, updated 2m ago",
        "fresh",
        "last refresh succeeded",
    ] {
        assert!(studio.contains(part), "{part:?} in\n{studio}");
    }
    let cafe = block(&text, "harness.cafe");
    assert!(
        cafe.starts_with("account:    @harness.cafe (user id 1785), feed harness.cafe\n"),
        "not the default: {cafe}"
    );
    for part in [
        "connection: NEEDS RECONNECT since 2025-03-01 12:00 UTC: Instagram rejected the access token (code 190)",
        RECONNECT_FIX,
        "STALE",
        "last refresh FAILED (2 in a row): the token was rejected",
    ] {
        assert!(cafe.contains(part), "{part:?} in\n{cafe}");
    }
    assert!(!studio.contains("NEEDS RECONNECT"), "{studio}");
}

#[test]
fn an_account_without_a_known_username_shows_its_id_and_feed_name() {
    let mut unnamed = account("1786", "1786", true);
    unnamed.account = Some(Account {
        username: None,
        user_id: None,
        app_scoped_id: Some("2693".into()),
    });
    let text = render(
        &url("http://127.0.0.1:8080/readyz"),
        &several(vec![unnamed]),
    );
    assert!(
        text.contains("account:    (username not known yet) (user id 1786), feed 1786 (default)"),
        "{text}"
    );
    assert!(!text.contains("accounts connected"), "one account: {text}");
}

#[test]
fn any_account_needing_reconnect_is_trouble_and_named() {
    let at = url("http://127.0.0.1:8080/readyz");
    let fine = several(vec![
        account("sandbox.studio", "1784", true),
        account("harness.cafe", "1785", false),
    ]);
    assert_eq!(trouble(&at, &fine), None);

    // Not the default account: the top-level fields say "connected", yet it is trouble.
    let one = several(vec![
        account("sandbox.studio", "1784", true),
        revoked(account("harness.cafe", "1785", false)),
    ]);
    let message = trouble(&at, &one).expect("trouble");
    assert!(
        message.contains("1 account needs reconnecting") && message.contains("@harness.cafe"),
        "{message}"
    );
    assert!(!message.contains("sandbox.studio"), "{message}");

    let both = several(vec![
        revoked(account("sandbox.studio", "1784", true)),
        revoked(account("harness.cafe", "1785", false)),
    ]);
    let message = trouble(&at, &both).expect("trouble");
    assert!(
        message.contains("2 accounts need reconnecting"),
        "{message}"
    );
    assert!(
        message.contains("@sandbox.studio, @harness.cafe"),
        "{message}"
    );

    let mut down = several(Vec::new());
    down.status = "not-ready".into();
    let message = trouble(&at, &down).expect("trouble");
    assert!(message.contains("cannot serve a feed yet"), "{message}");
    assert!(!message.contains("reconnect"), "{message}");

    // Details hidden: only readiness decides.
    let hidden = Readiness {
        status: READY.into(),
        details: None,
    };
    assert_eq!(trouble(&at, &hidden), None);
}

/// `/readyz` of an igfeed from before several accounts: no `accounts` field.
const ONE_ACCOUNT_SERVER: &str = r#"{
  "status": "ready",
  "account": {"username": "sandbox.studio", "user_id": "1784", "app_scoped_id": "2693"},
  "connection": "needs-reconnect",
  "reconnect": {"reason": "Instagram rejected the access token (code 190)",
                "since": "2025-03-01T12:00:00Z", "fix": "open /admin and click Reconnect"},
  "token": {"source": "authorized", "obtained_at": null, "issued_at": null, "age_known": false,
            "age_seconds": null, "expires_at": null, "seconds_until_expiry": null,
            "last_refresh_attempt": null, "last_refresh_error": null},
  "feed": {"updated_at": "2025-03-01T11:58:00Z", "age_seconds": 120, "posts": 36, "stale": true,
           "last_attempt": null, "last_success": null, "last_error": null,
           "consecutive_failures": 0}
}"#;

#[test]
fn a_server_from_before_several_accounts_is_shown_from_its_top_level_fields() {
    let readiness: Readiness = serde_json::from_str(ONE_ACCOUNT_SERVER).expect("parses");
    let text = render(&url("http://127.0.0.1:8080/readyz"), &readiness);
    for part in [
        "ready (a feed can be served)",
        "account:    @sandbox.studio (user id 1784)\n",
        "connection: NEEDS RECONNECT",
        "36 posts, updated 2m ago",
        "STALE",
    ] {
        assert!(text.contains(part), "{part:?} in\n{text}");
    }
    assert!(
        !text.contains("feed sandbox.studio"),
        "no feed names: {text}"
    );
    let message = trouble(&url("http://127.0.0.1:8080/readyz"), &readiness).expect("trouble");
    assert!(message.contains("@sandbox.studio"), "{message}");
}

#[test]
fn a_replica_on_redis_says_whether_it_refreshes_and_whether_redis_is_reachable() {
    use crate::web::ops::details::StorageState;
    let readiness = |state: &str, problem: Option<&str>, refresher: bool| Readiness {
        status: READY.into(),
        details: Some(Details {
            storage: Some(StorageState {
                backend: "redis".into(),
                state: state.into(),
                problem: problem.map(str::to_owned),
                refresher,
            }),
            ..Details::default()
        }),
    };
    let ok = render(
        &url("http://127.0.0.1:8080/readyz"),
        &readiness("ok", None, true),
    );
    assert!(
        ok.contains("storage:    redis, reachable; this replica refreshes"),
        "{ok}"
    );
    let down = render(
        &url("http://127.0.0.1:8080/readyz"),
        &readiness("degraded", Some("Connection refused"), false),
    );
    assert!(
        down.contains("storage:    redis DEGRADED (Connection refused): serving what it holds; another replica refreshes"),
        "{down}"
    );
}
