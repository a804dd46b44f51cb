//! `/admin/feeds…`: the feed editor. The owner's feeds are listed (on `/admin` and at
//! `/admin/feeds`), created by name, edited and deleted here; every change goes through
//! [`crate::feeds::Feeds::save`], the same path as the admin API's `PUT`, so what the editor
//! saves is served at once.
//!
//! The editor is one plain HTML form: it works without JavaScript. `static/admin.js` only
//! adds the live preview (the preview iframe's `src` follows the display controls) and the
//! copy buttons. A refused save renders the form again with what was typed and the field at
//! fault named next to its input.

use std::collections::{BTreeSet, HashMap};

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::pages;
use super::session::AdminSession;
use crate::feed::definition::{self, FeedDefinition, Invalid, parse_name};
use crate::feed::display::{self, Columns};
use crate::feeds::{DeleteError, SaveError};
use crate::web::AppState;
use crate::web::WebError;
use crate::web::error::codes;

/// Largest editor form body: a feed's posts with a long link each fit many times over.
pub(crate) const FORM_LIMIT: usize = 512 * 1024;
/// Most fields in one form (four per post, for more posts than a definition may moderate).
const MAX_FIELDS: usize = 4 * definition::MAX_MODERATED + 64;
/// Largest pin order number.
const MAX_ORDER: u32 = 999;
/// Longest caption excerpt shown beside a thumbnail.
const EXCERPT: usize = 80;

/// The editor forms' body limit (a 413 beyond it, like every other form).
pub(crate) fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(FORM_LIMIT)
        .error_handler(|e, _| crate::web::error::form_error(e, FORM_LIMIT, "invalid form body"))
}

/// A submitted form as its name/value pairs, in order (checkboxes and the per-post fields
/// repeat or carry the post id in the name, which a struct cannot express).
type Pairs = web::Form<Vec<(String, String)>>;

/// A one-time message after a redirect, from a fixed list (nothing from the URL is echoed).
#[derive(Deserialize)]
pub(crate) struct NoticeQuery {
    notice: Option<String>,
}

fn notice_text(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "saved" => Some("Saved. Websites showing this feed get the new version now."),
        "created" => Some("Feed created. Choose its posts and look below, then save."),
        "deleted" => Some("The feed was deleted."),
        _ => None,
    }
}

/// A mistake to show: the message, the definition's field, and the id of the input at fault.
#[derive(Clone)]
struct FieldError {
    field: String,
    message: String,
    target: String,
}

/// One checkbox or option of a list.
struct Choice {
    value: String,
    checked: bool,
}

fn choices(all: &[&str], selected: &[String]) -> Vec<Choice> {
    all.iter()
        .map(|value| Choice {
            value: (*value).to_owned(),
            checked: selected.iter().any(|s| s == value),
        })
        .collect()
}

/// What the owner chose for one post.
#[derive(Clone, Default)]
struct PostChoice {
    hide: bool,
    pin: bool,
    order: String,
    link: String,
}

/// The editor's fields as text, exactly as shown or as typed: built from a definition to
/// show it, or from a submitted form to save it (and to show it again if it is refused).
#[derive(Clone, Default)]
struct EditorForm {
    accounts: Vec<String>,
    types: Vec<String>,
    include_unshared_reels: bool,
    hashtags_any: String,
    hashtags_none: String,
    words_none: String,
    max_posts: String,
    layout: String,
    columns: String,
    aspect: String,
    captions: String,
    header: bool,
    load_more: bool,
    theme: String,
    gap: String,
    lightbox: bool,
    /// Post ids in the order the form listed them, with what was chosen for each.
    posts: Vec<(String, PostChoice)>,
    /// The rebuild hooks kept (their URLs; secrets stay stored and are never shown).
    hooks: Vec<String>,
    /// A hook to add, and its secret (as typed, only until the save).
    new_hook_url: String,
    new_hook_secret: String,
    index: HashMap<String, usize>,
}

