//! How a feed looks: the display presets a feed definition carries, which the widget and
//! `/embed` take as their defaults (a `data-*` attribute or query parameter still wins).
//!
//! The rules here are the ones `schema/widget-options.json` states for the widget's options,
//! so a preset saved in `/admin` is exactly what an attribute could have said.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Grid or a horizontal strip.
pub const LAYOUTS: &[&str] = &["grid", "carousel"];
/// Where captions show.
pub const CAPTIONS: &[&str] = &["none", "hover", "below"];
/// Tile shapes: square, Instagram's current 3:4 profile-grid tile, or the photo's own.
pub const ASPECTS: &[&str] = &["square", "portrait", "original"];
/// Colour schemes (`auto` follows the visitor's system).
pub const THEMES: &[&str] = &["light", "dark", "auto"];
/// Columns of a grid.
pub const MIN_COLUMNS: u8 = 1;
/// Columns of a grid.
pub const MAX_COLUMNS: u8 = 8;
/// Breakpoints of per-width columns (each one a CSS media query on the page).
pub const MAX_BREAKPOINTS: usize = 6;
/// Widest breakpoint, in CSS pixels.
pub const MAX_BREAKPOINT: u16 = 9999;

/// Columns: one number, or one per viewport width (`{"0":2,"600":3,"1000":4}`: two columns
/// below 600 CSS pixels, three from 600, four from 1000).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Columns {
    /// The same at every width.
    Fixed(u8),
    /// From each width up (the lowest applies below it too); always starts at `0`.
    PerWidth(BTreeMap<u16, u8>),
}

/// Read back as written: a number, or an object whose keys are widths. (A derived untagged
/// enum buffers the object first and then cannot read its string keys as numbers, so a
/// stored feed with per-width columns was refused as damaged.)
impl<'de> Deserialize<'de> for Columns {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Fixed(u8),
            PerWidth(BTreeMap<String, u8>),
        }
        match Written::deserialize(deserializer)? {
            Written::Fixed(n) => Ok(Self::Fixed(n)),
            Written::PerWidth(points) => points
                .into_iter()
                .map(|(width, n)| {
                    width.parse::<u16>().map(|width| (width, n)).map_err(|_| {
                        serde::de::Error::custom(format!("width {width:?} is not a number"))
                    })
                })
                .collect::<Result<BTreeMap<u16, u8>, D::Error>>()
                .map(Self::PerWidth),
        }
    }
}

impl Default for Columns {
    fn default() -> Self {
        Self::Fixed(3)
    }
}

impl Columns {
    /// Columns from breakpoints, normalised: the lowest breakpoint moves to `0` (it applies
    /// below itself too) and a single one becomes [`Columns::Fixed`]. Checks every bound.
    pub fn from_breakpoints(points: BTreeMap<u16, u8>) -> Result<Self, String> {
        if points.is_empty() || points.len() > MAX_BREAKPOINTS {
            return Err(format!("must have 1 to {MAX_BREAKPOINTS} widths"));
        }
        if let Some((width, _)) = points.iter().find(|(w, _)| **w > MAX_BREAKPOINT) {
            return Err(format!("width {width} is over {MAX_BREAKPOINT}"));
        }
        if let Some((_, n)) = points.iter().find(|(_, n)| !column_count_ok(**n)) {
            return Err(format!(
                "{n} columns: must be from {MIN_COLUMNS} to {MAX_COLUMNS}"
            ));
        }
        let mut points = points.into_iter();
        let (_, base) = points.next().unwrap_or((0, 3));
        let mut normalised = BTreeMap::from([(0, base)]);
        normalised.extend(points);
        Ok(if normalised.len() == 1 {
            Self::Fixed(base)
        } else {
            Self::PerWidth(normalised)
        })
    }

    /// Columns below the first breakpoint (what a page without media queries shows).
    pub fn base(&self) -> u8 {
        match self {
            Self::Fixed(n) => *n,
            Self::PerWidth(points) => points.values().next().copied().unwrap_or(3),
        }
    }

