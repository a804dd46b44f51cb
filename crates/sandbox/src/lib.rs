//! A local stand-in for Instagram: the OAuth dialog and token endpoints, the Graph API reads
//! and a CDN, all on one origin, behaving as INSTAGRAM.md describes.
//!
//! Integration tests run it in-process on port 0; `igfeed sandbox` and `igfeed demo` serve it
//! to humans. Its clock is the injected [`SharedClock`], so tests can age tokens and CDN URLs.
//!
//! It is a crate of its own so that the boundary is explicit: in igfeed only the commands that
//! run it (`sandbox`, `demo`) and the tests use it (igfeed's tests/api/layering.rs checks
//! that), and it shares nothing with igfeed but `igfeed-base` (the clock, secret comparison).
#![warn(missing_docs, clippy::unwrap_used)]

mod accounts;
mod cdn;
mod errors;
mod fields;
mod gate;
mod mode;
mod paging;
mod picture;
mod posts;
mod render;
mod routes;
mod settings;
mod state;
mod stats;
mod timeline;
mod tls;
mod tokens;
#[cfg(test)]
mod tokens_tests;

#[cfg(test)]
mod http_tests;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use chrono::TimeDelta;
use igfeed_base::clock::SharedClock;
use url::Url;

pub use accounts::{AccountIds, AccountSpec};
pub use mode::{BodyShape, Mode, TokenKind};
pub use settings::{SECOND_USERNAME, SandboxConfig};
pub use stats::{Calls, Stats};

use state::SandboxState;

/// A sandbox serving on its listener until stopped.
pub struct RunningSandbox {
    state: Arc<SandboxState>,
    ca_pem: Option<String>,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Starts a sandbox on `listener` (bind port 0 in tests), reading time from `clock`.
///
/// Must be called inside a Tokio runtime. Signals are left to the caller: the CLI decides what
/// Ctrl-C means, and in-process tests must not have the sandbox react to them.
pub async fn spawn(
    config: SandboxConfig,
    clock: SharedClock,
    listener: TcpListener,
) -> anyhow::Result<RunningSandbox> {
    let addr = listener
        .local_addr()
        .context("Failed to read the sandbox listener address")?;
    let tls = if config.tls {
        Some(tls::generate()?)
    } else {
        None
    };
    let base_url = if tls.is_some() {
        format!("https://localhost:{}/", addr.port())
    } else if addr.ip().is_unspecified() {
        format!("http://127.0.0.1:{}/", addr.port())
    } else {
        format!("http://{addr}/")
    };
    let base_url = Url::parse(&base_url).context("Failed to build the sandbox base URL")?;
    let pictures = picture::Pictures::new(config.photos_dir.as_deref())?;
    let state = Arc::new(SandboxState::new(config, clock, base_url, pictures));
    let data = web::Data::from(Arc::clone(&state));
    listener
        .set_nonblocking(true)
        .context("Failed to make the sandbox listener non-blocking")?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .configure(routes::configure)
    })
    .workers(2)
    .disable_signals()
    .shutdown_timeout(1);
    let (server, ca_pem) = match tls {
        Some(tls) => (
            server.listen_rustls_0_23(listener, tls.server_config),
            Some(tls.ca_pem),
        ),
        None => (server.listen(listener), None),
    };
    let server = server
        .context("Failed to listen on the sandbox socket")?
        .run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    Ok(RunningSandbox {
        state,
        ca_pem,
        handle,
        task,
    })
}

/// Mints a token of `kind` for the account at `account`, issued `age` ago by the sandbox's
/// clock.
fn issue_token(state: &SandboxState, account: u64, kind: TokenKind, age: Duration) -> String {
    let now = state.now();
    let age = TimeDelta::from_std(age).unwrap_or(TimeDelta::MAX);
    let issued_at = now
        .checked_sub_signed(age)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    state
        .lock()
        .tokens
        .issue_token(account, kind, issued_at, now)
        .value
}

impl RunningSandbox {
    /// Where the sandbox is reached: `http://127.0.0.1:PORT/`, or `https://localhost:PORT/`.
    pub fn base_url(&self) -> &Url {
        &self.state.base_url
    }

