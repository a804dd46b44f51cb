//! The token rules, checked without a server.

use super::mode::TokenKind;
use super::tokens::*;
use chrono::{DateTime, TimeDelta, Utc};

fn grant(now: DateTime<Utc>) -> Grant {
    Grant {
        account: 0,
        client_id: "app".into(),
        redirect_uri: "http://localhost/cb".into(),
        permissions: "instagram_business_basic".into(),
        issued_at: now,
    }
}

#[test]
fn a_code_works_once() {
    let (mut store, now) = (TokenStore::default(), Utc::now());
    let code = store.issue_code(grant(now));
    assert!(code.starts_with("AQB"));
    let (issued, perms) = store
        .redeem_code(&code, "app", "http://localhost/cb", now)
        .expect("first use succeeds");
    assert!(issued.value.starts_with("IGAA") && issued.value.len() > 100);
    assert_eq!(perms.permissions, "instagram_business_basic");
    assert_eq!(issued.expires_in, 3600, "short-lived tokens live an hour");
    let again = store.redeem_code(&code, "app", "http://localhost/cb", now);
    assert_eq!(again.err(), Some(CodeError::NotFound));
}

#[test]
fn a_code_used_with_the_wrong_redirect_is_burnt() {
    let (mut store, now) = (TokenStore::default(), Utc::now());
    let code = store.issue_code(grant(now));
    let wrong = store.redeem_code(&code, "app", "http://localhost/cb/", now);
    assert_eq!(wrong.err(), Some(CodeError::RedirectMismatch));
    let right = store.redeem_code(&code, "app", "http://localhost/cb", now);
    assert_eq!(right.err(), Some(CodeError::NotFound));
}

#[test]
fn a_code_expires_after_an_hour() {
    let (mut store, now) = (TokenStore::default(), Utc::now());
    let code = store.issue_code(grant(now));
    let late = now + CODE_LIFETIME + TimeDelta::seconds(1);
    let result = store.redeem_code(&code, "app", "http://localhost/cb", late);
    assert_eq!(result.err(), Some(CodeError::NotFound));
}

#[test]
fn short_lived_tokens_die_after_an_hour_and_exchange_once_alive() {
    let (mut store, now) = (TokenStore::default(), Utc::now());
    let short = store.issue_token(0, TokenKind::ShortLived, now, now).value;
    let long = store
        .exchange(&short, now)
        .expect("exchange of a live short token");
    assert!(
        long.expires_in >= 5_183_900,
        "about 60 days: {}",
        long.expires_in
    );
    assert_eq!(
        store.exchange(&long.value, now).err(),
        Some(TokenError::NotShortLived)
    );
    let later = now + TimeDelta::minutes(61);
    assert!(matches!(
        store.check(&short, later),
        Err(TokenError::Expired { .. })
    ));
    assert!(matches!(
        store.exchange(&short, later),
        Err(TokenError::Expired { .. })
    ));
}

#[test]
fn refresh_needs_a_day_old_live_long_token_and_replaces_the_value() {
    let (mut store, now) = (TokenStore::default(), Utc::now());
    let long = store.issue_token(0, TokenKind::LongLived, now, now).value;
    assert_eq!(
        store.refresh(&long, now + TimeDelta::hours(23)).err(),
        Some(TokenError::TooEarly)
    );
    let later = now + TimeDelta::hours(25);
    let fresh = store
        .refresh(&long, later)
        .expect("a 25 h old token refreshes");
    assert_ne!(fresh.value, long);
    assert_eq!(store.check(&long, later).err(), Some(TokenError::Unknown));
    assert_eq!(fresh.expires_in, LONG_LIFETIME.num_seconds());
    let dead = later + LONG_LIFETIME;
    assert!(matches!(
        store.refresh(&fresh.value, dead),
        Err(TokenError::Expired { .. })
    ));
    let short = store.issue_token(0, TokenKind::ShortLived, now, now).value;
    assert_eq!(
        store.refresh(&short, now).err(),
        Some(TokenError::NotLongLived)
    );
}

#[test]
fn revoking_invalidates_every_token() {
    let (mut store, now) = (TokenStore::default(), Utc::now());
    let long = store.issue_token(0, TokenKind::LongLived, now, now).value;
    store.revoke_all();
    assert_eq!(store.check(&long, now).err(), Some(TokenError::Revoked));
    assert_eq!(
        store.check("IGAAnope", now).err(),
        Some(TokenError::Unknown)
    );
}

#[test]
fn tokens_belong_to_their_account_through_exchange_and_refresh() {
    let (mut store, now) = (TokenStore::default(), Utc::now());
    let code = store.issue_code(Grant {
        account: 3,
        ..grant(now)
    });
    let (short, grant) = store
        .redeem_code(&code, "app", "http://localhost/cb", now)
        .expect("redeemed");
    assert_eq!(grant.account, 3);
    let long = store.exchange(&short.value, now).expect("exchanged");
    let later = now + REFRESH_MIN_AGE;
    let fresh = store.refresh(&long.value, later).expect("refreshed");
    assert_eq!(store.check(&fresh.value, later).map(|t| t.account), Ok(3));
    let other = store.issue_token(1, TokenKind::LongLived, now, now).value;
    store.revoke_account(3);
    assert_eq!(
        store.check(&fresh.value, later).err(),
        Some(TokenError::Revoked)
    );
    assert!(
        store.check(&other, later).is_ok(),
        "another account's token lives on"
    );
}
