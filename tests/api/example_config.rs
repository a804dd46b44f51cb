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
