//! Per-endpoint call counters, so tests can assert how often igfeed called Instagram.

use std::collections::BTreeMap;

use serde::Serialize;

/// Calls received per endpoint since start or the last reset, failed ones included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Counters per endpoint.
    pub calls: Calls,
    /// Every request to the Graph host (token endpoints and reads, unknown paths included).
    pub graph_total: u64,
    /// `GET /me/media` pages served per account (by username), with a valid token: how many
    /// listing calls each account's feed cost.
    pub media_list_by_account: BTreeMap<String, u64>,
}

/// One counter per endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Calls {
    /// `GET /oauth/authorize` (the dialog shown; the Allow/Cancel POST is not counted).
    pub authorize: u64,
    /// `POST /oauth/access_token`, the code exchange.
    pub oauth_access_token: u64,
    /// `GET /access_token`, short- to long-lived.
    pub exchange: u64,
    /// `GET /refresh_access_token`.
    pub refresh: u64,
    /// `GET /me`.
    pub me: u64,
    /// `GET /me/media`.
    pub media_list: u64,
    /// `GET /{media-id}`.
    pub media_item: u64,
    /// `GET /{media-id}/children`.
    pub children: u64,
    /// Every CDN request.
    pub cdn: u64,
}

/// The endpoints counted in [`Calls`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Authorize,
    OAuthAccessToken,
    Exchange,
    Refresh,
    Me,
    MediaList,
    MediaItem,
    Children,
    Cdn,
}

impl Stats {
    /// Counts one `/me/media` page served for `username`.
    pub(crate) fn record_listing(&mut self, username: &str) {
        *self
            .media_list_by_account
            .entry(username.to_owned())
            .or_default() += 1;
    }

    /// Counts one call.
    pub(crate) fn record(&mut self, endpoint: Endpoint) {
        let calls = &mut self.calls;
        let counter = match endpoint {
            Endpoint::Authorize => &mut calls.authorize,
            Endpoint::OAuthAccessToken => &mut calls.oauth_access_token,
            Endpoint::Exchange => &mut calls.exchange,
            Endpoint::Refresh => &mut calls.refresh,
            Endpoint::Me => &mut calls.me,
            Endpoint::MediaList => &mut calls.media_list,
            Endpoint::MediaItem => &mut calls.media_item,
            Endpoint::Children => &mut calls.children,
            Endpoint::Cdn => &mut calls.cdn,
        };
        *counter += 1;
    }
}
