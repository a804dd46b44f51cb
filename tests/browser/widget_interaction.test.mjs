// The widget with a keyboard and a finger, its layout stability, and /embed with and
// without JavaScript, in a real browser against `igfeed demo --connected`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ARTIFACTS, loadedImages, startWorld, watch } from './widget_world.mjs';

let world;
before(async () => {
  world = await startWorld();
});
after(async () => {
  await world?.stop();
});

/** What has focus, looking into the widget's shadow root. */
const focused = (page) =>
  page.evaluate(() => {
    const inner = document.activeElement?.shadowRoot?.activeElement;
    return inner ? `${inner.tagName.toLowerCase()}.${inner.className}` : document.activeElement?.tagName.toLowerCase();
  });
const lightboxCount = (page) => page.locator('igfeed-widget dialog .count').innerText();

test('the lightbox and load-more work with the keyboard alone', async () => {
  const url = world.page('/keyboard.html', world.tag({ limit: 3, header: 'false', 'load-more': '' }));
  const page = await world.browser.newPage();
  const seen = await watch(page);
  await page.goto(url);
  await loadedImages(page, 3);

  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'a.pic', 'Tab reaches the first post');
  await page.keyboard.press('Enter');
  await page.locator('igfeed-widget dialog[open]').waitFor();
  assert.equal(await focused(page), 'button.close', 'focus moves into the lightbox');
  assert.equal(await page.locator('igfeed-widget dialog').getAttribute('aria-label'), 'Instagram post');
  assert.match(await lightboxCount(page), /^Post 1 of 3$/);
  await page.keyboard.press('ArrowRight');
  assert.match(await lightboxCount(page), /^Post 2 of 3, picture 1 of \d$/, 'arrows step into the carousel');
  await page.keyboard.press('ArrowRight');
  assert.match(await lightboxCount(page), /^Post 2 of 3, picture 2 of \d$/, 'carousel children are browsable');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.match(await lightboxCount(page), /^Post 1 of 3$/);
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
    const inside = await page.evaluate(() => !!document.querySelector('igfeed-widget').shadowRoot.activeElement?.closest('dialog'));
    assert.ok(inside, `focus stays in the lightbox (step ${i})`);
  }
  await page.keyboard.press('Escape');
  await page.locator('igfeed-widget dialog').waitFor({ state: 'detached' });
  assert.equal(await focused(page), 'a.pic', 'focus returns to the post');
  assert.equal(await page.evaluate(() => document.querySelector('igfeed-widget').shadowRoot.activeElement === document.querySelector('igfeed-widget').shadowRoot.querySelector('.pic')), true);

  // Load more: Tab past the three posts to the button.
  for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'button.btn');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('igfeed-widget').shadowRoot.querySelectorAll('.pic').length === 6);
  const live = page.locator('igfeed-widget [role=status]');
  assert.equal(await live.innerText(), '3 more posts loaded.', 'the live region announces the new posts');
  const index = await page.evaluate(() => {
    const root = document.querySelector('igfeed-widget').shadowRoot;
    return [...root.querySelectorAll('.pic')].indexOf(root.activeElement);
  });
  assert.equal(index, 3, 'focus moves to the first new post');
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test('a double click while the lightbox loads opens one dialog, and one Escape closes it', async () => {
  const { browser, demo } = world;
  const url = world.page('/double.html', world.tag({ limit: 3, header: 'false' }));
  const page = await browser.newPage();
  const seen = await watch(page);
  await page.route(`${demo.origin}/widget-lightbox.js**`, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await route.continue();
  });
  await page.goto(url);
  await loadedImages(page, 3);
  await page.locator('igfeed-widget .pic').first().dblclick();
  await page.locator('igfeed-widget dialog[open]').waitFor();
  assert.equal(await page.locator('igfeed-widget dialog').count(), 1, 'one dialog');
  await page.keyboard.press('Escape');
  await page.locator('igfeed-widget dialog').waitFor({ state: 'detached' });
  assert.equal(await focused(page), 'a.pic', 'focus returns to the post');
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test('load-more keeps keyboard focus in the widget when no posts or an error come back', async () => {
  const { browser, demo } = world;
  const url = world.page('/more-empty.html', world.tag({ limit: 3, header: 'false', 'load-more': '' }));
  const answers = [
    ['empty', (route) => route.fulfill({ json: { profile: {}, posts: [], next: null } })],
    ['503', (route) => route.fulfill({ status: 503, json: { error: { code: 'x', message: 'x' } } })],
  ];
  for (const [what, answer] of answers) {
    const page = await browser.newPage();
    await page.route(`${demo.origin}/feed.json?**after=**`, answer);
    await page.goto(url);
    await loadedImages(page, 3);
    await page.locator('igfeed-widget button.btn').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('igfeed-widget').shadowRoot.querySelector('[role=status]').textContent !== '');
    const inside = await page.evaluate(() => !!document.querySelector('igfeed-widget').shadowRoot.activeElement);
    assert.ok(inside, `${what}: focus stays inside the widget (${await focused(page)})`);
    await page.close();
  }
});

