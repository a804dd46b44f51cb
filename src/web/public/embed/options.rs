//! `/embed`'s query parameters: the widget's `data-*` options under the same names and with
//! the same rules (`widget-js/src/options.js`), validated once into [`EmbedOptions`]. Both
//! parsers run the table in `schema/widget-options.json` in their tests (here:
//! `options/widget_parity.rs`), so a change to one alone fails.
//! Unlike the widget, which falls back to defaults, a bad value here is a 400 naming it: an
//! iframe `src` is written once by hand and should fail loudly while it is being written.

use actix_web::http::StatusCode;
use serde::Deserialize;

use crate::feed::cursor;
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
    pub(crate) columns: u8,
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

impl Default for EmbedOptions {
    fn default() -> Self {
        Self {
            limit: 9,
            columns: 3,
            layout: "grid",
            captions: "none",
            lightbox: true,
            load_more: false,
            header: true,
            aspect: "square",
            gap: None,
            theme: "light",
            after: None,
        }
    }
}

const LAYOUTS: &[&str] = &["grid", "carousel"];
const CAPTIONS: &[&str] = &["none", "hover", "below"];
const ASPECTS: &[&str] = &["square", "original"];
const THEMES: &[&str] = &["light", "dark", "auto"];

impl EmbedQuery {
    /// Validates every parameter; the first bad one becomes a 400 `bad-query` naming it.
    pub(crate) fn parse(&self) -> Result<EmbedOptions, WebError> {
        let d = EmbedOptions::default();
        let value = |v: &Option<String>| v.as_deref().map(|s| s.trim().to_ascii_lowercase());
        Ok(EmbedOptions {
            limit: number("limit", value(&self.limit), 1, 100)?.unwrap_or(d.limit),
            columns: number("columns", value(&self.columns), 1, 8)?
                .and_then(|n| u8::try_from(n).ok())
                .unwrap_or(d.columns),
            layout: choice("layout", value(&self.layout), LAYOUTS)?.unwrap_or(d.layout),
            captions: choice("captions", value(&self.captions), CAPTIONS)?.unwrap_or(d.captions),
            lightbox: flag("lightbox", value(&self.lightbox))?.unwrap_or(d.lightbox),
            load_more: flag("load-more", value(&self.load_more))?.unwrap_or(d.load_more),
            header: flag("header", value(&self.header))?.unwrap_or(d.header),
            aspect: choice("aspect", value(&self.aspect), ASPECTS)?.unwrap_or(d.aspect),
            gap: value(&self.gap).map(|raw| gap(&raw)).transpose()?,
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

/// `8`, `8px`, `0.5rem`, `1em`: at most two integer digits, so a typo cannot explode the
/// layout, at most two decimals, so a visitor cannot make the value (echoed in the page and
/// part of the cache key) long, and nothing but digits, a dot and the unit can reach the
/// page's stylesheet.
fn gap(raw: &str) -> Result<String, WebError> {
    let digits = raw.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &raw[digits.len()..];
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let number_ok = (1..=2).contains(&int.len())
        && int.bytes().all(|b| b.is_ascii_digit())
        && (frac.is_empty() && !digits.ends_with('.')
            || frac.bytes().all(|b| b.is_ascii_digit()) && (1..=2).contains(&frac.len()));
    match (number_ok, unit) {
        (true, "") => Ok(format!("{digits}px")),
        (true, "px" | "rem" | "em") => Ok(raw.to_owned()),
        _ => Err(bad(
            "gap",
            "must be a length like 8, 8px, 0.5rem or 1em (under 100, at most two decimals)",
        )),
    }
}

impl EmbedOptions {
    /// The query string that asks for these options (defaults left out), for "load more"
    /// links; `after` is the cursor of the page to continue after.
    pub(crate) fn query(&self, after: Option<&str>) -> String {
        let d = Self::default();
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        let bool_str = |b: bool| if b { "true" } else { "false" };
        let limit = self.limit.to_string();
        let columns = self.columns.to_string();
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
            ("gap", self.gap.as_deref()),
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
