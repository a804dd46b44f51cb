//! Settings: layering, human units, and one clear line naming the key on every mistake.

use std::collections::HashMap;
use std::time::Duration;

use igfeed::config::{Settings, Sources};
use secrecy::ExposeSecret;

/// (config file text, environment, the key the error must name)
type Case<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);

fn load(file: Option<&str>, env: &[(&str, &str)]) -> Result<Settings, String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("igfeed.toml");
    if let Some(text) = file {
        std::fs::write(&path, text).expect("write config");
    }
    Settings::load(&Sources {
        file: file.map(|_| path.clone()),
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<HashMap<_, _>>(),
    })
    .map_err(|e| e.to_string())
}

#[test]
fn defaults_alone_are_valid() {
    let settings = load(None, &[]).expect("defaults load");
    assert_eq!(settings.server.port, 8080);
    assert_eq!(settings.feed.refresh_interval, Duration::from_secs(15 * 60));
    assert_eq!(
        settings.instagram.graph_base.as_str(),
        "https://graph.instagram.com/"
    );
    assert_eq!(
        settings.instagram.authorize_url.as_str(),
        "https://www.instagram.com/oauth/authorize"
    );
    assert!(settings.admin.password.is_none());
}

#[test]
fn environment_overrides_file_overrides_defaults() {
    let file = "[server]\nport = 9000\nhost = \"0.0.0.0\"\n[feed]\nrefresh_interval = \"30m\"\n";
    let settings = load(
        Some(file),
        &[
            ("IGFEED__SERVER__PORT", "9100"),
            ("IGFEED__INSTAGRAM__APP_SECRET", "0123456789"),
            ("IGFEED__FEED__MAX_POSTS", "12"),
            ("OTHER__SERVER__PORT", "1"),
        ],
    )
    .expect("valid");
    assert_eq!(settings.server.port, 9100, "env beats file");
    assert_eq!(settings.server.host, "0.0.0.0", "file beats defaults");
    assert_eq!(settings.feed.refresh_interval, Duration::from_secs(30 * 60));
    assert_eq!(settings.feed.max_posts, 12);
    let secret = settings.instagram.app_secret.expect("secret set");
    assert_eq!(
        secret.expose_secret(),
        "0123456789",
        "leading zero kept: secrets stay strings"
    );
}

#[test]
fn cors_origins_take_a_comma_separated_list_from_the_environment() {
    let settings = load(
        None,
        &[(
            "IGFEED__CORS__ALLOWED_ORIGINS",
            "https://a.example, http://localhost:3000",
        )],
    )
    .expect("valid");
    assert_eq!(
        settings.cors.allowed_origins,
        vec![
            "https://a.example".to_owned(),
            "http://localhost:3000".to_owned()
        ]
    );
    let key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    load(None, &[("IGFEED__STORAGE__ENCRYPTION_KEY", key)]).expect("a hex key is valid");
}

#[test]
fn durations_take_human_units_down_to_milliseconds() {
    let settings = load(None, &[("IGFEED__FEED__REFRESH_INTERVAL", "250ms")]).expect("valid");
    assert_eq!(settings.feed.refresh_interval, Duration::from_millis(250));
}

