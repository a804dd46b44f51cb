//! The admin secret and the small cryptographic helpers of admin access.

use argon2::{Argon2, PasswordHash, PasswordVerifier as _};
use igfeed_base::secret::{hex, secure_eq, sha256};
use rand::RngExt as _;
use secrecy::{ExposeSecret as _, SecretString};

/// What a login is checked against.
pub enum AdminSecret {
    /// Neither `admin.password` nor `admin.password_hash` is set: `/admin` is closed.
    Unset,
    /// SHA-256 of `admin.password`; only the digest is kept.
    Password([u8; 32]),
    /// `admin.password_hash`, an argon2 PHC string (validated at startup).
    Hash(SecretString),
}

impl AdminSecret {
    /// The secret `admin.password_hash` or `admin.password` configures (validation refuses
    /// both at once; the hash would win).
    pub fn new(password: Option<&SecretString>, password_hash: Option<&SecretString>) -> Self {
        if let Some(hash) = password_hash {
            Self::Hash(hash.clone())
        } else if let Some(password) = password {
            Self::Password(sha256(password.expose_secret().as_bytes()))
        } else {
            Self::Unset
        }
    }

    /// Whether any secret is configured.
    pub fn is_set(&self) -> bool {
        !matches!(self, Self::Unset)
    }

    /// Whether `candidate` is the secret. Takes as long whatever the candidate is: a plain
    /// password is compared as SHA-256 digests in constant time (so neither content nor
    /// length leaks); a hash is verified by argon2 on the blocking pool, not on a worker.
    pub async fn verify(&self, candidate: SecretString) -> bool {
        match self {
            Self::Unset => false,
            Self::Password(expected) => {
                secure_eq(&sha256(candidate.expose_secret().as_bytes()), expected)
            }
            Self::Hash(phc) => {
                let phc = phc.clone();
                let verified = tokio::task::spawn_blocking(move || {
                    PasswordHash::new(phc.expose_secret()).is_ok_and(|hash| {
                        Argon2::default()
                            .verify_password(candidate.expose_secret().as_bytes(), &hash)
                            .is_ok()
                    })
                })
                .await;
                verified.unwrap_or(false)
            }
        }
    }
}

/// Why an `admin.password_hash` value is refused, if it is.
pub fn password_hash_problem(phc: &str) -> Option<String> {
    let hash = match PasswordHash::new(phc) {
        Ok(hash) => hash,
        Err(error) => {
            return Some(format!(
                "is not a PHC string like $argon2id$v=19$m=19456,t=2,p=1$…: {error}"
            ));
        }
    };
    if !matches!(hash.algorithm.as_str(), "argon2id" | "argon2i" | "argon2d") {
        return Some(format!(
            "uses `{}`; it must be an argon2 hash ($argon2id$…)",
            hash.algorithm
        ));
    }
    if hash.hash.is_none() {
        return Some("has no hash part after the salt".to_owned());
    }
    if let Err(error) = argon2::Params::try_from(&hash) {
        return Some(format!("has unusable argon2 parameters: {error}"));
    }
    None
}

/// `bytes` random bytes as lowercase hex, from the thread's CSPRNG.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill(&mut buffer[..]);
    hex(&buffer)
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_argon2_phc_strings_are_accepted_as_hashes() {
        let good = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$n2dn+JhPkEW0dTbUA9bOGIvf+A/uTy6dD4HgWgQNI7I";
        assert_eq!(password_hash_problem(good), None);
        for bad in [
            "",
            "hunter22",
            "$pbkdf2-sha256$i=1000$c29tZXNhbHQ$aGFzaA",
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ",
        ] {
            assert!(
                password_hash_problem(bad).is_some(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn random_hex_has_the_requested_strength() {
        let a = random_hex(16);
        assert_eq!(a.len(), 32);
        assert_ne!(a, random_hex(16));
    }
}
