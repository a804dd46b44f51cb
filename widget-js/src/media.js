// Pure helpers that turn /feed.json values into what an <img> needs. They accept both media
// shapes igfeed has served: the early one (url only, width/height null) and the current one
// (url is igfeed's default size, `sizes` lists every size ascending).

/** `value` as an absolute http(s) URL resolved against `base`, or null for anything else. */
export function safeUrl(value, base) {
  if (typeof value !== 'string' || !value) return null;
  try {
    const url = new URL(value, base);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

const positive = (n) => Number.isInteger(n) && n > 0;

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
  const sizes = (Array.isArray(item.sizes) ? item.sizes : [])
    .map((s) => s && { url: safeUrl(s.url, base), width: s.width, height: s.height })
    .filter((s) => s && s.url && positive(s.width))
    .sort((a, b) => a.width - b.width);
  let src = safeUrl(item.url, base);
  let width = item.width;
  let height = item.height;
  if (!src && sizes.length) {
    // No default size named: take the largest one that is not huge for a grid tile.
    const pick = sizes.filter((s) => s.width <= 640).pop() || sizes[0];
    ({ url: src, width, height } = pick);
  }
  if (!src) return null;
  if (!(positive(width) && positive(height))) {
    const same = sizes.find((s) => s.url === src && positive(s.height));
    width = same ? same.width : null;
    height = same ? same.height : null;
  }
  const entries = sizes.map((s) => `${s.url} ${s.width}w`);
  if (entries.length && positive(width) && !sizes.some((s) => s.url === src)) {
    entries.push(`${src} ${width}w`);
  }
  const sources = (Array.isArray(item.sources) ? item.sources : [])
    .map((s) => s && { type: s.type, srcset: candidates(s.srcset, base) })
    .filter((s) => s && s.srcset);
  return { src, srcset: entries.join(', '), width, height, sources };
}

/** A `srcset`'s `URL {width}w` candidates whose URL is safe, resolved against `base`. */
const candidates = (srcset, base) =>
  String(srcset)
    .split(',')
    .map((c) => /^\s*(\S+)\s+(\d+w)\s*$/.exec(c))
    .map((m) => m && (m[1] = safeUrl(m[1], base)) && `${m[1]} ${m[2]}`)
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
  if (post.type === 'carousel' || (post.media && post.media.length > 1)) return 'carousel';
  if (post.type === 'video' || post.type === 'reel') return 'video';
  return '';
}
