// Issue 14's "done when", in a real browser against `igfeed demo` (not --connected): the
// owner connects two Instagram accounts from /admin, then a customer's page shows both feeds
// side by side with two script tags, and a tag naming an unknown feed shows nothing.
// The second test uses the accounts the first one connected.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startDemo } from './harness.mjs';
import { html, startSite } from './site.mjs';
import { watch } from './widget_world.mjs';

const FIRST = 'sandbox.studio';
const SECOND = 'harness.cafe';

let demo;
let browser;
let site;
before(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
  site = await startSite();
});
after(async () => {
  await browser?.close();
  await site?.stop();
  await demo?.stop();
});

/** Clicks the admin button named `button`, approves as @`username` on the sandbox's consent
 * page, and waits to be back on /admin. */
async function connect(page, button, username) {
  await Promise.all([
    page.waitForURL((url) => url.pathname.includes('/oauth/authorize')),
    page.getByRole('button', { name: button }).click(),
  ]);
  const choice = page.locator(`input[type=radio][name=account][value="${username}"]`);
  await choice.check();
  assert.ok(await choice.isChecked(), `@${username} chosen on the consent page`);
  await Promise.all([
    page.waitForURL((url) => url.origin === demo.origin && url.pathname === '/admin'),
    page.getByRole('button', { name: /allow/i }).click(),
  ]);
}

/** What /admin shows per account, in page order. */
function adminAccounts(page) {
  return page.locator('section.account[id^="account-"]').evaluateAll((sections) =>
    sections.map((s) => ({
      username: s.querySelector('h2.username')?.textContent.trim(),
      text: s.innerText,
      makeDefault: !!s.querySelector('form[action="/admin/make-default"]'),
    })),
  );
}

