// Builds static/widget.js (a classic script: bundled, minified, wrapped in an IIFE so it leaves
// no globals), static/widget-lightbox.js (an ES module the widget imports on first use), and
// /embed's static/embed.js + static/embed.css (the widget's stylesheet, the hover captions'
// from the lazily loaded part, and a few rules of its own).
// esbuild bundles and minifies; terser then compresses further (its passes and mangling win
// about 2% gzipped over esbuild's minifier: budget for features). Prints raw/gzip/brotli
// sizes and fails over the size budget. The output is committed (so
// `cargo run` needs no node); CI rebuilds it and fails if it differs from the committed files.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { minify } from 'terser';

/** Hard limits on the gzipped files; the widget's target is under 4 KB. */
const BUDGET = { 'widget.js': 5 * 1024, 'widget-lightbox.js': 3 * 1024, 'embed.js': 1024, 'embed.css': 2 * 1024 };
const TARGET_WIDGET = 4 * 1024;

/**
 * esbuild keeps the spaces in custom properties' values (`--fg: var(--x, #fff)`), where CSS
 * ignores them: drop those after the colon and after commas. Our stylesheets have no strings
 * with commas in them, so nothing else changes.
 */
const tightCss = (css) => css.replace(/(--[\w-]+): /g, '$1:').replace(/, /g, ',');

// `import CSS from './x.css'` becomes the minified stylesheet as a string.
const minifiedCss = {
  name: 'minified-css',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async ({ path }) => {
      const { code } = await esbuild.transform(await readFile(path, 'utf8'), { loader: 'css', minify: true });
      return { contents: tightCss(code.trim()), loader: 'text' };
    });
  },
};

async function bundle(entry, format, define = {}) {
  const result = await esbuild.build({
    entryPoints: [new URL(`src/${entry}`, import.meta.url).pathname],
    bundle: true,
    minify: true,
    format,
    target: ['es2021', 'chrome93', 'firefox92', 'safari15'],
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    define,
    plugins: [minifiedCss],
    // Short: its bytes count against the budget like the code's (LICENSE-MIT, LICENSE-APACHE).
    banner: { js: '/* igfeed widget, MIT OR Apache-2.0 */' },
  });
  const { code } = await minify(result.outputFiles[0].text, {
    ecma: 2020,
    module: format === 'esm',
    toplevel: true,
    compress: { passes: 3, unsafe: true, unsafe_arrows: true, hoist_funs: true },
    format: { comments: /^ igfeed widget/ },
  });
  return Buffer.from(code);
}

const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
let failed = false;
async function emit(name, code) {
  await writeFile(new URL(`../static/${name}`, import.meta.url), code);
  const gzip = gzipSync(code, { level: 9 }).length;
  const brotli = brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  console.log(`static/${name.padEnd(18)} raw ${code.length} B  gzip ${gzip} B (${kb(gzip)})  brotli ${brotli} B (${kb(brotli)})`);
  if (gzip > BUDGET[name]) {
    console.error(`${name} is ${kb(gzip)} gzipped: over its ${kb(BUDGET[name])} budget`);
    failed = true;
  }
  return gzip;
}

const lightbox = await bundle('lightbox.js', 'esm');
const version = createHash('sha256').update(lightbox).digest('hex').slice(0, 10);
const widget = await bundle('widget.js', 'iife', { LIGHTBOX_VERSION: JSON.stringify(version) });
await emit('widget-lightbox.js', lightbox);
if ((await emit('widget.js', widget)) > TARGET_WIDGET) console.warn(`note: widget.js is above the ${kb(TARGET_WIDGET)} target`);
await emit('embed.js', await bundle('embed.js', 'iife'));
const css = (name) => readFile(new URL(`src/${name}`, import.meta.url), 'utf8');
const embedCss = await esbuild.transform((await css('widget.css')) + (await css('captions.css')) + (await css('embed.css')), { loader: 'css', minify: true });
await emit('embed.css', Buffer.from(embedCss.code));
if (failed) process.exit(1);
