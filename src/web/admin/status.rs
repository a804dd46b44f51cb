//! `GET /admin`: the status page — the account, the token, the feed, what went wrong and how
//! to fix it, the feed URL to copy, a preview, and the actions.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::advice::{Notice, advice_for};
use super::pages;
use super::session::AdminSession;
use crate::credentials::TokenState;
use crate::human;
use crate::web::AppState;
use crate::web::WebError;

/// Posts shown in the preview.
const PREVIEW_POSTS: usize = 12;

#[derive(Template)]
#[template(path = "admin_status.html")]
struct StatusPage {
    csrf_token: String,
    notice: Option<&'static str>,
    can_connect: bool,
    accounts: Vec<AccountBlock>,
    max_accounts: usize,
    /// The default feed's preview (the live widget shows it).
    has_preview: bool,
    /// Every feed, with a link to its editor.
    feeds: Vec<super::feeds::FeedLink>,
    /// The form creating a named feed.
    create: super::feeds::CreateForm,
}

/// Everything the page shows about one account.
struct AccountBlock {
    id: String,
    is_default: bool,
    feed_name: String,
    account: Account,
    problems: Vec<Problem>,
    feed_url: String,
    feed: Option<FeedView>,
    preview: Vec<PreviewPost>,
    widget: Snippets,
}

/// The embed code to copy, shown once a feed exists; the live widget preview loads with it.
struct Snippets {
    script_tag: String,
    iframe: String,
}

impl Snippets {
    /// The snippets for the default feed (`feed` = `None`) or a named one.
    fn new(public_url: &url::Url, feed: Option<&str>) -> Self {
        let base = public_url.as_str().trim_end_matches('/');
        let (attribute, parameter) = feed.map_or_else(
            || (String::new(), String::new()),
            |name| (format!(" data-feed=\"{name}\""), format!("feed={name}&")),
        );
        Self {
            script_tag: format!(
                "<script src=\"{base}/widget.js\"{attribute} data-limit=\"9\" data-columns=\"3\" async></script>"
            ),
            iframe: format!(
                "<iframe src=\"{base}/embed?{parameter}limit=9&columns=3\" title=\"Instagram posts\" width=\"100%\" height=\"720\" loading=\"lazy\" style=\"border:0\"></iframe>\n\
                 <script src=\"{base}/embed.js\" async></script>"
            ),
        }
    }
}

struct Account {
    username: String,
    name: Option<String>,
    picture: Option<String>,
    account_type: Option<String>,
    source: &'static str,
    obtained_at: String,
    expires_at: String,
    next_refresh: String,
    needs_reconnect: bool,
}

struct Problem {
    what: String,
    fix: &'static str,
}

struct FeedView {
    updated_at: String,
    age: String,
    posts: usize,
    stale: bool,
    last_attempt: String,
    last_outcome: &'static str,
}

struct PreviewPost {
    permalink: String,
    image: Option<String>,
    alt: String,
}

/// Query of the status page: `?connected=1` after the callback, `?notice=…` after an action (fixed texts only: nothing
/// from the URL is ever echoed into the page).
#[derive(Deserialize)]
pub struct StatusQuery {
    connected: Option<String>,
    notice: Option<String>,
}

