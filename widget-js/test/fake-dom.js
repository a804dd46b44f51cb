// Just enough of the DOM for the markup helpers (dom.js's el, tile.js's fillTile) to run in
// node: elements keep the properties assigned to them, their attributes, inline style and
// children, so a test can read the markup a tile would have. Installed as globalThis.document.

class FakeStyle {
  setProperty(name, value) {
    this[name] = String(value);
  }
}

export class FakeElement {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.className = '';
    this.children = [];
    this.attributes = {};
    this.listeners = {};
    this.style = new FakeStyle();
  }

  append(...nodes) {
    this.children.push(...nodes.filter((n) => n !== ''));
  }

  replaceChildren(...nodes) {
    this.children = [];
    this.append(...nodes);
  }

  setAttribute(name, value) {
    this.attributes[name] = String(value);
  }

  getAttribute(name) {
    return this.attributes[name] ?? null;
  }

  addEventListener(type, listener) {
    this.listeners[type] = listener;
  }

  /** Descendants with this tag name (lower case), in document order. */
  all(tag) {
    return this.children.flatMap((c) => (c instanceof FakeElement ? [...(c.tagName === tag.toUpperCase() ? [c] : []), ...c.all(tag)] : []));
  }
}

globalThis.document = { createElement: (tag) => new FakeElement(tag) };