test('a video tile without alt text or caption is announced as a video', async () => {
  const { browser, demo, feed } = world;
  const video = feed.posts.find((p) => p.type === 'video' || p.type === 'reel');
  assert.ok(video, 'the demo feed has a video');
  const doc = { ...feed, posts: [{ ...video, alt: null, caption: null }], next: null };
  const page = await browser.newPage();
  await page.route(`${demo.origin}/feed.json**`, (route) => route.fulfill({ json: doc }));
  await page.goto(world.page('/video-label.html', world.tag({ limit: 1, header: 'false' })));
  await page.getByRole('link', { name: 'Instagram post (Video)' }).waitFor({ timeout: 10_000 });
  await page.close();
});

test('a swipe steps through the lightbox on a touch screen', async () => {
  const url = world.page('/touch.html', world.tag({ limit: 3, header: 'false' }));
  const context = await world.browser.newContext({ hasTouch: true, isMobile: true, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(url);
  await loadedImages(page, 1);
  await page.locator('igfeed-widget .pic').first().tap();
  await page.locator('igfeed-widget dialog[open] img').waitFor();
  const cdp = await context.newCDPSession(page);
  const swipe = async (from, to) => {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: from, y: 300 }] });
    for (let x = from; Math.abs(x - to) > 10; x += Math.sign(to - from) * 20) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y: 300 }] });
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  };
  await swipe(320, 80);
  assert.match(await lightboxCount(page), /^Post 2 of 3/, 'swiping left shows the next picture');
  await swipe(80, 320);
  assert.match(await lightboxCount(page), /^Post 1 of 3$/, 'swiping right goes back');
  await page.screenshot({ path: `${ARTIFACTS}lightbox-mobile.png` });
  await context.close();
});

