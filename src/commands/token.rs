//! `igfeed token import`: store a token obtained by hand (Meta's "Generate token" button).

use std::io::Read;

use anyhow::{Context, bail};
use secrecy::SecretString;

use crate::accounts::{AccountRegistry, Services};
use crate::clock;
use crate::config::Settings;
use crate::connection::import_token;
use crate::media::MediaPools;
use crate::storage::StateDir;

/// Longest plausible token; anything bigger on stdin is a mistake (a file, not a token).
const MAX_TOKEN_BYTES: u64 = 4096;

/// Reads the token from stdin, validates it with Instagram and stores it as the account it
/// belongs to: a new account, or the new token of one already connected. Refuses while a
/// server holds the storage directory, which would not see the change.
pub fn import(settings: &Settings) -> anyhow::Result<()> {
    let token = read_token(std::io::stdin().lock())?;
    let dir = StateDir::open(&settings.storage)?;
    let _lock = dir.lock()?;
    let client = super::instagram_client(settings)?;
    let runtime = super::runtime()?;
    let (account, replaced) = runtime.block_on(async {
        let accounts = AccountRegistry::open(
            dir,
            Services {
                settings: std::sync::Arc::new(settings.clone()),
                instagram: client.clone(),
                clock: clock::system(),
                public_url: settings.public_url(settings.server.port),
                media_pools: MediaPools::new(settings)?,
            },
        )
        .await?;
        let before: Vec<String> = accounts
            .accounts()
            .iter()
            .map(|a| a.id().to_owned())
            .collect();
        let account = import_token(&client, &accounts, &clock::system(), token).await?;
        let replaced = before.iter().any(|id| id == account.id());
        anyhow::Ok((account, replaced))
    })?;
    let who = account.username().unwrap_or_else(|| "the account".into());
    println!(
        "Imported the token for @{who}{}. Its age is unknown until igfeed's first refresh establishes it.",
        if replaced {
            " (replacing its stored token)"
        } else {
            " (a new account)"
        }
    );
    Ok(())
}

/// One token, trimmed; a pasted `access_token=…` or a trailing `#_` is tolerated.
fn read_token(input: impl Read) -> anyhow::Result<SecretString> {
    let mut raw = String::new();
    input
        .take(MAX_TOKEN_BYTES + 1)
        .read_to_string(&mut raw)
        .context("cannot read the token from stdin")?;
    if raw.len() as u64 > MAX_TOKEN_BYTES {
        bail!("stdin holds more than {MAX_TOKEN_BYTES} bytes: pipe in just the token");
    }
    let token = raw.trim();
    let token = token.strip_prefix("access_token=").unwrap_or(token);
    let token = token.split('#').next().unwrap_or_default().trim();
    if token.is_empty() {
        bail!(
            "no token on stdin: run `igfeed token import < token.txt` or paste it and press Ctrl-D"
        );
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("stdin must hold a single token without spaces or line breaks inside it");
    }
    Ok(SecretString::from(token.to_owned()))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::read_token;

    #[test]
    fn tokens_are_read_trimmed_and_junk_is_refused_without_echo() {
        for (input, want) in [
            ("IGAAabc\n", "IGAAabc"),
            ("  access_token=IGAAabc  ", "IGAAabc"),
            ("IGAAabc#_\n", "IGAAabc"),
        ] {
            let token = read_token(input.as_bytes()).expect(input);
            assert_eq!(token.expose_secret(), want);
        }
        for bad in ["", "\n \n", "IGAA abc", "IGAA\nsecond"] {
            let err = read_token(bad.as_bytes()).expect_err(bad).to_string();
            assert!(!err.contains("IGAA"), "the input is not echoed: {err}");
        }
        let huge = "x".repeat(5000);
        assert!(read_token(huge.as_bytes()).is_err());
    }
}