impl EditorForm {
    fn from_definition(d: &FeedDefinition) -> Self {
        let mut form = Self {
            accounts: d.accounts.clone(),
            types: d
                .types
                .iter()
                .map(|k| definition::kind_name(*k).to_owned())
                .collect(),
            include_unshared_reels: d.include_unshared_reels,
            hashtags_any: d.hashtags_any.join(", "),
            hashtags_none: d.hashtags_none.join(", "),
            words_none: d.words_none.join(", "),
            max_posts: d.max_posts.to_string(),
            layout: d.display.layout.clone(),
            columns: d.display.columns.to_text(),
            aspect: d.display.aspect.clone(),
            captions: d.display.captions.clone(),
            header: d.display.header,
            load_more: d.display.load_more,
            theme: d.display.theme.clone(),
            gap: d.display.gap.clone().unwrap_or_default(),
            lightbox: d.display.lightbox,
            hooks: d.hooks.iter().map(|h| h.url.clone()).collect(),
            ..Self::default()
        };
        for id in &d.hidden {
            form.post(id).hide = true;
        }
        for (i, id) in d.pinned.iter().enumerate() {
            let choice = form.post(id);
            choice.pin = true;
            choice.order = (i + 1).to_string();
        }
        for (id, link) in &d.links {
            form.post(id).link.clone_from(link);
        }
        form
    }

