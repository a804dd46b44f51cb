//! Operator endpoints over HTTP: `/readyz` (public status, details for operators) and
//! `/metrics`. Tests connect from loopback, which counts as an operator; a forwarding header
//! turns a loopback caller into a stranger, which is how the public answer is tested here (the
//! non-loopback peer itself is covered by the access unit tests).

mod metrics;
mod readyz;

use serde_json::Value;

use super::helpers::{TestApp, TestEnv};

const OPS_TOKEN: &str = "ops-token-for-tests-5b1e";

async fn connected(interval: &str) -> (TestEnv, TestApp, String) {
    let mut env = TestEnv::start().await;
    env.set("IGFEED__FEED__REFRESH_INTERVAL", interval);
    env.set("IGFEED__OPS__TOKEN", OPS_TOKEN);
    let (app, token) = env.spawn_connected().await;
    (env, app, token)
}

/// GET with optional extra headers; returns status and body text.
async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = app.http.get(format!("{}{path}", app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("igfeed answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn readyz(app: &TestApp, headers: &[(&str, &str)]) -> (u16, Value) {
    let (status, body) = get(app, "/readyz", headers).await;
    (status, serde_json::from_str(&body).expect("JSON body"))
}

/// The value of the one sample whose line starts with `series` (name plus labels).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

const STRANGER: (&str, &str) = ("X-Forwarded-For", "203.0.113.9");

/// Request headers, whether they make an operator, and what the case is.
type AccessCase<'a> = (&'a [(&'a str, &'a str)], bool, &'a str);
