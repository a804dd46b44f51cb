//! `GET /embed`: the feed rendered on the server (askama) for an `<iframe>` and for pages
//! that cannot run scripts. Every post is a real link, so it works with JavaScript off;
//! `/embed.js` only tells the parent page the height. Rendered pages are kept per snapshot
//! and option set, compressed once, so an embed on a busy site costs a cache lookup.

mod assets;
mod options;
mod view;

pub(crate) use assets::{embed_css, embed_js, prepare};

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError as _, web};
use askama::Template;
use base64::Engine as _;

use self::options::{EmbedOptions, EmbedQuery};
use self::view::{HeaderView, TileView};
use crate::feed::prepared::{PreparedBody, RenderSlots};
use crate::web::AppState;
use crate::web::WebError;

/// Bytes of rendered pages kept (every encoding counted): visitors choose the options, and a
/// page of 100 posts weighs far more than one of 9, so the bound is in bytes.
const CACHE_BYTES: u64 = 8 * 1024 * 1024;
/// Pages rendered at once, each on a blocking thread (askama, then gzip and brotli).
const CONCURRENT_RENDERS: usize = 2;
/// Rendered pages also expire, so no copy of a disconnected account's posts outlives the
/// disconnect by more than a few minutes even if nobody asks for /embed again (a new
/// snapshot changes the key anyway; rendering again costs about a millisecond).
const CACHE_TTL: Duration = Duration::from_secs(300);

#[derive(Template)]
#[template(path = "embed.html")]
struct EmbedPage {
    title: String,
    classes: String,
    inline_css: String,
    header: Option<HeaderView>,
    tiles: Vec<TileView>,
    sizes: String,
    natural: bool,
    show_captions: bool,
    hover_captions: bool,
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "embed_unavailable.html")]
struct UnavailablePage;

/// A rendered page with the policy that matches it (the policy names the hash of the page's
/// one `<style>` element).
pub(crate) struct Rendered {
    body: PreparedBody,
    csp: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    /// The feed as asked for (its load-more links say the same): `None` for the default feed.
    feed: Option<String>,
    /// The feed's document ([`crate::feed::pages::Current::generation`], unique in the
    /// process): a new snapshot or definition is a new page.
    document: u64,
    stale: bool,
    options: EmbedOptions,
}

impl Key {
    /// Options that change nothing on this page are left out, so they cannot multiply the
    /// copies kept: `lightbox` is accepted for parity with the widget, but the page has none.
    fn new(feed: Option<String>, document: u64, stale: bool, options: EmbedOptions) -> Self {
        let options = EmbedOptions {
            lightbox: EmbedOptions::default().lightbox,
            ..options
        };
        Self {
            feed,
            document,
            stale,
            options,
        }
    }
}

/// Rendered `/embed` pages; one per application, shared by its workers.
pub(crate) struct EmbedPages {
    cache: moka::future::Cache<Key, Arc<Rendered>>,
    renders: RenderSlots,
}

impl EmbedPages {
    pub(crate) fn new() -> Self {
        Self {
            cache: moka::future::Cache::builder()
                .max_capacity(CACHE_BYTES)
                .weigher(|_, page: &Arc<Rendered>| {
                    page.body
                        .weight()
                        .saturating_add(u32::try_from(page.csp.len()).unwrap_or(u32::MAX))
                })
                .time_to_live(CACHE_TTL)
                .build(),
            renders: RenderSlots::new(CONCURRENT_RENDERS),
        }
    }
}