#[test]
fn every_mistake_is_one_line_naming_the_key() {
    let cases: &[Case] = &[
        (Some("[server]\nprot = 1\n"), &[], "prot"),
        (Some("[sever]\nport = 1\n"), &[], "sever"),
        (
            None,
            &[("IGFEED__FEED__REFESH_INTERVAL", "1m")],
            "refesh_interval",
        ),
        (None, &[("IGFEED__SERVER__PORT", "eighty")], "port"),
        (None, &[("IGFEED__SERVER__PORT", "70000")], "port"),
        (
            None,
            &[("IGFEED__FEED__REFRESH_INTERVAL", "soon")],
            "refresh_interval",
        ),
        (
            None,
            &[("IGFEED__FEED__REFRESH_INTERVAL", "0s")],
            "feed.refresh_interval",
        ),
        (None, &[("IGFEED__FEED__MAX_POSTS", "0")], "feed.max_posts"),
        (
            None,
            &[("IGFEED__SERVER__MAX_CONNECTIONS", "0")],
            "server.max_connections",
        ),
        (
            None,
            &[("IGFEED__SERVER__MAX_CONNECTIONS", "many")],
            "max_connections",
        ),
        (
            None,
            &[("IGFEED__SERVER__BODY_TIMEOUT", "0s")],
            "server.body_timeout",
        ),
        (
            None,
            &[("IGFEED__SERVER__MAX_HEADER_BYTES", "100B")],
            "server.max_header_bytes",
        ),
        (
            None,
            &[("IGFEED__SERVER__MAX_HEADER_BYTES", "1MB")],
            "server.max_header_bytes",
        ),
        (
            None,
            &[("IGFEED__TOKEN__CHECK_INTERVAL", "0s")],
            "token.check_interval",
        ),
        (
            None,
            &[("IGFEED__MEDIA__MAX_DIMENSION", "100")],
            "media.max_dimension",
        ),
        (
            None,
            &[("IGFEED__MEDIA__MAX_VIDEO_STREAMS", "0")],
            "media.max_video_streams",
        ),
        (
            None,
            &[("IGFEED__MEDIA__VIDEO_STREAM_TIMEOUT", "2h")],
            "media.video_stream_timeout",
        ),
        (
            None,
            &[("IGFEED__MEDIA__FORMATS", "avif,webp")],
            "media.formats",
        ),
        (None, &[("IGFEED__MEDIA__FORMATS", "jpeg")], "media.formats"),
        (
            None,
            &[("IGFEED__MEDIA__AVIF_QUALITY", "0")],
            "media.avif_quality",
        ),
        (
            None,
            &[("IGFEED__MEDIA__ENCODE_CONCURRENCY", "0")],
            "media.encode_concurrency",
        ),
        (
            None,
            &[("IGFEED__FEED__REFRESH_INTERVAL", "200000000y")],
            "feed.refresh_interval",
        ),
        (
            None,
            &[("IGFEED__ADMIN__SESSION_LIFETIME", "1000000y")],
            "admin.session_lifetime",
        ),
        (
            None,
            &[("IGFEED__SERVER__PUBLIC_URL", "https://x.example/igfeed")],
            "server.public_url",
        ),
        (
            None,
            &[("IGFEED__TOKEN__REFRESH_AFTER", "1h")],
            "token.refresh_after",
        ),
        (
            None,
            &[("IGFEED__INSTAGRAM__GRAPH_VERSION", "23")],
            "instagram.graph_version",
        ),
        (
            None,
            &[("IGFEED__INSTAGRAM__GRAPH_BASE", "not a url")],
            "graph_base",
        ),
        (
            None,
            &[("IGFEED__INSTAGRAM__GRAPH_BASE", "ftp://x")],
            "instagram.graph_base",
        ),
        (
            None,
            &[("IGFEED__SERVER__PUBLIC_URL", "https://x/?a=b")],
            "server.public_url",
        ),
        (
            None,
            &[("IGFEED__INSTAGRAM__APP_ID", "my-app")],
            "instagram.app_id",
        ),
        (
            None,
            &[("IGFEED__ADMIN__PASSWORD", "short")],
            "admin.password",
        ),
        (
            None,
            &[("IGFEED__INSTAGRAM__RETRY_ATTEMPTS", "0")],
            "instagram.retry_attempts",
        ),
        (
            None,
            &[("IGFEED__INSTAGRAM__ACCESS_TOKEN", "two words")],
            "instagram.access_token",
        ),
        (Some("not toml ["), &[], "igfeed.toml"),
        (
            None,
            &[("IGFEED__STORAGE__ENCRYPTION_KEY", "too-short")],
            "storage.encryption_key",
        ),
        (None, &[("IGFEED__OPS__TOKEN", "short")], "ops.token"),
        (
            None,
            &[("IGFEED__ALERTS__WEBHOOK_URL", "ftp://hooks.example")],
            "alerts.webhook_url",
        ),
        (
            None,
            &[("IGFEED__CORS__ALLOWED_ORIGINS", "https://a.example/path")],
            "cors.allowed_origins",
        ),
        (
            None,
            &[("IGFEED__CORS__ALLOWED_ORIGINS", "a.example")],
            "cors.allowed_origins",
        ),
        (None, &[("IGFEED__STORAGE__BACKEND", "postgres")], "backend"),
        (
            None,
            &[("IGFEED__STORAGE__BACKEND", "redis")],
            "storage.redis_url",
        ),
        (
            None,
            &[
                ("IGFEED__STORAGE__BACKEND", "redis"),
                ("IGFEED__STORAGE__REDIS_URL", "http://cache:6379"),
            ],
            "storage.redis_url",
        ),
        (
            None,
            &[
                ("IGFEED__STORAGE__BACKEND", "redis"),
                ("IGFEED__STORAGE__REDIS_URL", "redis://cache:6379"),
            ],
            "storage.encryption_key",
        ),
        (
            None,
            &[("IGFEED__STORAGE__REDIS_URL", "redis://cache:6379")],
            "storage.redis_url",
        ),
        (
            None,
            &[("IGFEED__STORAGE__LEASE_TTL", "100ms")],
            "storage.lease_ttl",
        ),
    ];
    for (file, env, key) in cases {
        let err = load(*file, env).expect_err(&format!("{file:?} {env:?} should be refused"));
        assert!(
            err.contains(key),
            "{file:?} {env:?}: `{err}` does not name `{key}`"
        );
        assert!(!err.contains('\n'), "one line: {err}");
    }
}

