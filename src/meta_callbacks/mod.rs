//! Meta's callbacks to igfeed: deauthorization and data-deletion requests.
//!
//! Meta signs each request with the Instagram app secret ([`signed_request`]); igfeed acts
//! only on a verified request naming a connected account, and keeps a bounded,
//! identifier-free record of deletion requests for their status page ([`deletions`]). A
//! signature alone does not stop a captured request being posted again, so requests are
//! acted on only while fresh, and once ([`replay`]).

pub mod deletions;
pub mod replay;
pub mod signed_request;

use crate::accounts::AccountRegistry;
use crate::storage::StorageError;

pub use deletions::{ConfirmationCode, DeletionLog, DeletionRecord, Outcome};
pub use replay::{Callback, Claim, Refused, ReplayGuard};
pub use signed_request::{Payload, SignedRequestError, verify};

/// Removes everything igfeed holds about the account Meta's `user_id` names (by any id
/// Instagram gave for it): the token and every copy of its feed and images, its directory
/// included ([`AccountRegistry::disconnect`]). Returns the id of the account forgotten, or
/// `None` when no connected account has that id. Other accounts are untouched.
///
/// Both callbacks use it. Deauthorization only requires forgetting the token, but without
/// the token igfeed has no legitimate way to keep showing the account's posts, so keeping
/// them would only leave data behind that nobody can refresh or take down.
pub async fn forget_account(
    accounts: &AccountRegistry,
    user_id: &str,
) -> Result<Option<String>, StorageError> {
    let Some(account) = accounts.named_by(user_id) else {
        return Ok(None);
    };
    Ok(accounts
        .disconnect(account.id())
        .await?
        .map(|gone| gone.id().to_owned()))
}