/** Polls `GET url` until it answers 200; returns its JSON. */
async function feedWhenReady(url) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await fetch(url).catch(() => null);
    if (response?.ok) return response.json();
    assert.ok(Date.now() < deadline, `${url} never answered 200 (last: ${response?.status})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('two accounts connected from /admin: both listed, the first is the default feed', async () => {
  const page = await browser.newPage();
  const seen = await watch(page);
  await page.goto(demo.admin);
  await page.locator('input[type=password]').fill(demo.password);
  await Promise.all([page.waitForNavigation(), page.locator('form button[type=submit], form input[type=submit]').first().click()]);
  assert.equal(new URL(page.url()).pathname, '/admin');

  await connect(page, /^connect instagram$/i, FIRST);
  let accounts = await adminAccounts(page);
  assert.deepEqual(accounts.map((a) => a.username.split(' ')[0]), [`@${FIRST}`]);

  await connect(page, /connect another account/i, SECOND);
  accounts = await adminAccounts(page);
  assert.deepEqual(
    accounts.map((a) => a.username.split(' ')[0]),
    [`@${FIRST}`, `@${SECOND}`],
    'both accounts listed, in the order they were connected',
  );
  const [first, second] = accounts;
  assert.match(first.text, /default feed/i, 'the first account is the default feed');
  assert.doesNotMatch(second.text, /default feed \(shown/i, 'the second one is not');
  assert.equal(first.makeDefault, false);
  assert.equal(second.makeDefault, true, 'the second one can be made the default');
  assert.match(first.text, new RegExp(`Feed ${FIRST.replace('.', '\\.')}`), "the first account's feed name");
  assert.match(second.text, new RegExp(`Feed ${SECOND.replace('.', '\\.')}`), "the second account's feed name");
  for (const account of accounts) assert.match(account.text, /^Connected/m, `${account.username} is connected`);
  // Chromium asks both origins for /favicon.ico (404 and 400) and logs that; nothing else.
  assert.deepEqual(seen.errors.filter((e) => !/^Failed to load resource/.test(e)), [], 'no errors on the admin pages');
  await page.close();
});

test('two script tags side by side show each its own account; an unknown data-feed shows nothing', async () => {
  // What each tag asks for: the pasted snippet as it is (the default feed, 9 posts), and
  // data-limit 20 for the second account, more than the 10 of its 12 posts on its profile grid
  // (two reels are not), so its widget shows all of them and its tile count tells the accounts
  // apart too.
  const studio = await feedWhenReady(`${demo.origin}/feed.json?limit=9`);
  const cafe = await feedWhenReady(`${demo.origin}/feed.json?feed=${SECOND}&limit=20`);
  assert.equal(studio.profile.username, FIRST, 'the default feed is the first account connected');
  assert.equal(cafe.profile.username, SECOND);
  assert.equal(studio.posts.length, 9);
  assert.equal(cafe.posts.length, 10, "the second account's 10 posts on its profile grid");
  const unknown = await fetch(`${demo.origin}/feed.json?feed=no.such.feed`);
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).error.code, 'unknown-feed');

  const tag = (attrs = '') => `<script src="${demo.origin}/widget.js"${attrs} async></script>`;
  const url = site.page(
    '/two-feeds.html',
    html(
      `<h1>Our shop and our café</h1>
<div style="display:flex;gap:16px">
  <section id="shop" style="flex:1">${tag()}</section>
  <section id="cafe" style="flex:1">${tag(` data-feed="${SECOND}" data-limit="20"`)}</section>
</div>
<section id="none"><p>before</p>${tag(' data-feed="no.such.feed"')}<p>after</p></section>`,
    ),
  );
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const seen = await watch(page);
  await page.goto(url);
  // Every tile filled (no placeholder left) in both widgets, and the third one emptied.
  await page.waitForFunction(
    () => {
      const hosts = ['shop', 'cafe', 'none'].map((id) => document.querySelector(`#${id} igfeed-widget`));
      if (hosts.some((h) => !h)) return false;
      const [shop, cafe, none] = hosts.map((h) => h.shadowRoot);
      const filled = (root) => root.querySelector('li.tile') && !root.querySelector('.grid > li:not(.tile)');
      return filled(shop) && filled(cafe) && none.childElementCount === 0;
    },
    null,
    { timeout: 20_000 },
  );
  const widgets = await page.evaluate(() =>
    Object.fromEntries(
      ['shop', 'cafe', 'none'].map((id) => {
        const host = document.querySelector(`#${id} igfeed-widget`);
        const root = host.shadowRoot;
        const box = host.getBoundingClientRect();
        return [
          id,
          {
            head: root.querySelector('.head')?.innerText ?? null,
            profile: root.querySelector('a.btn')?.getAttribute('href') ?? null,
            label: root.querySelector('.w')?.getAttribute('aria-label') ?? null,
            tiles: root.querySelectorAll('.pic').length,
            links: [...root.querySelectorAll('a.pic')].map((a) => a.getAttribute('href')),
            images: [...root.querySelectorAll('a.pic img')].map((img) => new URL(img.getAttribute('src')).pathname),
            left: box.left,
            top: box.top,
            height: box.height,
          },
        ];
      }),
    ),
  );

  const named = (username) => new RegExp(`@${username.replace('.', '\\.')}\\b`);
  assert.match(widgets.shop.head, named(FIRST), "the tag without data-feed shows the default account's header");
  assert.match(widgets.cafe.head, named(SECOND), `data-feed="${SECOND}" shows that account's header`);
  assert.doesNotMatch(widgets.shop.head, named(SECOND));
  assert.doesNotMatch(widgets.cafe.head, named(FIRST));
  assert.equal(widgets.shop.label, `Instagram posts by @${FIRST}`);
  assert.equal(widgets.cafe.label, `Instagram posts by @${SECOND}`);
  assert.equal(widgets.shop.profile, `https://www.instagram.com/${FIRST}/`);
  assert.equal(widgets.cafe.profile, `https://www.instagram.com/${SECOND}/`);
  assert.equal(widgets.shop.tiles, 9, 'the default data-limit');
  assert.equal(widgets.cafe.tiles, 10, "all of the second account's posts");
  assert.deepEqual(widgets.shop.links, studio.posts.map((p) => p.permalink), "the default feed's posts, in order");
  assert.deepEqual(widgets.cafe.links, cafe.posts.map((p) => p.permalink), "the second feed's posts, in order");
  assert.ok(!widgets.shop.links.some((l) => widgets.cafe.links.includes(l)), 'no post in both widgets');
  // Each tile's image is igfeed's copy of that very post.
  assert.deepEqual(widgets.shop.images.map((p) => p.split('/')[2]), studio.posts.map((p) => p.id));
  assert.deepEqual(widgets.cafe.images.map((p) => p.split('/')[2]), cafe.posts.map((p) => p.id));
  assert.ok(widgets.cafe.left > widgets.shop.left && widgets.cafe.top === widgets.shop.top, 'side by side');
  assert.equal(widgets.none.height, 0, 'the unknown feed takes no space');
  assert.equal(widgets.none.tiles, 0);
  assert.match(await page.locator('#none').innerText(), /^before\s+after$/, 'nothing between the paragraphs');

  // Images of both accounts arrive (igfeed resizes each on first request, slowly in a debug
  // build on a busy machine, hence the long deadline and only one per widget).
  await page.waitForFunction(
    () =>
      ['shop', 'cafe'].every((id) =>
        [...document.querySelector(`#${id} igfeed-widget`).shadowRoot.querySelectorAll('.pic img')].some(
          (img) => img.complete && img.naturalWidth > 0,
        ),
      ),
    null,
    { timeout: 90_000 },
  );

  const warnings = seen.warnings.filter((w) => w.startsWith('igfeed:'));
  assert.equal(warnings.length, 1, `one warning, for the unknown feed (${warnings})`);
  assert.match(warnings[0], /nothing to show .*404 unknown-feed/);
  const asked = seen.requests
    .filter((r) => r.startsWith(`${demo.origin}/feed.json`))
    .map((r) => new URL(r).searchParams.get('feed') ?? '(default)');
  assert.deepEqual(asked.sort(), ['(default)', SECOND, 'no.such.feed'].sort(), 'one /feed.json request per tag');
  // The browser logs the 404 itself; nothing else may fail, and no script error.
  assert.deepEqual(seen.errors.filter((e) => !/^Failed to load resource: .* 404/.test(e)), [], 'no errors');
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  await page.close();
});
