//! Memory and disk budgets hold under a burst of distinct requests.

use futures_util::StreamExt as _;

use super::{feed, items, load};
use crate::helpers::TestEnv;
use igfeed_sandbox::SandboxConfig;

#[tokio::test]
async fn budgets_hold_under_a_burst_of_distinct_images() {
    let mut env = TestEnv::with_config(SandboxConfig {
        post_count: 500,
        ..SandboxConfig::default()
    })
    .await;
    env.set("IGFEED__FEED__MAX_POSTS", "500");
    env.set("IGFEED__MEDIA__MEMORY_BUDGET", "1MB");
    env.set("IGFEED__MEDIA__DISK_BUDGET", "2MB");
    let (app, _) = env.spawn_connected().await;
    let feed = feed(&app).await;
    assert_eq!(
        feed["posts"].as_array().map(Vec::len),
        Some(100),
        "one page of 500"
    );
    let urls: Vec<String> = items(&feed)
        .iter()
        .filter_map(|m| m["url"].as_str().map(str::to_owned))
        .take(60)
        .collect();
    let statuses: Vec<u16> = futures_util::stream::iter(&urls)
        .map(|url| async { load(&app, url).await.0 })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let media = &app.account().media;
    let memory = media.memory_bytes().await;
    assert!(memory <= 1 << 20, "memory: {memory} bytes");
    let dir = app.account().dir().path().join("media");
    let on_disk: u64 = std::fs::read_dir(&dir)
        .expect("media dir")
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    assert!(on_disk <= 2 << 20, "disk: {on_disk} bytes");
    assert_eq!(on_disk, media.disk_bytes(), "the index matches the files");
    assert!(
        on_disk > 1 << 20,
        "the disk cache was used: {on_disk} bytes"
    );
    app.stop().await;
}
