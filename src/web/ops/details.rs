//! The `/readyz` document: one schema for the server that writes it and `igfeed status` that
//! reads it. It is built field by field from what igfeed knows, never from [`Credentials`]
//! wholesale, so the token cannot slip into it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::credentials::{Credentials, TokenSource, TokenState};
use crate::web::AppState;

/// `status` when a feed can be served.
pub const READY: &str = "ready";
/// `status` otherwise.
pub const NOT_READY: &str = "not-ready";

/// What `/readyz` says; everything but `status` only for operators.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Readiness {
    /// [`READY`] or [`NOT_READY`].
    pub status: String,
    /// The operator details; absent from the public answer.
    #[serde(flatten)]
    pub details: Option<Details>,
}

/// The state of the default account, its token and its feed (the fields releases before
/// several accounts had), then every account's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Details {
    /// Every connected account, first connected first; older servers leave it out.
    #[serde(default)]
    pub accounts: Vec<AccountDetails>,
    /// The connected account; `null` when none is.
    pub account: Option<Account>,
    /// `not-connected`, `connected` or `needs-reconnect`.
    pub connection: String,
    /// Why and since when the owner must reconnect; only with `needs-reconnect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect: Option<Reconnect>,
    /// The token's age and expiry; `null` when not connected.
    pub token: Option<Token>,
    /// The served snapshot and the refresher's latest outcome.
    pub feed: Feed,
    /// Background tasks that panicked since the start (restarted each time); empty when all
    /// is well. Older servers leave it out.
    #[serde(default)]
    pub tasks: Vec<TaskTrouble>,
    /// Where the records are and whether they can be reached. Older servers leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageState>,
}

/// `storage` in [`Details`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StorageState {
    /// `file` or `redis`.
    pub backend: String,
    /// `ok`, or `degraded` while Redis cannot be reached: this replica serves what it holds
    /// and catches up when Redis returns.
    pub state: String,
    /// What went wrong; only when `degraded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Whether this replica holds the refresher lease (polls Instagram, refreshes tokens).
    pub refresher: bool,
}

/// One account: which it is, its feed's name, and its state as in [`Details`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccountDetails {
    /// The account id (Instagram's user id).
    pub id: String,
    /// Its feed's name (`?feed=`).
    pub feed_name: String,
    /// Whether its feed is the default one.
    pub default: bool,
    /// Its names.
    pub account: Option<Account>,
    /// `connected` or `needs-reconnect`.
    pub connection: String,
    /// Why and since when the owner must reconnect; only with `needs-reconnect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect: Option<Reconnect>,
    /// The token's age and expiry.
    pub token: Option<Token>,
    /// Its served snapshot and its refresher's latest outcome.
    pub feed: Feed,
}

/// A background task that panicked and was restarted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TaskTrouble {
    /// `feed_refresh`, `token_refresh`, `token_import` or `alerts`.
    pub task: String,
    /// Restarts since the process started.
    pub restarts: u64,
    /// Panics without a long healthy run in between.
    pub panics_in_a_row: u32,
    /// Whether it keeps dying (several panics in a row): its work is not getting done.
    pub keeps_dying: bool,
    /// The latest panic's message.
    pub last_panic: String,
    /// When it happened.
    pub last_panic_at: Option<DateTime<Utc>>,
}

/// The connected account's names.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Account {
    /// `@username`, when known.
    pub username: Option<String>,
    /// The professional account id.
    pub user_id: Option<String>,
    /// The app-scoped user id.
    pub app_scoped_id: Option<String>,
}

/// Why Instagram access has to be renewed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Reconnect {
    /// Instagram's explanation (never contains the token).
    pub reason: String,
    /// When igfeed found out.
    pub since: DateTime<Utc>,
    /// What the owner should do.
    pub fix: String,
}

/// What is known about the token's lifetime; the token itself never appears.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Token {
    /// `imported` (pasted by hand) or `authorized` (igfeed's connect flow).
    pub source: String,
    /// When igfeed got this token value.
    pub obtained_at: Option<DateTime<Utc>>,
    /// When Instagram issued or last extended it; `null` = unknown.
    pub issued_at: Option<DateTime<Utc>>,
    /// `false` for an imported token until its first refresh establishes the age.
    pub age_known: bool,
    /// Seconds since `issued_at`.
    pub age_seconds: Option<i64>,
    /// When it expires; `null` = unknown.
    pub expires_at: Option<DateTime<Utc>>,
    /// Seconds until `expires_at` (negative once expired).
    pub seconds_until_expiry: Option<i64>,
    /// The latest refresh attempt, successful or not.
    pub last_refresh_attempt: Option<DateTime<Utc>>,
    /// Why the latest refresh failed (since this process started).
    pub last_refresh_error: Option<String>,
}

/// The served snapshot and the refresher's latest outcome.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Feed {
    /// When the served snapshot was fetched; `null` when there is none.
    pub updated_at: Option<DateTime<Utc>>,
    /// Seconds since `updated_at`.
    pub age_seconds: Option<i64>,
    /// Posts in the served snapshot.
    pub posts: Option<usize>,
    /// What `/feed.json` reports as `stale`.
    pub stale: Option<bool>,
    /// When the latest refresh started.
    pub last_attempt: Option<DateTime<Utc>>,
    /// When a refresh last succeeded.
    pub last_success: Option<DateTime<Utc>>,
    /// The latest refresh failure, cleared by a success.
    pub last_error: Option<String>,
    /// Failures since the last success.
    pub consecutive_failures: u32,
}

