//! `igfeed status`: asks a running igfeed's `/readyz` for its details and prints them for a
//! person at a terminal, one block per account. Exits non-zero when no feed can be served, when
//! any account needs reconnecting, or when igfeed cannot be reached, so it also works in
//! scripts.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::TimeDelta;
use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::human;
use crate::web::ops::details::{
    AccountDetails, Details, Feed, READY, RECONNECT_FIX, Readiness, Reconnect, Token,
};

/// A running igfeed answers `/readyz` from memory in milliseconds.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Prints the state of every account, its token and its feed; fails when not ready or when an
/// account needs reconnecting.
pub fn run(settings: &Settings, url: Option<url::Url>) -> anyhow::Result<()> {
    if settings.ops.token.is_some()
        && let Some(url) = &url
    {
        check_token_destination(url)?;
    }
    let url = readyz_url(settings, url)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let readiness = runtime.block_on(fetch(settings, &url))?;
    print!("{}", render(&url, &readiness));
    match trouble(&url, &readiness) {
        Some(trouble) => bail!("{trouble}"),
        None => Ok(()),
    }
}

/// Why `igfeed status` exits non-zero: no feed can be served, or an account needs the
/// owner to reconnect it (its feed is served, but only from the last snapshot, for good).
/// `None` when all is well.
fn trouble(url: &url::Url, readiness: &Readiness) -> Option<String> {
    let mut troubles = Vec::new();
    if readiness.status != READY {
        troubles.push(format!("igfeed at {url} cannot serve a feed yet"));
    }
    let reconnect = needing_reconnect(readiness);
    if !reconnect.is_empty() {
        troubles.push(format!(
            "{} reconnecting ({RECONNECT_FIX}): {}",
            if reconnect.len() == 1 {
                "1 account needs".to_owned()
            } else {
                format!("{} accounts need", reconnect.len())
            },
            reconnect.join(", ")
        ));
    }
    (!troubles.is_empty()).then(|| troubles.join("; "))
}

/// The names of the accounts whose token Instagram rejected for good; from the one account's
/// top-level fields for a server from before several accounts.
fn needing_reconnect(readiness: &Readiness) -> Vec<String> {
    let Some(details) = &readiness.details else {
        return Vec::new();
    };
    if details.accounts.is_empty() {
        return if details.connection == NEEDS_RECONNECT {
            vec![
                details
                    .account
                    .as_ref()
                    .and_then(|a| a.username.as_deref())
                    .map_or_else(|| "the account".to_owned(), |u| format!("@{u}")),
            ]
        } else {
            Vec::new()
        };
    }
    details
        .accounts
        .iter()
        .filter(|a| a.connection == NEEDS_RECONNECT)
        .map(account_name)
        .collect()
}

/// `@username`, or the feed's name while the username is not known.
fn account_name(a: &AccountDetails) -> String {
    a.account
        .as_ref()
        .and_then(|account| account.username.as_deref())
        .map_or_else(|| format!("feed {}", a.feed_name), |u| format!("@{u}"))
}

/// Refuses to send `ops.token` where anyone on the network path could read it: to a plain
/// http URL other than this machine's loopback. The token opens `/readyz` details and
/// `/metrics`; over https, or over loopback, only the server sees it. (Without `--url` the
/// request goes to the local server's own `server.host`, which never leaves the machine.)
/// The error names the problem and the fixes, never the token.
fn check_token_destination(url: &url::Url) -> anyhow::Result<()> {
    if url.scheme() == "https" || is_loopback(url) {
        return Ok(());
    }
    let host = url.host_str().unwrap_or("?");
    bail!(
        "refusing to send ops.token over plain {} to {host}, where the network could read it: use an https URL, run igfeed status on the server itself (loopback), or unset IGFEED__OPS__TOKEN",
        url.scheme()
    )
}

