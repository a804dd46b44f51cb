// The markup of one tile (tile.js over dom.js), built in a stand-in DOM: <picture> with a
// <source> per modern format, the JPEG fallback, the placeholder colour, the box's size and
// which images are fetched first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeElement } from './fake-dom.js';
import { fillTile } from '../src/tile.js';

const base = new URL('https://feed.example.com/');
const ctx = { base, sizes: '130px', open() {} };
const options = { aspect: 'square', captions: 'none' };
const JPEG = [320, 640, 1080].map((w) => ({ url: `/media/1/${w}?v=a`, width: w, height: w * 1.25 }));
const AVIF = '/media/1/320.avif?v=a 320w, /media/1/640.avif?v=a 640w, /media/1/1080.avif?v=a 1080w';

/** A post whose one media item has `fields` over a fully known image. */
const post = (fields = {}) => ({
  id: '1',
  type: 'image',
  caption: 'A roof',
  permalink: 'https://www.instagram.com/p/1/',
  media: [{ id: '1', type: 'image', url: '/media/1/640?v=a', width: 640, height: 800, sizes: JPEG, sources: [], color: null, ...fields }],
});

function tile(p, { first = false, o = options } = {}) {
  const li = new FakeElement('li');
  const link = fillTile(li, p, o, ctx, first);
  return { li, link, img: link.all('img')[0] };
}

test('an item with AVIF becomes <picture>: a <source> per format, the JPEG srcset on the <img>', () => {
  const { link, img } = tile(post({ sources: [{ type: 'image/avif', srcset: AVIF }] }));
  const [picture] = link.children;
  assert.equal(picture.tagName, 'PICTURE', 'the picture is the link’s first child');
  assert.deepEqual(
    picture.children.map((c) => c.tagName),
    ['SOURCE', 'IMG'],
    'sources first, the img last (the browser takes the first source it can show, else the img)',
  );
  const [source] = picture.children;
  assert.equal(source.type, 'image/avif');
  assert.equal(
    source.srcset,
    'https://feed.example.com/media/1/320.avif?v=a 320w, https://feed.example.com/media/1/640.avif?v=a 640w, https://feed.example.com/media/1/1080.avif?v=a 1080w',
    'candidates resolved against igfeed, not the page',
  );
  assert.equal(source.sizes, 'auto, 130px', 'the source picks its width like the img');
  assert.equal(img.srcset, JPEG.map((s) => `https://feed.example.com${s.url} ${s.width}w`).join(', '));
  assert.equal(img.src, 'https://feed.example.com/media/1/640?v=a');
  assert.equal(img.sizes, 'auto, 130px', 'a lazy image: its real box where browsers can tell');
});

test('without a modern format the img stands alone: no <picture> wrapper', () => {
  const { link } = tile(post());
  assert.equal(link.children[0].tagName, 'IMG');
  assert.equal(link.all('picture').length, 0);
  assert.equal(link.all('source').length, 0);
});

test('the first row is fetched at once and first; the rest lazily', () => {
  const first = tile(post({ sources: [{ type: 'image/avif', srcset: AVIF }] }), { first: true });
  assert.equal(first.img.fetchPriority, 'high');
  assert.equal(first.img.loading, undefined, 'not lazy: lazy images wait for layout');
  // Chromium reads `auto` on an eager image as 100vw and fetches the largest file.
  assert.equal(first.img.sizes, '130px');
  assert.equal(first.link.all('source')[0].sizes, '130px');
  const later = tile(post()).img;
  assert.equal(later.loading, 'lazy');
  assert.equal(later.fetchPriority, undefined);
  for (const img of [first.img, later]) assert.equal(img.decoding, 'async');
});

test('every img has width and height: its own, else the tile’s shape', () => {
  const known = tile(post()).img;
  assert.deepEqual([known.width, known.height], [640, 800]);
  const unknown = { width: null, height: null, sizes: [] };
  const square = tile(post(unknown)).img;
  assert.deepEqual([square.width, square.height], [600, 600]);
  const portrait = tile(post(unknown), { o: { ...options, aspect: 'portrait' } }).img;
  assert.deepEqual([portrait.width, portrait.height], [600, 800]);
  const original = tile(post(unknown), { o: { ...options, aspect: 'original' } });
  assert.deepEqual([original.img.width, original.img.height], [600, 600]);
  assert.equal(original.link.style['--ar'], '1', 'an unknown shape shows square');
  assert.equal(tile(post(), { o: { ...options, aspect: 'original' } }).link.style['--ar'], '0.8');
});

test('the average colour is the tile’s background until the image covers it', () => {
  assert.equal(tile(post({ color: '#c2703d' })).link.style.backgroundColor, '#c2703d');
  // null clears an inline value (none is set), so the stylesheet's placeholder shows.
  assert.equal(tile(post()).link.style.backgroundColor, null);
  const withheld = tile({ ...post(), media: [{ id: '1', type: 'video', url: null, sizes: [], sources: [], color: null }] });
  assert.equal(withheld.img, undefined);
  assert.equal(withheld.link.children[0].textContent, 'View on Instagram');
});
