// Widget options, read from the script tag's data-* attributes (dataset keys are camelCase:
// data-load-more -> loadMore) or from an <igfeed-widget>'s own attributes, read into the same
// keys (load-more -> loadMore). /embed accepts the same names and values as query parameters
// (src/web/public/embed/options.rs): schema/widget-options.json lists them, and a test on each
// side (test/options-parity.test.js here) fails when a parser stops following it.
// data-feed is not among them: it picks the data, not the look, and is read in feed.js.

/** `loadMore` -> `load-more` (the attribute) or `load_more` (the display preset's name). */
export const dashed = (key, dash) => key.replace(/[A-Z]/g, (c) => dash + c.toLowerCase());

export const CHOICES = {
  layout: ['grid', 'carousel'],
  captions: ['none', 'hover', 'below'],
  aspect: ['square', 'portrait', 'original'],
  theme: ['light', 'dark', 'auto'],
};

/**
 * Every option with its default (a choice's is its first); a bad value falls back to the
 * default and is reported.
 */
export const DEFAULTS = { limit: 9, columns: 3, lightbox: true, loadMore: false, header: true, gap: '' };
for (const key in CHOICES) DEFAULTS[key] = CHOICES[key][0];

/**
 * Parses `data` (a DOMStringMap or plain object whose keys are camelCase option names) into
 * complete options over `display` (the feed's display preset from /feed.json, whose names
 * are snake_case): an attribute wins over the preset, the preset over the built-in default.
 * Returns `{ options, problems }`; `problems` names each attribute that was ignored, spelt
 * with `prefix` (the script tag's `data-`; '' for the element's own attributes). The preset
 * is taken as it comes: the server checked it when the owner saved it (with the rules below,
 * src/feed/display.rs), and it arrives from the origin that served this script.
 */
export function parseOptions(data, display = {}, prefix = 'data-') {
  const options = { ...DEFAULTS };
  const problems = [];
  for (const key in DEFAULTS) {
    const preset = display[dashed(key, '_')];
    if (preset != null) options[key] = preset;
  }
  for (const key in data) {
    const raw = data[key];
    const name = prefix + dashed(key, '-');
    if (key in DEFAULTS) {
      const value = parseValue(key, String(raw).trim().toLowerCase());
      value === undefined ? problems.push(`${name}="${raw}"`) : (options[key] = value);
    } else if (Object.keys(DEFAULTS).some((option) => option.slice(0, 3) === key.slice(0, 3))) {
      // A misspelt option (data-colums) would otherwise be ignored without a word. Only names
      // that start like an option count: other tools put their own data-* on script tags.
      problems.push(`unknown ${name}`);
    }
  }
  return { options, problems };
}

/**
 * Columns: `4`, or per viewport width `2,600:3,1000:4` (a bare number from width 0; each
 * `width:columns` from that many CSS pixels up) -> 4 or {0: 2, 600: 3, 1000: 4}, the display
 * preset's form. The narrowest width applies below itself too, so it becomes 0; one width is
 * just a number. Up to 6 widths, each up to 9999, 1 to 8 columns: src/feed/display.rs's rules.
 */
function parseColumns(raw) {
  const points = {};
  for (const part of raw.split(',')) {
    let [, width = 0, n] = /^\s*(?:(\d{1,5})\s*:\s*)?(\d{1,5})\s*$/.exec(part) || [];
    if (!(n >= 1 && n <= 8) || (width = +width) in points || width > 9999) return;
    points[width] = +n;
  }
  // Integer keys iterate in ascending order.
  const widths = Object.keys(points);
  if (!widths[6]) return widths[1] ? Object.fromEntries(widths.map((w, i) => [i ? w : 0, points[w]])) : points[widths[0]];
}

/** The `[[min width, columns], …]` pairs of parsed columns, narrowest first. */
export const breakpoints = (columns) => Object.entries(columns[0] ? columns : { 0: columns });

/** One value, or undefined when it is not acceptable for `key`. */
export function parseValue(key, raw) {
  if (key === 'limit') return /^\d+$/.test(raw) && raw >= 1 && raw <= 100 ? +raw : undefined;
  if (key === 'columns') return parseColumns(raw);
  if (key in CHOICES) return CHOICES[key].includes(raw) ? raw : undefined;
  if (key === 'gap') {
    // A plain number means pixels; small lengths with two decimals at most, so a typo cannot
    // blow up the layout.
    const match = /^(\d{1,2}(?:\.\d{1,2})?)(px|rem|em)?$/.exec(raw);
    return match ? match[1] + (match[2] || 'px') : undefined;
  }
  // Flags: a bare attribute (data-lightbox) means true.
  if (raw === '' || raw === 'true') return true;
  if (raw === 'false') return false;
}