/// `127.0.0.0/8`, `::1` (also as `::ffff:127.x.y.z`) or `localhost`.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.to_canonical().is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `url` (a base like `https://feed.example.com`, or the `/readyz` URL itself) or the local
/// server's own address from settings.
fn readyz_url(settings: &Settings, url: Option<url::Url>) -> anyhow::Result<url::Url> {
    let mut base = match url {
        Some(url) if url.path().ends_with("/readyz") => return Ok(url),
        Some(url) => url,
        None => super::healthcheck::local_health_url(settings)?,
    };
    if base.path().ends_with("/healthz") {
        base.set_path("/");
    } else if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base.join("readyz")
        .with_context(|| format!("cannot build a /readyz URL from {base}"))
}

async fn fetch(settings: &Settings, url: &url::Url) -> anyhow::Result<Readiness> {
    let client = super::probe_client(url, TIMEOUT)?;
    let mut request = client.get(url.clone());
    if let Some(token) = &settings.ops.token {
        request = request.bearer_auth(token.expose_secret());
    }
    let response = request.send().await.map_err(|e| {
        anyhow::anyhow!(
            "cannot reach igfeed at {url} ({}); is it running?",
            e.without_url()
        )
    })?;
    let status = response.status();
    response
        .json::<Readiness>()
        .await
        .map_err(|_| anyhow::anyhow!("{url} answered {status}, not igfeed's readiness document"))
}

/// The human-readable summary.
fn render(url: &url::Url, readiness: &Readiness) -> String {
    let mut out = String::new();
    let ready = if readiness.status == READY {
        "ready (a feed can be served)"
    } else {
        "NOT READY (no feed can be served yet)"
    };
    let _ = writeln!(out, "igfeed at {url}: {ready}");
    match &readiness.details {
        Some(details) => details_lines(&mut out, details),
        None => {
            let _ = writeln!(
                out,
                "details hidden: set ops.token (IGFEED__OPS__TOKEN) to the server's, or run this on the server itself"
            );
        }
    }
    out
}

/// `connection` of an account whose token Instagram rejected for good.
const NEEDS_RECONNECT: &str = "needs-reconnect";

fn details_lines(out: &mut String, d: &Details) {
    if d.accounts.is_empty() {
        // No account connected, or a server from before several accounts: its top-level
        // fields describe the one account.
        if let Some(account) = &d.account {
            let name = account
                .username
                .as_deref()
                .map_or("(username not known yet)".into(), |u| format!("@{u}"));
            let id = account.user_id.as_deref().unwrap_or("unknown");
            let _ = writeln!(out, "account:    {name} (user id {id})");
        }
        state_lines(
            out,
            &d.connection,
            d.reconnect.as_ref(),
            d.token.as_ref(),
            &d.feed,
        );
    } else {
        if d.accounts.len() > 1 {
            let _ = writeln!(out, "{} accounts connected", d.accounts.len());
        }
        for a in &d.accounts {
            out.push('\n');
            account_lines(out, a);
        }
    }
    if let Some(storage) = d.storage.as_ref().filter(|s| s.backend != "file") {
        let role = if storage.refresher {
            "this replica refreshes"
        } else {
            "another replica refreshes"
        };
        let _ = match &storage.problem {
            Some(problem) => writeln!(
                out,
                "storage:    {} DEGRADED ({problem}): serving what it holds; {role}",
                storage.backend
            ),
            None => writeln!(out, "storage:    {}, reachable; {role}", storage.backend),
        };
    }
    if !d.tasks.is_empty() {
        out.push('\n');
    }
    for task in &d.tasks {
        let state = if task.keeps_dying {
            "KEEPS DYING"
        } else {
            "restarted after a panic"
        };
        let _ = writeln!(
            out,
            "task:       {} {state} (restarted {} times): {}",
            task.task, task.restarts, task.last_panic
        );
    }
}

