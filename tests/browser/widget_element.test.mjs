// The widget as a custom element (issue 17, item 4), in a real browser against
// `igfeed demo --connected` (the default feed is @sandbox.studio, `feed="harness.cafe"` the
// other account): widget.js in <head> defines <igfeed-widget>; elements in the HTML, and
// elements a framework inserts later, render the feed from their attributes and render again
// when one changes; bad values warn and fall back as data-* do; the script-tag form keeps
// working beside them (also from a second igfeed origin); a strict CSP page sees no violation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, watch } from './widget_world.mjs';

const CAFE = 'harness.cafe';

let world;
let cafe;
before(async () => {
  world = await startWorld();
  cafe = await (await fetch(`${world.demo.origin}/feed.json?feed=${CAFE}&limit=20`)).json();
  assert.equal(cafe.profile.username, CAFE, 'the demo serves the second account');
});
after(async () => {
  await world?.stop();
});

/** widget.js with no data-*: in <head> it only defines the element. */
const HEAD = () => `<script src="${world.demo.origin}/widget.js" async></script>`;

/** Facts about the widget `selector` from inside its shadow root (null until it has one). */
function describe(page, selector) {
  return page.evaluate((sel) => {
    const host = document.querySelector(sel);
    const root = host?.shadowRoot;
    const grid = root?.querySelector('.grid');
    if (!grid) return null;
    return {
      filled: root.querySelectorAll('a.pic').length,
      placeholders: root.querySelectorAll('span.pic').length,
      columns: getComputedStyle(grid).gridTemplateColumns.split(' ').filter(Boolean).length,
      layout: root.querySelector('.w').className,
      label: root.querySelector('.w').getAttribute('aria-label'),
      header: root.querySelector('.head')?.innerText ?? null,
      links: [...root.querySelectorAll('a.pic')].map((a) => a.getAttribute('href')),
    };
  }, selector);
}

/** Waits until the widget `selector` shows `filled` posts (no placeholder left) and `columns`. */
async function shown(page, selector, filled, columns) {
  await page.waitForFunction(
    ([sel, n, cols]) => {
      const root = document.querySelector(sel)?.shadowRoot;
      const grid = root?.querySelector('.grid');
      if (!grid || root.querySelectorAll('a.pic').length !== n || root.querySelector('span.pic')) return false;
      return cols == null || getComputedStyle(grid).gridTemplateColumns.split(' ').filter(Boolean).length === cols;
    },
    [selector, filled, columns],
    { timeout: 20_000 },
  );
  return describe(page, selector);
}

/**
 * Waits until the first `n` pictures of the (first) widget have arrived: igfeed resizes each
 * on its first request, slowly in a debug build on a busy machine, hence the long deadline
 * and only the first row, which is fetched first.
 */
function pictures(page, n) {
  return page.waitForFunction(
    (count) =>
      [...document.querySelector('igfeed-widget').shadowRoot.querySelectorAll('.pic img')]
        .slice(0, count)
        .every((img) => img.complete && img.naturalWidth > 0),
    n,
    { timeout: 90_000 },
  );
}

/** The /feed.json requests `seen` so far, as their query parameters. */
const feedRequests = (seen) =>
  seen.requests.filter((url) => new URL(url).pathname === '/feed.json').map((url) => Object.fromEntries(new URL(url).searchParams));

