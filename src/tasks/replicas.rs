//! Several replicas sharing one Redis (`storage.backend = "redis"`): each follows the others'
//! changes, and one at a time holds the refresher lease. With the file backend igfeed is
//! alone: it always holds the lease and nothing else changes its records.
//!
//! - [`follow`] hears every record another replica writes or removes (and a resync after
//!   an outage or every 30 s) and reads what it holds in memory again: the accounts (with
//!   their tokens and snapshots), the feed definitions, the admin sessions (a login on
//!   one replica opens the others, a logout closes them) and the rebuild hooks' last calls.
//! - [`hold_lease`] takes the lease and renews it every third of `storage.lease_ttl`; only
//!   its holder runs the accounts' refreshers and token keepers ([`super::accounts`]).
//!   When the holder dies, the lease expires and another replica takes it within a ttl and
//!   a third; a holder that cannot renew (Redis unreachable) stops refreshing at once.

use std::time::Duration;

use tokio::sync::{broadcast, watch};

use crate::accounts::AccountRegistry;
use crate::auth::SessionRegistry;
use crate::feeds::Feeds;
use crate::hooks::{DELIVERIES_FILE, RebuildHooks};
use crate::storage::{Change, StateDir};

/// The lease's name in storage.
pub const REFRESHER_LEASE: &str = "refresher";

/// Runs until the changes end: reads again whatever another replica changed.
pub async fn follow(
    accounts: AccountRegistry,
    feeds: Feeds,
    sessions: SessionRegistry,
    hooks: RebuildHooks,
    leader: watch::Receiver<bool>,
    mut changes: broadcast::Receiver<Change>,
) {
    loop {
        let mut batch = match changes.recv().await {
            Ok(change) => vec![change],
            Err(broadcast::error::RecvError::Lagged(_)) => vec![Change::Resync],
            Err(broadcast::error::RecvError::Closed) => return,
        };
        // A burst (a disconnect removes several records) is read once.
        while let Ok(change) = changes.try_recv() {
            batch.push(change);
        }
        if *leader.borrow() {
            renew_for_others(&accounts, &batch);
        }
        let touches = |prefix: &str| {
            batch.iter().any(|change| match change {
                Change::Resync => true,
                Change::Record(path) => path.starts_with(prefix),
            })
        };
        // Quickest first: the accounts may wait for a refresh in progress here.
        if touches("/admin-sessions.json") {
            let sessions = sessions.clone();
            let _ = tokio::task::spawn_blocking(move || sessions.reload()).await;
        }
        if touches(&format!("/{DELIVERIES_FILE}")) {
            let hooks = hooks.clone();
            let _ = tokio::task::spawn_blocking(move || hooks.reload_log()).await;
        }
        if touches("/feeds.json")
            && let Err(error) = feeds.follow_stored().await
        {
            tracing::warn!(%error, "could not read the feed definitions another replica changed");
        }
        if touches("/accounts")
            && let Err(error) = accounts.follow_stored().await
        {
            tracing::warn!(%error, "could not read the accounts another replica changed; retrying at the next change");
        }
    }
}

/// Where a replica without the lease asks for CDN URLs to be renewed:
/// `/renew/<account id>/<media id>,<media id>…`.
const RENEW_PREFIX: &str = "/renew/";

/// On the lease holder: queues the renewals other replicas asked for in `batch`.
fn renew_for_others(accounts: &AccountRegistry, batch: &[Change]) {
    for change in batch {
        let Change::Record(path) = change else {
            continue;
        };
        let Some((account, ids)) = path
            .strip_prefix(RENEW_PREFIX)
            .and_then(|rest| rest.split_once('/'))
        else {
            continue;
        };
        if let Some(account) = accounts.by_id(account) {
            let ids: Vec<String> = ids.split(',').map(str::to_owned).collect();
            account.media.renew_for_another(&ids);
        }
    }
}

