//! `IGFEED__ADMIN__PASSWORD_FILE=/run/secrets/x`: a secret setting read from a file, the way
//! container platforms hand out secrets (Docker and Kubernetes mount them as files, so they
//! never show up in `docker inspect` or the process environment).

use std::collections::HashMap;

use super::SettingsError;

const FILE_SUFFIX: &str = "_FILE";

/// The settings that may come from a file: the secrets. (Not every `…_FILE` name is an
/// indirection: `instagram.extra_ca_file` is a path setting of its own.)
const SECRETS: [&str; 9] = [
    "IGFEED__ADMIN__PASSWORD",
    "IGFEED__ADMIN__API_TOKEN",
    "IGFEED__ADMIN__PASSWORD_HASH",
    "IGFEED__INSTAGRAM__APP_SECRET",
    "IGFEED__INSTAGRAM__ACCESS_TOKEN",
    "IGFEED__OPS__TOKEN",
    "IGFEED__STORAGE__ENCRYPTION_KEY",
    "IGFEED__STORAGE__REDIS_URL",
    "IGFEED__ALERTS__WEBHOOK_URL",
];

/// `env` with every `…_FILE` variable replaced by the variable it stands for, holding the
/// file's content without its final line break.
pub(super) fn resolve(
    env: HashMap<String, String>,
) -> Result<HashMap<String, String>, SettingsError> {
    let mut resolved = HashMap::with_capacity(env.len());
    for (name, value) in &env {
        let Some(target) = name
            .strip_suffix(FILE_SUFFIX)
            .filter(|target| SECRETS.contains(target))
        else {
            resolved.insert(name.clone(), value.clone());
            continue;
        };
        let key = dotted(target);
        if env.contains_key(target) {
            return Err(SettingsError::invalid(
                &key,
                format!("set either {target} or {name}, not both"),
            ));
        }
        // The path is not echoed: an operator may have put the secret itself there.
        let content = std::fs::read_to_string(value).map_err(|e| {
            SettingsError::invalid(&key, format!("cannot read the file {name} names: {e}"))
        })?;
        let content = content.strip_suffix('\n').unwrap_or(&content);
        let content = content.strip_suffix('\r').unwrap_or(content);
        resolved.insert(target.to_owned(), content.to_owned());
    }
    Ok(resolved)
}

/// `IGFEED__ADMIN__PASSWORD` → `admin.password`, as errors name settings.
fn dotted(variable: &str) -> String {
    variable
        .split("__")
        .skip(1)
        .collect::<Vec<_>>()
        .join(".")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_file_variable_becomes_the_setting_without_its_line_break() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secret");
        std::fs::write(&path, "s3cret pass\r\n").expect("write");
        let path = path.to_string_lossy().into_owned();
        let out = resolve(env(&[
            ("IGFEED__ADMIN__PASSWORD_FILE", &path),
            ("IGFEED__SERVER__PORT", "9000"),
        ]))
        .expect("resolves");
        assert_eq!(out["IGFEED__ADMIN__PASSWORD"], "s3cret pass");
        assert_eq!(out["IGFEED__SERVER__PORT"], "9000");
        assert!(!out.contains_key("IGFEED__ADMIN__PASSWORD_FILE"));
    }

    #[test]
    fn a_path_setting_named_like_a_file_variable_is_left_alone() {
        let out =
            resolve(env(&[("IGFEED__INSTAGRAM__EXTRA_CA_FILE", "/etc/ca.pem")])).expect("resolves");
        assert_eq!(out["IGFEED__INSTAGRAM__EXTRA_CA_FILE"], "/etc/ca.pem");
    }

    #[test]
    fn both_forms_or_a_missing_file_are_refused_naming_the_setting() {
        let both = resolve(env(&[
            ("IGFEED__ADMIN__PASSWORD", "x"),
            ("IGFEED__ADMIN__PASSWORD_FILE", "/nonexistent"),
        ]))
        .expect_err("ambiguous");
        assert!(both.to_string().contains("admin.password"), "{both}");
        let missing = resolve(env(&[(
            "IGFEED__INSTAGRAM__APP_SECRET_FILE",
            "/nonexistent/secret",
        )]))
        .expect_err("missing file");
        let message = missing.to_string();
        assert!(message.contains("instagram.app_secret"), "{message}");
        assert!(
            !message.contains("/nonexistent/secret"),
            "the value may be a misplaced secret: never echoed ({message})"
        );
    }
}