/** Collects layout shifts and the moment the widget's element was inserted. */
async function watchLayout(page) {
  await page.addInitScript(() => {
    window.__shifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__shifts.push({ value: e.value, at: e.startTime, input: e.hadRecentInput });
    }).observe({ type: 'layout-shift', buffered: true });
    new MutationObserver((records, observer) => {
      if (records.some((r) => [...r.addedNodes].some((n) => n.nodeName === 'IGFEED-WIDGET'))) {
        window.__inserted = performance.now();
        observer.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
}

const boxes = (page) =>
  page.evaluate(() =>
    [...document.querySelector('igfeed-widget').shadowRoot.querySelectorAll('.pic img')].map((img) => {
      const r = img.getBoundingClientRect();
      return { x: r.x, y: r.y, w: r.width, h: r.height, loaded: img.complete && img.naturalWidth > 0 };
    }),
  );

test('no layout shift: image boxes have their final size before the images arrive', async () => {
  const { demo } = world;
  const pages = {
    // The README's recipe: a square grid without header reserves exactly aspect-ratio 1.
    recipe: `<h1>Recipe</h1><div style="aspect-ratio: 1">${world.tag({ header: 'false' })}</div><p>after</p>`,
    // Header, captions and load-more inside a generous reservation: nothing inside may move.
    full: `<h1>Full</h1><div style="min-height: 1700px">${world.tag({ captions: 'below', 'load-more': '' })}</div><p>after</p>`,
  };
  for (const [name, body] of Object.entries(pages)) {
    const page = await world.browser.newPage({ viewport: { width: 1000, height: 1800 } });
    await watchLayout(page);
    let release;
    const released = new Promise((resolve) => (release = resolve));
    await page.route(`${demo.origin}/media/**`, async (route) => {
      await released;
      await route.continue();
    });
    await page.goto(world.page(`/shift-${name}.html`, body));
    await page.waitForFunction(() => document.querySelector('igfeed-widget')?.shadowRoot.querySelectorAll('.pic img').length === 9);
    await page.waitForTimeout(300);
    const before = await boxes(page);
    assert.ok(before.every((b) => !b.loaded && b.w > 50 && b.h > 50), `${name}: boxes are sized while images are held back`);
    release();
    await loadedImages(page, 9);
    await page.evaluate(() => Promise.all([...document.querySelector('igfeed-widget').shadowRoot.querySelectorAll('.pic img')].map((i) => i.decode())));
    await page.waitForTimeout(300);
    const afterLoad = await boxes(page);
    assert.deepEqual(afterLoad.map(({ loaded, ...box }) => box), before.map(({ loaded, ...box }) => box), `${name}: no box changed`);
    const { shifts, inserted } = await page.evaluate(() => ({ shifts: window.__shifts, inserted: window.__inserted }));
    assert.ok(inserted > 0, 'the insertion was seen');
    const total = shifts.filter((s) => !s.input).reduce((sum, s) => sum + s.value, 0);
    assert.equal(total, 0, `${name}: cumulative layout shift from the widget's insertion on (${JSON.stringify(shifts)})`);
    await page.close();
  }
});

test('/embed shows the posts with JavaScript disabled, captions as text', async () => {
  const { browser, demo, feed } = world;
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const seen = await watch(page);
  await page.goto(`${demo.origin}/embed?limit=6&captions=below`);
  const links = await page.locator('a.pic').evaluateAll((as) => as.map((a) => a.href));
  assert.deepEqual(links, feed.posts.slice(0, 6).map((p) => p.permalink), 'every post is a real link');
  await page.waitForFunction(() => [...document.querySelectorAll('.pic img')].every((i) => i.complete && i.naturalWidth > 0), null, { timeout: 20_000 }).catch(() => {});
  const loaded = await page.locator('.pic img').evaluateAll((imgs) => imgs.filter((i) => i.naturalWidth > 0).length);
  assert.ok(loaded >= 1, 'images load without script');
  const captions = await page.locator('.cap').allTextContents();
  assert.deepEqual(captions, feed.posts.slice(0, 6).map((p) => p.caption ?? ''));
  assert.ok(captions.some((c) => c.includes('<script>')), 'the sandbox hostile caption is among them, as text');
  assert.equal(await page.locator('.cap script, .cap b').count(), 0);
  assert.deepEqual(await seen.violations(), []);
  await page.screenshot({ path: `${ARTIFACTS}embed-no-js.png`, fullPage: true });
  await context.close();
});

test('/embed in an iframe on another site fits its height via embed.js', async () => {
  const { browser, demo } = world;
  const url = world.page(
    '/iframe.html',
    `<iframe src="${demo.origin}/embed?limit=6&header=false" title="Instagram" width="600" height="150" style="border:0"></iframe>
     <script src="${demo.origin}/embed.js" async></script>`,
  );
  const page = await browser.newPage();
  const seen = await watch(page);
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('iframe').getBoundingClientRect().height > 300, null, { timeout: 10_000 });
  const [frameHeight, contentHeight] = await Promise.all([
    page.evaluate(() => document.querySelector('iframe').getBoundingClientRect().height),
    page.frames()[1].evaluate(() => document.documentElement.getBoundingClientRect().height),
  ]);
  assert.equal(Math.round(frameHeight), Math.ceil(contentHeight), 'the iframe fits the embed page');
  assert.deepEqual(seen.errors, []);
  await page.close();

  // The site's embed.js arrives after the frame has told its height to nobody.
  const late = world.page(
    '/iframe-late.html',
    `<iframe src="${demo.origin}/embed?limit=6&header=false" title="Instagram" width="600" height="150" style="border:0"></iframe>
     <script>addEventListener('message', (e) => { if (e.data && e.data.type === 'igfeed:embed-height') window.told = true; });</script>`,
  );
  const latePage = await browser.newPage();
  await latePage.goto(late);
  await latePage.waitForFunction(() => window.told === true, null, { timeout: 10_000 });
  await latePage.evaluate((src) => {
    const script = document.createElement('script');
    script.src = src;
    document.body.append(script);
  }, `${demo.origin}/embed.js`);
  await latePage.waitForFunction(() => document.querySelector('iframe').getBoundingClientRect().height > 300, null, { timeout: 10_000 });
  await latePage.close();
});

test('the admin status page offers the snippets and a live widget preview under its CSP', async () => {
  const { browser, demo } = world;
  const page = await browser.newPage();
  const seen = await watch(page);
  await page.goto(demo.admin);
  await page.locator('input[type=password]').fill(demo.password);
  await Promise.all([page.waitForNavigation(), page.locator('form button[type=submit]').first().click()]);
  assert.equal(new URL(page.url()).pathname, '/admin');
  const script = await page.locator('textarea[id^="snippet-script"]').first().inputValue();
  assert.equal(script, `<script src="${demo.origin}/widget.js" data-limit="9" data-columns="3" async></script>`);
  assert.match(await page.locator('textarea[id^="snippet-iframe"]').first().inputValue(), new RegExp(`<iframe src="${demo.origin}/embed\\?limit=9&columns=3"`));
  await loadedImages(page, 9, '.widget-preview igfeed-widget');
  assert.deepEqual(await seen.violations(), [], 'the preview runs under the admin CSP');
  assert.deepEqual(seen.errors, []);
  await page.screenshot({ path: `${ARTIFACTS}admin-status.png`, fullPage: true });
  await page.close();
});
