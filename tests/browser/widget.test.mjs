// The widget on a customer's page (another origin than igfeed), in a real browser, against
// `igfeed demo --connected`: rendering, options, several widgets, a strict CSP, hostile
// captions, and an unreachable feed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { ARTIFACTS, decodeTiming, loadedImages, recordDecodes, startWorld, watch } from './widget_world.mjs';

let world;
before(async () => {
  world = await startWorld();
});
after(async () => {
  await world?.stop();
});

/** URLs the page fetched from anywhere but the site itself. */
const foreign = (seen, site) => seen.requests.filter((url) => !url.startsWith(site.origin));

test('the default widget renders nine images that load, from igfeed only', async (t) => {
  const { browser, demo, site } = world;
  const url = world.page(
    '/default.html',
    `<h1>A customer's site</h1><p>Some text before.</p>${world.tag()}<p>Some text after.</p>`,
  );
  const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  const page = await context.newPage();
  const seen = await watch(page);
  await recordDecodes(page);
  await page.goto(url);
  const images = await loadedImages(page, 9);
  assert.equal(images.length, 9, 'data-limit defaults to 9');
  assert.ok(images.every((i) => i.natural > 0), 'every image loaded');
  // From the moment the script arrived to the last visible image decoded: once with igfeed's
  // image cache cold (it downloads and resizes each image first), once warm in a fresh
  // browser (nothing cached client-side).
  const cold = await decodeTiming(page, demo.origin);
  const warmContext = await browser.newContext({ viewport: { width: 640, height: 900 } });
  const warmPage = await warmContext.newPage();
  await recordDecodes(warmPage);
  await warmPage.goto(url);
  await loadedImages(warmPage, 9);
  const warm = await decodeTiming(warmPage, demo.origin);
  await warmPage.locator('igfeed-widget').screenshot({ path: `${ARTIFACTS}widget.png` });
  await warmContext.close();
  t.diagnostic(`script loaded -> ${cold.visible} visible images decoded: ${cold.ms} ms cold, ${warm.ms} ms warm`);
  await writeFile(`${ARTIFACTS}timings.json`, JSON.stringify({ cold, warm }, null, 2));
  await page.screenshot({ path: `${ARTIFACTS}widget-desktop.png`, fullPage: true });
  const header = await page.locator('igfeed-widget .head').innerText();
  assert.match(header, /sandbox\.studio/, 'the header names the account');
  assert.equal(await page.locator('igfeed-widget a.btn').getAttribute('href'), 'https://www.instagram.com/sandbox.studio/');
  for (const requested of foreign(seen, site)) {
    assert.ok(requested.startsWith(demo.origin + '/'), `request outside igfeed's origin: ${requested}`);
  }
  assert.deepEqual(seen.errors, [], 'no console errors');
  assert.deepEqual(seen.warnings, [], 'no console warnings');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${ARTIFACTS}widget-mobile.png`, fullPage: true });
  await context.close();
});

/** Facts about each widget on the page, read from inside its shadow root. */
function describeWidgets(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('igfeed-widget')].map((host) => {
      const root = host.shadowRoot;
      const w = root.querySelector('.w');
      const grid = root.querySelector('.grid');
      const style = grid && getComputedStyle(grid);
      return {
        parent: host.parentElement.id,
        tiles: root.querySelectorAll('.pic').length,
        images: root.querySelectorAll('.pic img').length,
        columns: style && style.gridTemplateColumns.split(' ').filter(Boolean).length,
        flow: style && style.gridAutoFlow,
        gap: style && style.columnGap,
        scrolls: grid && grid.scrollWidth > grid.clientWidth,
        header: !!root.querySelector('.head'),
        nav: root.querySelectorAll('.nav').length,
        more: !!root.querySelector('.foot button'),
        captions: [...root.querySelectorAll('.cap')].map((c) => ({ text: c.textContent, hidden: c.getAttribute('aria-hidden') })),
        ratios: [...root.querySelectorAll('.pic')].map((p) => p.style.getPropertyValue('--ar')),
        background: w && getComputedStyle(w).backgroundColor,
        height: host.getBoundingClientRect().height,
      };
    }),
  );
}

test('every option, several widgets on one page, and data-target', async () => {
  const { browser, feed } = world;
  const body = [
    ['a', { limit: 4, columns: 2, header: 'false', gap: 10 }],
    ['b', { layout: 'carousel', columns: 4, limit: 8 }],
    ['c', { captions: 'below', limit: 3, header: 'false' }],
    ['d', { captions: 'hover', limit: 3, header: 'false' }],
    ['e', { aspect: 'original', limit: 6, header: 'false' }],
    ['f', { theme: 'dark', limit: 3 }],
    ['g', { lightbox: 'false', limit: 3, header: 'false' }],
    ['h', { 'load-more': '', limit: 3, header: 'false' }],
    ['i', { columns: 12, limit: 2, header: 'false' }],
  ]
    .map(([id, options]) => `<section id="${id}">${world.tag(options)}</section>`)
    .join('\n');
  const url = world.page(
    '/options.html',
    `${body}<div id="slot"><a href="https://www.instagram.com/sandbox.studio/">Our Instagram</a></div>`,
    {},
    `<style>#f igfeed-widget { --igfeed-accent: rgb(193, 53, 132); --igfeed-radius: 8px; }</style>` +
      world.tag({ target: '#slot', limit: 2, header: 'false' }),
  );
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  await context.route('https://www.instagram.com/**', (route) => route.fulfill({ body: 'instagram' }));
  const page = await context.newPage();
  const seen = await watch(page);
  await page.goto(url);
  await page.waitForFunction(() => document.querySelectorAll('igfeed-widget').length === 10 &&
    [...document.querySelectorAll('igfeed-widget')].every((h) => h.shadowRoot.querySelector('.pic img')));
  // The carousel's buttons and the load-more button come with the lazily loaded module.
  await page.locator('#b igfeed-widget .nav.next').waitFor();
  await page.locator('#h igfeed-widget .foot button').waitFor();
  const widgets = Object.fromEntries((await describeWidgets(page)).map((w) => [w.parent, w]));
  const captions = feed.posts.map((p) => p.caption ?? '');

  assert.equal(widgets.a.tiles, 4, 'limit');
  assert.equal(widgets.a.columns, 2, 'columns');
  assert.equal(widgets.a.gap, '10px', 'gap');
  assert.equal(widgets.a.header, false, 'header=false');
  assert.equal(widgets.b.flow, 'column', 'carousel lays tiles out in a row');
  assert.ok(widgets.b.scrolls, 'carousel scrolls sideways');
  assert.equal(widgets.b.nav, 2, 'carousel has previous/next buttons');
  assert.equal(widgets.b.header, true, 'header by default');
  assert.deepEqual(widgets.c.captions.map((c) => c.text), captions.slice(0, 3), 'captions below, as text');
  assert.ok(widgets.d.captions.every((c) => c.hidden === 'true'), 'hover captions are not read twice');
  assert.ok(widgets.e.ratios.every((r) => Number(r) > 0), 'original aspect sets each tile ratio');
  assert.equal(widgets.f.background, 'rgb(0, 0, 0)', 'dark theme');
  assert.equal(widgets.a.background, 'rgb(255, 255, 255)', 'light theme by default');
  assert.equal(widgets.h.more, true, 'load more button');
  assert.equal(widgets.i.columns, 3, 'a bad value falls back to the default');
  assert.equal(widgets.slot.tiles, 2, 'data-target renders into the element');
  assert.doesNotMatch(await page.locator('#slot').innerText(), /Our Instagram/, 'the fallback is replaced');
  assert.deepEqual(seen.warnings.filter((w) => /igfeed/.test(w)), ['igfeed: ignoring data-columns="12"']);

  // Hover captions appear on hover.
  const hoverTile = page.locator('#d igfeed-widget .tile').first();
  await hoverTile.hover();
  await page.waitForFunction(() => getComputedStyle(document.querySelector('#d igfeed-widget').shadowRoot.querySelector('.cap')).opacity === '1');
  // The carousel's next button scrolls.
  await page.locator('#b igfeed-widget .nav.next').click();
  await page.waitForFunction(() => document.querySelector('#b igfeed-widget').shadowRoot.querySelector('.grid').scrollLeft > 0);
  // Without the lightbox a tile is a plain link to the post.
  const [popup] = await Promise.all([context.waitForEvent('page'), page.locator('#g igfeed-widget .pic').first().click()]);
  assert.equal(popup.url(), feed.posts[0].permalink);
  // With it, a click opens the dialog instead.
  await page.locator('#c igfeed-widget .pic').first().click();
  await page.locator('#c igfeed-widget dialog[open]').waitFor();
  // The site themes the widget through custom properties.
  const themed = await page.evaluate(() => {
    const root = document.querySelector('#f igfeed-widget').shadowRoot;
    return [getComputedStyle(root.querySelector('.head .btn')).backgroundColor, getComputedStyle(root.querySelector('.pic')).borderRadius];
  });
  assert.deepEqual(themed, ['rgb(193, 53, 132)', '8px'], 'custom properties reach into the shadow root');
  // Reduced motion: no transitions, no smooth scrolling.
  await page.emulateMedia({ reducedMotion: 'reduce' });
  const motion = await page.evaluate(() => [
    getComputedStyle(document.querySelector('#d igfeed-widget').shadowRoot.querySelector('.cap')).transitionDuration,
    getComputedStyle(document.querySelector('#b igfeed-widget').shadowRoot.querySelector('.grid')).scrollBehavior,
  ]);
  assert.deepEqual(motion, ['0s', 'auto'], 'prefers-reduced-motion is respected');
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('a page whose CSP allows only igfeed for scripts, images and fetches: zero violations', async () => {
  const { browser, demo } = world;
  const csp = `default-src 'none'; script-src ${demo.origin}; img-src ${demo.origin}; connect-src ${demo.origin}`;
  const url = world.page('/csp.html', `<h1>Strict</h1>${world.tag({ 'load-more': '' })}`, {
    'content-security-policy': csp,
  });
  const page = await browser.newPage();
  const seen = await watch(page);
  await page.goto(url);
  await loadedImages(page, 9);
  const display = await page.evaluate(() => getComputedStyle(document.querySelector('igfeed-widget').shadowRoot.querySelector('.grid')).display);
  assert.equal(display, 'grid', 'the constructed stylesheet applies under the CSP');
  // The lightbox module is imported from igfeed on first use.
  await page.locator('igfeed-widget .pic').first().click();
  await page.locator('igfeed-widget dialog[open] img').waitFor();
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('igfeed-widget').shadowRoot.querySelector('dialog')).position), 'fixed');
  await page.keyboard.press('Escape');
  await page.locator('igfeed-widget .foot button').click();
  await page.waitForFunction(() => document.querySelector('igfeed-widget').shadowRoot.querySelectorAll('.pic').length === 18);
  assert.deepEqual(await seen.violations(), [], 'no securitypolicyviolation event');
  assert.deepEqual(seen.errors, [], 'no console errors (CSP reports land there too)');
  await page.close();
});

