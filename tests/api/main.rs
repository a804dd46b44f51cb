//! Integration tests over real HTTP on loopback: igfeed and the Instagram sandbox on port 0.

mod admin_api;
mod admin_auth;
mod alerts;
mod cdn;
mod commands;
mod connect;
mod consent;
mod embed;
mod errors;
mod example_config;
mod feed;
mod graph;
mod health;
mod helpers;
mod hostile;
mod media;
mod meta_callbacks;
mod oauth;
mod ops;
mod page_caches;
mod paging;
mod settings;
mod storage;
mod tasks;
mod tls;
mod widget;
