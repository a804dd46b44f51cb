// igfeed's widget: `<script src="https://feed.example.com/widget.js" async></script>` renders
// the feed where the tag stands (or into data-target). Each tag runs this file once, so many
// widgets with different options can share a page. No cookies, no storage, no eval, and no
// request to any origin but igfeed's (read from the tag's own src).

import CSS from './widget.css';
import { adoptStyles, el } from './dom.js';
import { fetchPage, parseFeed } from './feed.js';
import { sizesFor } from './layout.js';
import { safeUrl } from './media.js';
import { parseOptions } from './options.js';
import { fillTile } from './tile.js';

/* global LIGHTBOX_VERSION -- replaced by the build with a hash of static/widget-lightbox.js */

const warn = (message) => console.warn(`igfeed: ${message}`);

function start(script) {
  const base = new URL('./', script.src);
  const { options, problems } = parseOptions(script.dataset);
  if (problems.length) warn(`ignoring ${problems.join(', ')}`);
  // A data-feed that is not a feed name shows nothing (the error state of a failed fetch),
  // never the default feed in its place.
  const widget = createWidget(base, options, parseFeed(script.dataset.feed));
  const selector = script.dataset.target;
  const place = () => {
    let target;
    try {
      target = document.querySelector(selector);
    } catch {
      // An invalid selector is reported below like a missing element.
    }
    if (!target) return warn(`data-target "${selector}" matches no element`);
    // The target's content is a fallback (a link to the profile, say): the widget replaces
    // it, and gives it back if there is nothing to show.
    const fallback = [...target.childNodes];
    target.replaceChildren(widget.host);
    widget.load().then((shown) => shown || target.replaceChildren(...fallback));
  };
  if (!selector) {
    if (script.parentNode === document.head) return warn('put the script tag in <body>, or give it data-target');
    script.before(widget.host);
    widget.load();
  } else if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', place);
  } else {
    place();
  }
}

/** The host element with a skeleton of the final size, and `load()` to fill it from `feed`. */
function createWidget(base, o, feed) {
  const host = document.createElement('igfeed-widget');
  const root = host.attachShadow({ mode: 'open' });
  adoptStyles(root, CSS);
  // Mode classes are prefixed so they cannot collide with element classes (.grid, .none).
  const box = el('div', `w ${o.theme} l-${o.layout} c-${o.captions} a-${o.aspect}`);
  box.style.setProperty('--cols', o.columns);
  if (o.gap) box.style.setProperty('--gap', o.gap);
  const placeholder = () => el('li', 'tile', {}, el('span', 'pic'), o.captions === 'below' ? el('p', 'cap') : '');
  const grid = el('ul', 'grid', {}, ...Array.from({ length: o.limit }, placeholder));
  grid.setAttribute('role', 'list');
  const track = el('div', 'track', {}, grid);
  const head = o.header && el('header', 'head');
  const foot = o.loadMore && el('div', 'foot');
  const live = el('p', 'sr');
  live.setAttribute('role', 'status');
  box.append(...[head, track, foot, live].filter(Boolean));
  root.append(box);

  const posts = [];
  let next = null;
  const ctx = { base, sizes: '' };
  let lightbox, opening;
  if (o.lightbox) {
    ctx.open = (event, post, link) => {
      // Let modified clicks (new tab, new window) do what the user asked.
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || event.button) return;
      event.preventDefault();
      // A second click while the module loads must not stack a second dialog.
      if (opening) return;
      opening = true;
      // Loaded on first use; `v` changes with its content, so a new widget never gets an old one.
      lightbox ||= import(new URL(`widget-lightbox.js?v=${LIGHTBOX_VERSION}`, base));
      lightbox.then(
        (module) => {
          opening = false;
          module.openLightbox(box, posts, posts.indexOf(post), link, base);
        },
        (error) => {
          opening = lightbox = null;
          warn(`the lightbox did not load (${error.message})`);
          window.open(link.href, '_blank', 'noopener');
        },
      );
    };
  }
  const page = (after) => fetchPage(base, o.limit, feed, after);
  const addPosts = (list) =>
    list.map((post) => {
      posts.push(post);
      const li = grid.children[posts.length - 1] || grid.appendChild(el('li'));
      return fillTile(li, post, o, ctx);
    });

  async function load() {
    let doc;
    try {
      doc = await page();
      if (!Array.isArray(doc.posts) || !doc.posts.length) throw new Error('the feed has no posts');
    } catch (error) {
      root.replaceChildren();
      warn(`nothing to show (${error.message})`);
      return false;
    }
    const profile = doc.profile || {};
    ctx.profileUrl = safeUrl(profile.profile_url, base);
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', `Instagram posts${profile.username ? ` by @${profile.username}` : ''}`);
    if (head) fillHead(head, profile, ctx.profileUrl, base);
    const gap = parseFloat(getComputedStyle(grid).columnGap) || 0;
    ctx.sizes = sizesFor(grid.clientWidth, o.columns, gap);
    addPosts(doc.posts);
    // Fewer posts than asked for: drop the spare placeholders.
    [...grid.children].slice(posts.length).forEach((li) => li.remove());
    next = doc.next;
    if (o.layout === 'carousel') addNav(track, grid);
    if (foot) addLoadMore();
    return true;
  }

  function addLoadMore() {
    const button = el('button', 'btn', { type: 'button', textContent: 'Load more posts', hidden: !next });
    foot.append(button);
    // Busy is a flag, not `disabled`: disabling the focused button would drop keyboard focus.
    let busy;
    button.addEventListener('click', async () => {
      if (busy) return;
      busy = true;
      grid.setAttribute('aria-busy', 'true');
      try {
        const doc = await page(next);
        const links = addPosts(doc.posts || []);
        next = doc.next;
        live.textContent = `${links.length} more posts loaded${next ? '' : ', no more to load'}.`;
        // Keyboard users continue at the first new post (or the last one, if none came)
        // instead of starting over.
        (links[0] || grid.lastChild?.querySelector('a'))?.focus();
      } catch (error) {
        live.textContent = 'Could not load more posts.';
        warn(`could not load more posts (${error.message})`);
      }
      busy = false;
      button.hidden = !next;
      grid.removeAttribute('aria-busy');
    });
  }

  return { host, load };
}

function fillHead(head, profile, profileUrl, base) {
  const picture = safeUrl(profile.picture, base);
  head.append(
    picture
      ? el('img', 'avatar', { src: picture, alt: '', width: 44, height: 44, decoding: 'async' })
      : el('span', 'avatar'),
    el(
      'div',
      'who',
      {},
      el('span', 'name', { textContent: profile.name || profile.username || '' }),
      el('span', 'user', { textContent: profile.username ? `@${profile.username}` : '' }),
    ),
  );
  if (profileUrl) {
    const follow = el('a', 'btn', { href: profileUrl, target: '_blank', rel: 'noopener noreferrer', textContent: 'Follow' });
    follow.setAttribute('aria-label', `Follow @${profile.username} on Instagram`);
    head.append(follow);
  }
}

function addNav(track, grid) {
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

// `currentScript` is this tag while it runs (async too); the fallback covers loaders that
// insert the tag in ways that leave it unset.
const script =
  document.currentScript ||
  [...document.querySelectorAll('script[src]')].find((s) => /\/widget\.js([?#]|$)/.test(s.src) && !s.igfeed);
if (script) {
  script.igfeed = true;
  start(script);
}
