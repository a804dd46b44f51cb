//! Every misbehaviour of Instagram, classified, and retried only when retrying can help.

use std::net::TcpListener;
use std::time::Duration;

use igfeed::instagram::ApiError;
use igfeed_sandbox::{Mode, TokenKind};
use secrecy::SecretString;

use super::helpers::{TestEnv, hours};

fn token(env: &TestEnv) -> SecretString {
    SecretString::from(env.sandbox.issue_token(TokenKind::LongLived, hours(0)))
}

#[tokio::test]
async fn an_outage_is_retried_a_bounded_number_of_times() {
    let env = TestEnv::start().await;
    env.sandbox.set_mode(Mode::Outage);
    let err = env
        .client()
        .profile(&token(&env))
        .await
        .expect_err("outage");
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(
        env.sandbox.stats().calls.me,
        3,
        "retry_attempts = 3, then it stops"
    );
}

#[tokio::test]
async fn a_transient_failure_that_passes_is_retried_into_success() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__INSTAGRAM__RETRY_ATTEMPTS", "5");
    env.set("IGFEED__INSTAGRAM__RETRY_BASE_DELAY", "300ms");
    env.set("IGFEED__INSTAGRAM__RETRY_MAX_DELAY", "300ms");
    env.sandbox.set_mode(Mode::Outage);
    let client = env.client();
    let token = token(&env);
    let call = tokio::spawn(async move { client.profile(&token).await });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while env.sandbox.stats().calls.me == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no call arrived");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    env.sandbox.set_mode(Mode::Healthy);
    let profile = call.await.expect("joined");
    assert!(profile.is_ok(), "{profile:?}");
}

#[tokio::test]
async fn rate_limits_are_not_retried_and_carry_the_wait() {
    for code in [4, 80002] {
        let env = TestEnv::start().await;
        env.sandbox.set_mode(Mode::RateLimited {
            code,
            regain_minutes: 12,
        });
        let err = env
            .client()
            .media(&token(&env), 10)
            .await
            .expect_err("limited");
        match err {
            ApiError::RateLimited {
                code: got,
                retry_after,
                ..
            } => {
                assert_eq!(got, code);
                assert_eq!(
                    retry_after,
                    Some(Duration::from_secs(12 * 60)),
                    "code {code}"
                );
            }
            other => panic!("code {code}: {other:?}"),
        }
        assert_eq!(
            env.sandbox.stats().calls.media_list,
            1,
            "no retry on a rate limit"
        );
    }
}

#[tokio::test]
async fn dead_tokens_are_classified_with_their_subcode() {
    for (mode, subcode) in [(Mode::TokenRevoked, 460), (Mode::TokenExpired, 463)] {
        let env = TestEnv::start().await;
        env.sandbox.set_mode(mode);
        let err = env.client().profile(&token(&env)).await.expect_err("dead");
        assert!(
            matches!(err, ApiError::TokenInvalid { code: 190, subcode: Some(s), .. } if s == subcode),
            "{err:?}"
        );
        assert_eq!(
            env.sandbox.stats().calls.me,
            1,
            "a dead token is not retried"
        );
    }
    let env = TestEnv::start().await;
    let err = env
        .client()
        .profile(&SecretString::from("IGAAnot-a-real-token"))
        .await
        .expect_err("unknown token");
    assert!(
        matches!(err, ApiError::TokenInvalid { code: 190, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn malformed_answers_are_reported_not_retried() {
    let env = TestEnv::start().await;
    env.sandbox.set_mode(Mode::Malformed);
    let err = env
        .client()
        .media(&token(&env), 10)
        .await
        .expect_err("malformed");
    assert!(matches!(err, ApiError::Malformed { .. }), "{err:?}");
    assert_eq!(env.sandbox.stats().calls.media_list, 1);
}

#[tokio::test]
async fn an_unknown_field_is_a_bad_request() {
    let env = TestEnv::start().await;
    let err = env
        .client()
        .media_item(&token(&env), "17900000000000001", "id,not_a_field")
        .await
        .expect_err("unknown field");
    assert!(
        matches!(err, ApiError::BadRequest { code: 100, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_slow_instagram_times_out_as_transient() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__INSTAGRAM__REQUEST_TIMEOUT", "100ms");
    env.set("IGFEED__INSTAGRAM__RETRY_ATTEMPTS", "2");
    env.sandbox.set_mode(Mode::Slow {
        delay: Duration::from_secs(2),
    });
    let err = env
        .client()
        .profile(&token(&env))
        .await
        .expect_err("timeout");
    assert!(err.is_transient(), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn an_unreachable_instagram_is_transient_and_names_no_url() {
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut env = TestEnv::start().await;
    env.set(
        "IGFEED__INSTAGRAM__GRAPH_BASE",
        &format!("http://127.0.0.1:{port}"),
    );
    let err = env
        .client()
        .refresh(&SecretString::from("IGAAsecret-in-query"))
        .await
        .expect_err("nothing listens");
    assert!(err.is_transient(), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("IGAAsecret-in-query") && !text.contains("127.0.0.1"),
        "{text}"
    );
}
