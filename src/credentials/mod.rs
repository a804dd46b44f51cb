//! The Instagram token and what igfeed knows about it, kept in the state directory.
//!
//! [`CredentialStore`] is the only way the token reaches the disk (in the 0600, optionally
//! encrypted `credentials.json`); [`Credentials`] itself cannot be serialised, so it cannot
//! leak into a response by accident.

mod keeper;
mod model;
mod record;
mod schedule;
mod store;

pub use keeper::TokenKeeper;
pub use model::{Credentials, TokenSource, TokenState};
pub use store::{CREDENTIALS_FILE, CredentialStore};

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