/// The fix shown with `needs-reconnect`.
pub const RECONNECT_FIX: &str = "open /admin and click Reconnect";

/// Gathers the full document from the application's state (no Instagram call).
pub(crate) async fn gather(state: &AppState) -> Readiness {
    let now = state.clock.now();
    let listing = state.accounts.listing();
    let accounts: Vec<AccountDetails> = listing
        .accounts
        .iter()
        .filter_map(|account| {
            let default = listing.default.as_deref() == Some(account.id());
            of_account(account, default, now)
        })
        .collect();
    let ready = state
        .accounts
        .default_account()
        .is_some_and(|a| a.feed.peek().is_some());
    let mut details = match accounts.iter().find(|a| a.default) {
        None => Details {
            connection: "not-connected".into(),
            ..Details::default()
        },
        Some(a) => Details {
            account: a.account.clone(),
            connection: a.connection.clone(),
            reconnect: a.reconnect.clone(),
            token: a.token.clone(),
            feed: a.feed.clone(),
            ..Details::default()
        },
    };
    details.accounts = accounts;
    details.tasks = state
        .task_health
        .troubles()
        .into_iter()
        .map(|t| TaskTrouble {
            task: t.task.as_str().to_owned(),
            restarts: t.restarts,
            panics_in_a_row: t.panics_in_a_row,
            keeps_dying: t.keeps_dying(),
            last_panic: t.last_panic.clone(),
            last_panic_at: Some(t.last_panic_at),
        })
        .collect();
    let storage = state.accounts.storage();
    let problem = storage.trouble();
    details.storage = Some(StorageState {
        backend: if storage.is_shared() { "redis" } else { "file" }.into(),
        state: if problem.is_some() { "degraded" } else { "ok" }.into(),
        problem,
        refresher: *state.refresher_lease.borrow(),
    });
    Readiness {
        status: if ready { READY } else { NOT_READY }.into(),
        details: Some(details),
    }
}

/// One account's details; `None` if it was disconnected meanwhile.
fn of_account(
    account: &crate::accounts::Account,
    default: bool,
    now: DateTime<Utc>,
) -> Option<AccountDetails> {
    let credentials = account.credentials.current()?;
    let current = account.feed.peek();
    let refresh = account.feed.status();
    let profile_name = current
        .as_ref()
        .map(|c| c.snapshot.feed.profile.username.clone());
    let feed = Feed {
        updated_at: current.as_ref().map(|c| c.snapshot.fetched_at),
        age_seconds: current
            .as_ref()
            .map(|c| seconds(now, c.snapshot.fetched_at)),
        posts: current.as_ref().map(|c| c.snapshot.feed.posts.len()),
        stale: current.as_ref().map(|c| account.feed.is_stale(c)),
        last_attempt: refresh.last_attempt,
        last_success: refresh.last_success,
        last_error: refresh.last_error,
        consecutive_failures: refresh.consecutive_failures,
    };
    let details = connected(
        &credentials,
        now,
        account.keeper.last_error(),
        profile_name,
        feed,
    );
    Some(AccountDetails {
        id: account.id().to_owned(),
        feed_name: account.feed_name(),
        default,
        account: details.account,
        connection: details.connection,
        reconnect: details.reconnect,
        token: details.token,
        feed: details.feed,
    })
}

fn connected(
    c: &Credentials,
    now: DateTime<Utc>,
    last_refresh_error: Option<String>,
    profile_name: Option<String>,
    feed: Feed,
) -> Details {
    let (connection, reconnect) = match &c.state {
        TokenState::Active => ("connected", None),
        TokenState::NeedsReconnect { reason, since } => (
            "needs-reconnect",
            Some(Reconnect {
                reason: reason.clone(),
                since: *since,
                fix: RECONNECT_FIX.into(),
            }),
        ),
    };
    Details {
        account: Some(Account {
            username: c.username.clone().or(profile_name),
            user_id: c.user_id.clone(),
            app_scoped_id: c.app_scoped_id.clone(),
        }),
        connection: connection.into(),
        reconnect,
        tasks: Vec::new(),
        accounts: Vec::new(),
        storage: None,
        token: Some(Token {
            source: match c.source {
                TokenSource::Imported => "imported",
                TokenSource::Authorized => "authorized",
            }
            .into(),
            obtained_at: Some(c.obtained_at),
            issued_at: c.issued_at,
            age_known: c.issued_at.is_some(),
            age_seconds: c.age(now).map(|age| age.num_seconds()),
            expires_at: c.expires_at,
            seconds_until_expiry: c.expires_at.map(|at| (at - now).num_seconds()),
            last_refresh_attempt: c.last_refresh_attempt,
            last_refresh_error,
        }),
        feed,
    }
}

fn seconds(now: DateTime<Utc>, then: DateTime<Utc>) -> i64 {
    (now - then).num_seconds().max(0)
}
