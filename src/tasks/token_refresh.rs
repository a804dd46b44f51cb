//! Checks each account's token on a schedule and refreshes it when due (see
//! [`TokenKeeper`]).

use std::time::Duration;

use crate::credentials::TokenKeeper;

/// Checks every `check_interval`, forever.
pub async fn run(keeper: TokenKeeper, check_interval: Duration) {
    loop {
        keeper.check().await;
        tokio::time::sleep(check_interval).await;
    }
}