/// Runs forever on a replica without the lease: hands the CDN URL renewals its visitors
/// wait for to the lease holder, which renews them and stores the snapshot; it comes back
/// here like any other change (and the visitors waiting look again).
pub async fn forward_renewals(accounts: AccountRegistry, mut leader: watch::Receiver<bool>) {
    let mut accounts_changed = accounts.changes();
    loop {
        // The holder's refreshers wait on the same wakes: leave them to them.
        if leader.wait_for(|holds| !*holds).await.is_err() {
            return;
        }
        let current = accounts.accounts();
        let wakes = current
            .iter()
            .map(|account| Box::pin(account.media.woken()));
        let any_wake: std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>> =
            if current.is_empty() {
                Box::pin(std::future::pending())
            } else {
                Box::pin(async move {
                    let _ = futures_util::future::select_all(wakes).await;
                })
            };
        tokio::select! {
            () = any_wake => {}
            _ = accounts_changed.changed() => continue,
            _ = leader.changed() => continue,
        }
        for account in &current {
            let ids = account.media.take_renewals();
            if ids.is_empty() {
                continue;
            }
            let path = format!("{RENEW_PREFIX}{}/{}", account.id(), ids.join(","));
            let storage = accounts.storage().clone();
            let asked = tokio::task::spawn_blocking(move || storage.announce(&path)).await;
            if !matches!(asked, Ok(Ok(()))) {
                tracing::warn!(account = %account.id(), "could not ask the lease holder to renew CDN URLs");
            }
        }
    }
}

/// Runs forever: holds (or waits for) the refresher lease, telling `leader` whether this
/// replica holds it.
pub async fn hold_lease(storage: StateDir, ttl: Duration, leader: watch::Sender<bool>) {
    let renew = ttl / 3;
    // Dropped with this task when igfeed stops: the lease is handed over at once rather
    // than after its ttl.
    let _handover = Handover(storage.clone());
    loop {
        let dir = storage.clone();
        let asked = tokio::task::spawn_blocking(move || dir.lease(REFRESHER_LEASE, ttl));
        // An answer later than a third of the ttl may come after the lease expired in
        // Redis and another replica took it: not holding it is the safe assumption.
        let holds = match tokio::time::timeout(renew, asked).await {
            Ok(Ok(Ok(fence))) => fence.is_some(),
            Ok(Ok(Err(error))) => {
                if *leader.borrow() {
                    tracing::warn!(%error, "cannot renew the refresher lease; not refreshing until it is back");
                }
                false
            }
            Ok(Err(_)) => false,
            Err(_) => {
                if *leader.borrow() {
                    tracing::warn!(
                        "renewing the refresher lease took too long; not refreshing until it answers in time"
                    );
                }
                false
            }
        };
        leader.send_if_modified(|was| {
            if *was == holds {
                return false;
            }
            if holds {
                tracing::info!("this replica holds the refresher lease: it refreshes feeds and tokens");
            } else {
                tracing::info!("this replica does not hold the refresher lease: it serves what the holder stores");
            }
            *was = holds;
            true
        });
        tokio::time::sleep(renew).await;
    }
}

/// Lets the refresher lease go, if this process holds it, when dropped.
struct Handover(StateDir);

impl Drop for Handover {
    fn drop(&mut self) {
        if self.0.is_shared()
            && let Err(error) = self.0.release(REFRESHER_LEASE)
        {
            tracing::warn!(%error, "could not hand the refresher lease over; it expires by itself");
        }
    }
}

/// Runs the future `start` makes while this replica holds the refresher lease: dropped when
/// the lease is lost, started anew when it is taken again. For work only one replica may do
/// (alerts, rebuild hooks' calls); with the file backend it simply runs.
pub async fn while_leading<F, Fut>(mut leader: watch::Receiver<bool>, mut start: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        if leader.wait_for(|holds| *holds).await.is_err() {
            return;
        }
        tokio::select! {
            () = start() => return,
            lost = leader.wait_for(|holds| !*holds) => {
                if lost.is_err() {
                    return;
                }
            }
        }
    }
}