#[test]
fn a_missing_config_file_is_named() {
    let err = Settings::load(&Sources {
        file: Some("/nonexistent/igfeed.toml".into()),
        env: HashMap::new(),
    })
    .expect_err("missing file");
    assert!(
        err.to_string().contains("/nonexistent/igfeed.toml"),
        "{err}"
    );
}

#[test]
fn secrets_never_show_in_debug_output() {
    let settings = load(
        None,
        &[
            ("IGFEED__INSTAGRAM__APP_SECRET", "s3cr3t-app"),
            ("IGFEED__ADMIN__PASSWORD", "s3cr3t-admin"),
            ("IGFEED__INSTAGRAM__ACCESS_TOKEN", "IGAAs3cr3t"),
            ("IGFEED__STORAGE__BACKEND", "redis"),
            (
                "IGFEED__STORAGE__REDIS_URL",
                "redis://:s3cr3t-redis@cache:6379",
            ),
            (
                "IGFEED__STORAGE__ENCRYPTION_KEY",
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            ),
        ],
    )
    .expect("valid");
    let debug = format!("{settings:?}");
    for secret in ["s3cr3t-app", "s3cr3t-admin", "IGAAs3cr3t", "s3cr3t-redis"] {
        assert!(!debug.contains(secret), "{secret} leaked into Debug");
    }
}

#[test]
fn secrets_may_come_from_files_as_container_platforms_mount_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("admin_password");
    std::fs::write(&secret, "a long secret of mine\n").expect("write");
    let path = secret.to_string_lossy().into_owned();
    let settings = load(None, &[("IGFEED__ADMIN__PASSWORD_FILE", &path)]).expect("loads");
    assert_eq!(
        settings.admin.password.as_ref().map(|p| p.expose_secret()),
        Some("a long secret of mine")
    );
    let missing = load(None, &[("IGFEED__OPS__TOKEN_FILE", "/nonexistent/ops")])
        .expect_err("an unreadable file stops startup");
    assert!(missing.contains("ops.token"), "{missing}");
}
