use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::*;
use crate::clock::SystemClock;

fn health(first_backoff_ms: u64, stable_run_ms: u64) -> (TaskHealth, Metrics) {
    let metrics = Metrics::new();
    let policy = RestartPolicy {
        first_backoff: Duration::from_millis(first_backoff_ms),
        max_backoff: Duration::from_millis(first_backoff_ms * 4),
        stable_run: Duration::from_millis(stable_run_ms),
    };
    let clock: SharedClock = Arc::new(SystemClock);
    (
        TaskHealth::with_policy(policy, metrics.clone(), clock),
        metrics,
    )
}

fn restarts(metrics: &Metrics, task: &str) -> Option<f64> {
    let text = metrics.render(&Default::default()).expect("renders");
    let series = format!("igfeed_task_restarts_total{{task=\"{task}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(series.as_str()))
        .and_then(|value| value.trim().parse().ok())
}

#[tokio::test]
async fn a_task_that_keeps_panicking_is_restarted_with_growing_pauses_and_reported() {
    let (health, metrics) = health(20, 60_000);
    let runs = Arc::new(AtomicU32::new(0));
    let started = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (r, s) = (runs.clone(), started.clone());
    let supervisor = supervise(TaskName::FeedRefresh, health.clone(), move || {
        let (r, s) = (r.clone(), s.clone());
        async move {
            s.lock().expect("lock").push(Instant::now());
            if r.fetch_add(1, Ordering::SeqCst) < 4 {
                panic!("boom {}", r.load(Ordering::SeqCst));
            }
            std::future::pending::<()>().await;
        }
    });
    assert_eq!(restarts(&metrics, "feed_refresh"), Some(0.0), "listed at 0");
    let handle = tokio::spawn(supervisor);
    let deadline = Instant::now() + Duration::from_secs(10);
    while runs.load(Ordering::SeqCst) < 5 {
        assert!(Instant::now() < deadline, "restarted four times");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    handle.abort();
    assert_eq!(restarts(&metrics, "feed_refresh"), Some(4.0));
    let troubles = health.troubles();
    assert_eq!(troubles.len(), 1);
    let trouble = &troubles[0];
    assert_eq!(
        (trouble.task, trouble.restarts, trouble.panics_in_a_row),
        (TaskName::FeedRefresh, 4, 4)
    );
    assert!(trouble.keeps_dying());
    assert!(
        trouble.last_panic.starts_with("boom"),
        "{}",
        trouble.last_panic
    );
    let started = started.lock().expect("lock").clone();
    let pauses: Vec<Duration> = started.windows(2).map(|w| w[1] - w[0]).collect();
    for (pause, least) in pauses.iter().zip([20, 40, 80, 80]) {
        assert!(*pause >= Duration::from_millis(least), "{pauses:?}");
    }
}

#[tokio::test]
async fn a_run_that_lasted_clears_the_streak_and_a_finished_task_is_not_restarted() {
    let (health, _) = health(5, 50);
    let runs = Arc::new(AtomicU32::new(0));
    let r = runs.clone();
    let supervisor = supervise(TaskName::TokenRefresh, health.clone(), move || {
        let r = r.clone();
        async move {
            match r.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => panic!("early"),
                2 => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    panic!("after a good run");
                }
                _ => {}
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), supervisor)
        .await
        .expect("ends once a run finishes");
    assert_eq!(
        runs.load(Ordering::SeqCst),
        4,
        "not restarted after finishing"
    );
    let trouble = &health.troubles()[0];
    assert_eq!((trouble.restarts, trouble.panics_in_a_row), (3, 1));
    assert!(!trouble.keeps_dying());
    assert_eq!(trouble.last_panic, "after a good run");
}
