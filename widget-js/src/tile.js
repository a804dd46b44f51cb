// One post as a grid tile: a real link to the post (so it works without the lightbox), an
// image whose box is sized before it loads, a marker for carousels and videos, the caption.

import { el } from './dom.js';
import { altText, imageOf, kindOf, safeUrl } from './media.js';
import { aspectRatio } from './layout.js';

const KIND_LABEL = { carousel: 'Carousel', video: 'Video' };

/** Fills the placeholder `li` with `post`. */
export function fillTile(li, post, o, ctx) {
  const image = imageOf(post.media && post.media[0], ctx.base);
  const kind = kindOf(post);
  const alt = altText(post);
  const link = el('a', 'pic', {
    // The owner's link for this post, else the post on Instagram.
    href: safeUrl(post.link || post.permalink, ctx.base) || ctx.profileUrl || '#',
    target: '_blank',
    rel: 'noopener noreferrer',
  });
  if (o.aspect === 'original') link.style.setProperty('--ar', aspectRatio(image, 'original'));
  if (image) {
    // Set loading/sizes/srcset before src so the browser never starts a wrong or eager fetch.
    const img = el('img', '', { alt, loading: 'lazy', decoding: 'async', sizes: ctx.sizes });
    if (image.srcset) img.srcset = image.srcset;
    if (image.width && image.height) Object.assign(img, { width: image.width, height: image.height });
    img.src = image.src;
    link.append(img);
  } else {
    link.append(el('span', 'none', { textContent: 'View on Instagram' }));
  }
  // A label replaces the link's text, so it must name the kind the hidden text would.
  if (!alt && image) link.setAttribute('aria-label', `Instagram post${kind ? ` (${KIND_LABEL[kind]})` : ''}`);
  if (kind) {
    link.append(el('span', `mark ${kind === 'video' ? 'video' : 'multi'}`), el('span', 'sr', { textContent: ` (${KIND_LABEL[kind]})` }));
  }
  link.addEventListener('click', (event) => ctx.open(event, post, link));
  li.replaceChildren(link);
  li.className = 'tile';
  if (o.captions !== 'none' && post.caption) {
    const caption = el('p', 'cap', { textContent: post.caption });
    // Hover captions repeat what the image's alt text already says.
    if (o.captions === 'hover') caption.setAttribute('aria-hidden', 'true');
    li.append(caption);
  } else if (o.captions === 'below') {
    li.append(el('p', 'cap'));
  }
  return link;
}