/// One account's block: who it is, its feed's name, whether it is the default, its state.
fn account_lines(out: &mut String, a: &AccountDetails) {
    let name = a
        .account
        .as_ref()
        .and_then(|account| account.username.as_deref())
        .map_or("(username not known yet)".into(), |u| format!("@{u}"));
    let default = if a.default { " (default)" } else { "" };
    let _ = writeln!(
        out,
        "account:    {name} (user id {}), feed {}{default}",
        a.id, a.feed_name
    );
    state_lines(
        out,
        &a.connection,
        a.reconnect.as_ref(),
        a.token.as_ref(),
        &a.feed,
    );
}

/// The connection, the token and the feed of one account.
fn state_lines(
    out: &mut String,
    connection: &str,
    reconnect: Option<&Reconnect>,
    token: Option<&Token>,
    f: &Feed,
) {
    match (connection, reconnect) {
        (NEEDS_RECONNECT, Some(r)) => {
            let _ = writeln!(
                out,
                "connection: NEEDS RECONNECT since {}: {}",
                human::time(r.since),
                r.reason
            );
            let _ = writeln!(out, "            fix: {}", r.fix);
        }
        (NEEDS_RECONNECT, None) => {
            let _ = writeln!(out, "connection: NEEDS RECONNECT: {RECONNECT_FIX}");
        }
        ("not-connected", _) => {
            let _ = writeln!(
                out,
                "connection: not connected: open /admin and connect the Instagram account"
            );
        }
        (other, _) => {
            let _ = writeln!(out, "connection: {other}");
        }
    }
    if let Some(token) = token {
        token_lines(out, token);
    }
    match (f.updated_at, f.posts) {
        (Some(at), Some(posts)) => {
            let age = f.age_seconds.map_or("?".into(), span);
            let stale = if f.stale == Some(true) {
                "STALE"
            } else {
                "fresh"
            };
            let _ = writeln!(
                out,
                "feed:       {posts} posts, updated {age} ago ({}), {stale}",
                human::time(at)
            );
        }
        _ => {
            let _ = writeln!(out, "feed:       no snapshot yet");
        }
    }
    match (&f.last_error, f.last_success) {
        (Some(error), _) => {
            let _ = writeln!(
                out,
                "            last refresh FAILED ({} in a row): {error}",
                f.consecutive_failures
            );
        }
        (None, Some(at)) => {
            let _ = writeln!(
                out,
                "            last refresh succeeded {}",
                human::time(at)
            );
        }
        (None, None) => {}
    }
}

fn token_lines(out: &mut String, t: &Token) {
    let _ = match (t.age_seconds, t.seconds_until_expiry) {
        (Some(age), Some(left)) if left >= 0 => writeln!(
            out,
            "token:      {}, {} old, expires in {}{}",
            t.source,
            span(age),
            span(left),
            t.expires_at
                .map_or(String::new(), |at| format!(" ({})", human::time(at)))
        ),
        (Some(age), Some(left)) => writeln!(
            out,
            "token:      {}, {} old, EXPIRED {} ago",
            t.source,
            span(age),
            span(left.saturating_neg())
        ),
        _ if !t.age_known => writeln!(
            out,
            "token:      {}, age and expiry unknown (imported token; established at the first refresh)",
            t.source
        ),
        _ => writeln!(out, "token:      {}, expiry unknown", t.source),
    };
    match (&t.last_refresh_error, t.last_refresh_attempt) {
        (Some(error), _) => {
            let _ = writeln!(out, "            last token refresh FAILED: {error}");
        }
        (None, Some(at)) => {
            let _ = writeln!(out, "            last token refresh {}", human::time(at));
        }
        (None, None) => {
            let _ = writeln!(out, "            not refreshed yet");
        }
    }
}

/// `seconds` as [`human::duration`] writes it (a value from another igfeed's `/readyz`, so
/// any size).
fn span(seconds: i64) -> String {
    human::duration(TimeDelta::try_seconds(seconds).unwrap_or(TimeDelta::MAX))
}

#[cfg(test)]
mod tests;
