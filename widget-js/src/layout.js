// Layout maths, kept out of the DOM code so it can be tested on its own.

/** Width of one tile when `columns` tiles and their gaps share `containerWidth` pixels. */
export function tileWidth(containerWidth, columns, gap) {
  return Math.max(1, (containerWidth - gap * (columns - 1)) / columns);
}

/**
 * The `sizes` attribute: `auto` lets browsers that support it use the real box of a lazy
 * image; others use the tile width measured at render time, or a share of the viewport when
 * the container had no width yet (rendered while hidden).
 */
export function sizesFor(containerWidth, columns, gap) {
  const fallback =
    containerWidth > 0
      ? `${Math.ceil(tileWidth(containerWidth, columns, gap))}px`
      : `${Math.ceil(100 / columns)}vw`;
  return `auto, ${fallback}`;
}

/** Width / height of a tile: 1 for square tiles, else the image's own ratio when known. */
export function aspectRatio(image, aspect) {
  if (aspect !== 'original' || !image || !(image.width > 0 && image.height > 0)) return 1;
  return Math.round((image.width / image.height) * 1000) / 1000;
}