    /// The form's fields and its CSRF token; `None` when it has more fields than any editor
    /// form could.
    fn from_pairs(pairs: &[(String, String)]) -> Option<(String, Self)> {
        if pairs.len() > MAX_FIELDS {
            return None;
        }
        let mut csrf = String::new();
        let mut form = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "csrf_token" => csrf.clone_from(value),
                "accounts" => form.accounts.push(value.trim().to_owned()),
                "types" => form.types.push(value.trim().to_owned()),
                "include_unshared_reels" => form.include_unshared_reels = true,
                "hashtags_any" => form.hashtags_any.clone_from(value),
                "hashtags_none" => form.hashtags_none.clone_from(value),
                "words_none" => form.words_none.clone_from(value),
                "max_posts" => form.max_posts.clone_from(value),
                "layout" => form.layout.clone_from(value),
                "columns" => form.columns.clone_from(value),
                "aspect" => form.aspect.clone_from(value),
                "captions" => form.captions.clone_from(value),
                "theme" => form.theme.clone_from(value),
                "gap" => form.gap.clone_from(value),
                "header" => form.header = true,
                "load_more" => form.load_more = true,
                "lightbox" => form.lightbox = true,
                "post" => {
                    form.post(value);
                }
                "hook" => form.hooks.push(value.trim().to_owned()),
                "new_hook_url" => form.new_hook_url.clone_from(value),
                "new_hook_secret" => form.new_hook_secret.clone_from(value),
                other => match other.split_once('.') {
                    Some(("hide", id)) => form.post(id).hide = true,
                    Some(("pin", id)) => form.post(id).pin = true,
                    Some(("order", id)) => form.post(id).order.clone_from(value),
                    Some(("link", id)) => form.post(id).link.clone_from(value),
                    _ => {}
                },
            }
        }
        Some((csrf, form))
    }

    fn post(&mut self, id: &str) -> &mut PostChoice {
        let i = match self.index.get(id) {
            Some(i) => *i,
            None => {
                self.posts.push((id.to_owned(), PostChoice::default()));
                self.index.insert(id.to_owned(), self.posts.len() - 1);
                self.posts.len() - 1
            }
        };
        &mut self.posts[i].1
    }

    fn choice(&self, id: &str) -> PostChoice {
        self.index
            .get(id)
            .map(|i| self.posts[*i].1.clone())
            .unwrap_or_default()
    }

    /// The definition this form asks for, as the JSON the admin API would take. An account's
    /// own feed leaves `accounts` out (it always shows its account).
    fn to_json(&self, own_feed: bool) -> Result<Value, Invalid> {
        let list = |text: &str| -> Value {
            text.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| Value::String(t.to_owned()))
                .collect()
        };
        let mut body = Map::new();
        if !own_feed {
            if self.accounts.is_empty() {
                return Err(Invalid::new(
                    "accounts",
                    "choose at least one account to take posts from",
                ));
            }
            body.insert("accounts".into(), strings(&self.accounts));
        }
        body.insert("types".into(), strings(&self.types));
        body.insert(
            "include_unshared_reels".into(),
            self.include_unshared_reels.into(),
        );
        body.insert("hashtags_any".into(), list(&self.hashtags_any));
        body.insert("hashtags_none".into(), list(&self.hashtags_none));
        body.insert("words_none".into(), list(&self.words_none));
        let max_posts = self.max_posts.trim();
        if !max_posts.is_empty() {
            let n = max_posts.parse::<u64>().map_err(|_| {
                Invalid::new(
                    "max_posts",
                    format!("must be a whole number from 1 to {}", definition::MAX_POSTS),
                )
            })?;
            body.insert("max_posts".into(), n.into());
        }
        let mut pinned = Vec::new();
        let mut hidden = Vec::new();
        let mut links = Map::new();
        for (position, (id, choice)) in self.posts.iter().enumerate() {
            if choice.hide {
                hidden.push(id.clone());
            }
            if choice.pin {
                let order = match choice.order.trim() {
                    "" => u32::MAX,
                    raw => raw
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_ORDER).contains(n))
                        .ok_or_else(|| {
                            Invalid::new(
                                format!("order.{id}"),
                                format!("must be a number from 1 to {MAX_ORDER}, or empty"),
                            )
                        })?,
                };
                pinned.push((order, position, id.clone()));
            }
            let link = choice.link.trim();
            if !link.is_empty() {
                links.insert(id.clone(), Value::String(link.to_owned()));
            }
        }
        pinned.sort();
        body.insert("hidden".into(), strings(&hidden));
        body.insert(
            "pinned".into(),
            pinned
                .into_iter()
                .map(|(_, _, id)| Value::String(id))
                .collect(),
        );
        body.insert("links".into(), Value::Object(links));
        let mut display = Map::new();
        // A choice left out (no select sent) keeps the default rather than failing.
        for (key, value) in [
            ("layout", &self.layout),
            ("aspect", &self.aspect),
            ("captions", &self.captions),
            ("theme", &self.theme),
        ] {
            if !value.trim().is_empty() {
                display.insert(key.into(), value.trim().into());
            }
        }
        if !self.columns.trim().is_empty() {
            display.insert("columns".into(), self.columns.trim().into());
        }
        display.insert("header".into(), self.header.into());
        display.insert("load_more".into(), self.load_more.into());
        if !self.gap.trim().is_empty() {
            display.insert("gap".into(), self.gap.trim().into());
        }
        display.insert("lightbox".into(), self.lightbox.into());
        body.insert("display".into(), Value::Object(display));
        // Kept hooks go without their secret (the stored one stays); a new one brings its own.
        let mut hooks: Vec<Value> = self
            .hooks
            .iter()
            .map(|url| serde_json::json!({ "url": url }))
            .collect();
        if !self.new_hook_url.trim().is_empty() {
            hooks.push(serde_json::json!({
                "url": self.new_hook_url.trim(),
                "secret": self.new_hook_secret.trim(),
            }));
        }
        body.insert("hooks".into(), Value::Array(hooks));
        Ok(Value::Object(body))
    }

    /// `/embed`'s query parameters for the display controls (values `/embed` would refuse
    /// are left out, so the preview keeps showing the rest).
    fn display_query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        let bool_str = |b: bool| if b { "true" } else { "false" };
        if display::LAYOUTS.contains(&self.layout.as_str()) {
            q.append_pair("layout", &self.layout);
        }
        if let Ok(columns) = Columns::parse_text(&self.columns) {
            q.append_pair("columns", &columns.to_text());
        }
        if display::ASPECTS.contains(&self.aspect.as_str()) {
            q.append_pair("aspect", &self.aspect);
        }
        if display::CAPTIONS.contains(&self.captions.as_str()) {
            q.append_pair("captions", &self.captions);
        }
        q.append_pair("header", bool_str(self.header));
        q.append_pair("load-more", bool_str(self.load_more));
        if display::THEMES.contains(&self.theme.as_str()) {
            q.append_pair("theme", &self.theme);
        }
        if let Ok(gap) = display::parse_gap(self.gap.trim()) {
            q.append_pair("gap", &gap);
        }
        q.finish()
    }
}

