use chrono::TimeDelta;
use secrecy::SecretString;

use super::*;
use crate::credentials::{TokenSource, TokenState};

fn credentials(now: DateTime<Utc>) -> Credentials {
    Credentials {
        access_token: SecretString::from("IGAAtest"),
        app_scoped_id: Some("1".into()),
        user_id: Some("2".into()),
        token_user_id: None,
        username: Some("shop".into()),
        permissions: vec!["instagram_business_basic".into()],
        source: TokenSource::Authorized,
        obtained_at: now,
        issued_at: Some(now),
        expires_at: Some(now + TimeDelta::days(60)),
        last_refresh_attempt: None,
        state: TokenState::Active,
    }
}

const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

#[test]
fn refreshes_when_due_and_never_before_a_day() {
    let t0 = Utc::now();
    let c = credentials(t0);
    let cases = [
        (TimeDelta::hours(1), Plan::Wait),
        (TimeDelta::hours(23), Plan::Wait),
        (TimeDelta::days(6), Plan::Wait),
        (TimeDelta::days(7), Plan::Refresh),
        (TimeDelta::days(30), Plan::Refresh),
        (TimeDelta::days(60), Plan::Expired),
    ];
    for (elapsed, want) in cases {
        assert_eq!(plan(&c, t0 + elapsed, WEEK), want, "after {elapsed}");
    }
}

#[test]
fn expiry_close_forces_a_refresh_but_not_of_a_young_token() {
    let t0 = Utc::now();
    let mut c = credentials(t0);
    c.expires_at = Some(t0 + TimeDelta::days(5));
    assert_eq!(
        plan(&c, t0 + TimeDelta::hours(2), WEEK),
        Plan::Wait,
        "younger than a day"
    );
    assert_eq!(plan(&c, t0 + TimeDelta::hours(25), WEEK), Plan::Refresh);
}

#[test]
fn imported_tokens_are_tried_at_most_once_a_day() {
    let t0 = Utc::now();
    let mut c = credentials(t0);
    c.source = TokenSource::Imported;
    c.issued_at = None;
    c.expires_at = None;
    assert_eq!(plan(&c, t0, WEEK), Plan::Refresh, "first attempt at once");
    c.last_refresh_attempt = Some(t0);
    assert_eq!(plan(&c, t0 + TimeDelta::hours(23), WEEK), Plan::Wait);
    assert_eq!(plan(&c, t0 + TimeDelta::hours(24), WEEK), Plan::Refresh);
}

#[test]
fn a_token_needing_reconnect_is_left_alone() {
    let t0 = Utc::now();
    let mut c = credentials(t0);
    c.state = TokenState::NeedsReconnect {
        reason: "revoked".into(),
        since: t0,
    };
    assert_eq!(plan(&c, t0 + TimeDelta::days(30), WEEK), Plan::Wait);
}
