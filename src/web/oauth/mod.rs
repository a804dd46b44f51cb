//! The owner's one-time authorization: Connect sends the browser to Instagram with a fresh
//! `state`; Instagram sends it back to the callback, which finishes the exchange.

pub mod pending;
