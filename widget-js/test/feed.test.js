import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { fetchPage, parseFeed } from '../src/feed.js';
import { DEFAULTS, parseOptions } from '../src/options.js';

const base = new URL('https://feed.example.com/');
const PAGE = { profile: {}, posts: [{ id: '1' }], next: 'c2', updated_at: null, stale: false };

/** Replaces `fetch` with one that records each request and answers `status` with `body`. */
function serve(status = 200, body = PAGE) {
  const requests = [];
  globalThis.fetch = async (url, init) => {
    requests.push({ url: new URL(url), init });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  return requests;
}
const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

test('data-feed is trimmed and lower-cased; absent means the default feed', () => {
  const cases = [
    [undefined, ''],
    ['shop', 'shop'],
    ['  Harness.Cafe ', 'harness.cafe'],
    ['SHOP_2-b', 'shop_2-b'],
    ['a'.repeat(64), 'a'.repeat(64)],
  ];
  for (const [raw, want] of cases) assert.equal(parseFeed(raw), want, `data-feed=${JSON.stringify(raw)}`);
});

test('anything but a feed name is refused, never read as the default feed', () => {
  // Each of these must not come out as '' (the default feed: another account's posts).
  const refused = ['', '   ', 'a'.repeat(65), 'my shop', 'shop/1', 'shop?feed=x', 'café', '\u212Aate', 'ſhop', 'sh%6Fp'];
  for (const raw of refused) assert.equal(parseFeed(raw), null, `data-feed=${JSON.stringify(raw)}`);
});

test('data-feed is not an option of the look: parseOptions neither reads nor reports it', () => {
  assert.deepEqual(parseOptions({ feed: 'shop' }), { options: DEFAULTS, problems: [] });
});

test('the first page asks for the named feed', async () => {
  const requests = serve();
  assert.deepEqual(await fetchPage(base, 12, parseFeed('Shop'), undefined), PAGE);
  assert.equal(requests.length, 1);
  const { url, init } = requests[0];
  assert.equal(`${url.origin}${url.pathname}`, 'https://feed.example.com/feed.json');
  assert.deepEqual([...url.searchParams], [['limit', '12'], ['feed', 'shop']]);
  assert.equal(init.credentials, 'omit');
  assert.equal(init.cache, 'no-cache', 'revalidated: a display preset saved a moment ago shows on reload');
});

test('without data-feed there is no feed parameter (snippets from before feeds keep working)', async () => {
  const requests = serve();
  await fetchPage(base, 9, parseFeed(undefined));
  await fetchPage(base, 9, parseFeed(undefined), 'c2');
  assert.deepEqual(
    requests.map(({ url }) => url.search),
    ['?limit=9', '?limit=9&after=c2'],
  );
});

test('"load more" pages keep the feed beside the cursor', async () => {
  const requests = serve();
  await fetchPage(base, 9, 'harness.cafe', 'abc+/=');
  const params = requests[0].url.searchParams;
  assert.equal(params.get('feed'), 'harness.cafe');
  assert.equal(params.get('after'), 'abc+/=', 'the cursor survives URL encoding');
});

test('a refused data-feed fails the load without any request', async () => {
  const requests = serve();
  for (const feed of [parseFeed('not a feed'), null, undefined]) {
    await assert.rejects(fetchPage(base, 9, feed), /feed is not a feed name/, `feed=${feed}`);
    await assert.rejects(fetchPage(base, 9, feed, 'c2'), /feed is not a feed name/, `feed=${feed} after a cursor`);
  }
  assert.deepEqual(requests, [], 'no request, so nothing from the default feed can be shown');
});

test('an unknown feed (404) fails the load like any other failed fetch', async () => {
  serve(404, { error: { code: 'unknown-feed', message: 'no feed named "gone"' } });
  await assert.rejects(fetchPage(base, 9, 'gone'), { message: 'https://feed.example.com answered 404 unknown-feed' });
  await assert.rejects(fetchPage(base, 9, 'gone', 'c2'), /404 unknown-feed/, 'a load-more page too');
  serve(502, 'Bad Gateway');
  await assert.rejects(fetchPage(base, 9, 'shop'), { message: 'https://feed.example.com answered 502' });
});
