// The owner's whole journey in a real browser: log in, Connect, approve on the (sandbox)
// Instagram consent page, and see the account and its posts on the status page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startDemo } from './harness.mjs';

test('an owner logs in, connects Instagram and sees the account', async () => {
  const demo = await startDemo();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const violations = [];
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
    });
    await page.goto(demo.admin);
    assert.match(page.url(), /\/admin\/login/, 'not logged in: sent to the login page');

    await page.locator('input[type=password]').fill(demo.password);
    await Promise.all([page.waitForNavigation(), page.locator('form button[type=submit], form input[type=submit]').first().click()]);
    assert.equal(new URL(page.url()).pathname, '/admin');

    await Promise.all([
      page.waitForURL((url) => url.pathname.includes('/oauth/authorize')),
      page.getByRole('button', { name: /connect instagram/i }).click(),
    ]);
    await Promise.all([
      page.waitForURL((url) => url.origin === demo.origin && url.pathname === '/admin'),
      page.getByRole('button', { name: /allow/i }).click(),
    ]);
    const body = await page.locator('body').innerText();
    assert.match(body, /sandbox\.studio/, 'the connected account is shown');
    assert.match(body, /connected/i);
    // The feed is fetched right after connecting: reload until the preview shows it.
    const deadline = Date.now() + 15_000;
    while ((await page.locator('.preview img').count()) === 0) {
      assert.ok(Date.now() < deadline, 'the preview shows the feed');
      await new Promise((resolve) => setTimeout(resolve, 200));
      await page.reload();
    }
    const loaded = await page.locator('.preview img').first().evaluate((img) => img.decode().then(() => img.naturalWidth));
    assert.ok(loaded > 0, 'preview images load under the CSP');
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
    assert.deepEqual(violations, [], 'no CSP violation on the admin pages');
  } finally {
    await browser.close();
    await demo.stop();
  }
});
