//! The work behind each subcommand, kept out of `main.rs` so it stays a thin shell.

pub mod demo;
pub mod export;
pub mod healthcheck;
pub mod sandbox;
pub mod serve;
pub mod status;
pub mod token;
