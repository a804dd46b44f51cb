// Which feed the widget shows, and its requests to /feed.json. data-feed (an element's `feed`)
// selects the data, not the look, so it is not one of the options shared with /embed
// (schema/widget-options.json): like /embed's `after`, it is a parameter of every request
// rather than a setting.

/** A feed's name as the server spells it, matched before lower-casing so only ASCII passes. */
const NAME = /^[a-z0-9._-]{1,64}$/i;

/**
 * data-feed's (or `feed`'s) value: the name, trimmed and lower-cased; '' when the attribute is absent (the
 * default feed); null when it is not a feed name. Null must never become '': the default feed
 * is another account's posts, shown as if they were the ones asked for.
 */
export const parseFeed = (raw) => (raw == null ? '' : NAME.test((raw = raw.trim())) ? raw.toLowerCase() : null);

/**
 * One page of `feed` ('' for the default feed), continuing after the cursor `after` if given.
 * Rejects, without a request, when `feed` is not a parsed name, and when igfeed answers with
 * an error (404 unknown-feed among them); the widget shows every rejection the same way.
 */
export async function fetchPage(base, limit, feed, after) {
  if (feed == null) throw Error('feed is not a feed name');
  const url = new URL('feed.json', base);
  const query = url.searchParams;
  query.set('limit', limit);
  if (feed) query.set('feed', feed);
  if (after) query.set('after', after);
  // Revalidated every time (a 304 when nothing changed, thanks to the ETag): the display
  // preset travels in the document, so an owner who saves a new look sees it on the next
  // reload, not once the browser's copy expires (feed.cache_max_age).
  const response = await fetch(url, { credentials: 'omit', cache: 'no-cache' });
  // An error's body names it ({"error": {"code": …}}); a body that is not JSON has no posts.
  const doc = await response.json().catch(() => ({}));
  if (!response.ok) throw Error(`${url.origin} answered ${response.status} ${doc.error?.code || ''}`.trim());
  return doc;
}