fn strings(items: &[String]) -> Value {
    items.iter().map(|s| Value::String(s.clone())).collect()
}

/// The id of the input a definition field's mistake belongs to (`links.17…` → `link-17…`).
fn target(field: &str, body: Option<&Value>) -> String {
    let (head, rest) = field.split_once('.').unwrap_or((field, ""));
    let nth = |key: &str| {
        body.and_then(|b| b.get(key))
            .and_then(|list| list.get(rest.parse::<usize>().ok()?))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match head {
        "links" => format!("link-{rest}"),
        "order" => format!("order-{rest}"),
        "pinned" => nth("pinned").map_or_else(|| "posts".into(), |id| format!("pin-{id}")),
        "hidden" => nth("hidden").map_or_else(|| "posts".into(), |id| format!("hide-{id}")),
        "display" => {
            let key = rest.split('.').next().filter(|k| !k.is_empty());
            format!("display-{}", key.unwrap_or("layout"))
        }
        "types" => "type-image".into(),
        "accounts" => "accounts".into(),
        // Kept hooks are checkboxes; only the new one can be mistyped.
        "hooks" if rest.ends_with(".secret") => "new-hook-secret".into(),
        "hooks" => "new-hook-url".into(),
        "" => "editor".into(),
        other => other.to_owned(),
    }
}

/// One post of the feed's accounts as the editor shows it.
struct PostRow {
    id: String,
    image: Option<String>,
    alt: String,
    excerpt: String,
    date: String,
    kind: &'static str,
    account: String,
    permalink: String,
    /// A reel Instagram's profile grid leaves out.
    unshared: bool,
    /// In the definition but no longer among the accounts' posts.
    missing: bool,
    choice: PostChoice,
    error: Option<String>,
}

/// The three ways to put this feed on a website.
struct Snippets {
    script_tag: String,
    iframe: String,
    json_url: String,
    rss_url: String,
    json_feed_url: String,
}

impl Snippets {
    fn new(public_url: &url::Url, name: &str) -> Self {
        let base = public_url.as_str().trim_end_matches('/');
        Self {
            script_tag: format!(
                "<script src=\"{base}/widget.js\" data-feed=\"{name}\" async></script>"
            ),
            iframe: format!(
                "<iframe src=\"{base}/embed?feed={name}\" title=\"Instagram posts\" width=\"100%\" height=\"720\" loading=\"lazy\" style=\"border:0\"></iframe>\n\
                 <script src=\"{base}/embed.js\" async></script>"
            ),
            json_url: format!("{base}/feed.json?feed={name}"),
            rss_url: format!("{base}/rss.xml?feed={name}"),
            json_feed_url: format!("{base}/jsonfeed.json?feed={name}"),
        }
    }
}

#[derive(Template)]
#[template(path = "admin_feed.html")]
struct EditorPage {
    csrf_token: String,
    name: String,
    own_feed: bool,
    is_default: bool,
    notice: Option<&'static str>,
    error: Option<FieldError>,
    form: EditorForm,
    account_choices: Vec<Choice>,
    type_choices: Vec<Choice>,
    layouts: Vec<Choice>,
    aspects: Vec<Choice>,
    captions: Vec<Choice>,
    themes: Vec<Choice>,
    rows: Vec<PostRow>,
    /// The rebuild hooks' last calls, newest first.
    deliveries: Vec<crate::hooks::Delivery>,
    preview_base: String,
    preview_src: String,
    live_src: String,
    snippets: Snippets,
}

impl EditorPage {
    /// The message for the input `id`, when the last save was refused because of it.
    fn error_at(&self, id: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.target == id)
            .map(|e| e.message.as_str())
    }
}

