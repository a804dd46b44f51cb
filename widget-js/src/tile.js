// One post as a grid tile: a real link to the post (so it works without the lightbox), an
// image whose box is sized before it loads and painted in its average colour until it
// decodes, a marker for carousels and videos, the caption.

import { el, picture } from './dom.js';
import { altText, imageOf, kindOf, safeUrl } from './media.js';
import { boxOf } from './layout.js';


/**
 * Fills the placeholder `li` with `post`. `first`: the tile is in the first row, whose images
 * are fetched at once and before others; the rest wait until they near the viewport.
 */
export function fillTile(li, post, o, ctx, first) {
  const item = post.media?.[0];
  const image = imageOf(item, ctx.base);
  const kind = kindOf(post);
  const alt = altText(post);
  const link = el('a', 'pic', {
    // The owner's link for this post, else the post on Instagram.
    href: safeUrl(post.link || post.permalink, ctx.base) || ctx.profileUrl || '#',
    target: '_blank',
    rel: 'noopener noreferrer',
  });
  const [width, height] = boxOf(image, o.aspect);
  if (o.aspect === 'original') link.style.setProperty('--ar', width / height);
  // The placeholder: a CSSOM property, which no Content-Security-Policy blocks, and a colour
  // property, so nothing but a colour can land there (an absent one changes nothing).
  link.style.backgroundColor = item?.color;
  if (image) {
    // Set loading/sizes/srcset before src so the browser never starts a wrong or eager fetch.
    // `auto` lets browsers that support it use a lazy image's real box; on an eager one
    // Chromium takes it for 100vw (the largest file), so the first row has the width alone.
    const img = el('img', '', {
      alt,
      decoding: 'async',
      sizes: first ? ctx.sizes : 'auto, ' + ctx.sizes,
      srcset: image.srcset,
      width,
      height,
      ...(first ? { fetchPriority: 'high' } : { loading: 'lazy' }),
    });
    link.append(picture(img, image.sources));
    img.src = image.src;
  } else {
    link.append(el('span', 'none', { textContent: 'View on Instagram' }));
  }
  // A label replaces the link's text, so it must name the kind the hidden text would.
  if (!alt && image) link.setAttribute('aria-label', `Instagram post${kind ? ` (${kind[0].toUpperCase() + kind.slice(1)})` : ''}`);
  if (kind) {
    link.append(el('span', `mark ${kind === 'video' ? 'video' : 'multi'}`), el('span', 'sr', { textContent: ` (${kind[0].toUpperCase() + kind.slice(1)})` }));
  }
  link.addEventListener('click', (event) => ctx.open(event, post, link));
  li.replaceChildren(link);
  li.className = 'tile';
  // Below: a caption's room on every tile, so rows line up. Hover captions repeat what the
  // image's alt text already says.
  if (o.captions === 'below' || (o.captions === 'hover' && post.caption)) {
    const caption = el('p', 'cap', { textContent: post.caption });
    if (o.captions === 'hover') caption.setAttribute('aria-hidden', 'true');
    li.append(caption);
  }
  return link;
}