test('a hostile caption shows as text and runs nothing', async () => {
  const { browser, demo } = world;
  const hostile = '<img src=x onerror="window.__pwned=1">Hello <b>bold</b> & <script>window.__pwned=2</script>';
  const url = world.page('/hostile.html', world.tag({ captions: 'below', limit: 3 }));
  const page = await browser.newPage();
  const seen = await watch(page);
  await page.route(`${demo.origin}/feed.json**`, async (route) => {
    const response = await route.fetch();
    const feed = await response.json();
    feed.posts[0].caption = hostile;
    feed.posts[0].alt = null;
    feed.profile.name = hostile;
    await route.fulfill({ response, json: feed });
  });
  await page.goto(url);
  await loadedImages(page, 3);
  const facts = await page.evaluate(() => {
    const root = document.querySelector('igfeed-widget').shadowRoot;
    return {
      caption: root.querySelector('.cap').textContent,
      name: root.querySelector('.name').textContent,
      alt: root.querySelector('.pic img').alt,
      strays: root.querySelectorAll('.cap *, .name *, script, b').length,
      pwned: window.__pwned ?? null,
    };
  });
  assert.equal(facts.caption, hostile, 'the caption is shown verbatim');
  assert.equal(facts.name, hostile);
  assert.match(facts.alt, /^<img src=x/, 'the alt text is the caption as text');
  assert.equal(facts.strays, 0, 'no element was created from the caption');
  await page.locator('igfeed-widget .pic').first().click();
  assert.equal(await page.locator('igfeed-widget dialog .side p').nth(1).innerText(), hostile);
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.__pwned ?? null), null, 'nothing ran');
  assert.ok(!seen.requests.some((u) => u.endsWith('/x')), 'the fake image was never requested');
  await page.close();
});

