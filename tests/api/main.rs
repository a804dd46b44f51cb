//! Integration tests over real HTTP on loopback: igfeed and the Instagram sandbox on port 0.

mod accounts;
mod admin_api;
mod admin_auth;
mod alerts;
mod cdn;
mod commands;
mod connect;
mod consent;
mod curated;
mod embed;
mod errors;
mod example_config;
mod export;
mod feed;
mod feed_editor;
mod graph;
mod health;
mod helpers;
mod hooks;
mod hostile;
mod media;
mod meta_callbacks;
mod oauth;
mod ops;
mod page_caches;
mod paging;
mod receiver;
#[path = "../support/redis_server.rs"]
mod redis_server;
mod settings;
mod storage;
mod syndication;
mod tasks;
mod tls;
mod upgrade;
mod widget;
