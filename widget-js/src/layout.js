// Layout maths, kept out of the DOM code so it can be tested on its own.

import { breakpoints } from './options.js';

/**
 * The images' `sizes`: `auto` lets browsers that support it use the real box of a lazy image;
 * others use the tile width measured at render time (`tile` pixels, which follows the columns
 * of the viewport's width), or, when the widget had no width yet (rendered while hidden), a
 * share of the viewport as wide as the widest tiles (the narrowest breakpoint's columns).
 */
export const sizesFor = (tile, columns) =>
  'auto, ' + (tile > 0 ? Math.ceil(tile) + 'px' : Math.ceil(100 / breakpoints(columns)[0][1]) + 'vw');

/**
 * The widget's own rules for its options: the columns, one media query per breakpoint from
 * the narrowest up (so the widest that matches wins), and the gap. Only numbers and a checked
 * length reach them.
 */
export const layoutCss = (o) =>
  breakpoints(o.columns)
    .map(([width, n]) => `@media(min-width:${width}px){.w{--cols:${n}}}`)
    .join('') + (o.gap ? `.w{--gap:${o.gap}}` : '');

/** Width / height of a tile: 1 for square tiles, else the image's own ratio when known. */
export function aspectRatio(image, aspect) {
  if (aspect !== 'original' || !image || !(image.width > 0 && image.height > 0)) return 1;
  return Math.round((image.width / image.height) * 1000) / 1000;
}
