// Widget options, read from the script tag's data-* attributes (dataset keys are camelCase:
// data-load-more -> loadMore). /embed accepts the same names and values as query parameters
// (src/web/public/embed/options.rs): schema/widget-options.json lists them, and a test on each
// side (test/options-parity.test.js here) fails when a parser stops following it.
// data-feed is not among them: it picks the data, not the look, and is read in feed.js.

/** Every option with its default; a bad value falls back to the default and is reported. */
export const DEFAULTS = {
  limit: 9,
  columns: 3,
  layout: 'grid',
  captions: 'none',
  lightbox: true,
  loadMore: false,
  header: true,
  aspect: 'square',
  gap: '',
  theme: 'light',
};

const RANGES = { limit: [1, 100], columns: [1, 8] };
export const CHOICES = {
  layout: ['grid', 'carousel'],
  captions: ['none', 'hover', 'below'],
  aspect: ['square', 'original'],
  theme: ['light', 'dark', 'auto'],
};

/**
 * Parses `data` (a DOMStringMap or plain object) into complete options.
 * Returns `{ options, problems }`; `problems` names each attribute that was ignored.
 */
export function parseOptions(data) {
  const options = { ...DEFAULTS };
  const problems = [];
  const attribute = (key) => `data-${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
  for (const key of Object.keys(DEFAULTS)) {
    const raw = data[key];
    if (raw == null) continue;
    const value = parseValue(key, String(raw).trim().toLowerCase());
    if (value === undefined) {
      problems.push(`${attribute(key)}="${raw}"`);
    } else {
      options[key] = value;
    }
  }
  // A misspelt option (data-colums) would otherwise be ignored without a word. Only names
  // that start like an option count: other tools put their own data-* on script tags.
  const near = (key) => Object.keys(DEFAULTS).some((option) => option.slice(0, 3) === key.slice(0, 3));
  for (const key of Object.keys(data)) {
    if (!(key in DEFAULTS) && key !== 'target' && near(key)) problems.push(`unknown ${attribute(key)}`);
  }
  return { options, problems };
}

/** One value, or undefined when it is not acceptable for `key`. */
export function parseValue(key, raw) {
  if (key in RANGES) {
    const [min, max] = RANGES[key];
    const n = Number(raw);
    return /^\d+$/.test(raw) && n >= min && n <= max ? n : undefined;
  }
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
  return undefined;
}
