//! igfeed talks TLS to Instagram, trusting an extra CA only when configured to.

use igfeed_sandbox::{SandboxConfig, TokenKind};
use secrecy::SecretString;

use super::helpers::{TestEnv, hours};

#[tokio::test]
async fn the_sandbox_over_https_is_trusted_through_extra_ca_file() {
    let mut env = TestEnv::with_config(SandboxConfig {
        tls: true,
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(env.sandbox.base_url().scheme(), "https");
    let token = SecretString::from(env.sandbox.issue_token(TokenKind::LongLived, hours(0)));

    let untrusted = env.client().profile(&token).await.expect_err("unknown CA");
    assert!(untrusted.is_transient(), "{untrusted:?}");
    assert!(
        untrusted.to_string().to_lowercase().contains("certificate"),
        "the reason names the certificate problem: {untrusted}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("sandbox-ca.pem");
    std::fs::write(&ca, env.sandbox.ca_pem().expect("CA generated")).expect("write CA");
    env.set(
        "IGFEED__INSTAGRAM__EXTRA_CA_FILE",
        ca.to_str().expect("utf-8 path"),
    );
    let profile = env
        .client()
        .profile(&token)
        .await
        .expect("trusted over TLS");
    assert!(profile.username.is_some());
}

#[tokio::test]
async fn an_unreadable_extra_ca_file_names_the_setting() {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__INSTAGRAM__EXTRA_CA_FILE", "/nonexistent/ca.pem");
    let settings = env.settings();
    let err = igfeed::instagram::InstagramClient::from_settings(
        &settings.instagram,
        settings.redirect_uri(0),
    )
    .expect_err("missing file");
    assert!(err.to_string().contains("instagram.extra_ca_file"), "{err}");
}
