//! Properties of loading `credentials.json` over generated damage: a file whose fields were
//! moved, mistyped or cut is refused (igfeed must not start on a token it cannot vouch for)
//! with a message that never shows the token, wherever in the file the token ended up.

use proptest::prelude::*;
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};

use super::*;
use crate::config::StorageSettings;
use crate::storage::StateDir;

const TOKEN: &str = "IGAAtokenthatmustnevershow";
const OTHER_TOKEN: &str = "IGAAanothertokennottoshow";

const FIELDS: &[&str] = &[
    "access_token",
    "app_scoped_id",
    "user_id",
    "token_user_id",
    "username",
    "permissions",
    "source",
    "obtained_at",
    "issued_at",
    "expires_at",
    "last_refresh_attempt",
    "state",
];

/// What `CredentialStore` writes, as JSON.
fn valid_record() -> Value {
    json!({
        "access_token": TOKEN,
        "app_scoped_id": "17841400000000001",
        "user_id": "9000000000000002",
        "token_user_id": "9000000000000002",
        "username": "bakery",
        "permissions": ["instagram_business_basic"],
        "source": "imported",
        "obtained_at": "2026-03-01T01:00:00Z",
        "issued_at": null,
        "expires_at": null,
        "last_refresh_attempt": null,
        "state": { "status": "active" },
    })
}

/// Where the token lands: as a field's value, inside a list or object, or as a key.
fn placement(field: &'static str) -> impl Strategy<Value = (String, Value)> {
    prop_oneof![
        Just((field.to_owned(), json!(TOKEN))),
        Just((field.to_owned(), json!([TOKEN]))),
        Just((field.to_owned(), json!({ "status": TOKEN }))),
        Just((field.to_owned(), json!({ TOKEN: 1 }))),
        Just((TOKEN.to_owned(), json!(1))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_damaged_file_is_refused_without_showing_the_token(
        // Half the cases aim at the enums, whose errors name the variant they were given.
        (name, value) in prop_oneof![
            prop::sample::select(FIELDS),
            prop::sample::select(&["source", "state"][..]),
        ]
        .prop_flat_map(placement),
        dropped in prop::option::of(prop::sample::select(FIELDS)),
    ) {
        let mut record = valid_record();
        record[&name] = value;
        if name != "access_token" {
            // The token moved: the token field holds another one, so reading gets past it.
            record["access_token"] = json!(OTHER_TOKEN);
        }
        if let Some(dropped) = dropped {
            record.as_object_mut().expect("an object").remove(dropped);
        }
        let tmp = tempfile::tempdir().expect("tempdir");
        let settings = StorageSettings::in_dir(tmp.path(), None);
        let dir = StateDir::open(&settings).expect("state dir");
        dir.write(CREDENTIALS_FILE, &record).expect("write");
        match CredentialStore::open(dir) {
            Ok(store) => {
                // Only an intact token field loads, and only as the token.
                let current = store.current().expect("credentials");
                prop_assert_eq!(&record["access_token"], &json!(current.access_token.expose_secret()));
            }
            Err(error) => {
                let message = error.to_string();
                prop_assert!(!message.contains(TOKEN) && !message.contains(OTHER_TOKEN), "{}", message);
            }
        }
    }
}