/// The admin home page: every connected account, the default one first marked as such.
pub async fn page(
    session: AdminSession,
    query: web::Query<StatusQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let listing = state.accounts.listing();
    let accounts: Vec<AccountBlock> = listing
        .accounts
        .iter()
        .filter_map(|account| {
            let is_default = listing.default.as_deref() == Some(account.id());
            block(&state, account, is_default)
        })
        .collect();
    let notice = if query.connected.is_some() {
        Some(Notice::Connected.text())
    } else {
        query
            .notice
            .as_deref()
            .and_then(Notice::parse)
            .map(Notice::text)
    };
    let has_preview = accounts
        .iter()
        .any(|a| a.is_default && !a.preview.is_empty());
    let page = StatusPage {
        csrf_token: session.csrf_token,
        notice,
        can_connect: state.instagram.can_authorize(),
        accounts,
        max_accounts: state.accounts.max(),
        has_preview,
        feeds: super::feeds::listing(&state),
        create: super::feeds::CreateForm::empty(&state),
    };
    let mut response = pages::html(StatusCode::OK, page.render());
    if page.has_preview {
        // The live widget preview is this page's only script: igfeed's own /widget.js
        // fetching igfeed's own /feed.json. (The feed editor allows igfeed's own admin.js and
        // /embed frames; other admin pages keep no script at all.)
        let policy = format!("{}; script-src 'self'; connect-src 'self'", state.admin.csp);
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&policy) {
            response
                .headers_mut()
                .insert(actix_web::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    Ok(response)
}

/// One account's part of the page; `None` if it was disconnected meanwhile.
fn block(
    state: &AppState,
    account: &crate::accounts::Account,
    is_default: bool,
) -> Option<AccountBlock> {
    let now = state.clock.now();
    let credentials = account.credentials.current()?;
    let current = account.feed.peek();
    let feed_status = account.feed.status();
    let profile = current.as_ref().map(|c| &c.snapshot.feed.profile);
    let c = &credentials;
    let view = Account {
        username: account.username().unwrap_or_else(|| "(unknown)".into()),
        name: profile.and_then(|p| p.name.clone()),
        picture: profile.and_then(|p| p.picture.clone()),
        account_type: profile.and_then(|p| p.account_type.clone()),
        source: match c.source {
            crate::credentials::TokenSource::Authorized => "connected here",
            crate::credentials::TokenSource::Imported => "imported by hand",
        },
        obtained_at: when(Some(c.obtained_at), now),
        expires_at: c.expires_at.map_or_else(
            || "unknown until the first refresh (imported token)".into(),
            |t| when(Some(t), now),
        ),
        next_refresh: c.issued_at.map_or_else(
            || "at the next check".into(),
            |issued| {
                when(
                    Some(issued + delta(state.settings.token.refresh_after)),
                    now,
                )
            },
        ),
        needs_reconnect: !c.is_active(),
    };
    let mut problems = Vec::new();
    if let TokenState::NeedsReconnect { reason, .. } = &c.state {
        problems.push(Problem {
            what: format!("Instagram access ended: {reason}"),
            fix: "Instagram revoked access or the token expired — click Reconnect Instagram below.",
        });
    }
    for error in [feed_status.last_error.clone(), account.keeper.last_error()]
        .into_iter()
        .flatten()
    {
        if !problems.iter().any(|p| p.what.contains(&error)) {
            problems.push(Problem {
                fix: advice_for(&error),
                what: error,
            });
        }
    }
    let feed = current.as_ref().map(|c| FeedView {
        updated_at: when(Some(c.snapshot.fetched_at), now),
        age: ago(c.snapshot.fetched_at, now),
        posts: c.snapshot.feed.posts.len(),
        stale: account.feed.is_stale(c),
        last_attempt: when(feed_status.last_attempt, now),
        last_outcome: if feed_status.last_error.is_some() {
            "failed"
        } else {
            "succeeded"
        },
    });
    let preview = current
        .as_ref()
        .map(|c| {
            c.snapshot
                .feed
                .posts
                .iter()
                .take(PREVIEW_POSTS)
                .map(|post| PreviewPost {
                    permalink: post.permalink.clone().unwrap_or_default(),
                    image: post.media.first().and_then(|m| m.url.clone()),
                    alt: post
                        .alt
                        .clone()
                        .or_else(|| post.caption.as_ref().map(|c| c.chars().take(100).collect()))
                        .unwrap_or_else(|| "Instagram post".into()),
                })
                .collect()
        })
        .unwrap_or_default();
    let feed_name = account.feed_name();
    let named = (!is_default).then_some(feed_name.as_str());
    let feed_url = match named {
        None => format!("{}feed.json", state.public_url),
        Some(name) => format!("{}feed.json?feed={name}", state.public_url),
    };
    Some(AccountBlock {
        id: account.id().to_owned(),
        is_default,
        widget: Snippets::new(&state.public_url, named),
        feed_name,
        account: view,
        problems,
        feed_url,
        feed,
        preview,
    })
}

fn delta(duration: std::time::Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(duration).unwrap_or(chrono::TimeDelta::MAX)
}

/// `2026-11-25 19:00 UTC (3 hours ago)`, or "never".
fn when(time: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match time {
        None => "never".into(),
        Some(t) if t <= now => format!("{} ({})", human::time(t), ago(t, now)),
        Some(t) => format!("{} (in {})", human::time(t), human::duration(t - now)),
    }
}

fn ago(time: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("{} ago", human::duration(now - time))
}
