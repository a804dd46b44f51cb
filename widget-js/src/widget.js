// igfeed's widget, in two forms that share one element and one code path:
// - `<igfeed-widget feed="shop" columns="4"></igfeed-widget>` anywhere once this file is on the
//   page (in <head> it only registers the element): a custom element whose attributes are the
//   options, re-rendered when one changes, however the element got into the page (HTML, or a
//   framework inserting it later);
// - `<script src="https://feed.example.com/widget.js" data-feed="shop" async></script>` in
//   <body>: renders the feed where the tag stands (or into data-target), options from its data-*.
// Options not given take the feed's display preset from /feed.json, else the built-in
// defaults. Each tag runs this file once (the element is defined by the first), so many
// widgets with different options can share a page. No cookies, no storage, no eval, and no
// request to any origin but igfeed's (read from the script tag's own src).

import CSS from './widget.css';
import { adoptStyles, el } from './dom.js';
import { fetchPage, parseFeed } from './feed.js';
import { layoutCss, sizesFor } from './layout.js';
import { safeUrl } from './media.js';
import { DEFAULTS, dashed, parseOptions } from './options.js';
import { fillTile } from './tile.js';

/* global LIGHTBOX_VERSION -- replaced by the build with a hash of static/widget-lightbox.js */

const warn = (message) => console.warn(`igfeed: ${message}`);

/**
 * Renders `host` (an igfeed-widget) from its options: the script form's data-* (`host.d`, a
 * dataset) or else the element's attributes, against igfeed at `host.b` or else `origin` (the
 * tag that defined the element). A skeleton of the final size at once; once /feed.json
 * arrives, options no attribute gives take the feed's display preset. Renders only when the
 * options changed since the last time (an element moved in the page keeps its posts); a
 * render that a newer one replaced stops where it is. `host.f` (the script form's data-target)
 * learns whether there was anything to show.
 */
async function render(host, origin) {
  const base = host.b || origin;
  const data =
    host.d || Object.fromEntries(host.getAttributeNames().map((name) => [name.replace(/-./g, (m) => m[1].toUpperCase()), host.getAttribute(name)]));
  const key = JSON.stringify([base, data]);
  if (host.k == key) return;
  host.k = key;
  const prefix = host.d ? 'data-' : '';
  // A feed attribute that is not a feed name shows nothing (the error state of a failed
  // fetch), never the default feed in its place.
  const feed = parseFeed(data.feed);
  const root = host.shadowRoot || host.attachShadow({ mode: 'open' });
  host.s ||= adoptStyles(root, '');
  let { options: o, problems } = parseOptions(data, {}, prefix);
  if (problems[0]) warn(`ignoring ${problems.join(', ')}`);
  const box = el('div');
  const placeholder = () => el('li', 'tile', {}, el('span', 'pic'), o.captions === 'below' ? el('p', 'cap') : '');
  const grid = el('ul', 'grid', {}, ...Array.from({ length: o.limit }, placeholder));
  grid.setAttribute('role', 'list');
  const track = el('div', 'track', {}, grid);
  const head = el('header', 'head');
  const foot = el('div', 'foot');
  // Mode classes are prefixed so they cannot collide with element classes (.grid, .none).
  const style = () => {
    box.className = `w ${o.theme} l-${o.layout} c-${o.captions} a-${o.aspect}`;
    // The columns and gap: rules after the stylesheet's (media queries), never a style attribute.
    host.s.replaceSync(CSS + layoutCss(o));
    box.replaceChildren(...[o.header && head, track, o.loadMore && foot].filter(Boolean));
  };
  style();
  host.x?.remove();
  root.append((host.x = box));

  const posts = [];
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

  let doc;
  try {
    doc = await page();
    if (!doc.posts?.[0]) throw Error('no posts');
  } catch (error) {
    doc = error;
  }
  // Replaced by a newer render meanwhile: that one shows the widget.
  if (host.x != box) return;
  host.f?.(!!doc.posts);
  if (!doc.posts) {
    box.remove();
    return warn(`nothing to show (${doc.message})`);
  }
  o = parseOptions(data, doc.display || {}, prefix).options;
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
  while (grid.children[posts.length]) grid.lastChild.remove();
  // Hover captions' styles, the carousel's previous/next buttons and the load-more button
  // come with the lazily loaded part, fetched now for the few widgets that use them (hover
  // captions show on hover only; swiping, the trackpad and the keyboard scroll a carousel
  // before its buttons arrive; the button's row is reserved).
  if (o.captions === 'hover') later((module) => module.styled(box));
  if (o.layout === 'carousel') later((module) => module.addNav(track, grid));
  if (o.loadMore) later((module) => module.addLoadMore(foot, grid, doc.next, page, addPosts));
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
      el('span', 'name', { textContent: profile.name || profile.username }),
      el('span', 'user', { textContent: profile.username && `@${profile.username}` }),
    ),
  );
  if (profileUrl) {
    const follow = el('a', 'btn', { href: profileUrl, target: '_blank', rel: 'noopener noreferrer', textContent: 'Follow' });
    follow.setAttribute('aria-label', `Follow @${profile.username} on Instagram`);
    head.append(follow);
  }
}

/** The script form: an igfeed-widget where the tag stands, or in place of data-target's content. */
function start(script, base) {
  const data = script.dataset;
  const host = document.createElement('igfeed-widget');
  host.b = base;
  host.d = data;
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
    host.f = (shown) => shown || target.replaceChildren(...fallback);
    target.replaceChildren(host);
  };
  if (!selector) {
    // In <head>, a tag without options only defines the element.
    if (script.parentNode === document.head) return Object.keys(data)[0] && warn('a tag in <head> needs data-target');
    script.before(host);
  } else if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', place);
  } else {
    place();
  }
}

// `currentScript` is this tag while it runs (async too); the fallback covers loaders that
// insert the tag in ways that leave it unset.
const script =
  document.currentScript ||
  [...document.querySelectorAll('script[src]')].find((s) => /\/widget\.js([?#]|$)/.test(s.src) && !s.igfeed);
if (script) {
  script.igfeed = true;
  const base = new URL('./', script.src);
  // Defined once per page: a second tag (another widget, or another igfeed's) reuses it and
  // gives its own widgets its own origin (host.b).
  customElements.get('igfeed-widget') ||
    customElements.define(
      'igfeed-widget',
      class extends HTMLElement {
        static get observedAttributes() {
          return ['feed', ...Object.keys(DEFAULTS).map((key) => dashed(key, '-'))];
        }
        // Inserted, or attributes set or changed (a framework sets several in a row, and an
        // upgrade reports each one): one render, in a microtask.
        connectedCallback() {
          this.q ||= Promise.resolve().then(() => {
            this.q = 0;
            this.isConnected && render(this, base);
          });
        }
        attributeChangedCallback() {
          this.connectedCallback();
        }
      },
    );
  start(script, base);
}
