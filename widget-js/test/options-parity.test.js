// The widget's half of the parity test with /embed: schema/widget-options.json is run through
// parseOptions here and through /embed's parser in src/web/public/embed/options/widget_parity.rs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { CHOICES, DEFAULTS, parseOptions } from '../src/options.js';

const TABLE = JSON.parse(readFileSync(new URL('../../schema/widget-options.json', import.meta.url), 'utf8'));
const OPTIONS = Object.entries(TABLE.options);
/** `load-more` -> `loadMore`: the dataset key of data-load-more. */
const key = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
/** The widget writes "no gap set" as ''; the table as null. */
const fromWidget = (value) => (value === '' ? null : value);

/** Every case the table asks for: its own plus those its range and choices imply. */
function cases(name, option) {
  const accept = Object.entries(option.accept || {});
  const refuse = [...(option.refuse || [])];
  if (option.range) {
    const [min, max] = option.range;
    accept.push([String(min), min], [String(max), max]);
    refuse.push(String(min - 1), String(max + 1));
  }
  for (const choice of option.choices || []) accept.push([choice, choice], [choice.toUpperCase(), choice]);
  return { accept, refuse };
}

/** What the widget makes of one attribute: `{ accept: value }` or 'refuse'. */
function outcome(name, raw) {
  const { options, problems } = parseOptions({ [key(name)]: raw });
  if (problems.length) {
    assert.deepEqual(problems, [`data-${name}="${raw}"`], `${name}=${JSON.stringify(raw)}: one problem, naming it`);
    assert.deepEqual(options, DEFAULTS, `${name}=${JSON.stringify(raw)}: refused, so every option keeps its default`);
    return 'refuse';
  }
  return { accept: fromWidget(options[key(name)]) };
}

test('the widget has exactly the options of the shared table', () => {
  const table = OPTIONS.map(([name]) => key(name)).sort();
  assert.deepEqual(Object.keys(DEFAULTS).sort(), table, 'an option added or removed on one side only');
  for (const name of Object.keys(TABLE.embed_only)) assert.ok(!(key(name) in DEFAULTS), `${name} is /embed's alone`);
});

test('defaults and choices are those of the table', () => {
  for (const [name, option] of OPTIONS) {
    assert.deepEqual(fromWidget(DEFAULTS[key(name)]), option.default, `default of ${name}`);
    assert.deepEqual([...(CHOICES[key(name)] || [])].sort(), [...(option.choices || [])].sort(), `choices of ${name}`);
  }
});

test('every value the table lists is accepted or refused as it says', () => {
  const wrong = [];
  for (const [name, option] of OPTIONS) {
    const { accept, refuse } = cases(name, option);
    for (const [raw, value] of accept) {
      const got = outcome(name, raw);
      if (got === 'refuse' || !isDeepStrictEqual(got.accept, value)) wrong.push(`${name}=${JSON.stringify(raw)}: want ${JSON.stringify(value)}, got ${JSON.stringify(got)}`);
    }
    for (const raw of refuse) {
      const got = outcome(name, raw);
      if (got !== 'refuse') wrong.push(`${name}=${JSON.stringify(raw)}: want it refused, got ${JSON.stringify(got)}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test("the known differences from /embed are still the widget's behaviour", () => {
  for (const { option, raw, widget, why } of TABLE.known_differences.cases) {
    assert.deepEqual(outcome(option, raw), widget, `${option}=${JSON.stringify(raw)} (${why})`);
  }
});
