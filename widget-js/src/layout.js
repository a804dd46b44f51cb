// Layout maths, kept out of the DOM code so it can be tested on its own.

import { breakpoints } from './options.js';

/**
 * The images' `sizes`: the tile width measured at render time (`tile` pixels, which follows
 * the layout and the columns of the viewport's width), or, when the widget had no width yet
 * (rendered while hidden), a share of the viewport as wide as the widest tiles (the narrowest
 * breakpoint's columns). Lazy images put `auto, ` before it (see tile.js).
 */
export const sizesFor = (tile, columns) =>
  tile > 0 ? Math.ceil(tile) + 'px' : Math.ceil(100 / breakpoints(columns)[0][1]) + 'vw';

/**
 * The widget's own rules for its options: the columns, one media query per breakpoint from
 * the narrowest up (so the widest that matches wins), and the gap. Only numbers and a checked
 * length reach them.
 */
export const layoutCss = (o) =>
  breakpoints(o.columns)
    .map(([width, n]) => `@media(min-width:${width}px){.w{--cols:${n}}}`)
    .join('') + (o.gap ? `.w{--gap:${o.gap}}` : '');

/**
 * The `width`/`height` attributes of a tile's image: the image's own size when known, else the
 * tile's shape (3:4 for portrait tiles, square otherwise), so its box is reserved either way.
 * Their ratio is also the tile's for the `original` aspect.
 */
export const boxOf = (image, aspect) =>
  image?.height ? [image.width, image.height] : [600, aspect === 'portrait' ? 800 : 600];
