//! Graph API reads: `/me`, `/me/media`, `/{media-id}`, `/{media-id}/children`.

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::token::{Grant, long_lived};
use super::{form_pairs, param, token_of};
use crate::errors::GraphError;
use crate::fields;
use crate::gate::{Surface, enter, ok_json};
use crate::paging::{self, cursor, decode_cursor};
use crate::posts::{self, Post};
use crate::render::{Renderer, check_media_fields, check_profile_fields};
use crate::state::SandboxState;
use crate::stats::Endpoint;

/// Every request no other route took: routed by path like graph.instagram.com.
pub(super) async fn dispatch(req: HttpRequest, state: web::Data<SandboxState>) -> HttpResponse {
    state.record_graph();
    let path = req.path().to_owned();
    tracing::debug!(method = %req.method(), path = %path, "sandbox graph request");
    let mut segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if segments.first().is_some_and(|s| is_version(s)) {
        segments.remove(0);
    }
    if req.method() != Method::GET {
        let message = format!(
            "Unsupported {} request.",
            req.method().as_str().to_lowercase()
        );
        return GraphError::invalid(message).response();
    }
    let pairs = form_pairs(req.query_string().as_bytes());
    let me = |s: &str| s == "me" || state.lock().accounts.iter().any(|a| a.is_named_by(s));
    let read = match segments.as_slice() {
        ["access_token"] => return long_lived(&req, &state, &pairs, Grant::Exchange).await,
        ["refresh_access_token"] => return long_lived(&req, &state, &pairs, Grant::Refresh).await,
        [node] if me(node) => Read::Me(node.to_string()),
        [node, "media"] if me(node) => Read::MediaList(node.to_string()),
        [id] if posts::seed_of_media_id(id).is_some() || posts::seed_of_child_id(id).is_some() => {
            Read::Item(id.to_string())
        }
        [id, "children"] if posts::seed_of_media_id(id).is_some() => Read::Children(id.to_string()),
        _ => return GraphError::unsupported_get(segments.join("/").as_str()).response(),
    };
    state.record(read.endpoint());
    let truncate = match enter(&state, Surface::Graph).await {
        Ok(truncate) => truncate,
        Err(response) => return response,
    };
    match serve(&req, &state, &pairs, &path, read) {
        Ok(body) => ok_json(&body, truncate),
        Err(error) => error.response(),
    }
}

/// `v23.0` and the like.
fn is_version(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else {
        return false;
    };
    let Some((major, minor)) = rest.split_once('.') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(major) && digits(minor)
}

/// The reads, resolved from the path; `Me` and `MediaList` keep the node the path named.
enum Read {
    Me(String),
    MediaList(String),
    Item(String),
    Children(String),
}

impl Read {
    fn endpoint(&self) -> Endpoint {
        match self {
            Read::Me(_) => Endpoint::Me,
            Read::MediaList(_) => Endpoint::MediaList,
            Read::Item(_) => Endpoint::MediaItem,
            Read::Children(_) => Endpoint::Children,
        }
    }
}

