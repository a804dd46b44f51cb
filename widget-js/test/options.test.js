import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, parseOptions } from '../src/options.js';

test('no attributes give the defaults', () => {
  assert.deepEqual(parseOptions({}), { options: DEFAULTS, problems: [] });
});

test('every option is read from its data attribute', () => {
  const { options, problems } = parseOptions({
    limit: '12',
    columns: '4',
    layout: 'carousel',
    captions: 'Below',
    lightbox: 'false',
    loadMore: '',
    header: 'false',
    aspect: 'original',
    gap: '10',
    theme: ' dark ',
    target: '#feed',
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(options, {
    limit: 12,
    columns: 4,
    layout: 'carousel',
    captions: 'below',
    lightbox: false,
    loadMore: true,
    header: false,
    aspect: 'original',
    gap: '10px',
    theme: 'dark',
  });
});

test('bad values fall back to the default and are named', () => {
  const cases = [
    ['limit', '0'],
    ['limit', '101'],
    ['limit', '3.5'],
    ['limit', '1e2'],
    ['columns', '9'],
    ['layout', 'masonry'],
    ['captions', 'yes'],
    ['lightbox', 'no'],
    ['aspect', 'wide'],
    ['gap', '100px'],
    ['gap', '1vw'],
    ['gap', 'calc(1px)'],
    ['theme', 'blue'],
  ];
  for (const [key, raw] of cases) {
    const { options, problems } = parseOptions({ [key]: raw });
    assert.equal(options[key], DEFAULTS[key], `${key}=${raw} keeps the default`);
    assert.equal(problems.length, 1, `${key}=${raw} is reported`);
  }
  assert.deepEqual(parseOptions({ loadMore: 'maybe' }).problems, ['data-load-more="maybe"']);
});

test('gap takes pixels, rem and em', () => {
  for (const [raw, want] of [['0', '0px'], ['8px', '8px'], ['0.5rem', '0.5rem'], ['1.25em', '1.25em']]) {
    assert.equal(parseOptions({ gap: raw }).options.gap, want);
  }
});

test('a misspelt attribute is reported, not silently ignored', () => {
  const { options, problems } = parseOptions({ colums: '4', loadMoar: '', target: '#feed', nscript: 'x', cfasync: 'false' });
  assert.deepEqual(options, DEFAULTS);
  assert.deepEqual(problems, ['unknown data-colums', 'unknown data-load-moar'], "other tools' attributes are not ours to judge");
});
