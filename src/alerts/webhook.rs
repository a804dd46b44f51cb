//! Delivers one alert to `alerts.webhook_url`: a JSON POST, retried with capped exponential
//! backoff and jitter, never following a redirect.

use std::time::Duration;

use anyhow::Context as _;
use reqwest::StatusCode;

use super::AlertKind;
use crate::instagram::RetryPolicy;

/// Attempts per alert per check; an alert not delivered is tried again at the next check.
const ATTEMPTS: u32 = 5;
/// Retries wait about 1, 2, 4, 8 s (each between half and all of it): long enough for a
/// receiver to restart, short enough that the check loop stays on schedule.
const RETRY: RetryPolicy = RetryPolicy {
    attempts: ATTEMPTS,
    base_delay: Duration::from_secs(1),
    max_delay: Duration::from_secs(30),
};

/// A configured webhook.
#[derive(Clone)]
pub struct Webhook {
    client: reqwest::Client,
    url: url::Url,
    retry: RetryPolicy,
}

/// How one attempt ended.
enum Attempt {
    Delivered,
    /// Worth trying again (network trouble, 5xx, 408, 429).
    Retry(String),
    /// Trying again cannot help (4xx, redirect).
    GiveUp(String),
}

impl Webhook {
    /// A client with short timeouts that never follows redirects: a redirect could carry
    /// the alert to a host the owner never configured.
    pub fn new(url: url::Url) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("igfeed/", env!("CARGO_PKG_VERSION"), " (alerts)"))
            .build()
            .context("Failed to build the alert webhook client")?;
        Ok(Self {
            client,
            url,
            retry: RETRY,
        })
    }

    /// Posts the JSON `body` of a `kind` alert, retrying transient failures; `Err` says
    /// why it was not delivered.
    pub async fn deliver(&self, kind: AlertKind, body: &str) -> Result<(), String> {
        let mut attempt = 1;
        loop {
            match self.attempt(body).await {
                Attempt::Delivered => return Ok(()),
                Attempt::GiveUp(reason) => return Err(reason),
                Attempt::Retry(reason) if attempt >= self.retry.attempts => return Err(reason),
                Attempt::Retry(reason) => {
                    let delay = self.retry.delay(attempt);
                    tracing::warn!(alert = kind.as_str(), %reason, ?delay, "alert webhook failed; retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(&self, body: &str) -> Attempt {
        let sent = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
            .await;
        let status = match sent {
            Ok(response) => response.status(),
            // Without the URL: it may hold a secret of the receiver's (a token in its path).
            Err(error) => return Attempt::Retry(error.without_url().to_string()),
        };
        if status.is_success() {
            Attempt::Delivered
        } else if status.is_server_error()
            || status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::REQUEST_TIMEOUT
        {
            Attempt::Retry(format!("the webhook answered {status}"))
        } else {
            Attempt::GiveUp(format!("the webhook answered {status}"))
        }
    }
}
