//! Keeps the background tasks alive. A task that panics is logged, counted in `/metrics`
//! (`igfeed_task_restarts_total{task}`) and started again after a growing pause; `/readyz`
//! details name a task that keeps dying. Without this, one panic in the refresher left the
//! feed stale for good while `/healthz` still said ok, and nobody was told.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::FutureExt as _;

use crate::clock::SharedClock;
use crate::metrics::Metrics;

/// Panics in a row after which a task is reported as dying.
pub const DYING_AFTER: u32 = 3;

/// How patiently tasks are restarted.
#[derive(Debug, Clone, Copy)]
pub struct RestartPolicy {
    /// The pause before the first restart, doubled after each further panic in a row: a
    /// task that panics on every run must not call Instagram in a tight loop.
    pub first_backoff: Duration,
    /// The longest pause between restarts.
    pub max_backoff: Duration,
    /// A run that lasted this long was healthy: the next panic starts the backoff afresh.
    pub stable_run: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5 * 60),
            stable_run: Duration::from_secs(10 * 60),
        }
    }
}

/// The supervised background tasks: a fixed set, so the metric's `task` label is too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaskName {
    /// `feed_refresh`: polls Instagram for the feed.
    FeedRefresh,
    /// `token_refresh`: keeps the token alive.
    TokenRefresh,
    /// `token_import`: imports `instagram.access_token` on first start.
    TokenImport,
    /// `alerts`: sends the owner's webhook alerts.
    Alerts,
    /// `accounts`: starts and stops each account's refresher and token keeper.
    Accounts,
    /// `feed_views`: rebuilds the feeds' documents as snapshots and definitions change.
    FeedViews,
    /// `feed_hooks`: calls the feeds' rebuild hooks when their posts change.
    FeedHooks,
    /// `refresher_lease`: holds (or waits for) the replicas' refresher lease.
    RefresherLease,
    /// `replica_follow`: reads again what other replicas changed.
    ReplicaFollow,
    /// `renewal_forwarding`: hands a replica's CDN URL renewals to the lease holder.
    RenewalForwarding,
}

impl TaskName {
    /// The name operators see, in `/metrics` and `/readyz`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FeedRefresh => "feed_refresh",
            Self::TokenRefresh => "token_refresh",
            Self::TokenImport => "token_import",
            Self::Alerts => "alerts",
            Self::Accounts => "accounts",
            Self::FeedViews => "feed_views",
            Self::FeedHooks => "feed_hooks",
            Self::RefresherLease => "refresher_lease",
            Self::ReplicaFollow => "replica_follow",
            Self::RenewalForwarding => "renewal_forwarding",
        }
    }
}

/// What is known about a task that panicked (tasks that never did are not listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTrouble {
    /// Which task.
    pub task: TaskName,
    /// Restarts since the process started.
    pub restarts: u64,
    /// Panics without a [`RestartPolicy::stable_run`] in between.
    pub panics_in_a_row: u32,
    /// The latest panic's message (bounded, one line).
    pub last_panic: String,
    /// When it happened (the injectable clock).
    pub last_panic_at: DateTime<Utc>,
}

impl TaskTrouble {
    /// Whether the task keeps dying: [`DYING_AFTER`] panics in a row.
    pub fn keeps_dying(&self) -> bool {
        self.panics_in_a_row >= DYING_AFTER
    }
}

/// Panics of the supervised tasks, shared by the supervisors and `/readyz`; cheap to clone.
#[derive(Clone)]
pub struct TaskHealth {
    inner: Arc<HealthInner>,
}

struct HealthInner {
    policy: RestartPolicy,
    metrics: Metrics,
    clock: SharedClock,
    troubles: Mutex<BTreeMap<TaskName, TaskTrouble>>,
}

impl TaskHealth {
    /// Records into `metrics`, dating panics by `clock`.
    pub fn new(metrics: Metrics, clock: SharedClock) -> Self {
        Self::with_policy(RestartPolicy::default(), metrics, clock)
    }

    /// Like [`TaskHealth::new`] with another restart policy (tests shrink the pauses).
    pub fn with_policy(policy: RestartPolicy, metrics: Metrics, clock: SharedClock) -> Self {
        Self {
            inner: Arc::new(HealthInner {
                policy,
                metrics,
                clock,
                troubles: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// Every task that panicked since the start, in a fixed order.
    pub fn troubles(&self) -> Vec<TaskTrouble> {
        self.lock().values().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<TaskName, TaskTrouble>> {
        // Each update writes whole values; a poisoned map is still consistent.
        self.inner
            .troubles
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn panicked(&self, task: TaskName, message: String) -> u32 {
        self.inner.metrics.record_task_restart(task.as_str());
        let now = self.inner.clock.now();
        let mut troubles = self.lock();
        let trouble = troubles.entry(task).or_insert_with(|| TaskTrouble {
            task,
            restarts: 0,
            panics_in_a_row: 0,
            last_panic: String::new(),
            last_panic_at: now,
        });
        trouble.restarts += 1;
        trouble.panics_in_a_row += 1;
        trouble.last_panic = message;
        trouble.last_panic_at = now;
        trouble.panics_in_a_row
    }

    fn ran_well(&self, task: TaskName) {
        if let Some(trouble) = self.lock().get_mut(&task) {
            trouble.panics_in_a_row = 0;
        }
    }
}

/// Runs the future `start` makes until it ends; when it panics, makes and runs a new one
/// after the backoff. The first future is made at once, by the caller, so whatever it marks
/// on creation (an import in progress) holds before the task is first polled.
pub fn supervise<F, Fut>(
    task: TaskName,
    health: TaskHealth,
    mut start: F,
) -> impl Future<Output = ()> + Send + 'static
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    // The series exists from the start, at 0: an alert on its rate needs no special case.
    health.inner.metrics.register_task(task.as_str());
    let first = start();
    async move {
        let policy = health.inner.policy;
        let mut run = first;
        let mut backoff = policy.first_backoff;
        loop {
            let guarded = AssertUnwindSafe(run).catch_unwind();
            tokio::pin!(guarded);
            let outcome = tokio::select! {
                outcome = &mut guarded => outcome,
                () = tokio::time::sleep(policy.stable_run) => {
                    health.ran_well(task);
                    backoff = policy.first_backoff;
                    guarded.await
                }
            };
            let Err(payload) = outcome else {
                return;
            };
            let message = panic_message(payload.as_ref());
            let in_a_row = health.panicked(task, message.clone());
            tracing::error!(
                task = task.as_str(),
                panic = %message,
                panics_in_a_row = in_a_row,
                restart_in_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                "background task panicked; restarting it"
            );
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2).min(policy.max_backoff);
            run = start();
        }
    }
}

/// A panic's message, one line of at most 200 characters.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    line.chars().take(200).collect()
}

#[cfg(test)]
mod tests;
