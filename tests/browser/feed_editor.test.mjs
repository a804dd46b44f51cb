// Issue 15's editor in a real browser against `igfeed demo --connected`: the owner creates a
// "shop" feed in /admin, hides a post, pins another, links a third to a shop URL, changes the
// columns and sees the preview follow, saves, and /feed.json?feed=shop shows it all.
// SCREENSHOT=path also saves a picture of the editor (docs/feed-editor.png).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startDemo } from './harness.mjs';

/** Polls `check` until it returns a truthy value; fails with `what` after `ms`. */
async function until(what, check, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('the owner curates a feed in the editor and the feed follows', async () => {
  const demo = await startDemo(['--connected']);
  const browser = await launchBrowser();
  try {
    await until('the demo feed', async () => (await fetch(`${demo.origin}/feed.json?limit=1`).catch(() => null))?.ok, 20_000);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = [];
    page.on('console', (msg) => {
      // (Chromium's own favicon request, a 404, is logged as a console error without a URL.)
      if (/Content Security Policy/i.test(msg.text())) problems.push(msg.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    const failed = [];
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) failed.push(`${response.status()} ${response.url()}`);
    });

    await page.goto(demo.admin);
    await page.getByLabel(/password/i).fill(demo.password);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: /log in/i }).click()]);
    assert.equal(new URL(page.url()).pathname, '/admin');

    // Create "shop" from the Feeds section of /admin, with the keyboard.
    await page.getByLabel(/^Name/).focus();
    await page.keyboard.type('shop');
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/admin/feeds/shop'),
      page.getByRole('button', { name: 'Create feed' }).click(),
    ]);
    assert.match(await page.locator('[role=status]').first().innerText(), /created/i);

    const ids = await page.locator('input[name=post]').evaluateAll((inputs) => inputs.map((i) => i.value));
    assert.ok(ids.length >= 4, `the editor lists the posts (${ids.length})`);
    const thumbs = await page.locator('.posts img').count();
    assert.ok(thumbs >= 4, 'with thumbnails');
    const loaded = await page.locator('.posts img').first().evaluate((img) => img.decode().then(() => img.naturalWidth));
    assert.ok(loaded > 0, 'thumbnails load under the CSP');
    const [hidden, linked, pinned] = ids;

    await page.locator(`#hide-${hidden}`).check();
    await page.locator(`#pin-${pinned}`).check();
    await page.locator(`#order-${pinned}`).fill('1');
    await page.locator(`#link-${linked}`).fill('https://shop.example/p/1');

    // The preview follows the display controls before anything is saved.
    const preview = page.locator('#preview');
    assert.match(await preview.getAttribute('src'), /columns=3/);
    await page.locator('#display-columns').fill('4');
    await until('the preview asks for four columns', async () => /[?&]columns=4(&|$)/.test(await preview.getAttribute('src')));
    const frame = await (await preview.elementHandle()).contentFrame();
    await until('the preview shows four columns', async () => /--cols:4\b/.test(await frame.content().catch(() => '')));
    await page.locator('#display-theme').selectOption('dark');
    await until('the preview follows the theme', async () => /[?&]theme=dark(&|$)/.test(await preview.getAttribute('src')));

    // Copy buttons appear with the script; the snippets name the feed.
    assert.ok(await page.getByRole('button', { name: 'Copy script tag' }).isVisible());
    assert.match(await page.locator('#snippet-script').inputValue(), /data-feed="shop"/);

    if (process.env.SCREENSHOT) {
      // The top of the editor: display controls, preview, the first rows of posts.
      await page.setViewportSize({ width: 1280, height: 1700 });
      await page.evaluate(() => window.scrollTo(0, 0));
      await until('the visible thumbnails', () =>
        page.evaluate(() => [...document.images].filter((i) => i.getBoundingClientRect().top < innerHeight).every((i) => i.complete)),
      );
      await page.screenshot({ path: process.env.SCREENSHOT });
      await page.setViewportSize({ width: 1280, height: 900 });
    }

    await Promise.all([
      page.waitForURL((url) => url.searchParams.get('notice') === 'saved'),
      page.getByRole('button', { name: 'Save' }).click(),
    ]);
    const feed = await (await fetch(`${demo.origin}/feed.json?feed=shop`)).json();
    const shown = feed.posts.map((p) => p.id);
    assert.ok(!shown.includes(hidden), 'the hidden post is gone');
    assert.equal(shown[0], pinned, 'the pinned post comes first');
    assert.equal(feed.posts[0].pinned, true);
    assert.equal(feed.posts.find((p) => p.id === linked).link, 'https://shop.example/p/1');
    assert.equal(feed.display.columns, 4);
    assert.equal(feed.display.theme, 'dark');

    // The saved editor shows the choices again.
    assert.ok(await page.locator(`#hide-${hidden}`).isChecked());
    assert.ok(await page.locator(`#pin-${pinned}`).isChecked());
    assert.equal(await page.locator('#display-columns').inputValue(), '4');
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
    assert.deepEqual(failed, [], 'every request of the editor succeeded');
  } finally {
    await browser.close();
    await demo.stop();
  }
});