/// One feed in the list on `/admin` and `/admin/feeds`.
pub(crate) struct FeedLink {
    pub(crate) name: String,
    pub(crate) own: bool,
    pub(crate) is_default: bool,
    pub(crate) accounts: String,
    pub(crate) posts: Option<usize>,
}

/// Every feed, the accounts' own first.
pub(crate) fn listing(state: &AppState) -> Vec<FeedLink> {
    let default = state.feeds.default_name();
    state
        .feeds
        .definitions()
        .iter()
        .map(|d| FeedLink {
            name: d.name.clone(),
            own: state.feeds.is_account_feed(&d.name),
            is_default: default.as_deref() == Some(d.name.as_str()),
            accounts: d.accounts.join(", "),
            posts: state
                .feeds
                .view(&d.name)
                .and_then(|v| v.peek(&state.accounts))
                .map(|s| s.current.snapshot.feed.posts.len()),
        })
        .collect()
}

/// The "new feed" form: the name and accounts as typed.
pub(crate) struct CreateForm {
    pub(crate) name: String,
    pub(crate) accounts: Vec<(String, bool)>,
    pub(crate) error: Option<String>,
}

impl CreateForm {
    /// An empty form: every connected account offered, the default one ticked.
    pub(crate) fn empty(state: &AppState) -> Self {
        let default = state.feeds.default_name();
        Self {
            name: String::new(),
            accounts: connected(state)
                .into_iter()
                .map(|a| {
                    let tick = default.as_deref() == Some(a.as_str());
                    (a, tick)
                })
                .collect(),
            error: None,
        }
    }
}

fn connected(state: &AppState) -> Vec<String> {
    state
        .accounts
        .accounts()
        .iter()
        .map(|a| a.feed_name())
        .collect()
}

#[derive(Template)]
#[template(path = "admin_feeds.html")]
struct FeedsPage {
    csrf_token: String,
    notice: Option<&'static str>,
    feeds: Vec<FeedLink>,
    create: CreateForm,
}

fn feeds_page(
    state: &AppState,
    csrf_token: String,
    notice: Option<&'static str>,
    create: CreateForm,
    status: StatusCode,
) -> HttpResponse {
    let page = FeedsPage {
        csrf_token,
        notice,
        feeds: listing(state),
        create,
    };
    pages::html(status, page.render())
}

/// `GET /admin/feeds`: every feed, and the form to create one.
pub(crate) async fn index(
    session: AdminSession,
    query: web::Query<NoticeQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let notice = notice_text(query.notice.as_deref());
    let create = CreateForm::empty(&state);
    feeds_page(&state, session.csrf_token, notice, create, StatusCode::OK)
}

/// `POST /admin/feeds`: creates a named feed from a name and its accounts, then opens its
/// editor. A refusal shows the form again with what was typed.
pub(crate) async fn create(
    session: AdminSession,
    form: Pairs,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let pairs = &form.0;
    if pairs.len() > MAX_FIELDS {
        return Err(too_many_fields());
    }
    let field = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    };
    session.check_csrf(field("csrf_token"))?;
    let typed_name = field("name").trim().to_owned();
    let ticked: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "accounts")
        .map(|(_, v)| v.trim().to_owned())
        .collect();
    let refuse = |message: String| {
        let mut create = CreateForm::empty(&state);
        create.name.clone_from(&typed_name);
        for (account, tick) in &mut create.accounts {
            *tick = ticked.contains(account);
        }
        create.error = Some(message);
        Ok(feeds_page(
            &state,
            session.csrf_token.clone(),
            None,
            create,
            StatusCode::UNPROCESSABLE_ENTITY,
        ))
    };
    let Some(name) = parse_name(&typed_name) else {
        return refuse(
            "Name: 1 to 64 letters, digits, dots, dashes or underscores (e.g. shop).".into(),
        );
    };
    if state.feeds.definition(&name).is_some() {
        return refuse(format!(
            "Name: a feed called `{name}` exists already; open it from the list."
        ));
    }
    if ticked.is_empty() {
        return refuse("Accounts: choose at least one account to take posts from.".into());
    }
    let body = serde_json::json!({ "accounts": ticked });
    match state.feeds.save(&name, &body).await {
        Ok(_) => Ok(see_other(&format!("/admin/feeds/{name}?notice=created"))),
        Err(SaveError::Invalid(invalid)) => {
            refuse(format!("`{}` {}", invalid.field, invalid.message))
        }
        Err(SaveError::Storage(error)) => Err(WebError::Unexpected(error.into())),
    }
}

