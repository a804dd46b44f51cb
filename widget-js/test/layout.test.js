import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aspectRatio, sizesFor, tileWidth } from '../src/layout.js';

test('tiles share the width left after the gaps', () => {
  assert.equal(tileWidth(308, 3, 4), 100);
  assert.equal(tileWidth(100, 1, 4), 100);
  assert.equal(tileWidth(0, 3, 4), 1, 'never zero or negative');
});

test('sizes lets the browser measure, with a measured fallback', () => {
  assert.equal(sizesFor(308, 3, 4), 'auto, 100px');
  assert.equal(sizesFor(301, 2, 0), 'auto, 151px');
  assert.equal(sizesFor(0, 3, 4), 'auto, 34vw', 'hidden container: a share of the viewport');
});

test('square tiles are square; original tiles follow the image when its size is known', () => {
  assert.equal(aspectRatio({ width: 1080, height: 1350 }, 'square'), 1);
  assert.equal(aspectRatio({ width: 1080, height: 1350 }, 'original'), 0.8);
  assert.equal(aspectRatio({ width: 1080, height: 566 }, 'original'), 1.908);
  assert.equal(aspectRatio({ width: null, height: null }, 'original'), 1);
  assert.equal(aspectRatio(null, 'original'), 1);
});
