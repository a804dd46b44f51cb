//! The feed: igfeed's own types, the mapping from Instagram's, the cached snapshot visitors
//! read, and the service that keeps it fresh without ever letting visitors trigger calls.

pub mod curate;
pub mod cursor;
pub mod definition;
pub mod display;
pub mod document;
pub mod domain;
mod fetch;
pub mod mapping;
pub mod pages;
pub mod prepared;
pub mod service;
pub mod syndication;
mod text;
mod trigger;

pub use fetch::fetch_snapshot;
pub use service::{FeedConfig, FeedError, FeedService, ImageLinks, RefreshStatus};
pub use trigger::RefreshTrigger;
