//! `/embed`'s query parameters: the widget's `data-*` options under the same names and with
//! the same rules (`widget-js/src/options.js`), validated once into [`EmbedOptions`]. Both
//! parsers run the table in `schema/widget-options.json` in their tests (here:
//! `options/widget_parity.rs`), so a change to one alone fails.
//! Unlike the widget, which falls back to defaults, a bad value here is a 400 naming it: an
//! iframe `src` is written once by hand and should fail loudly while it is being written.
//!
//! Defaults are the feed's own (its definition's `display`, see [`EmbedOptions::of_display`]);
//! a parameter wins over them. The rules for each value live in [`crate::feed::display`], so
//! a preset saved in `/admin` and a query parameter mean the same.

use actix_web::http::StatusCode;
use serde::Deserialize;

use crate::feed::cursor;
use crate::feed::display::{self, ASPECTS, CAPTIONS, Columns, Display, LAYOUTS, THEMES};
use crate::web::WebError;
use crate::web::error::codes;

/// The raw query, kept as text so each bad value can be named.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct EmbedQuery {
    limit: Option<String>,
    columns: Option<String>,
    layout: Option<String>,
    captions: Option<String>,
    lightbox: Option<String>,
    #[serde(rename = "load-more")]
    load_more: Option<String>,
    header: Option<String>,
    aspect: Option<String>,
    gap: Option<String>,
    theme: Option<String>,
    after: Option<String>,
}

/// Valid options; part of the rendered-page cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct EmbedOptions {
    pub(crate) limit: usize,
    pub(crate) columns: Columns,
    pub(crate) layout: &'static str,
    pub(crate) captions: &'static str,
    /// Accepted for parity with the widget; the embed page has no lightbox (posts link to
    /// Instagram), so it changes nothing.
    pub(crate) lightbox: bool,
    pub(crate) load_more: bool,
    pub(crate) header: bool,
    pub(crate) aspect: &'static str,
    /// A CSS length (`8px`, `0.5rem`), or `None` for the stylesheet's default.
    pub(crate) gap: Option<String>,
    pub(crate) theme: &'static str,
    /// The post id to continue after (decoded from igfeed's cursor).
    pub(crate) after: Option<String>,
}

/// Posts per page when the page does not say (a display preset has no `limit`).
const LIMIT: usize = 9;

impl Default for EmbedOptions {
    /// The built-in defaults: those of a feed without a display preset.
    fn default() -> Self {
        Self::of_display(&Display::default())
    }
}

impl EmbedOptions {
    /// A feed's display preset as options: the defaults of its `/embed`. A stored value that
    /// is no longer valid (a choice removed since) falls back to the built-in default.
    pub(crate) fn of_display(display: &Display) -> Self {
        let builtin = Display::default();
        let word = |value: &str, allowed: &'static [&'static str], fallback: &str| {
            allowed
                .iter()
                .find(|a| **a == value)
                .or_else(|| allowed.iter().find(|a| **a == fallback))
                .copied()
                .unwrap_or(allowed[0])
        };
        Self {
            limit: LIMIT,
            columns: if display.columns.is_valid() {
                display.columns.clone()
            } else {
                builtin.columns.clone()
            },
            layout: word(&display.layout, LAYOUTS, &builtin.layout),
            captions: word(&display.captions, CAPTIONS, &builtin.captions),
            lightbox: display.lightbox,
            load_more: display.load_more,
            header: display.header,
            aspect: word(&display.aspect, ASPECTS, &builtin.aspect),
            gap: display
                .gap
                .as_deref()
                .and_then(|g| display::parse_gap(g).ok()),
            theme: word(&display.theme, THEMES, &builtin.theme),
            after: None,
        }
    }
}

