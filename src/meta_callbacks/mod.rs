//! Meta's callbacks to igfeed: deauthorization and data-deletion requests.
//!
//! Meta signs each request with the Instagram app secret ([`signed_request`]); igfeed acts
//! only on a verified request naming the connected account, and keeps a bounded,
//! identifier-free record of deletion requests for their status page ([`deletions`]). A
//! signature alone does not stop a captured request being posted again, so requests are
//! acted on only while fresh, and once ([`replay`]).

pub mod deletions;
pub mod replay;
pub mod signed_request;

use std::path::Path;

use crate::credentials::CredentialStore;
use crate::feed::FeedService;
use crate::storage::StorageError;

pub use deletions::{ConfirmationCode, DeletionLog, DeletionRecord, Outcome};
pub use replay::{Callback, Claim, Refused, ReplayGuard};
pub use signed_request::{Payload, SignedRequestError, verify};

/// Whether `user_id` names the connected account, by any id Instagram gave for it.
pub fn is_connected_user(store: &CredentialStore, user_id: &str) -> bool {
    store
        .current()
        .is_some_and(|credentials| credentials.ids().contains(&user_id))
}

/// Removes everything igfeed holds about the connected account: the token and every copy of
/// the feed ([`crate::connection::disconnect`]), then the cached images on disk.
///
/// Both callbacks use it. Deauthorization only requires forgetting the token, but without
/// the token igfeed has no legitimate way to keep showing the account's posts, so keeping
/// them would only leave data behind that nobody can refresh or take down.
pub async fn forget_account(
    store: &CredentialStore,
    feed: &FeedService,
    media: &crate::media::MediaService,
    storage_dir: &Path,
) -> Result<(), StorageError> {
    crate::connection::disconnect(store, feed, media).await?;
    crate::media::remove_stored_files(storage_dir).await
}
