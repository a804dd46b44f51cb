//! The injectable clock, re-exported from `igfeed-base`.
//!
//! It lives in the base crate because the Instagram sandbox (its own crate, which must not
//! depend on the service) reads the same clock: a test that moves an [`OffsetClock`] ages
//! igfeed's tokens and the sandbox's at once. Every `crate::clock::…` path keeps working.

pub use igfeed_base::clock::*;
