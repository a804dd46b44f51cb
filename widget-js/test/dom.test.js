// The stylesheet helper both ways a shadow root can take styles: constructed sheets
// (adoptedStyleSheets, not subject to a page's style-src) and, in browsers without them, a
// <style> element. Either way the returned sheet's replaceSync swaps its rules, which is how a
// changed attribute's columns replace the previous ones instead of piling up.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeElement } from './fake-dom.js';
import { adoptStyles } from '../src/dom.js';

class FakeSheet {
  replaceSync(css) {
    this.css = css;
  }
}
afterEach(() => {
  delete globalThis.CSSStyleSheet;
});

test('with constructed stylesheets: one sheet adopted per call, replaceSync changes it in place', () => {
  globalThis.CSSStyleSheet = FakeSheet;
  const root = { adoptedStyleSheets: [] };
  const base = adoptStyles(root, '.a{}');
  const layout = adoptStyles(root, '');
  assert.deepEqual(root.adoptedStyleSheets, [base, layout], 'in order: later rules win');
  assert.equal(base.css, '.a{}');
  layout.replaceSync('.w{--cols:4}');
  layout.replaceSync('.w{--cols:2}');
  assert.equal(root.adoptedStyleSheets.length, 2, 'no sheet added by a change');
  assert.equal(layout.css, '.w{--cols:2}');
});

test('without them: a <style> element whose replaceSync sets its text', () => {
  const root = new FakeElement('div');
  const sheet = adoptStyles(root, '.a{}');
  assert.equal(root.children.length, 1);
  assert.equal(sheet.tagName, 'STYLE');
  assert.equal(sheet.textContent, '.a{}');
  sheet.replaceSync('.b{}');
  assert.equal(sheet.textContent, '.b{}');
  assert.equal(root.children.length, 1);
});
