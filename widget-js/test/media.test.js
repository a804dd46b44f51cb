import { test } from 'node:test';
import assert from 'node:assert/strict';
import { altText, imageOf, kindOf, safeUrl } from '../src/media.js';

const base = new URL('https://feed.example.com/');

test('the early media shape (a CDN url, no sizes) gives a plain src', () => {
  const item = { url: 'https://cdn.example/a.jpg?oe=1', width: null, height: null };
  assert.deepEqual(imageOf(item, base), { src: 'https://cdn.example/a.jpg?oe=1', srcset: '', width: null, height: null, sources: [] });
});

test('sizes become a srcset with the default size included once', () => {
  const item = {
    url: '/media/1/640',
    width: 640,
    height: 800,
    sizes: [
      { url: '/media/1/1080', width: 1080, height: 1350 },
      { url: '/media/1/320', width: 320, height: 400 },
      { url: '/media/1/640', width: 640, height: 800 },
    ],
  };
  assert.deepEqual(imageOf(item, base), {
    src: 'https://feed.example.com/media/1/640',
    srcset:
      'https://feed.example.com/media/1/320 320w, https://feed.example.com/media/1/640 640w, https://feed.example.com/media/1/1080 1080w',
    width: 640,
    height: 800,
    sources: [],
  });
});

test('missing width/height are taken from the matching size, else left unknown', () => {
  const sizes = [{ url: 'https://feed.example.com/m/1/640', width: 640, height: 640 }];
  assert.equal(imageOf({ url: '/m/1/640', width: null, height: null, sizes }, base).height, 640);
  assert.equal(imageOf({ url: '/m/1/x', width: null, height: null, sizes: [] }, base).width, null);
});

test('a default url outside sizes joins the srcset when its width is known', () => {
  const item = { url: '/d', width: 500, height: 500, sizes: [{ url: '/s', width: 200, height: 200 }] };
  assert.equal(imageOf(item, base).srcset, 'https://feed.example.com/s 200w, https://feed.example.com/d 500w');
});

test('without url the largest size up to 640 px is shown', () => {
  const sizes = [
    { url: '/a', width: 320, height: 320 },
    { url: '/b', width: 640, height: 640 },
    { url: '/c', width: 1080, height: 1080 },
  ];
  assert.equal(imageOf({ url: null, sizes }, base).src, 'https://feed.example.com/b');
  assert.equal(imageOf({ url: null, sizes: [sizes[2]] }, base).src, 'https://feed.example.com/c');
});

test('withheld media and hostile URLs give nothing to load', () => {
  assert.equal(imageOf({ url: null, sizes: [] }, base), null);
  assert.equal(imageOf(undefined, base), null);
  assert.equal(imageOf({ url: 'javascript:alert(1)' }, base), null);
  assert.equal(safeUrl('data:text/html,x', base), null);
  assert.equal(safeUrl(42, base), null);
  assert.equal(safeUrl('https://www.instagram.com/p/x/', base), 'https://www.instagram.com/p/x/');
  const sizes = [{ url: 'javascript:x', width: 10, height: 10 }, null, { url: '/ok', width: 0 }];
  assert.equal(imageOf({ url: '/ok', sizes }, base).srcset, '');
});

test('modern formats keep their order; each candidate is checked and resolved against igfeed', () => {
  const item = {
    url: '/media/1/640',
    sizes: [{ url: '/media/1/640', width: 640, height: 640 }],
    sources: [
      { type: 'image/avif', srcset: '/media/1/320.avif 320w, https://feed.example.com/media/1/640.avif 640w' },
      { type: 'image/webp', srcset: 'javascript:alert(1) 320w,  /media/1/640.webp   640w ,ftp://cdn.example/a.webp 1080w' },
      { type: 'image/jxl', srcset: 'javascript:alert(1) 320w' },
      { type: 'image/avif', srcset: '/no-width' },
      null,
      { type: 'image/avif' },
    ],
  };
  assert.deepEqual(imageOf(item, base).sources, [
    { type: 'image/avif', srcset: 'https://feed.example.com/media/1/320.avif 320w, https://feed.example.com/media/1/640.avif 640w' },
    { type: 'image/webp', srcset: 'https://feed.example.com/media/1/640.webp 640w' },
  ]);
  assert.deepEqual(imageOf({ url: '/x', sources: 'image/avif' }, base).sources, [], 'not a list: none');
  assert.deepEqual(imageOf({ url: '/x' }, base).sources, [], 'the early shape has none');
});

test('alt text prefers the owner alt, else the caption on one line', () => {
  assert.equal(altText({ alt: 'A roof', caption: 'ignored' }), 'A roof');
  assert.equal(altText({ alt: null, caption: 'Line one\n\nline  two #tag' }), 'Line one line two #tag');
  assert.equal(altText({ alt: null, caption: null }), '');
});

test('long captions are trimmed at a word boundary with an ellipsis', () => {
  const caption = 'word '.repeat(40);
  const alt = altText({ caption }, 50);
  assert.ok(alt.endsWith('word…'), alt);
  assert.ok([...alt].length <= 50, alt);
  const emoji = '👋'.repeat(60);
  const cut = altText({ caption: emoji }, 10);
  assert.equal(cut, '👋'.repeat(9) + '…', 'emoji stay whole');
});

test('carousel and video posts are marked', () => {
  assert.equal(kindOf({ type: 'carousel', media: [{}, {}] }), 'carousel');
  assert.equal(kindOf({ type: 'reel', media: [{}] }), 'video');
  assert.equal(kindOf({ type: 'video', media: [{}] }), 'video');
  assert.equal(kindOf({ type: 'image', media: [{}] }), '');
});
