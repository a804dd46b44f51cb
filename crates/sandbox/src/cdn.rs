//! Signed, expiring CDN URLs in the style of `scontent-*.cdninstagram.com`.
//!
//! Every URL carries its expiry as `oe` (hex Unix seconds) and an HMAC over its path and the
//! rest of its query as `oh`, so a test can tamper with either and get Instagram's 403 answers.

use chrono::{DateTime, Utc};
use igfeed_base::secret::secure_eq;
use rand::RngExt;
use rustls::SupportedCipherSuite;
use rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
use rustls::crypto::tls13::OkmBlock;

/// What a CDN path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Asset {
    /// The image of an IMAGE post or carousel child.
    Picture(String),
    /// The cover image of a VIDEO post or child.
    Thumbnail(String),
    /// The video file itself.
    Video(String),
    /// The profile picture of the account with this index.
    Profile(u64),
}

impl Asset {
    /// The path below the origin, without a leading `/`.
    fn path(&self) -> String {
        match self {
            Asset::Picture(id) => format!("cdn/v/t51.2885-15/{id}_n.jpg"),
            Asset::Thumbnail(id) => format!("cdn/v/t51.2885-15/{id}_thumb_n.jpg"),
            Asset::Video(id) => format!("cdn/o1/v/t16/f2/m86/{id}_video.mp4"),
            // The first account's picture keeps the name it had when there was one account.
            Asset::Profile(0) => "cdn/v/t51.2885-19/profile_n.jpg".to_owned(),
            Asset::Profile(account) => format!("cdn/v/t51.2885-19/profile{account}_n.jpg"),
        }
    }

    /// Recognises the asset from the last segment of a request path.
    pub(crate) fn from_path(path: &str) -> Option<Asset> {
        let name = path.rsplit('/').next()?;
        let digits = |id: &str| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
        if let Some(account) = name
            .strip_prefix("profile")
            .and_then(|rest| rest.strip_suffix("_n.jpg"))
        {
            return match account {
                "" => Some(Asset::Profile(0)),
                n if digits(n) => n.parse().ok().map(Asset::Profile),
                _ => None,
            };
        }
        if let Some(id) = name.strip_suffix("_thumb_n.jpg").filter(|id| digits(id)) {
            return Some(Asset::Thumbnail(id.to_owned()));
        }
        if let Some(id) = name.strip_suffix("_n.jpg").filter(|id| digits(id)) {
            return Some(Asset::Picture(id.to_owned()));
        }
        let id = name.strip_suffix("_video.mp4").filter(|id| digits(id))?;
        Some(Asset::Video(id.to_owned()))
    }
}

/// Why the CDN refused a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlError {
    /// The signature does not match: the URL was altered or never issued.
    BadHash,
    /// The URL was genuine but its `oe` is in the past.
    Expired,
}

/// Signs and checks CDN URLs with a key that lives as long as the sandbox.
pub(crate) struct Signer {
    key: [u8; 32],
}

impl Signer {
    /// A signer with a fresh random key.
    pub(crate) fn new() -> Signer {
        let mut key = [0u8; 32];
        rand::rng().fill(&mut key[..]);
        Signer { key }
    }

    /// The absolute URL of `asset` under `base`, valid until `expires`.
    pub(crate) fn url(&self, base: &url::Url, asset: &Asset, expires: DateTime<Utc>) -> String {
        let path = format!("/{}", asset.path());
        let rest = format!(
            "stp=dst-jpg_e35&_nc_ht=sandbox&_nc_cat=107&ccb=1-7&oe={:08X}",
            expires.timestamp().max(0)
        );
        let sig = self.sign(&path, &rest);
        let origin = base.as_str().trim_end_matches('/');
        format!("{origin}{path}?{rest}&oh=00_{sig}")
    }

