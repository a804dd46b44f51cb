// The one DOM helper: elements are built with properties and textContent, never from HTML
// strings, so feed text (captions may look like markup) can only ever be text.

/** `<tag class=cls>` with `props` assigned as DOM properties and `children` appended. */
export function el(tag, cls, props, ...children) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (props) Object.assign(node, props);
  node.append(...children);
  return node;
}

/**
 * Adds a stylesheet made from `css` to the shadow `root`; returns it, for `replaceSync(css)`
 * to change its rules later.
 */
export function adoptStyles(root, css) {
  let sheet;
  if (root.adoptedStyleSheets) {
    // Constructed sheets are not subject to a page's style-src: the widget works under a CSP
    // that names only igfeed for scripts, images and fetches.
    sheet = new CSSStyleSheet();
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } else {
    root.append((sheet = el('style', '', { replaceSync: (text) => (sheet.textContent = text) })));
  }
  sheet.replaceSync(css);
  return sheet;
}

/**
 * `img` inside a `<picture>` with one `<source type srcset sizes>` per smaller format (AVIF),
 * which browsers that cannot show it skip for the img's own JPEG `srcset`; the bare `img`
 * when there is no other format.
 */
export const picture = (img, sources) =>
  sources[0] ? el('picture', '', {}, ...sources.map((s) => el('source', '', { ...s, sizes: img.sizes })), img) : img;
