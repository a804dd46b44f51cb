// The lightbox, built as its own small file (static/widget-lightbox.js) that the widget imports
// the first time someone opens a post, so pages that never open it never load it. It also
// carries load-more's button and live region, the carousel's previous/next buttons and the
// hover captions' styles (widgets with those options import it at once): rarely used code
// kept out of widget.js's size budget.
// A modal <dialog> (the rest of the page becomes inert, Escape closes it) over
// one picture at a time. Carousel slides are browsed like posts: arrows, the buttons and a
// horizontal swipe step through every picture; closing returns focus to the tile.

import CSS from './lightbox.css';
import CAPTIONS from './captions.css';
import { adoptStyles, el, picture } from './dom.js';
import { altText, imageOf, safeUrl } from './media.js';

/**
 * Adopts this module's styles (the lightbox's, the carousel's buttons', hover captions') into
 * the shadow root of `node`, once.
 */
export function styled(node) {
  const root = node.getRootNode();
  if (!root.igfeedLightbox) {
    adoptStyles(root, CSS + CAPTIONS);
    root.igfeedLightbox = true;
  }
}

/** Opens on `posts[index]` inside `box` (so the theme applies); `opener` regains focus. */
export function openLightbox(box, posts, index, opener, base) {
  styled(box);
  const entries = posts.flatMap((post) =>
    (post.media && post.media.length ? post.media : [null]).map((item, i, all) => ({ post, item, i, n: all.length })),
  );
  let at = Math.max(0, entries.findIndex((entry) => entry.post === posts[index]));
  const button = (cls, label, text, action) => {
    const b = el('button', cls, { type: 'button', textContent: text });
    b.setAttribute('aria-label', label);
    b.addEventListener('click', action);
    return b;
  };
  const fig = el('figure', 'fig');
  const count = el('p', 'count');
  count.setAttribute('aria-live', 'polite');
  const caption = el('p');
  const link = el('a', '', { target: '_blank', rel: 'noopener noreferrer', textContent: 'View on Instagram' });
  const close = button('close', 'Close', '×', () => dialog.close());
  const dialog = el(
    'dialog',
    'lb',
    {},
    close,
    fig,
    el('div', 'side', {}, count, caption, el('p', '', {}, link)),
    button('prev', 'Previous picture', '‹', () => show(at - 1)),
    button('next', 'Next picture', '›', () => show(at + 1)),
  );
  dialog.setAttribute('aria-label', 'Instagram post');

  function show(to) {
    at = (to + entries.length) % entries.length;
    const { post, item, i, n } = entries[at];
    const image = imageOf(item, base);
    const alt = altText(post, 300);
    const video = item && item.type === 'video' && safeUrl(item.video_url, base);
    let media;
    if (video) {
      media = el('video', '', { controls: true, playsInline: true, preload: 'none', src: video });
      if (image) media.poster = image.src;
      media.setAttribute('aria-label', alt || 'Video');
    } else if (image) {
      // width/height give the box its shape before the file arrives (the stylesheet keeps the
      // picture's own size, up to the screen's).
      const img = el('img', '', {
        alt,
        decoding: 'async',
        sizes: '100vw',
        srcset: image.srcset,
        width: image.width || 600,
        height: image.height || 600,
      });
      media = picture(img, image.sources);
      img.src = image.src;
    } else {
      media = el('p', '', { textContent: 'This post can only be seen on Instagram.' });
    }
    fig.replaceChildren(media);
    count.textContent = `Post ${posts.indexOf(post) + 1} of ${posts.length}${n > 1 ? `, picture ${i + 1} of ${n}` : ''}`;
    caption.textContent = post.caption || '';
    link.href = safeUrl(post.permalink, base) || 'https://www.instagram.com/';
  }

  dialog.addEventListener('keydown', (event) => {
    const { key } = event;
    if (key === 'Tab') {
      // A modal dialog already makes the page inert; keep Tab cycling inside it too.
      const focusable = [...dialog.querySelectorAll('button, a, video')];
      const edge = focusable[event.shiftKey ? 0 : focusable.length - 1];
      if (dialog.getRootNode().activeElement === edge) {
        focusable[event.shiftKey ? focusable.length - 1 : 0].focus();
        event.preventDefault();
      }
    } else if ((key === 'ArrowLeft' || key === 'ArrowRight') && event.target.tagName !== 'VIDEO') {
      show(at + (key === 'ArrowLeft' ? -1 : 1));
      event.preventDefault();
    }
  });
  let startX = null;
  let swiped = false;
  fig.addEventListener('pointerdown', (event) => {
    startX = event.clientX;
    swiped = false;
  });
  fig.addEventListener('pointerup', (event) => {
    const dx = event.clientX - startX;
    if (startX !== null && Math.abs(dx) > 40) {
      swiped = true;
      show(at + (dx < 0 ? 1 : -1));
    }
    startX = null;
  });
  // A click on the dark area around the picture closes, like a backdrop.
  dialog.addEventListener('click', (event) => {
    if ((event.target === dialog || event.target === fig) && !swiped) dialog.close();
  });
  dialog.addEventListener('close', () => {
    dialog.remove();
    opener.focus();
  });
  show(at);
  box.append(dialog);
  dialog.showModal();
  close.focus();
  return dialog;
}

/**
 * The "Load more posts" button in `foot`, shown while `next` (a cursor) says more follow, and
 * the live region that announces each outcome. `page(after)` fetches the page after a cursor;
 * `add(posts)` shows its posts, returning their links.
 */
export function addLoadMore(foot, grid, next, page, add) {
  const button = el('button', 'btn', { type: 'button', textContent: 'Load more posts', hidden: !next });
  const live = el('p', 'sr');
  live.setAttribute('role', 'status');
  // Busy is a flag, not `disabled`: disabling the focused button would drop keyboard focus.
  let busy;
  button.addEventListener('click', async () => {
    if (busy) return;
    busy = true;
    grid.setAttribute('aria-busy', 'true');
    try {
      const doc = await page(next);
      const links = add(doc.posts || []);
      next = doc.next;
      live.textContent = `${links.length} more posts loaded${next ? '' : ', no more to load'}.`;
      // Keyboard users continue at the first new post (or the last one, if none came) instead
      // of starting over.
      (links[0] || grid.lastChild?.querySelector('a'))?.focus();
      button.hidden = !next;
    } catch (error) {
      live.textContent = 'Could not load more posts.';
      console.warn(`igfeed: could not load more posts (${error.message})`);
    }
    busy = false;
    grid.removeAttribute('aria-busy');
  });
  foot.append(button, live);
}

/** The carousel's previous/next buttons, each scrolling `grid` by its width. */
export function addNav(track, grid) {
  styled(track);
  for (const [cls, label, text, dir] of [
    ['prev', 'Scroll to earlier posts', '‹', -1],
    ['next', 'Scroll to later posts', '›', 1],
  ]) {
    const button = el('button', `nav ${cls}`, { type: 'button', textContent: text });
    button.setAttribute('aria-label', label);
    button.addEventListener('click', () => grid.scrollBy({ left: dir * grid.clientWidth }));
    track.append(button);
  }
}
