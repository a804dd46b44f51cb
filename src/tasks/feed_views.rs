//! Keeps every feed's document built from the latest snapshots: wakes when any account's
//! snapshot changes (a refresh, a failure that turns it stale, renewed image links), when
//! accounts come and go, and when a definition is saved, then rebuilds what changed. Visitors
//! then find documents ready, compressed in the state they will see, and the feeds' rebuild
//! hooks learn what changed.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::watch;

use crate::feeds::Feeds;
use crate::hooks::RebuildHooks;

/// Runs until stopped; after each build, `hooks` learn what the feeds now hold — on the
/// replica holding the refresher lease (`leader`) only, so one replica calls each hook. A
/// replica taking the lease over first adopts the baselines its predecessor stored, so what
/// changed since is announced once.
pub async fn run(feeds: Feeds, hooks: RebuildHooks, mut leader: watch::Receiver<bool>) {
    let mut accounts_changed = feeds.accounts().changes();
    let mut was_leading = *leader.borrow();
    loop {
        // Subscribed before building, so a change during the build is not missed.
        let mut snapshots: Vec<_> = feeds
            .accounts()
            .accounts()
            .iter()
            .map(|account| account.feed.changes())
            .collect();
        feeds.build_changed().await;
        let leading = *leader.borrow_and_update();
        if leading && !was_leading {
            hooks.adopt_stored().await;
        } else if was_leading && !leading {
            hooks.forget_pending();
        }
        was_leading = leading;
        if leading {
            hooks.observe().await;
        }
        let any_snapshot: Pin<Box<dyn Future<Output = ()> + Send + '_>> = if snapshots.is_empty() {
            Box::pin(std::future::pending())
        } else {
            Box::pin(async {
                let changes = snapshots.iter_mut().map(|r| Box::pin(r.changed()));
                let _ = futures_util::future::select_all(changes).await;
            })
        };
        tokio::select! {
            () = any_snapshot => {}
            _ = accounts_changed.changed() => {}
            () = feeds.definitions_changed() => {}
            _ = leader.changed() => {}
        }
    }
}
