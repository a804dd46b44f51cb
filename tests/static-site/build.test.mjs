// docs/static-sites.md's Eleventy recipe, end to end: `igfeed demo` fetches the sandbox's feed
// and caches its images, `igfeed export --offline --with-media` writes feed.json and media/,
// igfeed is stopped, Eleventy builds the site, and the site shows every post with images that
// are files of the site itself (relative URLs, nothing left on igfeed's origin).
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import assert from 'node:assert/strict';

const here = fileURLToPath(new URL('.', import.meta.url));
const binary = process.env.IGFEED_BIN || fileURLToPath(new URL('../../target/debug/igfeed', import.meta.url));
// Kept small for the suite's time: JPEG only (AVIF costs seconds of CPU per image; the
// template treats `sources` the same), 12 posts an account, two widths.
const settings = {
  IGFEED__MEDIA__FORMATS: '',
  IGFEED__FEED__MAX_POSTS: '12',
  IGFEED__MEDIA__SIZES: '320,640',
  IGFEED__MEDIA__DEFAULT_SIZE: '640',
  RUST_LOG: 'error',
};

/** The caller's environment without IGFEED settings, plus `extra`. */
function environment(extra) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('IGFEED')));
  return { ...env, ...settings, ...extra };
}

/** Starts `igfeed demo --connected`, its state under `temp`; resolves with its origin. */
async function startDemo(temp) {
  const child = spawn(binary, ['demo', '--port', '0', '--connected'], {
    env: environment({ TMPDIR: temp }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000);
  let origin;
  for await (const line of createInterface({ input: child.stdout })) {
    const match = line.match(/Admin:\s+(\S+)/);
    if (match) {
      origin = new URL(match[1]).origin;
      break;
    }
  }
  clearTimeout(deadline);
  if (!origin) throw new Error('igfeed demo printed no admin URL');
  const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve();
  return {
    origin,
    stateDir: join(temp, `igfeed-demo-${new URL(origin).port}`),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Polls until every image of the default feed is cached (listed with `sizes`). */
async function waitForImages(origin) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await fetch(`${origin}/feed.json?limit=100`).catch(() => null);
    if (response?.ok) {
      const feed = await response.json();
      const items = feed.posts.flatMap((post) => post.media).filter((item) => item.url);
      if (feed.posts.length > 0 && feed.profile.picture_color && items.every((item) => item.sizes.length > 0)) {
        return feed;
      }
    }
    if (Date.now() > deadline) throw new Error('igfeed did not cache every image within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every URL in the `src` and `srcset` attributes of `html`. */
function imageUrls(html) {
  const urls = [];
  for (const [, name, value] of html.matchAll(/\s(src|srcset)="([^"]*)"/g)) {
    const decoded = value.replaceAll('&amp;', '&');
    if (name === 'src') urls.push(decoded);
    else urls.push(...decoded.split(',').map((candidate) => candidate.trim().split(/\s+/)[0]));
  }
  return urls;
}

test('the Eleventy recipe builds a site that needs no igfeed', { timeout: 120_000 }, async () => {
  const temp = mkdtempSync(join(tmpdir(), 'igfeed-static-site-'));
  const work = join(here, 'tmp');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  const demo = await startDemo(temp);
  try {
    const served = await waitForImages(demo.origin);
    const { stdout } = await promisify(execFile)(
      binary,
      ['export', '--offline', '--with-media', '--out', join(work, 'igfeed')],
      { env: environment({ IGFEED__STORAGE__DIR: demo.stateDir }) },
    );
    assert.match(stdout, new RegExp(`exported ${served.posts.length} posts`));
    await demo.stop();

    process.env.IGFEED_EXPORT = 'tmp/igfeed';
    process.env.SITE_OUT = 'tmp/_site';
    const { default: Eleventy } = await import('@11ty/eleventy');
    const eleventy = new Eleventy(undefined, undefined, { quietMode: true, configPath: 'eleventy.config.js' });
    await eleventy.write();

    const html = readFileSync(join(work, '_site', 'index.html'), 'utf8');
    const posts = [...html.matchAll(/data-post="(\d+)"/g)].map((match) => match[1]);
    assert.deepEqual(posts, served.posts.map((post) => post.id), 'every post, in the feed\'s order');
    const urls = imageUrls(html);
    const expected = served.posts.filter((post) => post.media[0]?.url).length;
    assert.ok(urls.length >= expected * 2, `an img with a srcset per post with an image (${urls.length} URLs)`);
    for (const url of urls) {
      assert.match(url, /^media\/[0-9a-z/._]+\.(jpg|avif)$/, `${url}: relative, into the site's media/`);
      assert.ok(existsSync(join(work, '_site', url)), `${url} is a file of the built site`);
    }
    assert.ok(!html.includes('<script>alert(1)</script>'), 'captions are escaped');
    assert.ok(html.includes('&lt;script&gt;'), 'and shown as text');
  } finally {
    await demo.stop().catch(() => {});
    rmSync(temp, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
});
