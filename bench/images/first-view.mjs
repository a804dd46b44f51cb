// The first view of a 3×3 widget in Chromium: image bytes transferred and the time until every
// image in view has decoded, at a phone (390×844, DPR 3) and a desktop (1280×800, DPR 1)
// viewport — issue #16's measure of "the fewest bytes for the first view". Three runs of the
// same binary: as before #16 (JPEG only, widths 320/640/1080), JPEG only with today's widths,
// and today's defaults (JPEG + AVIF). The sandbox serves real photos (bench/images/photos), so
// the ratios are a photo's.
//
// Usage: node bench/images/first-view.mjs --photos DIR [--bin target/release/igfeed] [--runs 3]
// Prints a Markdown table; the caller (bench/images/run) records it in BENCHMARKS.md.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    photos: { type: 'string' },
    bin: { type: 'string', default: `${repo}target/release/igfeed` },
    runs: { type: 'string', default: '3' },
  },
});
if (!args.photos) throw new Error('usage: first-view.mjs --photos DIR [--bin PATH] [--runs N]');
process.env.IGFEED_BIN = args.bin;
// The browser tests' harness and playwright-core (installed by scripts/test under tests/browser).
const { startDemo, launchBrowser } = await import(`${repo}tests/browser/harness.mjs`);
const { startSite, html } = await import(`${repo}tests/browser/site.mjs`);

const VIEWPORTS = [
  { name: 'phone 390×844 @3x', viewport: { width: 390, height: 844 }, deviceScaleFactor: 3 },
  { name: 'desktop 1280×800 @1x', viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 },
];
const MODES = [
  { name: 'before', formats: '', sizes: '320,640,1080' },
  { name: 'JPEG only', formats: '' },
  { name: 'JPEG + AVIF', formats: 'avif' },
];
const POSTS = 9;

/** Polls /feed.json until the first POSTS posts have every size (and AVIF when wanted). */
async function ready(origin, wantAvif) {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const feed = await (await fetch(`${origin}/feed.json`)).json().catch(() => null);
    const items = (feed?.posts || []).slice(0, POSTS).map((p) => p.media[0]);
    const done =
      items.length === POSTS &&
      items.every((m) => m.sizes.length > 0 && (!wantAvif || m.sources.length > 0));
    if (done) return;
    if (Date.now() > deadline) throw new Error('images not ready within 10 minutes');
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** One cold first view: bytes of /media/ answers and ms until every image in view decoded. */
async function firstView(browser, url, mediaOrigin, view) {
  const context = await browser.newContext({
    viewport: view.viewport,
    deviceScaleFactor: view.deviceScaleFactor,
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const media = new Map();
  cdp.on('Network.requestWillBeSent', (e) => {
    if (e.request.url.startsWith(`${mediaOrigin}/media/`)) media.set(e.requestId, { url: e.request.url, bytes: 0 });
  });
  cdp.on('Network.loadingFinished', (e) => {
    const entry = media.get(e.requestId);
    if (entry) entry.bytes = e.encodedDataLength;
  });
  await page.goto(url);
  const ms = await page.evaluate(async (count) => {
    const deadline = performance.now() + 60_000;
    const images = () => {
      const root = document.querySelector('igfeed-widget')?.shadowRoot;
      // The grid's pictures (the profile picture in the header comes first).
      return root ? [...root.querySelectorAll('img')].slice(-count) : [];
    };
    while (images().length < count && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const inView = images().filter((img) => {
      const box = img.getBoundingClientRect();
      return box.bottom > 0 && box.top < innerHeight && box.width > 0;
    });
    await Promise.all(inView.map((img) => img.decode().catch(() => {})));
    return performance.now();
  }, POSTS);
  // Let answers still streaming finish their accounting.
  await page.waitForLoadState('networkidle');
  const files = [...media.values()];
  await context.close();
  return {
    ms,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    files: files.map((f) => f.url.replace(/^.*\/media\//, '').replace(/\?.*$/, '')),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
const browser = await launchBrowser();
const site = await startSite();
try {
  for (const mode of MODES) {
    const demo = await startDemo(['--connected', '--photos-dir', args.photos], {
      IGFEED__MEDIA__FORMATS: mode.formats,
      IGFEED__MEDIA__PREFETCH_CONCURRENCY: '4',
      IGFEED__MEDIA__ENCODE_CONCURRENCY: '2',
      ...(mode.sizes ? { IGFEED__MEDIA__SIZES: mode.sizes } : {}),
    });
    try {
      await ready(demo.origin, mode.formats !== '');
      const url = site.page(
        `/first-view-${mode.name.replace(/\W+/g, '-')}`,
        html(`<h1>Shop</h1><script src="${demo.origin}/widget.js" data-limit="${POSTS}" data-columns="3"></script>`),
      );
      for (const view of VIEWPORTS) {
        const runs = [];
        for (let i = 0; i < Number(args.runs); i++) runs.push(await firstView(browser, url, demo.origin, view));
        results[`${mode.name}|${view.name}`] = {
          bytes: median(runs.map((r) => r.bytes)),
          ms: median(runs.map((r) => r.ms)),
          files: runs[0].files,
        };
      }
    } finally {
      await demo.stop();
    }
  }
} finally {
  await site.stop();
  await browser.close();
}

const lines = [
  '| viewport | image bytes: before (JPEG, 320/640/1080) | JPEG only | JPEG + AVIF | ratio to before | ratio to JPEG only | in-view decoded: before / JPEG only / JPEG + AVIF | files (AVIF run) |',
  '|---|---|---|---|---|---|---|---|',
];
const bytes = (n) => n.toLocaleString('en');
for (const view of VIEWPORTS) {
  const [before, jpeg, avif] = MODES.map((mode) => results[`${mode.name}|${view.name}`]);
  const files = [...new Set(avif.files.map((f) => f.replace(/^\d+\//, '')))].join(', ');
  lines.push(
    `| ${view.name} | ${bytes(before.bytes)} | ${bytes(jpeg.bytes)} | ${bytes(avif.bytes)} | ` +
      `**${(avif.bytes / before.bytes).toFixed(2)}x** | ${(avif.bytes / jpeg.bytes).toFixed(2)}x | ` +
      `${[before, jpeg, avif].map((r) => r.ms.toFixed(0)).join(' / ')} ms | ${avif.files.length}: ${files} |`,
  );
}
console.log(lines.join('\n'));