impl EmbedQuery {
    /// Validates every parameter given, over `defaults` (the feed's display preset); the
    /// first bad one becomes a 400 `bad-query` naming it.
    pub(crate) fn parse(&self, defaults: &EmbedOptions) -> Result<EmbedOptions, WebError> {
        let d = defaults;
        let value = |v: &Option<String>| v.as_deref().map(|s| s.trim().to_ascii_lowercase());
        Ok(EmbedOptions {
            limit: number("limit", value(&self.limit), 1, 100)?.unwrap_or(d.limit),
            columns: match value(&self.columns) {
                None => d.columns.clone(),
                Some(raw) => {
                    Columns::parse_text(&raw).map_err(|problem| bad("columns", &problem))?
                }
            },
            layout: choice("layout", value(&self.layout), LAYOUTS)?.unwrap_or(d.layout),
            captions: choice("captions", value(&self.captions), CAPTIONS)?.unwrap_or(d.captions),
            lightbox: flag("lightbox", value(&self.lightbox))?.unwrap_or(d.lightbox),
            load_more: flag("load-more", value(&self.load_more))?.unwrap_or(d.load_more),
            header: flag("header", value(&self.header))?.unwrap_or(d.header),
            aspect: choice("aspect", value(&self.aspect), ASPECTS)?.unwrap_or(d.aspect),
            gap: match value(&self.gap) {
                None => d.gap.clone(),
                Some(raw) => Some(display::parse_gap(&raw).map_err(|problem| bad("gap", problem))?),
            },
            theme: choice("theme", value(&self.theme), THEMES)?.unwrap_or(d.theme),
            after: match self.after.as_deref() {
                None | Some("") => None,
                Some(raw) => Some(cursor::decode(raw).map_err(|_| {
                    bad(
                        "after",
                        "is not a cursor igfeed handed out (use the `next` value)",
                    )
                })?),
            },
        })
    }
}

fn bad(name: &str, problem: &str) -> WebError {
    WebError::client(
        StatusCode::BAD_REQUEST,
        codes::BAD_QUERY,
        format!("`{name}` {problem}"),
    )
}

fn number(
    name: &str,
    raw: Option<String>,
    min: usize,
    max: usize,
) -> Result<Option<usize>, WebError> {
    raw.map(|raw| {
        raw.parse::<usize>()
            .ok()
            .filter(|n| (min..=max).contains(n) && raw.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| bad(name, &format!("must be a whole number from {min} to {max}")))
    })
    .transpose()
}

fn choice(
    name: &str,
    raw: Option<String>,
    allowed: &'static [&'static str],
) -> Result<Option<&'static str>, WebError> {
    raw.map(|raw| {
        allowed
            .iter()
            .find(|a| **a == raw)
            .copied()
            .ok_or_else(|| bad(name, &format!("must be one of: {}", allowed.join(", "))))
    })
    .transpose()
}

fn flag(name: &str, raw: Option<String>) -> Result<Option<bool>, WebError> {
    raw.map(|raw| match raw.as_str() {
        "" | "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(name, "must be true or false")),
    })
    .transpose()
}

impl EmbedOptions {
    /// The query string that asks for these options where they differ from `defaults` (the
    /// feed's preset, which the next page starts from too), for "load more" links; `after` is
    /// the cursor of the page to continue after.
    pub(crate) fn query(&self, defaults: &Self, after: Option<&str>) -> String {
        let d = defaults;
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        let bool_str = |b: bool| if b { "true" } else { "false" };
        let limit = self.limit.to_string();
        let columns = self.columns.to_text();
        let pairs: [(&str, Option<&str>); 10] = [
            ("limit", (self.limit != d.limit).then_some(limit.as_str())),
            (
                "columns",
                (self.columns != d.columns).then_some(columns.as_str()),
            ),
            ("layout", (self.layout != d.layout).then_some(self.layout)),
            (
                "captions",
                (self.captions != d.captions).then_some(self.captions),
            ),
            (
                "lightbox",
                (self.lightbox != d.lightbox).then(|| bool_str(self.lightbox)),
            ),
            (
                "load-more",
                (self.load_more != d.load_more).then(|| bool_str(self.load_more)),
            ),
            (
                "header",
                (self.header != d.header).then(|| bool_str(self.header)),
            ),
            ("aspect", (self.aspect != d.aspect).then_some(self.aspect)),
            (
                "gap",
                (self.gap != d.gap).then_some(self.gap.as_deref()).flatten(),
            ),
            ("theme", (self.theme != d.theme).then_some(self.theme)),
        ];
        for (name, value) in pairs {
            if let Some(value) = value {
                q.append_pair(name, value);
            }
        }
        if let Some(after) = after {
            q.append_pair("after", after);
        }
        q.finish()
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod widget_parity;
