import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHOICES, DEFAULTS, parseOptions } from '../src/options.js';

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

test("the feed's display preset fills every option no attribute gives", () => {
  const display = { layout: 'grid', columns: { 0: 2, 600: 3 }, aspect: 'portrait', captions: 'below', header: false, load_more: true, theme: 'dark', gap: '6px', lightbox: false };
  const { options, problems } = parseOptions({}, display);
  assert.deepEqual(problems, []);
  assert.deepEqual(options, {
    ...DEFAULTS,
    columns: { 0: 2, 600: 3 },
    aspect: 'portrait',
    captions: 'below',
    header: false,
    loadMore: true,
    theme: 'dark',
    gap: '6px',
    lightbox: false,
  });
  assert.equal(parseOptions({}, { gap: null }).options.gap, '', "no gap in the preset: the stylesheet's");
  assert.deepEqual(parseOptions({}, {}).options, DEFAULTS, 'an empty preset: the built-in defaults');
});

test('an attribute wins over the preset; a bad one falls back to the preset, with a warning', () => {
  const display = { columns: 4, aspect: 'portrait', header: false };
  const given = parseOptions({ columns: '2,800:5', header: '' }, display);
  assert.deepEqual(given.problems, []);
  assert.deepEqual(given.options.columns, { 0: 2, 800: 5 });
  assert.equal(given.options.header, true);
  assert.equal(given.options.aspect, 'portrait', 'not given: the preset');
  const bad = parseOptions({ columns: '12', aspect: 'wide' }, display);
  assert.deepEqual(bad.problems, ['data-columns="12"', 'data-aspect="wide"']);
  assert.equal(bad.options.columns, 4, "the preset's, not the built-in 3");
  assert.equal(bad.options.aspect, 'portrait');
});

test('columns per viewport width: normalised like the server does', () => {
  const columns = (raw) => parseOptions({ columns: raw }).options.columns;
  assert.deepEqual(columns('2,600:3,1000:4'), { 0: 2, 600: 3, 1000: 4 });
  assert.deepEqual(columns('1000:4, 600 : 3'), { 0: 3, 1000: 4 }, 'any order; the narrowest applies below itself too');
  assert.equal(columns('0:5'), 5, 'one width is a number');
  assert.equal(columns('700:2'), 2);
  for (const raw of ['2,600:3,600:4', '2,0:3', '2,600:9', '2,10000:3', '1,1:2,2:3,3:4,4:5,5:6,6:7', '2,600', '2;600:3']) {
    const { options, problems } = parseOptions({ columns: raw });
    assert.equal(options.columns, 3, `${raw} is refused`);
    assert.equal(problems.length, 1, `${raw} is reported`);
  }
});

test("an <igfeed-widget>'s own attributes are named without data- in the problems", () => {
  // The element's attributes, read like a dataset (load-more -> loadMore).
  const { options, problems } = parseOptions({ columns: '12', colums: '4', loadMore: 'maybe', limit: '4', feed: 'shop', class: 'x' }, {}, '');
  assert.deepEqual(problems, ['columns="12"', 'unknown colums', 'load-more="maybe"']);
  assert.deepEqual(options, { ...DEFAULTS, limit: 4 });
});

test('every default of a choice is its first choice', () => {
  for (const [key, choices] of Object.entries(CHOICES)) assert.equal(DEFAULTS[key], choices[0], key);
  assert.deepEqual(Object.keys(DEFAULTS).sort(), ['aspect', 'captions', 'columns', 'gap', 'header', 'layout', 'lightbox', 'limit', 'loadMore', 'theme']);
});
