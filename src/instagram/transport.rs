//! Sends one logical Instagram call: the HTTP exchange, body limits, error classification,
//! retries — and the guarantee that no URL (which may carry a token) reaches a log or an error.

use std::error::Error as _;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use secrecy::SecretString;

use super::error::{ApiError, bounded_wait, classify_body, classify_status, scrub};
use super::retry::RetryPolicy;

/// Instagram's largest legitimate answer (100 posts with children) is far below this.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The shared HTTP client plus the retry policy applied to every call.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pub http: reqwest::Client,
    pub retry: RetryPolicy,
    /// Counts every attempt by endpoint and outcome, when the application asked for it.
    pub metrics: Option<crate::metrics::Metrics>,
}

impl Transport {
    /// Runs `build` (a request factory, re-run per attempt) until it succeeds, fails for good,
    /// or the retry budget is spent. `secrets` are scrubbed from any error text.
    pub async fn call<F>(
        &self,
        endpoint: &'static str,
        secrets: &[&SecretString],
        build: F,
    ) -> Result<serde_json::Value, ApiError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        self.call_up_to(self.retry.attempts, endpoint, secrets, build)
            .await
    }

    /// Like [`Transport::call`] with at most `attempts` tries (1 for a request that must not
    /// be sent twice).
    pub async fn call_up_to<F>(
        &self,
        attempts: u32,
        endpoint: &'static str,
        secrets: &[&SecretString],
        build: F,
    ) -> Result<serde_json::Value, ApiError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let mut attempt = 1;
        loop {
            let started = Instant::now();
            let result = self.send_once(build(&self.http)).await;
            let result = result.map_err(|e| scrub(e, secrets));
            if let Some(metrics) = &self.metrics {
                metrics.record_instagram_call(endpoint, super::error::outcome_label(&result));
            }
            let elapsed_ms = started.elapsed().as_millis() as u64;
            match result {
                Ok(value) => {
                    tracing::debug!(endpoint, attempt, elapsed_ms, "instagram call succeeded");
                    return Ok(value);
                }
                Err(error) if error.is_transient() && attempt < attempts => {
                    let delay = self.retry.delay(attempt);
                    tracing::warn!(endpoint, attempt, elapsed_ms, retry_in_ms = delay.as_millis() as u64,
                        error = %error, "instagram call failed, retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(error) => {
                    tracing::warn!(endpoint, attempt, elapsed_ms, error = %error, "instagram call failed");
                    return Err(error);
                }
            }
        }
    }

    async fn send_once(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<serde_json::Value, ApiError> {
        let mut response = request.send().await.map_err(describe_transport_error)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe_transport_error)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ApiError::Malformed {
                    reason: format!("response larger than {MAX_BODY_BYTES} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        let usage = header_str(&headers, "x-business-use-case-usage");
        if !(200..300).contains(&status) {
            let error =
                classify_body(status, &body, usage).unwrap_or_else(|| classify_status(status));
            return Err(with_retry_after(error, &headers));
        }
        let value: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| ApiError::Malformed {
                reason: format!("invalid JSON ({e})"),
            })?;
        if value.get("error").is_some() || value.get("error_message").is_some() {
            let error = classify_body(status, &body, usage).unwrap_or(ApiError::Malformed {
                reason: "unrecognised error body".into(),
            });
            return Err(error);
        }
        Ok(value)
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Fills a rate limit's wait from `Retry-After` when the usage header did not give one.
fn with_retry_after(error: ApiError, headers: &HeaderMap) -> ApiError {
    match error {
        ApiError::RateLimited {
            code,
            retry_after: None,
            message,
        } => ApiError::RateLimited {
            code,
            retry_after: header_str(headers, RETRY_AFTER.as_str())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|seconds| bounded_wait(Duration::from_secs(seconds))),
            message,
        },
        other => other,
    }
}

/// Turns a reqwest failure into a transient error whose text has no URL: reqwest's own
/// Display prints the URL, and Instagram URLs can carry the token.
fn describe_transport_error(error: reqwest::Error) -> ApiError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "connection broke while reading the answer"
    } else {
        "request failed"
    };
    let error = error.without_url();
    let mut causes = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    let reason = if causes.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {}", causes.join(": "))
    };
    ApiError::Transient { reason }
}

#[cfg(test)]
mod proptests;