/// The embed page.
pub(crate) async fn embed(
    req: HttpRequest,
    query: web::Query<EmbedQuery>,
    feed: web::Query<super::feeds::FeedParam>,
    state: web::Data<AppState>,
    pages: web::Data<EmbedPages>,
) -> Result<HttpResponse, WebError> {
    // Checked before the feed is looked up, so a bad parameter is a 400 whatever the feed's
    // state; parsed again over the feed's own defaults below.
    query.parse(&EmbedOptions::default())?;
    let name = feed.name()?;
    let view = match super::feeds::view_for(&state, name.as_deref()).await {
        Ok(view) => view,
        Err(error) if error.status_code() == actix_web::http::StatusCode::NOT_FOUND => {
            return Err(error);
        }
        Err(_) => return Ok(unavailable(&state, &pages)),
    };
    let served = match super::feeds::served(&state, &view).await {
        Ok((served, _)) => served,
        Err(error) => {
            tracing::debug!(%error, "no feed for /embed");
            return Ok(unavailable(&state, &pages));
        }
    };
    let defaults = EmbedOptions::of_display(&view.definition.display);
    let options = query.parse(&defaults)?;
    let current = served.current;
    let key = Key::new(name, current.generation(), served.stale, options);
    let feed_query = key
        .feed
        .as_deref()
        .map(|name| format!("&feed={name}"))
        .unwrap_or_default();
    let policy = Policy::of(&state);
    let options = key.options.clone();
    let rendered = pages
        .cache
        .try_get_with(key, async {
            pages
                .renders
                .run(move || {
                    let feed = &current.snapshot.feed;
                    let page = Page {
                        options: &options,
                        defaults: &defaults,
                        feed_query: &feed_query,
                    };
                    render(&policy, &feed.profile, &feed.posts, &page)
                })
                .await
                .ok_or_else(|| "the render stopped".to_owned())?
                .map(Arc::new)
                .map_err(|error| error.to_string())
        })
        .await
        .map_err(|error| WebError::Unexpected(anyhow::anyhow!("cannot render /embed: {error}")))?;
    Ok(super::prepared_response::respond(
        &req,
        &rendered.body,
        "text/html; charset=utf-8",
        &state.feed_cache_control,
        &[
            (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
            (header::CONTENT_SECURITY_POLICY, &rendered.csp),
        ],
    ))
}

/// What one rendered page is asked for.
struct Page<'a> {
    options: &'a EmbedOptions,
    /// The feed's own defaults: the load-more link repeats only what differs from them.
    defaults: &'a EmbedOptions,
    /// `&feed=name`, or empty for the default feed.
    feed_query: &'a str,
}

fn render(
    policy: &Policy,
    profile: &crate::feed::domain::Profile,
    posts: &[crate::feed::domain::Post],
    page: &Page<'_>,
) -> Result<Rendered, askama::Error> {
    let options = page.options;
    let (slice, next) = view::page(posts, options);
    let page = EmbedPage {
        title: format!("Instagram posts by @{}", profile.username),
        classes: format!(
            "{} l-{} c-{} a-{}",
            options.theme, options.layout, options.captions, options.aspect
        ),
        header: options.header.then(|| HeaderView::of(profile)),
        tiles: slice
            .iter()
            .map(|post| TileView::of(post, &profile.profile_url))
            .collect(),
        sizes: sizes(&options.columns),
        natural: options.aspect == "original",
        show_captions: options.captions != "none",
        hover_captions: options.captions == "hover",
        more: next.filter(|_| options.load_more).map(|cursor| {
            format!(
                "/embed?{}{}",
                options.query(page.defaults, Some(&cursor)),
                page.feed_query
            )
        }),
        inline_css: inline_css(options),
    };
    let html = page.render()?;
    let csp = policy.with_style(&style_hash(&page.inline_css));
    Ok(Rendered {
        body: PreparedBody::new_fast(html.into_bytes()),
        csp,
    })
}

/// The only per-page style, allowed by its hash so the policy needs no 'unsafe-inline':
/// the columns (one media query per breakpoint, from the narrowest up, so the widest that
/// matches wins) and the gap. Nothing but numbers and a checked length reaches it.
fn inline_css(options: &EmbedOptions) -> String {
    let mut css = String::new();
    for (width, columns) in options.columns.breakpoints() {
        if width == 0 {
            css.push_str(&format!(".w{{--cols:{columns}"));
            if let Some(gap) = &options.gap {
                css.push_str(&format!(";--gap:{gap}"));
            }
            css.push('}');
        } else {
            css.push_str(&format!(
                "@media (min-width:{width}px){{.w{{--cols:{columns}}}}}"
            ));
        }
    }
    css
}

