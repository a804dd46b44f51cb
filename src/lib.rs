//! igfeed: show an Instagram feed on any website while the access token never leaves the server.
//!
//! The binary in `main.rs` is a thin shell over this library so that the integration tests
//! build exactly the application that production runs.
#![warn(missing_docs, clippy::unwrap_used)]

pub mod accounts;
pub mod alerts;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod connection;
pub mod credentials;
pub mod feed;
pub mod feeds;
pub mod hooks;
pub mod human;
pub mod instagram;
pub mod media;
pub mod meta_callbacks;
pub mod metrics;
pub mod net;
pub mod startup;
pub mod storage;
pub mod tasks;
pub mod telemetry;
pub mod web;
