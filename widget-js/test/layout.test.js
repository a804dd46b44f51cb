import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxOf, layoutCss, sizesFor } from '../src/layout.js';

test('sizes is the measured tile, else a share of the viewport', () => {
  assert.equal(sizesFor(100, 3), '100px');
  assert.equal(sizesFor(150.5, { 0: 2, 600: 3 }), '151px');
  assert.equal(sizesFor(0, 3), '34vw', 'hidden container: a share of the viewport');
  assert.equal(sizesFor(0, { 0: 2, 600: 3, 1000: 4 }), '50vw', 'per width: the widest tiles');
});

test('columns become media queries, narrowest first; the gap a custom property', () => {
  assert.equal(layoutCss({ columns: 4, gap: '' }), '@media(min-width:0px){.w{--cols:4}}');
  assert.equal(
    layoutCss({ columns: { 0: 2, 600: 3, 1000: 4 }, gap: '8px' }),
    '@media(min-width:0px){.w{--cols:2}}@media(min-width:600px){.w{--cols:3}}@media(min-width:1000px){.w{--cols:4}}.w{--gap:8px}',
  );
});

test('an image box is the image’s size when known, else the tile’s shape', () => {
  assert.deepEqual(boxOf({ width: 1080, height: 1350 }, 'square'), [1080, 1350], 'object-fit crops it to the tile');
  assert.deepEqual(boxOf({ width: 1080, height: 566 }, 'original'), [1080, 566]);
  assert.deepEqual(boxOf({ width: null, height: null }, 'square'), [600, 600]);
  assert.deepEqual(boxOf({ width: null, height: null }, 'portrait'), [600, 800], "portrait tiles are 3:4");
  assert.deepEqual(boxOf({ width: null, height: null }, 'original'), [600, 600], 'unknown: square');
  assert.deepEqual(boxOf(null, 'original'), [600, 600], 'withheld: square');
});