test('widget.js in <head>, <igfeed-widget feed columns> in the body: the feed renders from the attributes', async () => {
  const { browser, demo, site } = world;
  // A blocking script in <head>: the parser creates the element already defined.
  const url = world.page(
    '/element.html',
    `<h1>Our café</h1><igfeed-widget feed="${CAFE}" columns="4" limit="8"></igfeed-widget><p>after</p>`,
    {},
    `<script src="${demo.origin}/widget.js"></script>`,
  );
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const seen = await watch(page);
  await page.goto(url);
  const widget = await shown(page, 'igfeed-widget', 8, 4);
  await pictures(page, 4);
  assert.deepEqual(widget.links, cafe.posts.slice(0, 8).map((p) => p.link), "the café's posts, in order");
  assert.match(widget.header, /@harness\.cafe/, 'the header names the account');
  assert.equal(widget.label, `Instagram posts by @${CAFE}`);
  assert.equal(await page.locator('igfeed-widget').count(), 1, 'the tag in <head> renders no widget of its own');
  assert.deepEqual(feedRequests(seen), [{ limit: '8', feed: CAFE }], 'one request, with the attributes');
  for (const requested of seen.requests.filter((u) => !u.startsWith(site.origin))) {
    assert.ok(requested.startsWith(`${demo.origin}/`), `request outside igfeed's origin: ${requested}`);
  }
  assert.deepEqual(seen.warnings, [], 'no warning');
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test('elements a framework inserts later render once; a moved element keeps its posts', async () => {
  const { browser, demo } = world;
  // `defer`: the element in the HTML exists before widget.js defines it (an upgrade).
  const url = world.page(
    '/element-later.html',
    `<div id="app"><igfeed-widget id="first" limit="2" header="false"></igfeed-widget></div><div id="other"></div>`,
    {},
    `<script src="${demo.origin}/widget.js" defer></script>`,
  );
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const seen = await watch(page);
  await page.goto(url);
  await shown(page, '#first', 2);

  // As React or Vue do: create, set the attributes, insert.
  await page.evaluate((feed) => {
    const widget = document.createElement('igfeed-widget');
    widget.id = 'react';
    widget.setAttribute('feed', feed);
    widget.setAttribute('limit', '3');
    document.querySelector('#app').append(widget);
  }, CAFE);
  const react = await shown(page, '#react', 3);
  assert.deepEqual(react.links, cafe.posts.slice(0, 3).map((p) => p.link));

  // Inserted first, attributes set after it in the same task: still one render, with them.
  await page.evaluate(() => {
    const widget = document.createElement('igfeed-widget');
    widget.id = 'late';
    document.querySelector('#app').append(widget);
    widget.setAttribute('limit', '4');
    widget.setAttribute('columns', '2');
  });
  await shown(page, '#late', 4, 2);
  // From markup, as a template's innerHTML.
  await page.evaluate(() => {
    document.querySelector('#other').innerHTML = '<igfeed-widget id="markup" limit="5" header="false"></igfeed-widget>';
  });
  await shown(page, '#markup', 5);
  assert.deepEqual(
    feedRequests(seen).map((q) => q.limit).sort(),
    ['2', '3', '4', '5'],
    'one /feed.json request per element, none for a state in between',
  );

  // Moved (removed and inserted again, as a keyed list reorders): the same rendering, no request.
  const kept = await page.evaluate(async () => {
    const widget = document.querySelector('#react');
    const box = widget.shadowRoot.querySelector('.w');
    document.querySelector('#other').prepend(widget);
    widget.remove();
    document.querySelector('#app').append(widget);
    // Renders are queued as microtasks: a task later, any would have started.
    await new Promise((resolve) => setTimeout(resolve));
    return widget.shadowRoot.querySelector('.w') === box;
  });
  assert.ok(kept, 'a moved element is not rendered again');
  // Changed while out of the page: rendered again when it comes back.
  await page.evaluate(() => {
    window.markup = document.querySelector('#markup');
    window.markup.remove();
    window.markup.setAttribute('limit', '1');
  });
  await page.evaluate(() => document.querySelector('#app').append(window.markup));
  await shown(page, '#markup', 1);
  assert.deepEqual(feedRequests(seen).map((q) => q.limit).sort(), ['1', '2', '3', '4', '5']);
  assert.equal(await page.locator('igfeed-widget').count(), 4, 'no widget besides the four elements');
  assert.deepEqual(seen.warnings, []);
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test('changing an attribute renders again: columns, limit, feed, several at once', async () => {
  const { browser } = world;
  const url = world.page('/element-live.html', '<igfeed-widget limit="6" header="false"></igfeed-widget>', {}, HEAD());
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const seen = await watch(page);
  await page.goto(url);
  const first = await shown(page, 'igfeed-widget', 6, 3);
  const set = (attrs) =>
    page.evaluate((pairs) => {
      const widget = document.querySelector('igfeed-widget');
      for (const [name, value] of pairs) value === null ? widget.removeAttribute(name) : widget.setAttribute(name, value);
    }, Object.entries(attrs));

  await set({ columns: '4' });
  await shown(page, 'igfeed-widget', 6, 4);
  await set({ limit: '2' });
  await shown(page, 'igfeed-widget', 2, 4);
  await set({ feed: CAFE, header: null });
  const other = await shown(page, 'igfeed-widget', 2, 4);
  assert.deepEqual(other.links, cafe.posts.slice(0, 2).map((p) => p.link), 'the other feed');
  assert.notDeepEqual(other.links, first.links.slice(0, 2));
  assert.match(other.header, /@harness\.cafe/, 'header back (its default) with the attribute gone');
  // Several in one task: one render, one request.
  await set({ columns: '2', limit: '3', layout: 'carousel' });
  await page.waitForFunction(() => document.querySelector('igfeed-widget').shadowRoot.querySelectorAll('a.pic').length === 3);
  const carousel = await describe(page, 'igfeed-widget');
  assert.match(carousel.layout, /\bl-carousel\b/);
  assert.deepEqual(
    feedRequests(seen).map((q) => `${q.limit} ${q.feed ?? ''}`.trim()),
    ['6', '6', '2', `2 ${CAFE}`, `3 ${CAFE}`],
    'one request per change, the last three attributes together',
  );
  // The carousel's buttons arrive with the lazily loaded module.
  await page.locator('igfeed-widget .nav.next').waitFor();
  assert.equal(await page.locator('igfeed-widget .w').count(), 1, 'one rendering in the shadow root');
  assert.deepEqual(seen.warnings, []);
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test('a bad attribute value warns and falls back like data-*; a bad feed shows nothing', async () => {
  const { browser } = world;
  const url = world.page(
    '/element-bad.html',
    `<igfeed-widget id="bad" columns="12" colums="4" limit="4" header="false"></igfeed-widget>
     <p>before</p><igfeed-widget id="nofeed" feed="not a feed"></igfeed-widget><p>after</p>`,
    {},
    HEAD(),
  );
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const seen = await watch(page);
  await page.goto(url);
  const bad = await shown(page, '#bad', 4, 3);
  assert.equal(bad.columns, 3, 'columns="12" falls back to the default');
  await page.waitForFunction(() => document.querySelector('#nofeed').shadowRoot?.childElementCount === 0);
  const igfeed = () => seen.warnings.filter((w) => w.startsWith('igfeed:'));
  assert.deepEqual(igfeed().sort(), [
    'igfeed: ignoring columns="12", unknown colums',
    'igfeed: nothing to show (feed is not a feed name)',
  ]);
  assert.equal(await page.evaluate(() => document.querySelector('#nofeed').getBoundingClientRect().height), 0, 'nothing visible');
  assert.ok(!feedRequests(seen).some((q) => q.feed), 'no request for a feed that is not a feed name');

  // A bad value set later: the same warning, the same fallback.
  const warned = page.waitForEvent('console', { predicate: (m) => m.text().includes('masonry'), timeout: 10_000 });
  await page.evaluate(() => document.querySelector('#bad').setAttribute('layout', 'masonry'));
  assert.equal((await warned).text(), 'igfeed: ignoring columns="12", unknown colums, layout="masonry"');
  const after = await shown(page, '#bad', 4, 3);
  assert.match(after.layout, /\bl-grid\b/, 'the default layout');
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test('two elements with different feeds, the script-tag form, and a second igfeed origin on one page', async () => {
  const { browser, demo } = world;
  // The same igfeed under another name is another origin: the element keeps the origin of
  // the widget.js that defined it; the second origin's tag does not define it again.
  const second = demo.origin.replace('127.0.0.1', 'localhost');
  const url = world.page(
    '/element-mixed.html',
    `<div style="display:flex;gap:16px">
       <section id="studio" style="flex:1"><igfeed-widget limit="3"></igfeed-widget></section>
       <section id="cafe" style="flex:1"><igfeed-widget feed="${CAFE}" limit="4"></igfeed-widget></section>
     </div>
     <section id="tag">${world.tag({ feed: CAFE, limit: 2, columns: 2 })}</section>
     <section id="other"><script src="${second}/widget.js" data-limit="5" async></script></section>
     <div id="slot"><a href="https://www.instagram.com/">Our Instagram</a></div>`,
    {},
    // Not async: this widget.js surely defines the element first. With both async, the other
    // origin's may run first and define it (which is what a page gets in that order).
    `<script src="${demo.origin}/widget.js"></script>` +
      world.tag({ target: '#slot', limit: 1, header: 'false' }),
  );
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const seen = await watch(page);
  await page.goto(url);
  const studio = await shown(page, '#studio igfeed-widget', 3);
  const cafeWidget = await shown(page, '#cafe igfeed-widget', 4);
  const tag = await shown(page, '#tag igfeed-widget', 2, 2);
  const other = await shown(page, '#other igfeed-widget', 5);
  await shown(page, '#slot igfeed-widget', 1);
  assert.equal(await page.locator('igfeed-widget').count(), 5, 'two elements, three tags in <body> or with data-target');
  assert.match(studio.header, /@sandbox\.studio/, 'no feed attribute: the default feed');
  assert.match(cafeWidget.header, /@harness\.cafe/);
  assert.deepEqual(cafeWidget.links, cafe.posts.slice(0, 4).map((p) => p.link));
  assert.ok(!studio.links.some((l) => cafeWidget.links.includes(l)), 'no post in both');
  assert.deepEqual(tag.links, cafe.posts.slice(0, 2).map((p) => p.link), 'the script-tag form, with its data-*');
  assert.match(other.header, /@sandbox\.studio/);
  assert.doesNotMatch(await page.locator('#slot').innerText(), /Our Instagram/, "data-target's content is replaced");
  const origins = seen.requests
    .filter((u) => new URL(u).pathname === '/feed.json')
    .map((u) => `${new URL(u).origin} ${new URL(u).searchParams.get('limit')}`)
    .sort();
  assert.deepEqual(
    origins,
    [`${demo.origin} 1`, `${demo.origin} 2`, `${demo.origin} 3`, `${demo.origin} 4`, `${second} 5`].sort(),
    "each widget asks its own widget.js's origin",
  );
  assert.deepEqual(seen.warnings, []);
  assert.deepEqual(seen.errors, [], 'two definitions of the element never throw');
  await page.close();
});

test('a page whose CSP allows only igfeed: elements render, hover captions, the lightbox and load-more, zero violations', async () => {
  const { browser, demo } = world;
  const csp = `default-src 'none'; script-src ${demo.origin}; img-src ${demo.origin}; connect-src ${demo.origin}`;
  const url = world.page(
    '/element-csp.html',
    `<h1>Strict</h1><igfeed-widget limit="3" captions="hover" load-more header="false"></igfeed-widget>`,
    { 'content-security-policy': csp },
    HEAD(),
  );
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const seen = await watch(page);
  await page.goto(url);
  await shown(page, 'igfeed-widget', 3, 3);
  await pictures(page, 3);
  // Hover captions' styles come with the lazily loaded module, adopted under the CSP.
  await page.locator('igfeed-widget .foot button').waitFor();
  await page.locator('igfeed-widget .tile').first().hover();
  await page.waitForFunction(() => {
    const cap = document.querySelector('igfeed-widget').shadowRoot.querySelector('.cap');
    return cap && getComputedStyle(cap).opacity === '1' && getComputedStyle(cap).position === 'absolute';
  });
  await page.locator('igfeed-widget .pic').first().click();
  await page.locator('igfeed-widget dialog[open] img').waitFor();
  await page.keyboard.press('Escape');
  await page.locator('igfeed-widget dialog').waitFor({ state: 'detached' });
  await page.locator('igfeed-widget .foot button').click();
  await page.waitForFunction(() => document.querySelector('igfeed-widget').shadowRoot.querySelectorAll('a.pic').length === 6);
  // A change under the CSP: the new columns' stylesheet is a constructed one too.
  await page.evaluate(() => document.querySelector('igfeed-widget').setAttribute('columns', '1,600:2'));
  await shown(page, 'igfeed-widget', 3, 2);
  assert.deepEqual(await seen.violations(), [], 'no securitypolicyviolation event');
  assert.deepEqual(seen.errors, [], 'no console errors (CSP reports land there too)');
  await page.close();
});
