// igfeed's widget: `<script src="https://feed.example.com/widget.js" async></script>` renders
// the feed where the tag stands (or into data-target). Options come from the tag's data-*
// attributes, else from the feed's display preset in /feed.json, else the built-in defaults. Each tag runs this file once, so many
// widgets with different options can share a page. No cookies, no storage, no eval, and no
// request to any origin but igfeed's (read from the tag's own src).

import CSS from './widget.css';
import { adoptStyles, el } from './dom.js';
import { fetchPage, parseFeed } from './feed.js';
import { layoutCss, sizesFor } from './layout.js';
import { safeUrl } from './media.js';
import { parseOptions } from './options.js';
import { fillTile } from './tile.js';

/* global LIGHTBOX_VERSION -- replaced by the build with a hash of static/widget-lightbox.js */

const warn = (message) => console.warn(`igfeed: ${message}`);

function start(script) {
  const base = new URL('./', script.src);
  const data = script.dataset;
  // A data-feed that is not a feed name shows nothing (the error state of a failed fetch),
  // never the default feed in its place.
  const widget = createWidget(base, data, parseFeed(data.feed));
  const selector = data.target;
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

/**
 * The host element with a skeleton of the final size, and `load()` to fill it from `feed`.
 * The skeleton follows the attributes (`data`, a dataset) over the built-in defaults; once
 * /feed.json arrives, options no attribute gives take the feed's display preset.
 */
function createWidget(base, data, feed) {
  const host = document.createElement('igfeed-widget');
  const root = host.attachShadow({ mode: 'open' });
  let { options: o, problems } = parseOptions(data);
  if (problems.length) warn(`ignoring ${problems.join(', ')}`);
  adoptStyles(root, CSS);
  const box = el('div');
  const placeholder = () => el('li', 'tile', {}, el('span', 'pic'), o.captions === 'below' ? el('p', 'cap') : '');
  const grid = el('ul', 'grid', {}, ...Array.from({ length: o.limit }, placeholder));
  grid.setAttribute('role', 'list');
  const track = el('div', 'track', {}, grid);
  const head = el('header', 'head');
  const foot = el('div', 'foot');
  const live = el('p', 'sr');
  live.setAttribute('role', 'status');
  // Mode classes are prefixed so they cannot collide with element classes (.grid, .none);
  // columns and gap are a stylesheet of their own (media queries), never a style attribute.
  const style = () => {
    box.className = `w ${o.theme} l-${o.layout} c-${o.captions} a-${o.aspect}`;
    adoptStyles(root, layoutCss(o));
    box.replaceChildren(...[o.header && head, track, o.loadMore && foot, live].filter(Boolean));
  };
  style();
  root.append(box);

  const posts = [];
  let next = null;
  // The lazily loaded part (the lightbox, load-more, the carousel's buttons),
  // imported on first use; `v` changes with its content, so a new widget never gets an old one.
  let lazy;
  const later = (then) =>
    (lazy ||= import(new URL(`widget-lightbox.js?v=${LIGHTBOX_VERSION}`, base))).then(then, (error) => {
      lazy = null;
      warn(`widget-lightbox.js did not load (${error.message})`);
    });
  let opening;
  const ctx = {
    base,
    open(event, post, link) {
      // Let modified clicks (new tab, new window) do what the user asked.
      if (!o.lightbox || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || event.button) return;
      event.preventDefault();
      // A second click while the module loads must not stack a second dialog.
      if (opening) return;
      opening = later((module) => module.openLightbox(box, posts, posts.indexOf(post), link, base)).then((shown) => {
        opening = null;
        // Not loaded: the post on Instagram rather than nothing.
        shown || window.open(link.href, '_blank', 'noopener');
      });
    },
  };
  const page = (after) => fetchPage(base, o.limit, feed, after);
  const addPosts = (list) =>
    list.map((post) => {
      posts.push(post);
      const li = grid.children[posts.length - 1] || grid.appendChild(el('li'));
      return fillTile(li, post, o, ctx, posts.length <= ctx.cols);
    });
  // The next page, added; resolves with the new posts' links and whether more follow.
  const more = async () => {
    const doc = await page(next);
    next = doc.next;
    return [addPosts(doc.posts || []), next];
  };

  async function load() {
    let doc;
    try {
      doc = await page();
      if (!doc.posts?.[0]) throw Error('the feed has no posts');
    } catch (error) {
      root.replaceChildren();
      warn(`nothing to show (${error.message})`);
      return false;
    }
    o = parseOptions(data, doc.display || {}).options;
    style();
    const profile = doc.profile || {};
    ctx.profileUrl = safeUrl(profile.profile_url, base);
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', `Instagram posts${profile.username ? ` by @${profile.username}` : ''}`);
    if (o.header) fillHead(head, profile, ctx.profileUrl, base);
    ctx.sizes = sizesFor(grid.firstChild.clientWidth, o.columns);
    // Tiles per row now (the columns of this viewport's width): the first row's images load first.
    ctx.cols = +getComputedStyle(box).getPropertyValue('--cols');
    addPosts(doc.posts);
    // Fewer posts than asked for: drop the spare placeholders.
    [...grid.children].slice(posts.length).forEach((li) => li.remove());
    next = doc.next;
    // The carousel's previous/next buttons and the load-more button come with the lazily
    // loaded part, fetched now for the few widgets that use them (swiping, the trackpad and
    // the keyboard scroll a carousel before its buttons arrive; the button's row is reserved).
    if (o.layout === 'carousel') later((module) => module.addNav(track, grid));
    if (o.loadMore) later((module) => module.addLoadMore(foot, grid, live, next, more));
    return true;
  }

  return { host, load };
}

function fillHead(head, profile, profileUrl, base) {
  const picture = safeUrl(profile.picture, base);
  const avatar = picture
    ? el('img', 'avatar', { src: picture, alt: '', width: 44, height: 44, decoding: 'async' })
    : el('span', 'avatar');
  // Painted until the picture decodes, like the tiles.
  avatar.style.backgroundColor = profile.picture_color;
  head.append(
    avatar,
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

// `currentScript` is this tag while it runs (async too); the fallback covers loaders that
// insert the tag in ways that leave it unset.
const script =
  document.currentScript ||
  [...document.querySelectorAll('script[src]')].find((s) => /\/widget\.js([?#]|$)/.test(s.src) && !s.igfeed);
if (script) {
  script.igfeed = true;
  start(script);
}
