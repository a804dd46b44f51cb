import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aspectRatio, layoutCss, sizesFor } from '../src/layout.js';

test('sizes lets the browser measure, with the measured tile as fallback', () => {
  assert.equal(sizesFor(100, 3), 'auto, 100px');
  assert.equal(sizesFor(150.5, { 0: 2, 600: 3 }), 'auto, 151px');
  assert.equal(sizesFor(0, 3), 'auto, 34vw', 'hidden container: a share of the viewport');
  assert.equal(sizesFor(0, { 0: 2, 600: 3, 1000: 4 }), 'auto, 50vw', 'per width: the widest tiles');
});

test('columns become media queries, narrowest first; the gap a custom property', () => {
  assert.equal(layoutCss({ columns: 4, gap: '' }), '@media(min-width:0px){.w{--cols:4}}');
  assert.equal(
    layoutCss({ columns: { 0: 2, 600: 3, 1000: 4 }, gap: '8px' }),
    '@media(min-width:0px){.w{--cols:2}}@media(min-width:600px){.w{--cols:3}}@media(min-width:1000px){.w{--cols:4}}.w{--gap:8px}',
  );
});

test('square tiles are square; original tiles follow the image when its size is known', () => {
  assert.equal(aspectRatio({ width: 1080, height: 1350 }, 'square'), 1);
  assert.equal(aspectRatio({ width: 1080, height: 1350 }, 'portrait'), 1, "portrait is the stylesheet's 3/4");
  assert.equal(aspectRatio({ width: 1080, height: 1350 }, 'original'), 0.8);
  assert.equal(aspectRatio({ width: 1080, height: 566 }, 'original'), 1.908);
  assert.equal(aspectRatio({ width: null, height: null }, 'original'), 1);
  assert.equal(aspectRatio(null, 'original'), 1);
});
