// Display presets travel with the feed (issue 15, item 3), in a real browser against
// `igfeed demo --connected`: a customer's page with `<script … data-feed="shop" async>`
// takes the look the owner saved for "shop" (4 portrait columns) without a change to the tag,
// follows on reload when the owner saves other columns (per viewport width, as media
// queries), and a data-columns attribute on the page still wins. The page runs under a CSP
// that allows only igfeed for scripts, images and fetches, and no styles at all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startDemo } from './harness.mjs';
import { html, startSite } from './site.mjs';
import { watch } from './widget_world.mjs';

const TOKEN = 'presets-api-token-0123456789abcdef';

let demo;
let site;
let browser;
before(async () => {
  demo = await startDemo(['--connected'], { IGFEED__ADMIN__API_TOKEN: TOKEN });
  site = await startSite();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await site?.stop();
  await demo?.stop();
});

/** Saves the feed definition `name` through the admin API, as the editor in /admin does. */
async function save(name, definition) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await fetch(`${demo.origin}/api/v1/feeds/${name}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(definition),
    });
    if (response.ok) return response.json();
    // Until the demo has connected its accounts, a definition naming one cannot be saved.
    assert.ok(Date.now() < deadline, `PUT ${name}: ${response.status} ${await response.text()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The served feed `name`, once it has posts. */
async function feed(name) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await fetch(`${demo.origin}/feed.json?feed=${name}`).catch(() => null);
    const doc = response?.ok && (await response.json());
    if (doc?.posts?.length) return doc;
    assert.ok(Date.now() < deadline, `feed ${name} never served posts (last: ${response?.status})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const policy = () => ({
  'content-security-policy': `default-src 'none'; script-src ${demo.origin}; img-src ${demo.origin}; connect-src ${demo.origin}`,
});

/** A customer's page with one script tag; `attrs` are its extra attributes. */
function shopPage(path, attrs = '') {
  return site.page(path, html(`<h1>The shop</h1><script src="${demo.origin}/widget.js" data-feed="shop"${attrs} async></script>`), policy());
}

/** What the widget shows once its tiles are filled: columns, aspect class, tile shape, links. */
function rendered(page, { columns, aspect }) {
  return page.waitForFunction(
    ([columns, aspect]) => {
      const root = document.querySelector('igfeed-widget')?.shadowRoot;
      const grid = root?.querySelector('.grid');
      const w = root?.querySelector('.w');
      if (!grid || !root.querySelector('.pic img') || !w.classList.contains(`a-${aspect}`)) return false;
      const shown = getComputedStyle(grid).gridTemplateColumns.split(' ').filter(Boolean).length;
      if (shown !== columns) return false;
      const pic = root.querySelector('.pic').getBoundingClientRect();
      return {
        columns: shown,
        classes: w.className,
        ratio: Math.round((pic.height / pic.width) * 100) / 100,
        fit: getComputedStyle(root.querySelector('.pic img')).objectFit,
        links: [...root.querySelectorAll('a.pic')].map((a) => a.href),
        sizes: root.querySelector('.pic img').sizes,
      };
    },
    [columns, aspect],
    { timeout: 20_000 },
  ).then((handle) => handle.jsonValue());
}

test("the tag follows the feed's saved display preset; an attribute still wins", async () => {
  await save('shop', { accounts: ['sandbox.studio'], display: { columns: 4, aspect: 'portrait' } });
  const served = await feed('shop');
  assert.deepEqual({ columns: served.display.columns, aspect: served.display.aspect }, { columns: 4, aspect: 'portrait' });

  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  const seen = await watch(page);
  await page.goto(shopPage('/shop.html'));
  let shown = await rendered(page, { columns: 4, aspect: 'portrait' });
  assert.equal(shown.ratio, 1.33, 'portrait tiles are 3:4');
  assert.equal(shown.fit, 'cover', 'the picture fills its tile');
  assert.deepEqual(shown.links, served.posts.slice(0, 9).map((p) => p.link), "tiles link to each post's link");
  assert.match(shown.sizes, /^\d+px$/, 'the first row: the measured tile (an eager image takes no auto)');

  // The owner saves other columns, per viewport width; the same page follows on reload.
  await save('shop', { accounts: ['sandbox.studio'], display: { columns: { 0: 2, 600: 3 }, aspect: 'square' } });
  assert.deepEqual((await feed('shop')).display.columns, { 0: 2, 600: 3 });
  await page.reload();
  shown = await rendered(page, { columns: 3, aspect: 'square' });
  assert.equal(shown.ratio, 1, 'square tiles');
  // The breakpoints are media queries: a narrower window has two columns, without a reload.
  await page.setViewportSize({ width: 500, height: 900 });
  await rendered(page, { columns: 2, aspect: 'square' });
  await page.setViewportSize({ width: 1000, height: 900 });
  await rendered(page, { columns: 3, aspect: 'square' });

  // An attribute on the page wins over the preset, in either form; the rest stays the preset's.
  await save('shop', { accounts: ['sandbox.studio'], display: { columns: 4, aspect: 'portrait' } });
  await page.goto(shopPage('/shop-five.html', ' data-columns="5"'));
  await rendered(page, { columns: 5, aspect: 'portrait' });
  await page.goto(shopPage('/shop-widths.html', ' data-columns="1,800:2" data-aspect="square"'));
  await rendered(page, { columns: 2, aspect: 'square' });
  await page.setViewportSize({ width: 700, height: 900 });
  await rendered(page, { columns: 1, aspect: 'square' });

  // A bad attribute falls back to the preset (not to the built-in 3), with the usual warning.
  await page.goto(shopPage('/shop-bad.html', ' data-columns="12"'));
  await rendered(page, { columns: 4, aspect: 'portrait' });
  assert.ok(seen.warnings.includes('igfeed: ignoring data-columns="12"'), seen.warnings.join('\n'));

  assert.deepEqual(await seen.violations(), [], 'no securitypolicyviolation event');
  assert.deepEqual(seen.errors, []);
  await context.close();
});