/// `GET /admin/feeds/{name}`: the editor.
pub(crate) async fn editor(
    session: AdminSession,
    path: web::Path<String>,
    query: web::Query<NoticeQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let (name, definition) = known(&state, &path)?;
    let form = EditorForm::from_definition(&definition);
    let notice = notice_text(query.notice.as_deref());
    Ok(editor_page(
        &state,
        session.csrf_token,
        name,
        form,
        notice,
        None,
        StatusCode::OK,
    ))
}

/// `POST /admin/feeds/{name}`: saves the editor's form as the feed's definition, or shows
/// it again (422) naming the field at fault, with everything as typed.
pub(crate) async fn save(
    session: AdminSession,
    path: web::Path<String>,
    form: Pairs,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let (csrf, submitted) = EditorForm::from_pairs(&form.0).ok_or_else(too_many_fields)?;
    session.check_csrf(&csrf)?;
    let (name, _) = known(&state, &path)?;
    let own = state.feeds.is_account_feed(&name);
    let (body, outcome) = match submitted.to_json(own) {
        Ok(body) => {
            let outcome = state.feeds.save(&name, &body).await;
            (Some(body), outcome.map(|_| ()))
        }
        Err(invalid) => (None, Err(SaveError::Invalid(invalid))),
    };
    match outcome {
        Ok(()) => Ok(see_other(&format!("/admin/feeds/{name}?notice=saved"))),
        Err(SaveError::Invalid(invalid)) => {
            let error = FieldError {
                target: target(&invalid.field, body.as_ref()),
                field: invalid.field,
                message: invalid.message,
            };
            Ok(editor_page(
                &state,
                session.csrf_token,
                name,
                submitted,
                None,
                Some(error),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(SaveError::Storage(error)) => Err(WebError::Unexpected(error.into())),
    }
}

/// The CSRF field of a one-button form.
#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /admin/feeds/{name}/delete`: deletes a named feed (an account's own feed stays).
pub(crate) async fn delete(
    session: AdminSession,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    session.check_csrf(&form.csrf_token)?;
    let (name, _) = known(&state, &path)?;
    match state.feeds.delete(&name).await {
        Ok(()) => Ok(see_other("/admin/feeds?notice=deleted")),
        Err(DeleteError::InUse(_)) => Err(WebError::client(
            StatusCode::CONFLICT,
            "feed-in-use",
            "an account's own feed goes only with its account: disconnect the account instead",
        )),
        Err(DeleteError::Unknown(_)) => Err(unknown_feed()),
        Err(DeleteError::Storage(error)) => Err(WebError::Unexpected(error.into())),
    }
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

fn too_many_fields() -> WebError {
    WebError::client(
        StatusCode::PAYLOAD_TOO_LARGE,
        codes::TOO_LARGE,
        format!("the form has more than {MAX_FIELDS} fields"),
    )
}

fn unknown_feed() -> WebError {
    WebError::client(
        StatusCode::NOT_FOUND,
        "unknown-feed",
        "no feed has this name",
    )
}

/// The feed the path names, with its definition; 404 when there is none.
fn known(
    state: &AppState,
    raw: &str,
) -> Result<(String, std::sync::Arc<FeedDefinition>), WebError> {
    let name = parse_name(raw).ok_or_else(unknown_feed)?;
    let definition = state.feeds.definition(&name).ok_or_else(unknown_feed)?;
    Ok((name, definition))
}

fn editor_page(
    state: &AppState,
    csrf_token: String,
    name: String,
    form: EditorForm,
    notice: Option<&'static str>,
    error: Option<FieldError>,
    status: StatusCode,
) -> HttpResponse {
    let own_feed = state.feeds.is_account_feed(&name);
    let is_default = state.feeds.default_name().as_deref() == Some(name.as_str());
    let mut account_names = connected(state);
    for name in &form.accounts {
        if !account_names.contains(name) {
            account_names.push(name.clone());
        }
    }
    let account_choices = account_names
        .iter()
        .map(|a| Choice {
            value: a.clone(),
            checked: form.accounts.contains(a),
        })
        .collect();
    let rows = rows(state, &name, &form, error.as_ref());
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let preview_base = format!("/embed?feed={encoded}");
    let page = EditorPage {
        csrf_token,
        own_feed,
        is_default,
        notice,
        account_choices,
        type_choices: choices(&["image", "carousel", "video", "reel"], &form.types),
        layouts: choices(display::LAYOUTS, std::slice::from_ref(&form.layout)),
        aspects: choices(display::ASPECTS, std::slice::from_ref(&form.aspect)),
        captions: choices(display::CAPTIONS, std::slice::from_ref(&form.captions)),
        themes: choices(display::THEMES, std::slice::from_ref(&form.theme)),
        rows,
        deliveries: state.hooks.log(&name),
        preview_src: format!("{preview_base}&{}", form.display_query()),
        live_src: preview_base.clone(),
        preview_base,
        snippets: Snippets::new(&state.public_url, &name),
        error,
        form,
        name,
    };
    let mut response = pages::html(status, page.render());
    // The editor's one script is igfeed's own admin.js (the live preview, copy buttons) and
    // its frames are igfeed's own /embed; everything else stays as on every admin page.
    let policy = format!("{}; script-src 'self'; frame-src 'self'", state.admin.csp);
    if let Ok(value) = header::HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// Every post of the accounts the form names (the hidden ones too, so they can be shown
/// again), newest first; then the posts the form mentions that are gone from Instagram.
fn rows(
    state: &AppState,
    name: &str,
    form: &EditorForm,
    error: Option<&FieldError>,
) -> Vec<PostRow> {
    let own = state.accounts.by_feed(name);
    let accounts: Vec<_> = match own {
        Some(account) => vec![account],
        None => form
            .accounts
            .iter()
            .filter_map(|a| state.accounts.by_feed(a))
            .collect(),
    };
    let error_for = |id: &str| {
        error
            .filter(|e| {
                [
                    format!("hide-{id}"),
                    format!("pin-{id}"),
                    format!("order-{id}"),
                    format!("link-{id}"),
                ]
                .contains(&e.target)
            })
            .map(|e| e.message.clone())
    };
    let mut seen = BTreeSet::new();
    let mut dated = Vec::new();
    for account in &accounts {
        let Some(current) = account.feed.peek() else {
            continue;
        };
        let snapshot = &current.snapshot;
        for post in &snapshot.feed.posts {
            if !seen.insert(post.id.clone()) {
                continue;
            }
            let caption = post.caption.clone().unwrap_or_default();
            let excerpt: String = caption.chars().take(EXCERPT).collect();
            let excerpt = if caption.chars().count() > EXCERPT {
                format!("{excerpt}…")
            } else {
                excerpt
            };
            dated.push((
                post.timestamp,
                PostRow {
                    id: post.id.clone(),
                    image: post.media.first().and_then(|m| m.url.clone()),
                    alt: post
                        .alt
                        .clone()
                        .filter(|a| !a.is_empty())
                        .unwrap_or_else(|| {
                            if excerpt.is_empty() {
                                "Instagram post".into()
                            } else {
                                excerpt.clone()
                            }
                        }),
                    excerpt,
                    date: post
                        .timestamp
                        .map(|t| t.format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                    kind: definition::kind_name(post.kind),
                    account: snapshot.feed.profile.username.clone(),
                    permalink: post.permalink.clone().unwrap_or_default(),
                    unshared: snapshot.unshared_reels.contains(&post.id),
                    missing: false,
                    choice: form.choice(&post.id),
                    error: error_for(&post.id),
                },
            ));
        }
    }
    dated.sort_by_key(|row| std::cmp::Reverse(row.0));
    let mut rows: Vec<PostRow> = dated.into_iter().map(|(_, row)| row).collect();
    for (id, choice) in &form.posts {
        let chosen = choice.hide || choice.pin || !choice.link.trim().is_empty();
        if seen.contains(id) || !chosen {
            continue;
        }
        rows.push(PostRow {
            id: id.clone(),
            image: None,
            alt: String::new(),
            excerpt: String::new(),
            date: String::new(),
            kind: "",
            account: String::new(),
            permalink: String::new(),
            unshared: false,
            missing: true,
            choice: choice.clone(),
            error: error_for(id),
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_form_becomes_the_definition_it_shows() {
        let (csrf, form) = EditorForm::from_pairs(&pairs(&[
            ("csrf_token", "t"),
            ("accounts", "a"),
            ("types", "image"),
            ("hashtags_any", " menu, #Food ,"),
            ("max_posts", "20"),
            ("layout", "grid"),
            ("columns", "2,600:3"),
            ("post", "1"),
            ("post", "2"),
            ("post", "3"),
            ("hide.1", "on"),
            ("pin.3", "on"),
            ("order.3", "2"),
            ("pin.2", "on"),
            ("order.2", "1"),
            ("link.3", " https://shop.example/p "),
            ("header", "on"),
        ]))
        .expect("within bounds");
        assert_eq!(csrf, "t");
        let json = form.to_json(false).expect("valid");
        assert_eq!(json["hidden"], serde_json::json!(["1"]));
        assert_eq!(json["pinned"], serde_json::json!(["2", "3"]));
        assert_eq!(json["links"]["3"], "https://shop.example/p");
        assert_eq!(json["hashtags_any"], serde_json::json!(["menu", "#Food"]));
        assert_eq!(json["display"]["columns"], "2,600:3");
        assert_eq!(json["display"]["header"], true);
        assert_eq!(json["display"]["lightbox"], false);
        let defaults = definition::Defaults {
            accounts: vec![],
            max_posts: 50,
        };
        let parsed = definition::parse("shop", &json, &defaults).expect("the parser takes it");
        let again = EditorForm::from_definition(&parsed)
            .to_json(false)
            .expect("valid");
        assert_eq!(
            definition::parse("shop", &again, &defaults).expect("valid"),
            parsed,
            "shown and saved again, nothing changes"
        );
    }

    #[test]
    fn mistakes_name_the_input_at_fault() {
        let (_, form) = EditorForm::from_pairs(&pairs(&[
            ("accounts", "a"),
            ("pin.9", "on"),
            ("order.9", "x"),
        ]))
        .expect("within bounds");
        let error = form.to_json(false).expect_err("a bad order");
        assert_eq!(target(&error.field, None), "order-9");
        assert_eq!(target("links.17", None), "link-17");
        assert_eq!(target("display.columns", None), "display-columns");
        assert_eq!(target("hashtags_any.2", None), "hashtags_any");
        let body = serde_json::json!({"pinned": ["5", "6"]});
        assert_eq!(target("pinned.1", Some(&body)), "pin-6");
        let (_, form) = EditorForm::from_pairs(&pairs(&[("types", "image")])).expect("ok");
        assert_eq!(
            form.to_json(false).expect_err("no account").field,
            "accounts"
        );
    }

    #[test]
    fn too_many_fields_are_refused_before_any_work() {
        let many = vec![("post".to_owned(), "1".to_owned()); MAX_FIELDS + 1];
        assert!(EditorForm::from_pairs(&many).is_none());
    }

    #[test]
    fn the_preview_query_leaves_out_what_embed_would_refuse() {
        let form = EditorForm {
            layout: "grid".into(),
            columns: "2,600:3".into(),
            aspect: "portrait".into(),
            captions: "none".into(),
            theme: "dark".into(),
            gap: "oops".into(),
            header: true,
            ..EditorForm::default()
        };
        assert_eq!(
            form.display_query(),
            "layout=grid&columns=2%2C600%3A3&aspect=portrait&captions=none&header=true&load-more=false&theme=dark"
        );
    }
}
