// Shared setup of the widget tests: `igfeed demo --connected` (igfeed + sandbox), a customer
// site on another loopback origin, chromium, and watchers that record what a page did.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { launchBrowser, startDemo } from './harness.mjs';
import { html, startSite } from './site.mjs';

/** Screenshots and timings; git-ignored. */
export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));

/** Starts everything (igfeed with `settings` over the demo's) and waits until the feed is served. */
export async function startWorld(settings = {}) {
  const demo = await startDemo(['--connected'], settings);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await fetch(`${demo.origin}/feed.json?limit=1`).catch(() => null);
    if (response && response.ok) break;
    if (Date.now() > deadline) throw new Error('the demo never served a feed');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const site = await startSite();
  const browser = await launchBrowser();
  await mkdir(ARTIFACTS, { recursive: true });
  const feed = await (await fetch(`${demo.origin}/feed.json`)).json();
  return {
    demo,
    site,
    browser,
    feed,
    /** A script tag for the widget with `data-*` attributes from `options`. */
    tag(options = {}) {
      const attrs = Object.entries(options)
        .map(([k, v]) => ` data-${k}="${v}"`)
        .join('');
      return `<script src="${demo.origin}/widget.js"${attrs} async></script>`;
    },
    page(path, body, headers, head) {
      return site.page(path, html(body, { head }), headers);
    },
    async stop() {
      await browser.close();
      await site.stop();
      await demo.stop();
    },
  };
}

/**
 * Records console messages, page errors, CSP violations and every request of `page`.
 * The violation listener is an init script: it runs even where the page's CSP forbids
 * inline script.
 */
export async function watch(page) {
  const seen = { errors: [], warnings: [], requests: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error') seen.errors.push(msg.text());
    if (msg.type() === 'warning') seen.warnings.push(msg.text());
  });
  page.on('pageerror', (error) => seen.errors.push(String(error)));
  page.on('request', (request) => seen.requests.push(request.url()));
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  seen.violations = () => page.evaluate(() => window.__violations);
  return seen;
}

/** Waits until `count` images inside widgets have loaded and decoded; returns their sizes. */
export async function loadedImages(page, count, root = 'igfeed-widget') {
  await page.waitForFunction(
    ([sel, n]) => {
      const imgs = [...document.querySelectorAll(sel)].flatMap((h) => [...h.shadowRoot.querySelectorAll('.pic img')]);
      return imgs.length >= n && imgs.slice(0, n).every((img) => img.complete && img.naturalWidth > 0);
    },
    [root, count],
    // Cold, igfeed downloads and resizes each image first, beside its fetch-ahead of the
    // whole feed: seconds on two busy cores (the time itself is reported, not judged).
    { timeout: 45_000 },
  );
  return page.evaluate((sel) =>
    [...document.querySelectorAll(sel)].flatMap((h) =>
      [...h.shadowRoot.querySelectorAll('.pic img')].map((img) => ({ natural: img.naturalWidth, complete: img.complete })),
    ),
    root,
  );
}

/**
 * Makes the page record when each widget image finishes decoding: shadow roots are captured
 * as they are attached, and every image added to one is asked for `decode()`, which resolves
 * once the image has arrived and been decoded.
 */
export function recordDecodes(page) {
  return page.addInitScript(() => {
    window.__decoded = new Map();
    const attach = Element.prototype.attachShadow;
    Element.prototype.attachShadow = function (init) {
      const root = attach.call(this, init);
      new MutationObserver(() => {
        for (const img of root.querySelectorAll('.pic img')) {
          if (!window.__decoded.has(img)) {
            window.__decoded.set(img, null);
            img.decode().then(() => window.__decoded.set(img, performance.now()), () => {});
          }
        }
      }).observe(root, { childList: true, subtree: true });
      return root;
    };
  });
}

/** Milliseconds from widget.js's arrival to the decode of the last image in the viewport. */
export async function decodeTiming(page, origin) {
  await page.waitForFunction(() =>
    [...window.__decoded].filter(([img]) => img.getBoundingClientRect().top < innerHeight).every(([, at]) => at !== null),
  );
  return page.evaluate((src) => {
    const visible = [...window.__decoded].filter(([img]) => img.getBoundingClientRect().top < innerHeight);
    const script = performance.getEntriesByName(src)[0];
    return { ms: Math.round(Math.max(...visible.map(([, at]) => at)) - script.responseEnd), visible: visible.length };
  }, `${origin}/widget.js`);
}
