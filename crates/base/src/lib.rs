//! The small pieces that igfeed and its Instagram sandbox both use.
//!
//! A leaf crate so that the sandbox does not depend on the service (and the service's modules
//! do not depend on the sandbox): the one clock both read, and the one constant-time
//! comparison of secrets.
#![warn(missing_docs, clippy::unwrap_used)]

pub mod clock;
pub mod secret;