    /// Checks the signature, then the expiry, of a request for `path` with `query`.
    pub(crate) fn verify(
        &self,
        path: &str,
        query: &str,
        now: DateTime<Utc>,
    ) -> Result<(), UrlError> {
        let mut given = None;
        let mut rest = Vec::new();
        for pair in query.split('&') {
            match pair.strip_prefix("oh=00_") {
                Some(sig) if given.is_none() => given = Some(sig),
                _ => rest.push(pair),
            }
        }
        let rest = rest.join("&");
        let expected = self.sign(path, &rest);
        let given = given.ok_or(UrlError::BadHash)?;
        if !secure_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(UrlError::BadHash);
        }
        let expiry = rest
            .split('&')
            .find_map(|pair| pair.strip_prefix("oe="))
            .and_then(|hex| i64::from_str_radix(hex, 16).ok())
            .ok_or(UrlError::BadHash)?;
        if now.timestamp() >= expiry {
            return Err(UrlError::Expired);
        }
        Ok(())
    }

    fn sign(&self, path: &str, rest: &str) -> String {
        let message = format!("{path}?{rest}");
        hmac_sha256(&self.key, message.as_bytes())
            .iter()
            .take(20)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// HMAC-SHA256 through rustls's ring provider, which the crate already links for TLS.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    match TLS13_AES_128_GCM_SHA256 {
        SupportedCipherSuite::Tls13(suite) => suite
            .hkdf_provider
            .hmac_sign(&OkmBlock::new(key), message)
            .as_ref()
            .to_vec(),
        // This suite is TLS 1.3 by definition; an empty tag would only ever fail to verify.
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn split(url: &str) -> (String, String) {
        let parsed = url::Url::parse(url).expect("absolute URL");
        (
            parsed.path().to_owned(),
            parsed.query().unwrap_or_default().to_owned(),
        )
    }

    #[test]
    fn a_signed_url_works_until_it_expires() {
        let signer = Signer::new();
        let base = url::Url::parse("http://127.0.0.1:9/").expect("base");
        let now = Utc::now();
        let asset = Asset::Picture("17900000000001009".into());
        let url = signer.url(&base, &asset, now + TimeDelta::days(5));
        let (path, query) = split(&url);
        assert_eq!(Asset::from_path(&path), Some(asset));
        assert_eq!(signer.verify(&path, &query, now), Ok(()));
        let later = now + TimeDelta::days(5) + TimeDelta::seconds(1);
        assert_eq!(signer.verify(&path, &query, later), Err(UrlError::Expired));
    }

    #[test]
    fn tampering_breaks_the_hash() {
        let signer = Signer::new();
        let base = url::Url::parse("http://127.0.0.1:9/").expect("base");
        let now = Utc::now();
        let url = signer.url(&base, &Asset::Profile(0), now + TimeDelta::days(5));
        let (path, query) = split(&url);
        let longer = query.replace("oe=", "oe=F");
        let other = signer.url(&base, &Asset::Picture("1".into()), now + TimeDelta::days(5));
        let (other_path, _) = split(&other);
        let unsigned = query.split("&oh=").next().unwrap_or_default().to_owned();
        for (p, q) in [(&path, &longer), (&other_path, &query), (&path, &unsigned)] {
            assert_eq!(signer.verify(p, q, now), Err(UrlError::BadHash), "{p}?{q}");
        }
        assert_eq!(
            Signer::new().verify(&path, &query, now),
            Err(UrlError::BadHash)
        );
    }

    #[test]
    fn asset_names_round_trip_and_junk_is_refused() {
        for asset in [
            Asset::Picture("1".into()),
            Asset::Thumbnail("2".into()),
            Asset::Video("3".into()),
            Asset::Profile(0),
            Asset::Profile(7),
        ] {
            assert_eq!(Asset::from_path(&format!("/{}", asset.path())), Some(asset));
        }
        let junk = [
            "/cdn/x_n.jpg",
            "/cdn/_n.jpg",
            "/cdn/",
            "",
            "/cdn/1.png",
            "/cdn/profilex_n.jpg",
            "/cdn/profile99999999999999999999999_n.jpg",
        ];
        for junk in junk {
            assert_eq!(Asset::from_path(junk), None, "{junk}");
        }
    }
}