    /// The PEM certificate of the generated CA, when serving HTTPS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Switches how the sandbox (mis)behaves from the next request on.
    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().mode = mode;
    }

    /// Switches the body shape of the code exchange and `/me` answers.
    pub fn set_shape(&self, shape: BodyShape) {
        self.state.lock().shape = shape;
    }

    /// Makes the token endpoints announce `expires_in` seconds (`None`: the real remaining
    /// lifetime), whatever the token's real lifetime: clients must survive absurd values.
    pub fn set_announced_expires_in(&self, expires_in: Option<u64>) {
        self.state.lock().announced_expires_in = expires_in;
    }

    /// Calls received per endpoint since start or the last reset.
    pub fn stats(&self) -> Stats {
        self.state.lock().stats.clone()
    }

    /// Sets every call counter back to zero.
    pub fn reset_stats(&self) {
        self.state.lock().stats = Stats::default();
    }

    /// A valid token of the first account, of `kind`, issued `age` ago, as if the whole
    /// OAuth flow had run then.
    ///
    /// An age beyond the kind's lifetime yields an already expired token.
    pub fn issue_token(&self, kind: TokenKind, age: Duration) -> String {
        issue_token(&self.state, 0, kind, age)
    }

    /// Like [`Self::issue_token`], for the account called `username` (`None`: no such account).
    pub fn issue_token_for(
        &self,
        username: &str,
        kind: TokenKind,
        age: Duration,
    ) -> Option<String> {
        let index = self.state.lock().accounts.by_username(username)?.index;
        Some(issue_token(&self.state, index, kind, age))
    }

    /// Invalidates every token issued so far (they answer 190/460 from now on).
    pub fn revoke_all_tokens(&self) {
        self.state.lock().tokens.revoke_all();
    }

    /// Invalidates the tokens of the account called `username` only; false if there is none.
    pub fn revoke_tokens_of(&self, username: &str) -> bool {
        let mut inner = self.state.lock();
        let Some(index) = inner.accounts.by_username(username).map(|a| a.index) else {
            return false;
        };
        inner.tokens.revoke_account(index);
        true
    }

    /// Publishes a new newest post on the first account, dated now by the clock, and returns
    /// its media id.
    pub fn add_post(&self) -> String {
        self.add_post_to(accounts::FIRST_USERNAME)
            .unwrap_or_default()
    }

    /// Publishes a new newest post on the account called `username`; `None` if there is none.
    pub fn add_post_to(&self, username: &str) -> Option<String> {
        let now = self.state.now();
        let mut inner = self.state.lock();
        let index = inner.accounts.by_username(username)?.index;
        let seed = inner.accounts.get_mut(index)?.timeline.add(now);
        Some(posts::Post::build(seed, now).id)
    }

    /// Trims the oldest posts or adds older history until the first account has `n` posts.
    pub fn set_post_count(&self, n: usize) {
        if let Some(first) = self.state.lock().accounts.get_mut(0) {
            first.timeline.resize(n);
        }
    }

    /// The first account's app-scoped id (`/me` `id`) and professional id (`user_id`).
    pub fn account_ids(&self) -> (String, String) {
        let ids = self.state.lock().accounts.first().ids();
        (ids.app_scoped_id, ids.user_id)
    }

    /// Every account's ids, in creation order.
    pub fn accounts(&self) -> Vec<AccountIds> {
        self.state.lock().accounts.iter().map(|a| a.ids()).collect()
    }

    /// Adds an account whose history ends now; the error names what is wrong with `spec`.
    pub fn add_account(&self, spec: &AccountSpec) -> Result<AccountIds, String> {
        let now = self.state.now();
        self.state.lock().accounts.add(spec, now).map(|a| a.ids())
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the end.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.task.await;
    }

    /// Serves until the server ends (for the CLI, which stops the process on Ctrl-C).
    pub async fn wait(self) -> std::io::Result<()> {
        self.task.await.map_err(std::io::Error::other)?
    }
}
