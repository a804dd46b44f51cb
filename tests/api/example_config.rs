//! The commented example config is the reference: it must load, and document every key.

use igfeed::config::{Settings, Sources};

const EXAMPLE: &str = include_str!("../../igfeed.example.toml");
const DEFAULTS: &str = include_str!("../../src/config/defaults.toml");

#[test]
fn the_example_config_loads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/igfeed.example.toml");
    Settings::load(&Sources {
        file: Some(path.into()),
        env: Default::default(),
    })
    .expect("igfeed.example.toml is valid");
}

#[test]
fn the_example_config_mentions_every_key() {
    let keys = DEFAULTS
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .chain([
            "public_url",
            "password",
            "app_id",
            "app_secret",
            "redirect_uri",
            "access_token",
            "extra_ca_file",
            "encryption_key",
            "password_hash",
            "webhook_url",
            "token",
        ]);
    for key in keys {
        assert!(
            EXAMPLE.contains(key),
            "igfeed.example.toml does not document `{key}`"
        );
    }
}

/// `docker-compose.yml` runs two replicas on Redis behind nginx: the settings it gives igfeed,
/// on top of the image's own (the Dockerfile's `ENV`), must load as a Redis replica that
/// believes nginx's forwarded headers, and nginx must send them to both replicas.
#[test]
fn the_compose_file_configures_replicas_igfeed_accepts() {
    use igfeed::storage::Backend;

    let compose = include_str!("../../docker-compose.yml");
    let dockerfile = include_str!("../../Dockerfile");
    let nginx = include_str!("../../deploy/nginx.conf");
    // What an operator puts in the secret files and the interpolated variables.
    let examples = [
        ("igfeed_encryption_key", "ab".repeat(32)),
        ("igfeed_admin_password", "an admin password".to_owned()),
        ("instagram_app_secret", "an app secret".to_owned()),
        ("redis_password", "a redis password".to_owned()),
        ("IGFEED_INSTAGRAM_APP_ID", "1000000000000001".to_owned()),
        ("IGFEED_PUBLIC_URL", "https://feed.example.com/".to_owned()),
    ];
    let example = |name: &str| {
        examples
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("docker-compose.yml uses {name}: give it an example here"))
    };
    let secrets = tempfile::tempdir().expect("tempdir");
    let mut env = std::collections::HashMap::new();
    for line in dockerfile.lines() {
        let line = line
            .trim()
            .trim_start_matches("ENV ")
            .trim_end_matches('\\');
        if let Some((key, value)) = line.trim().split_once('=')
            && key.starts_with("IGFEED__")
        {
            env.insert(key.to_owned(), value.to_owned());
        }
    }
    let mut set = Vec::new();
    for line in compose.lines() {
        let Some((key, value)) = line.trim().split_once(": ") else {
            continue;
        };
        if !key.starts_with("IGFEED__") {
            continue;
        }
        let value = match value.strip_prefix("${") {
            Some(variable) => example(variable.split([':', '}']).next().unwrap_or_default()),
            None => value.to_owned(),
        };
        let value = match value.strip_prefix("/run/secrets/") {
            Some(name) => {
                let path = secrets.path().join(name);
                std::fs::write(&path, format!("{}\n", example(name))).expect("write a secret");
                path.display().to_string()
            }
            None => value,
        };
        set.push(key.to_owned());
        env.insert(key.to_owned(), value);
    }
    let settings = Settings::load(&Sources { file: None, env })
        .unwrap_or_else(|e| panic!("docker-compose.yml's igfeed settings do not load: {e}"));
    assert_eq!(settings.storage.backend, Backend::Redis);
    for key in [
        "IGFEED__STORAGE__REDIS_URL",
        "IGFEED__STORAGE__ENCRYPTION_KEY_FILE",
        "IGFEED__ADMIN__PASSWORD_FILE",
    ] {
        assert!(
            set.iter().any(|k| k == key),
            "docker-compose.yml sets no {key}"
        );
    }

    let nginx_address = compose
        .split_once("\n  nginx:\n")
        .and_then(|(_, service)| service.split_once("ipv4_address: "))
        .and_then(|(_, rest)| rest.lines().next())
        .expect("nginx has a fixed address in docker-compose.yml");
    assert_eq!(
        settings.server.trusted_proxies,
        [nginx_address.trim()],
        "igfeed trusts exactly nginx's address"
    );
    for replica in ["igfeed-1", "igfeed-2"] {
        assert!(
            compose.contains(&format!("\n  {replica}:\n")),
            "no service {replica}"
        );
        assert!(
            nginx.contains(&format!("server {replica}:8080")),
            "nginx.conf does not send requests to {replica}"
        );
    }
    for header in [
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
    ] {
        assert!(nginx.contains(header), "nginx.conf lacks `{header}`");
    }
    assert!(
        compose.contains("--appendonly yes --appendfsync everysec"),
        "Redis runs with its append-only file on"
    );
}
