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
    // The first row at the widest breakpoint: at narrower ones, the few extra tiles fetched
    // at once are the next row's, in view or nearly.
    let first_row = options
        .columns
        .breakpoints()
        .iter()
        .map(|(_, n)| usize::from(*n))
        .max()
        .unwrap_or(1);
    let header = options.header.then(|| HeaderView::of(profile));
    let tiles: Vec<TileView> = slice
        .iter()
        .enumerate()
        .map(|(i, post)| TileView::of(post, &profile.profile_url, options.aspect, i < first_row))
        .collect();
    let inline_css = inline_css(options) + &placeholder_css(header.as_ref(), &tiles);
    let page = EmbedPage {
        title: format!("Instagram posts by @{}", profile.username),
        classes: format!(
            "{} l-{} c-{} a-{}",
            options.theme, options.layout, options.captions, options.aspect
        ),
        header,
        tiles,
        sizes: sizes(&options.columns, options.gap.as_deref()),
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
        inline_css,
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

/// The placeholders: each tile's average colour (and the profile picture's) as its background
/// until the image decodes. Rules in the page's one hashed style element, since the policy
/// allows no style attribute; only checked `#rrggbb` values reach them.
fn placeholder_css(header: Option<&HeaderView>, tiles: &[TileView]) -> String {
    let mut css = String::new();
    if let Some(color) = header.and_then(|h| h.picture_color.as_deref()) {
        css.push_str(&format!(".head .avatar{{background:{color}}}"));
    }
    for (i, tile) in tiles.iter().enumerate() {
        if let Some(color) = tile.color.as_deref().filter(|_| tile.image.is_some()) {
            css.push_str(&format!(
                ".tile:nth-child({})>.pic{{background:{color}}}",
                i + 1
            ));
        }
    }
    css
}

/// The images' `sizes`: the tile's width per breakpoint, widest first (the browser takes the
/// first condition that matches) — the page is the frame's whole width, so a tile is the
/// viewport less the gaps, shared by the columns (the carousel's tiles are as wide).
fn sizes(columns: &crate::feed::display::Columns, gap: Option<&str>) -> String {
    let gap = gap.unwrap_or("4px");
    let tile = |n: u8| match n {
        1 => "100vw".to_owned(),
        _ => format!("calc((100vw - {}*{gap})/{n})", n - 1),
    };
    columns
        .breakpoints()
        .iter()
        .rev()
        .map(|(width, n)| match width {
            0 => tile(*n),
            _ => format!("(min-width:{width}px) {}", tile(*n)),
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
            sizes(&options.columns, options.gap.as_deref()),
            "(min-width:1000px) calc((100vw - 3*8px)/4), (min-width:600px) calc((100vw - 2*8px)/3), \
             calc((100vw - 1*8px)/2)"
        );
        assert_eq!(inline_css(&EmbedOptions::default()), ".w{--cols:3}");
        assert_eq!(
            sizes(&Columns::Fixed(3), None),
            "calc((100vw - 2*4px)/3)",
            "the stylesheet's gap"
        );
        assert_eq!(sizes(&Columns::Fixed(1), Some("1.5rem")), "100vw");
    }

    /// A hand-made feed as the media service fills it once AVIF is made: post 1 with AVIF
    /// and a colour, post 2 not downloaded yet (no size, no formats, no colour), then plain
    /// posts; `hostile` swaps in values a damaged document might hold.
    fn feed(hostile: bool) -> crate::feed::domain::Feed {
        let media = |id: &str, sources: serde_json::Value, color: serde_json::Value| {
            let sizes: Vec<_> = [320, 640, 1080]
                .iter()
                .map(|w| serde_json::json!({"url": format!("https://feed.example.com/media/{id}/{w}?v=a"), "width": w, "height": w * 5 / 4}))
                .collect();
            serde_json::json!({"id": id, "type": "image", "url": format!("https://feed.example.com/media/{id}/640?v=a"),
                "video_url": null, "thumbnail_url": null, "width": 640, "height": 800, "sizes": sizes,
                "sources": sources, "color": color})
        };
        let avif = serde_json::json!([{"type": "image/avif", "srcset":
            "https://feed.example.com/media/1/320.avif?v=a 320w, https://feed.example.com/media/1/640.avif?v=a 640w, https://feed.example.com/media/1/1080.avif?v=a 1080w"}]);
        let (sources, color, picture_color) = if hostile {
            (
                serde_json::json!([
                    {"type": "image/avif", "srcset": "javascript:alert(1) 320w, https://feed.example.com/m/640.avif 640w"},
                    {"type": "text/html", "srcset": "https://feed.example.com/x 320w"},
                    {"type": "image/avif\" onerror=\"x", "srcset": "https://feed.example.com/x 320w"},
                    {"type": "image/webp", "srcset": "https://feed.example.com/x.webp"}
                ]),
                serde_json::json!("red}body{display:none"),
                serde_json::json!("#12345"),
            )
        } else {
            (
                avif,
                serde_json::json!("#C2703D"),
                serde_json::json!("#3a4b5c"),
            )
        };
        let mut posts = vec![
            serde_json::json!({"id": "1", "type": "image", "caption": "Roof", "permalink": "https://www.instagram.com/p/1/", "media": [media("1", sources, color)]}),
            serde_json::json!({"id": "2", "type": "image", "caption": "New", "permalink": "https://www.instagram.com/p/2/", "media": [{
                "id": "2", "type": "image", "url": "https://feed.example.com/media/2/640?v=b", "video_url": null, "thumbnail_url": null,
                "width": null, "height": null, "sizes": [], "sources": [], "color": null}]}),
        ];
        for id in 3..=6 {
            let id = id.to_string();
            posts.push(serde_json::json!({"id": id, "type": "image", "caption": "Plain", "permalink": format!("https://www.instagram.com/p/{id}/"),
                "media": [media(&id, serde_json::json!([]), serde_json::json!("#102030"))]}));
        }
        for post in &mut posts {
            for key in ["hashtags", "mentions"] {
                post[key] = serde_json::json!([]);
            }
        }
        serde_json::from_value(serde_json::json!({
            "profile": {"username": "harness.cafe", "name": "Harness Cafe", "picture": "https://feed.example.com/media/profile/320?v=p",
                        "picture_color": picture_color, "profile_url": "https://www.instagram.com/harness.cafe/"},
            "posts": posts,
        }))
        .expect("a feed document")
    }

    fn rendered(feed: &crate::feed::domain::Feed, options: &EmbedOptions) -> (String, String) {
        let policy = Policy {
            origin: "https://feed.example.com".into(),
            frame_ancestors: "*".into(),
        };
        let page = Page {
            options,
            defaults: &EmbedOptions::default(),
            feed_query: "",
        };
        let rendered = render(&policy, &feed.profile, &feed.posts, &page).expect("renders");
        let html = String::from_utf8(rendered.body.json.to_vec()).expect("utf-8");
        (html, rendered.csp)
    }

    /// Each tile's `<a class="pic …">…</a>`, in order.
    fn tiles(html: &str) -> Vec<&str> {
        html.split("<li class=\"tile\">")
            .skip(1)
            .map(|tile| tile.split("</a>").next().unwrap_or_default().trim())
            .collect()
    }

    #[test]
    fn modern_formats_become_picture_sources_over_the_jpeg_srcset() {
        let (html, _) = rendered(&feed(false), &EmbedOptions::default());
        let tiles = tiles(&html);
        assert_eq!(tiles.len(), 6);
        let sizes = "calc((100vw - 2*4px)/3)";
        let jpeg = "https://feed.example.com/media/1/320?v=a 320w, https://feed.example.com/media/1/640?v=a 640w, \
                    https://feed.example.com/media/1/1080?v=a 1080w";
        let avif = "https://feed.example.com/media/1/320.avif?v=a 320w, https://feed.example.com/media/1/640.avif?v=a 640w, \
                    https://feed.example.com/media/1/1080.avif?v=a 1080w";
        let expected = format!(
            "<picture><source type=\"image/avif\" srcset=\"{avif}\" sizes=\"{sizes}\">\
             <img src=\"https://feed.example.com/media/1/640?v=a\" srcset=\"{jpeg}\" sizes=\"{sizes}\" alt=\"Roof\" \
             width=\"640\" height=\"800\" fetchpriority=\"high\" decoding=\"async\"></picture>"
        );
        assert!(tiles[0].contains(&expected), "{}", tiles[0]);
        assert_eq!(tiles[0].matches("<img").count(), 1);
        // Without a modern format: the img alone, its box the tile's square shape.
        assert!(!tiles[1].contains("<picture"), "{}", tiles[1]);
        assert!(
            tiles[1].contains(
                "<img src=\"https://feed.example.com/media/2/640?v=b\" alt=\"New\" width=\"600\" height=\"600\" fetchpriority=\"high\" decoding=\"async\">"
            ),
            "{}",
            tiles[1]
        );
        // The first row (three columns) first and at once; the rest lazily.
        for (i, tile) in tiles.iter().enumerate() {
            assert_eq!(
                tile.contains("fetchpriority=\"high\""),
                i < 3,
                "tile {i}: {tile}"
            );
            assert_eq!(
                tile.contains("loading=\"lazy\""),
                i >= 3,
                "tile {i}: {tile}"
            );
            assert!(tile.contains("decoding=\"async\""), "tile {i}");
            assert!(
                tile.contains(" width=\"") && tile.contains(" height=\""),
                "tile {i}"
            );
        }
    }

    #[test]
    fn placeholder_colours_are_rules_in_the_hashed_style_element() {
        let (html, csp) = rendered(&feed(false), &EmbedOptions::default());
        let style = html
            .split_once("<style>")
            .and_then(|(_, rest)| rest.split_once("</style>"))
            .map(|(css, _)| css)
            .expect("a style element");
        assert_eq!(
            style,
            ".w{--cols:3}.head .avatar{background:#3a4b5c}.tile:nth-child(1)>.pic{background:#c2703d}\
             .tile:nth-child(3)>.pic{background:#102030}.tile:nth-child(4)>.pic{background:#102030}\
             .tile:nth-child(5)>.pic{background:#102030}.tile:nth-child(6)>.pic{background:#102030}"
        );
        assert!(csp.contains(&style_hash(style)), "{csp}");
        assert!(
            !html.contains("style=\""),
            "no style attribute: the policy would block it"
        );
    }

    #[test]
    fn per_width_columns_give_sizes_and_a_first_row_at_the_widest() {
        let options = EmbedOptions {
            columns: crate::feed::display::Columns::parse_text("2,600:3,1000:4").expect("valid"),
            aspect: "portrait",
            ..EmbedOptions::default()
        };
        let (html, _) = rendered(&feed(false), &options);
        let tiles = tiles(&html);
        let eager = tiles.iter().filter(|t| t.contains("fetchpriority")).count();
        assert_eq!(eager, 4, "four columns at the widest");
        assert!(
            tiles[0].contains(
                "sizes=\"(min-width:1000px) calc((100vw - 3*4px)/4), (min-width:600px) calc((100vw - 2*4px)/3), calc((100vw - 1*4px)/2)\""
            ),
            "{}",
            tiles[0]
        );
        assert!(
            tiles[1].contains("width=\"600\" height=\"800\""),
            "portrait tiles are 3:4: {}",
            tiles[1]
        );
    }

    #[test]
    fn damaged_sources_and_colours_never_reach_the_page() {
        let (html, csp) = rendered(&feed(true), &EmbedOptions::default());
        let first = tiles(&html)[0].to_owned();
        assert!(
            first.starts_with("<a class=\"pic\" href=\"https://www.instagram.com/p/1/\" target=\"_blank\" rel=\"noopener noreferrer\">\n    <picture><source type=\"image/avif\" srcset=\"https://feed.example.com/m/640.avif 640w\" sizes="),
            "only the safe candidate of the only acceptable source: {first}"
        );
        assert_eq!(first.matches("<source").count(), 1, "{first}");
        assert!(
            !html.contains("javascript:")
                && !html.contains("text/html")
                && !html.contains("onerror")
        );
        assert!(
            !html.contains("display:none") && !html.contains("#12345"),
            "{html}"
        );
        assert!(!csp.contains("unsafe"), "{csp}");
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