fn serve(
    req: &HttpRequest,
    state: &SandboxState,
    pairs: &[(String, String)],
    path: &str,
    read: Read,
) -> Result<Value, GraphError> {
    let token = token_of(req, pairs).ok_or_else(GraphError::missing_token)?;
    let now = state.now();
    let (shape, account, entries) = {
        let mut inner = state.lock();
        let record = inner
            .check_token(&token, now)
            .map_err(|e| GraphError::token(&e, now))?;
        let account = inner.accounts.get(record.account);
        // A user node is readable only by its own token, as on Instagram.
        if let Read::Me(node) | Read::MediaList(node) = &read
            && !account.is_named_by(node)
        {
            return Err(GraphError::unsupported_get(node));
        }
        let (identity, entries) = (account.identity(), account.timeline.entries().to_vec());
        if let Read::MediaList(_) = read {
            inner.stats.record_listing(&identity.username);
        }
        (inner.shape, identity, entries)
    };
    let fields =
        fields::parse(param(pairs, "fields").unwrap_or_default()).map_err(GraphError::invalid)?;
    let expiry = state.cdn_expiry();
    let renderer = Renderer {
        account: &account,
        signer: &state.signer,
        base: &state.base_url,
        cdn_expiry: expiry,
    };
    let find = |id: &str| {
        posts::seed_of_media_id(id)
            .and_then(|seed| entries.iter().find(|(s, _)| *s == seed))
            .map(|(seed, at)| Post::build(*seed, *at))
            .ok_or_else(|| GraphError::unsupported_get(id))
    };
    match read {
        Read::Me(_) => {
            check_profile_fields(&fields)?;
            Ok(renderer.profile(&fields, entries.len(), shape))
        }
        Read::Item(id) => {
            check_media_fields(&fields)?;
            if let Some((parent, position)) = posts::seed_of_child_id(&id) {
                // A carousel item is a media node of its own, reachable by its id.
                let parent = find(&(Post::build(parent, now).id))?;
                let child = parent.children.get((position as usize).wrapping_sub(1));
                let child = child.ok_or_else(|| GraphError::unsupported_get(&id))?;
                return Ok(renderer.child(child, &fields));
            }
            Ok(renderer.media(&find(&id)?, &fields))
        }
        Read::Children(id) => {
            check_media_fields(&fields)?;
            Ok(json!({ "data": renderer.children(&find(&id)?, &fields) }))
        }
        Read::MediaList(_) => {
            check_media_fields(&fields)?;
            let page = Page::select(&entries, pairs)?;
            let data: Vec<Value> = entries[page.start..page.end]
                .iter()
                .map(|(seed, at)| renderer.media(&Post::build(*seed, *at), &fields))
                .collect();
            Ok(page.body(data, &entries, state, path, pairs, &token))
        }
    }
}

/// Which slice of the timeline a `/me/media` request gets.
struct Page {
    start: usize,
    end: usize,
}

impl Page {
    fn select(
        entries: &[(u64, chrono::DateTime<chrono::Utc>)],
        pairs: &[(String, String)],
    ) -> Result<Page, GraphError> {
        let limit = paging::limit(param(pairs, "limit")).map_err(GraphError::invalid)?;
        let position = |raw: &str| {
            decode_cursor(raw)
                .and_then(|seed| entries.iter().position(|(s, _)| *s == seed))
                .ok_or_else(|| GraphError::invalid("(#100) The parameter cursor is invalid"))
        };
        if let Some(after) = param(pairs, "after") {
            let start = position(after)? + 1;
            return Ok(Page {
                start,
                end: (start + limit).min(entries.len()),
            });
        }
        if let Some(before) = param(pairs, "before") {
            let end = position(before)?;
            return Ok(Page {
                start: end.saturating_sub(limit),
                end,
            });
        }
        Ok(Page {
            start: 0,
            end: limit.min(entries.len()),
        })
    }

    fn body(
        &self,
        data: Vec<Value>,
        entries: &[(u64, chrono::DateTime<chrono::Utc>)],
        state: &SandboxState,
        path: &str,
        pairs: &[(String, String)],
        token: &str,
    ) -> Value {
        if data.is_empty() {
            return json!({ "data": data });
        }
        let id_at = |i: usize| Post::build(entries[i].0, entries[i].1).id;
        let (first, last) = (cursor(&id_at(self.start)), cursor(&id_at(self.end - 1)));
        let mut paging = json!({ "cursors": { "before": first, "after": last } });
        let link = |set| paging::link(&state.base_url, path, pairs, token, set);
        if let Some(map) = paging.as_object_mut() {
            if self.end < entries.len() {
                map.insert("next".to_owned(), link(("after", &last)).into());
            }
            if self.start > 0 {
                map.insert("previous".to_owned(), link(("before", &first)).into());
            }
        }
        json!({ "data": data, "paging": paging })
    }
}