/// The images' `sizes`: a share of the viewport per breakpoint, widest first (the browser
/// takes the first condition that matches).
fn sizes(columns: &crate::feed::display::Columns) -> String {
    let share = |n: u8| format!("{}vw", 100_u32.div_ceil(u32::from(n)));
    columns
        .breakpoints()
        .iter()
        .rev()
        .map(|(width, n)| match width {
            0 => share(*n),
            _ => format!("(min-width:{width}px) {}", share(*n)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `'sha256-…'` of a `<style>` element's content, as CSP expects it.
fn style_hash(css: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, css.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

/// What the embed page's policy is made of, taken from the settings before rendering moves to
/// a blocking thread.
struct Policy {
    origin: String,
    frame_ancestors: String,
}

impl Policy {
    fn of(state: &AppState) -> Self {
        Self {
            origin: state.public_url.origin().ascii_serialization(),
            frame_ancestors: state.settings.embed.frame_ancestors_directive(),
        }
    }

    /// The embed page's policy: its own stylesheet, script and the hashed style block;
    /// images only from igfeed (every image is proxied through `/media/…`, under
    /// `server.public_url`, which may name another origin than the one the frame was loaded
    /// from); framing by `embed.frame_ancestors`.
    fn with_style(&self, style_hash: &str) -> String {
        format!(
            "default-src 'none'; img-src 'self' {} data:; style-src 'self' {style_hash}; \
             script-src 'self'; frame-ancestors {}; base-uri 'none'; form-action 'none'",
            self.origin, self.frame_ancestors
        )
    }
}

/// 503 with an empty page: an iframe shows nothing rather than an error text. Disconnected
/// or never fetched: every rendered copy of an old feed is forgotten too.
fn unavailable(state: &AppState, pages: &EmbedPages) -> HttpResponse {
    pages.cache.invalidate_all();
    let body = UnavailablePage.render().unwrap_or_default();
    HttpResponse::ServiceUnavailable()
        .insert_header((header::RETRY_AFTER, "30"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            format!(
                "default-src 'none'; frame-ancestors {}",
                state.settings.embed.frame_ancestors_directive()
            ),
        ))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_per_width_become_media_queries_and_sizes() {
        use crate::feed::display::Columns;
        let options = EmbedOptions {
            columns: Columns::parse_text("2,600:3,1000:4").expect("valid"),
            gap: Some("8px".into()),
            ..EmbedOptions::default()
        };
        assert_eq!(
            inline_css(&options),
            ".w{--cols:2;--gap:8px}@media (min-width:600px){.w{--cols:3}}\
             @media (min-width:1000px){.w{--cols:4}}"
        );
        assert_eq!(
            sizes(&options.columns),
            "(min-width:1000px) 25vw, (min-width:600px) 34vw, 50vw"
        );
        assert_eq!(inline_css(&EmbedOptions::default()), ".w{--cols:3}");
        assert_eq!(sizes(&Columns::Fixed(3)), "34vw");
    }

    #[test]
    fn options_that_change_nothing_are_not_part_of_the_key() {
        let without = EmbedOptions {
            lightbox: false,
            ..EmbedOptions::default()
        };
        assert_eq!(
            Key::new(None, 1, false, without),
            Key::new(None, 1, false, EmbedOptions::default())
        );
        let wider = EmbedOptions {
            columns: crate::feed::display::Columns::Fixed(4),
            ..EmbedOptions::default()
        };
        assert_ne!(
            Key::new(None, 1, false, wider),
            Key::new(None, 1, false, EmbedOptions::default())
        );
        assert_ne!(
            Key::new(None, 2, false, EmbedOptions::default()),
            Key::new(None, 1, false, EmbedOptions::default())
        );
    }
}
