// Pure helpers that turn /feed.json values into what an <img> needs. They accept both media
// shapes igfeed has served: the early one (url only, width/height null) and the current one
// (url is igfeed's default size, `sizes` lists every size ascending).

/** `value` as an absolute http(s) URL resolved against `base`, or null for anything else. */
export function safeUrl(value, base) {
  try {
    const url = typeof value === 'string' && value && new URL(value, base);
    if (/^https?:$/.test(url.protocol)) return url.href;
  } catch {
    // Not a URL: null below.
  }
  return null;
}

const positive = (n) => Number.isInteger(n) && n > 0;
const list = (value) => (Array.isArray(value) ? value : []);

/**
 * What to show for a media item: `{ src, srcset, width, height, sources }`, or null when
 * Instagram withheld the picture. `srcset` is '' when no sizes are known; width/height are
 * null when unknown (the tile then keeps the aspect ratio its options give it). `sources` are
 * the smaller formats for `<picture>` (`{ type, srcset }`, best first, [] when none is made
 * yet): each candidate's URL is checked and resolved like `src`; the type goes to the browser
 * as it is (one it does not know, it skips).
 */
export function imageOf(item, base) {
  if (!item) return null;
  const sizes = list(item.sizes)
    .map((s) => s && { url: safeUrl(s.url, base), width: s.width, height: s.height })
    .filter((s) => s?.url && positive(s.width))
    .sort((a, b) => a.width - b.width);
  let src = safeUrl(item.url, base);
  let { width, height } = item;
  // No default size named: take the largest one that is not huge for a grid tile.
  if (!src && sizes[0]) ({ url: src, width, height } = sizes.filter((s) => s.width <= 640).pop() || sizes[0]);
  if (!src) return null;
  if (!(positive(width) && positive(height))) {
    ({ width = null, height = null } = sizes.find((s) => s.url === src && positive(s.height)) || {});
  }
  const srcset = sizes.map((s) => `${s.url} ${s.width}w`);
  if (srcset[0] && positive(width) && !sizes.some((s) => s.url === src)) srcset.push(`${src} ${width}w`);
  const sources = list(item.sources)
    .map((s) => s && { type: s.type, srcset: candidates(s.srcset, base) })
    .filter((s) => s?.srcset);
  return { src, srcset: srcset.join(', '), width, height, sources };
}

/** A `srcset`'s `URL {width}w` candidates whose URL is safe, resolved against `base`. */
const candidates = (srcset, base) =>
  String(srcset)
    .split(',')
    .map((c) => (c = /^\s*(\S+)\s+(\d+w)\s*$/.exec(c)) && (c[1] = safeUrl(c[1], base)) && `${c[1]} ${c[2]}`)
    .filter(Boolean)
    .join(', ');

/**
 * The image's alternative text: the owner's alt text, else the caption on one line, trimmed
 * at a word boundary to `max` characters (counted as code points, so emoji stay whole).
 */
export function altText(post, max = 120) {
  const text = String(post.alt || post.caption || '').replace(/\s+/g, ' ').trim();
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max - 1).join('');
  const space = cut.lastIndexOf(' ');
  return (space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s.,;:!?-]+$/, '') + '…';
}

/** What kind of post this is, for the marker and screen readers: '', 'carousel' or 'video'. */
export function kindOf(post) {
  if (post.type === 'carousel' || post.media?.[1]) return 'carousel';
  if (post.type === 'video' || post.type === 'reel') return 'video';
  return '';
}