    /// Every `(min width, columns)` pair, lowest first; `[(0, n)]` for fixed columns.
    pub fn breakpoints(&self) -> Vec<(u16, u8)> {
        match self {
            Self::Fixed(n) => vec![(0, *n)],
            Self::PerWidth(points) => points.iter().map(|(w, n)| (*w, *n)).collect(),
        }
    }

    /// The attribute and query-parameter form: `3`, or `2,600:3,1000:4`.
    pub fn to_text(&self) -> String {
        self.breakpoints()
            .iter()
            .map(|(width, n)| {
                if *width == 0 {
                    n.to_string()
                } else {
                    format!("{width}:{n}")
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads the attribute form: `4`, or `2,600:3,1000:4` (a bare number is the columns
    /// from width 0; each `width:columns` pair from that many CSS pixels up).
    pub fn parse_text(raw: &str) -> Result<Self, String> {
        const FORM: &str = "must be a number of columns (1 to 8) or widths like 2,600:3,1000:4";
        let mut points = BTreeMap::new();
        for part in raw.split(',') {
            let part = part.trim();
            let (width, n) = part.split_once(':').unwrap_or(("0", part));
            let width = whole::<u16>(width.trim()).ok_or(FORM)?;
            let n = whole::<u8>(n.trim()).ok_or(FORM)?;
            if points.insert(width, n).is_some() {
                return Err(format!("width {width} is given twice"));
            }
        }
        if points.len() == 1 && points.contains_key(&0) {
            let n = points[&0];
            return if column_count_ok(n) {
                Ok(Self::Fixed(n))
            } else {
                Err(FORM.into())
            };
        }
        Self::from_breakpoints(points)
    }

    /// Whether every count and width is within bounds (for values read from storage).
    pub fn is_valid(&self) -> bool {
        let points = self.breakpoints();
        !points.is_empty()
            && points.len() <= MAX_BREAKPOINTS
            && points
                .iter()
                .all(|(w, n)| *w <= MAX_BREAKPOINT && column_count_ok(*n))
    }
}

fn column_count_ok(n: u8) -> bool {
    (MIN_COLUMNS..=MAX_COLUMNS).contains(&n)
}

/// Digits only (no sign, no spaces inside), as the widget's parser reads whole numbers.
fn whole<T: std::str::FromStr>(raw: &str) -> Option<T> {
    (!raw.is_empty() && raw.len() <= 5 && raw.bytes().all(|b| b.is_ascii_digit()))
        .then(|| raw.parse().ok())
        .flatten()
}

/// A feed's look: the widget's and `/embed`'s defaults for this feed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Display {
    /// One of [`LAYOUTS`].
    pub layout: String,
    /// Columns of the grid.
    pub columns: Columns,
    /// One of [`ASPECTS`].
    pub aspect: String,
    /// One of [`CAPTIONS`].
    pub captions: String,
    /// The profile header above the posts.
    pub header: bool,
    /// A "load more" button under the posts.
    pub load_more: bool,
    /// One of [`THEMES`].
    pub theme: String,
    /// Space between tiles as a CSS length (`4px`, `0.5rem`); `None`: the stylesheet's own.
    pub gap: Option<String>,
    /// Posts open in a lightbox (the widget) rather than on Instagram.
    pub lightbox: bool,
}

impl Default for Display {
    fn default() -> Self {
        Self {
            layout: "grid".into(),
            columns: Columns::default(),
            aspect: "square".into(),
            captions: "none".into(),
            header: true,
            load_more: false,
            theme: "light".into(),
            gap: None,
            lightbox: true,
        }
    }
}

/// Checks a gap as the widget's `data-gap` takes it: `8`, `8px`, `0.5rem`, `1em`. At most two
/// integer digits, so a typo cannot explode the layout, at most two decimals, so the value
/// (echoed in pages and part of cache keys) stays short, and nothing but digits, a dot and
/// the unit can reach a stylesheet. Returns the CSS length (`8` → `8px`).
pub fn parse_gap(raw: &str) -> Result<String, &'static str> {
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
        _ => Err("must be a length like 8, 8px, 0.5rem or 1em (under 100, at most two decimals)"),
    }
}