test('unreachable igfeed or an empty feed: nothing visible, one warning', async () => {
  const { browser, demo } = world;
  const url = world.page('/down.html', `<p>before</p>${world.tag()}<p>after</p>`);
  const cases = [
    ['unreachable', (route) => route.abort('connectionrefused')],
    ['not connected', (route) => route.fulfill({ status: 503, json: { error: { code: 'not-connected', message: 'x' } } })],
    ['empty', (route) => route.fulfill({ json: { profile: { username: 'x' }, posts: [], next: null } })],
  ];
  for (const [what, handler] of cases) {
    const page = await browser.newPage();
    const seen = await watch(page);
    await page.route(`${demo.origin}/feed.json**`, handler);
    await page.goto(url);
    await page.waitForFunction(() => document.querySelector('igfeed-widget')?.shadowRoot.childElementCount === 0);
    const height = await page.evaluate(() => document.querySelector('igfeed-widget').getBoundingClientRect().height);
    assert.equal(height, 0, `${what}: nothing visible`);
    const warnings = seen.warnings.filter((w) => w.startsWith('igfeed:'));
    assert.equal(warnings.length, 1, `${what}: one warning (${warnings})`);
    // The browser itself logs the failed request; the widget adds no error of its own.
    assert.deepEqual(seen.errors.filter((e) => !/Failed to load resource/.test(e)), [], what);
    await page.close();
  }

  // With data-target, the site's own fallback comes back.
  const slot = world.page(
    '/down-slot.html',
    `<div id="slot"><a href="https://www.instagram.com/">Our Instagram</a></div>${world.tag({ target: '#slot' })}`,
  );
  const page = await browser.newPage();
  await page.route(`${demo.origin}/feed.json**`, (route) => route.fulfill({ status: 503, json: { error: { code: 'x', message: 'x' } } }));
  await page.goto(slot);
  await page.locator('#slot a', { hasText: 'Our Instagram' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#slot igfeed-widget').count(), 0, 'the empty widget is gone');
  await page.close();
});
