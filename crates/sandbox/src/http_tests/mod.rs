//! HTTP-level tests: a real sandbox on a loopback port, driven with reqwest.

mod accounts;
mod flow;
mod modes;
mod reads;
mod tokens;

use std::net::TcpListener;
use std::sync::Arc;

use igfeed_base::clock::OffsetClock;
use serde_json::Value;

use super::{RunningSandbox, SandboxConfig, spawn};

const REDIRECT: &str = "http://127.0.0.1:8080/auth/instagram/callback";

/// A running sandbox, its clock, and a client that does not follow redirects.
struct Harness {
    sandbox: RunningSandbox,
    clock: Arc<OffsetClock>,
    client: reqwest::Client,
}

impl Harness {
    async fn start() -> Harness {
        Harness::with(SandboxConfig::default()).await
    }

    async fn with(config: SandboxConfig) -> Harness {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let clock = OffsetClock::new();
        let sandbox = spawn(config, clock.clone(), listener)
            .await
            .expect("sandbox starts");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Harness {
            sandbox,
            clock,
            client,
        }
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.sandbox.base_url(),
            path.trim_start_matches('/')
        )
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("request sent")
    }

    /// Runs the dialog with Allow and returns the code from the redirect.
    async fn authorize(&self, state: &str) -> String {
        self.authorize_as(state, None).await
    }

    /// Runs the dialog with Allow as `account` (the preselected one when `None`) and returns
    /// the code from the redirect.
    async fn authorize_as(&self, state: &str, account: Option<&str>) -> String {
        let response = self.allow(state, account).await;
        assert_eq!(response.status(), 302, "Allow redirects");
        let location = location(&response);
        assert_eq!(location.fragment(), Some("_"), "Instagram appends #_");
        query_value(&location, "code").expect("a code in the redirect")
    }

    /// A long-lived token obtained through the whole OAuth flow.
    async fn long_token(&self) -> String {
        self.long_token_of(None).await
    }

    /// A long-lived token of `account` (the preselected one when `None`) obtained through the
    /// whole OAuth flow.
    async fn long_token_of(&self, account: Option<&str>) -> String {
        let code = self.authorize_as("s", account).await;
        let short = self.exchange_code(&code).await;
        let path = format!(
            "access_token?grant_type=ig_exchange_token&client_secret=sandbox-app-secret&access_token={short}"
        );
        let (status, body) = self.get_json(&path).await;
        assert_eq!(status, 200, "{body}");
        body["access_token"]
            .as_str()
            .expect("long token")
            .to_owned()
    }

    /// The consent page for a valid request with `state`.
    async fn consent_page(&self, state: &str) -> String {
        let query = format!(
            "oauth/authorize?client_id=1000000000000001&redirect_uri={}&response_type=code\
             &scope=instagram_business_basic&state={state}",
            urlencode(REDIRECT)
        );
        self.get(&query).await.text().await.expect("consent page")
    }

    /// Clicks Allow on the consent page, choosing `account` when given.
    async fn allow(&self, state: &str, account: Option<&str>) -> reqwest::Response {
        let mut form = hidden_fields(&self.consent_page(state).await);
        form.push(("decision".into(), "allow".into()));
        if let Some(account) = account {
            form.push(("account".into(), account.into()));
        }
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.post_form("oauth/authorize", &pairs).await
    }

    async fn exchange_code(&self, code: &str) -> String {
        let body = self.exchange_code_body(code).await;
        body["access_token"]
            .as_str()
            .expect("short token")
            .to_owned()
    }

    /// The code exchange's whole answer.
    async fn exchange_code_body(&self, code: &str) -> Value {
        let response = self
            .post_form(
                "oauth/access_token",
                &[
                    ("client_id", "1000000000000001"),
                    ("client_secret", "sandbox-app-secret"),
                    ("grant_type", "authorization_code"),
                    ("redirect_uri", REDIRECT),
                    ("code", code),
                ],
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("JSON")
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn location(response: &reqwest::Response) -> url::Url {
    let header = response
        .headers()
        .get("location")
        .expect("a Location header");
    url::Url::parse(header.to_str().expect("ASCII")).expect("an absolute URL")
}

fn query_value(url: &url::Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// The hidden inputs of the consent form, as a plain HTTP client would submit them.
fn hidden_fields(page: &str) -> Vec<(String, String)> {
    page.split("<input type=\"hidden\"")
        .skip(1)
        .filter_map(|tag| {
            let attr = |name: &str| {
                let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
                let end = tag[start..].find('"')? + start;
                Some(unescape(&tag[start..end]))
            };
            Some((attr("name")?, attr("value")?))
        })
        .collect()
}

/// Decodes the character references an HTML escaper emits (named, decimal and hex).
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let Some(end) = tail.find(';') else { break };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
