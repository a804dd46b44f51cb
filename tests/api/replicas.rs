//! Several `igfeed serve` replicas sharing one real Redis (`storage.backend = "redis"`):
//! they behave as one igfeed from outside.

use std::time::Duration;

use igfeed_sandbox::SECOND_USERNAME;
use serde_json::Value;

use crate::helpers::{TestApp, TestEnv, hours, wait_until};

async fn feed(app: &TestApp, query: &str) -> (u16, Value) {
    let response = app.get(&format!("/feed.json{query}")).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn posts(feed: &Value) -> usize {
    feed["posts"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_connected_on_one_replica_is_served_by_the_other() {
    let mut env = TestEnv::start().await;
    env.use_redis("1s");
    let first = env.spawn_app().await;
    let (second, _local) = env.spawn_replica().await;
    assert_eq!(feed(&second, "").await.0, 503, "nothing connected yet");

    let (account, _) = env.connect_other(&first, SECOND_USERNAME, hours(1)).await;
    let name = account.feed_name();
    wait_until(
        "the other replica serves the new account's feed",
        10,
        || async {
            let (status, body) = feed(&second, &format!("?feed={name}")).await;
            status == 200 && posts(&body) > 0
        },
    )
    .await;
    // The first account connected is the default on both.
    let (status, body) = feed(&second, "").await;
    assert_eq!(status, 200);
    assert_eq!(body["profile"]["username"], SECOND_USERNAME);
    let ids = |feed: &Value| -> Vec<Value> {
        feed["posts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p["id"].clone())
            .collect()
    };
    assert_eq!(ids(&feed(&first, "").await.1), ids(&body), "the same posts");

    // Exactly one replica holds the refresher lease.
    let holders = [&first, &second]
        .iter()
        .filter(|app| {
            app.state
                .accounts
                .storage()
                .lease("refresher", Duration::from_secs(1))
                .expect("lease")
                .is_some()
        })
        .count();
    assert_eq!(holders, 1, "one lease holder");

    // A disconnect on the replica that did not connect it takes effect on both.
    let gone = second
        .state
        .accounts
        .disconnect(account.id())
        .await
        .expect("disconnects");
    assert!(gone.is_some());
    wait_until("the first replica lets the account go", 10, || async {
        feed(&first, &format!("?feed={name}")).await.0 == 404
    })
    .await;
    first.stop().await;
    second.stop().await;
}
