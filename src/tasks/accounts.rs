//! One feed refresher and one token keeper per connected account: started for the accounts
//! found at start-up and for each account connected later, stopped when it is disconnected.
//! Each account's loops are its own, so a revoked or rate-limited account never delays
//! another's refresh; a stale account's first refresh waits for its share of the interval
//! (see [`feed_refresh::spread`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::feed_refresh;
use super::supervisor::{TaskHealth, TaskName, supervise};
use super::token_refresh;
use crate::accounts::{Account, AccountRegistry};
use crate::clock::SharedClock;

/// How the per-account loops run.
#[derive(Clone)]
pub struct Loops {
    /// The accounts to run loops for.
    pub accounts: AccountRegistry,
    /// Panics of the loops are recorded here.
    pub health: TaskHealth,
    /// `feed.refresh_interval`.
    pub refresh_interval: Duration,
    /// `token.check_interval`.
    pub check_interval: Duration,
    /// The process's clock.
    pub clock: SharedClock,
    /// Whether this replica holds the refresher lease ([`super::replicas`]): loops run only
    /// while it does.
    pub leader: tokio::sync::watch::Receiver<bool>,
}

/// The loops of one account; aborted when dropped.
struct Running {
    account: Arc<Account>,
    handles: [JoinHandle<()>; 2],
}

impl Drop for Running {
    fn drop(&mut self) {
        for handle in &self.handles {
            handle.abort();
        }
    }
}

/// Runs forever: keeps one pair of loops per connected account while this replica holds
/// the refresher lease, none while it does not.
pub async fn run(loops: Loops) {
    let mut changes = loops.accounts.changes();
    let mut leader = loops.leader.clone();
    let mut running: HashMap<String, Running> = HashMap::new();
    loop {
        changes.mark_unchanged();
        leader.mark_unchanged();
        let accounts = if *leader.borrow() {
            loops.accounts.accounts()
        } else {
            Vec::new()
        };
        running.retain(|id, r| {
            accounts
                .iter()
                .any(|a| a.id() == id && Arc::ptr_eq(a, &r.account))
        });
        let count = accounts.len();
        for (position, account) in accounts.iter().enumerate() {
            if !running.contains_key(account.id()) {
                let spread = feed_refresh::spread(loops.refresh_interval, position, count);
                running.insert(account.id().to_owned(), start(&loops, account, spread));
            }
        }
        let news = tokio::select! {
            news = changes.changed() => news,
            news = leader.changed() => news,
        };
        if news.is_err() {
            return;
        }
    }
}

fn start(loops: &Loops, account: &Arc<Account>, spread: Duration) -> Running {
    let (interval, clock) = (loops.refresh_interval, loops.clock.clone());
    let refresher = account.clone();
    let feed = supervise(TaskName::FeedRefresh, loops.health.clone(), move || {
        feed_refresh::run(
            refresher.feed.clone(),
            refresher.media.clone(),
            refresher.trigger.clone(),
            interval,
            clock.clone(),
            spread,
        )
    });
    let (keeper, check_interval) = (account.keeper.clone(), loops.check_interval);
    let token = supervise(TaskName::TokenRefresh, loops.health.clone(), move || {
        token_refresh::run(keeper.clone(), check_interval)
    });
    Running {
        account: account.clone(),
        handles: [tokio::spawn(feed), tokio::spawn(token)],
    }
}
