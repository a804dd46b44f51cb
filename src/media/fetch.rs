//! Downloads from Instagram's CDN: only from allowed hosts, never following a redirect, never
//! with a token, size-capped while streaming, and never logging a URL (signed URLs are
//! bearer-like: anyone holding one can fetch the file until it expires).

use std::time::Duration;

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, RANGE};

use crate::net::{HostPattern, is_allowed};

/// Why a download failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The signed URL expired (`oe` passed, or the CDN said 403/404/410): only a new URL
    /// from the Graph API helps.
    #[error("the CDN URL has expired")]
    Expired,
    /// The URL's host is not in `media.allowed_hosts`.
    #[error("the CDN URL's host is not in media.allowed_hosts")]
    NotAllowed,
    /// The CDN answered something other than the expected media type.
    #[error("the CDN answered {0}, not the expected media")]
    WrongType(String),
    /// The file exceeds `media.max_source_bytes`.
    #[error("the CDN file exceeds media.max_source_bytes")]
    TooLarge,
    /// The CDN answered 416 to the visitor's range; the file's length, when it said.
    #[error("the CDN cannot serve the requested range")]
    RangeNotSatisfiable(Option<u64>),
    /// Network trouble or a CDN error that may pass.
    #[error("the CDN could not be reached: {0}")]
    Upstream(String),
}

/// The CDN downloader.
#[derive(Clone)]
pub struct Cdn {
    http: reqwest::Client,
    hosts: Vec<HostPattern>,
    max_bytes: u64,
    timeout: Duration,
}

impl Cdn {
    /// `hosts` were validated with the settings.
    pub fn new(
        http: reqwest::Client,
        hosts: Vec<HostPattern>,
        max_bytes: u64,
        timeout: Duration,
    ) -> Self {
        Self {
            http,
            hosts,
            max_bytes,
            timeout,
        }
    }

    /// The downloader `media.*` and `instagram.*` (its CA, proxies) describe: what
    /// the running service uses, and `igfeed export` too.
    pub fn from_settings(settings: &crate::config::Settings) -> anyhow::Result<Self> {
        let media = &settings.media;
        let hosts = media
            .allowed_hosts
            .iter()
            .filter_map(|h| HostPattern::parse(h).ok())
            .collect();
        let http = crate::instagram::cdn_http_client(&settings.instagram)?;
        Ok(Self::new(
            http,
            hosts,
            media.max_source_bytes,
            media.download_timeout,
        ))
    }

    /// Downloads one image whole (it is decoded next anyway), refusing what is not an image
    /// or is larger than the limit, before and while reading.
    pub async fn image(&self, url: &str, now: DateTime<Utc>) -> Result<Bytes, FetchError> {
        let url = self.check(url, now)?;
        let request = self
            .http
            .get(url)
            .timeout(self.timeout)
            .header(ACCEPT, "image/jpeg,image/webp,image/png;q=0.9");
        let mut response = request.send().await.map_err(describe)?;
        check_status(response.status(), &[StatusCode::OK])?;
        expect_type(&response, "image/")?;
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes)
        {
            return Err(FetchError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if (body.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
    }

    /// Starts streaming a video, passing the visitor's `Range` on; the caller streams the body.
    /// Only a 200 or 206 with a video type is returned: a CDN's 416 (or any error) body never
    /// reaches a visitor.
    pub async fn video(
        &self,
        url: &str,
        range: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<reqwest::Response, FetchError> {
        let url = self.check(url, now)?;
        let mut request = self.http.get(url).header(ACCEPT, "video/*");
        if let Some(range) = range {
            request = request.header(RANGE, range);
        }
        let response = request.send().await.map_err(describe)?;
        if response.status() == StatusCode::RANGE_NOT_SATISFIABLE {
            return Err(FetchError::RangeNotSatisfiable(unsatisfied_length(
                response.headers(),
            )));
        }
        check_status(
            response.status(),
            &[StatusCode::OK, StatusCode::PARTIAL_CONTENT],
        )?;
        expect_type(&response, "video/")?;
        Ok(response)
    }

    fn check(&self, raw: &str, now: DateTime<Utc>) -> Result<url::Url, FetchError> {
        let url = url::Url::parse(raw).map_err(|_| FetchError::NotAllowed)?;
        if !is_allowed(&self.hosts, &url) {
            return Err(FetchError::NotAllowed);
        }
        if expires_at(&url).is_some_and(|at| at <= now) {
            return Err(FetchError::Expired);
        }
        Ok(url)
    }
}

/// When a signed CDN URL stops working: its `oe` parameter, hex Unix seconds.
pub fn expires_at(url: &url::Url) -> Option<DateTime<Utc>> {
    let (_, hex) = url.query_pairs().find(|(key, _)| key == "oe")?;
    let seconds = i64::from_str_radix(&hex, 16).ok()?;
    DateTime::from_timestamp(seconds, 0)
}

/// The length a 416's `Content-Range: bytes */<length>` states.
fn unsatisfied_length(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let value = headers.get(reqwest::header::CONTENT_RANGE)?.to_str().ok()?;
    value.trim().strip_prefix("bytes */")?.parse().ok()
}

fn check_status(status: StatusCode, ok: &[StatusCode]) -> Result<(), FetchError> {
    if ok.contains(&status) {
        return Ok(());
    }
    match status.as_u16() {
        403 | 404 | 410 => Err(FetchError::Expired),
        300..=399 => Err(FetchError::Upstream(format!(
            "the CDN redirected ({status}); igfeed follows no redirects"
        ))),
        _ => Err(FetchError::Upstream(format!("the CDN answered {status}"))),
    }
}

fn expect_type(response: &reqwest::Response, prefix: &str) -> Result<(), FetchError> {
    let kind = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if kind.starts_with(prefix) {
        Ok(())
    } else {
        let shown: String = kind.chars().take(40).collect();
        Err(FetchError::WrongType(if shown.is_empty() {
            "no Content-Type".into()
        } else {
            shown
        }))
    }
}

/// reqwest's Display prints the URL, which is a signed CDN URL: only the kind is kept.
fn describe(error: reqwest::Error) -> FetchError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "connection broke while reading"
    } else {
        "request failed"
    };
    FetchError::Upstream(kind.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expiry_is_read_from_oe() {
        let url = url::Url::parse("https://x.cdninstagram.com/a.jpg?stp=1&oe=66A1B2C3&oh=00_x")
            .expect("URL");
        assert_eq!(expires_at(&url).map(|t| t.timestamp()), Some(0x66A1_B2C3));
        for odd in [
            "https://x/a.jpg",
            "https://x/a.jpg?oe=zz",
            "https://x/a.jpg?oe=",
        ] {
            assert_eq!(
                expires_at(&url::Url::parse(odd).expect("URL")),
                None,
                "{odd}"
            );
        }
    }
}
