// A page's own script reading /feed.json through the types, as a TypeScript project would.
// Type-checked with `strict` (tsconfig.json) by types.test.mjs; never run. The lines marked
// as expected errors in strictness() are part of the check: each must stay an error, so a type
// that became looser (a null dropped, an enum widened to string) fails the test.

import type { Display, Feed, MediaItem, Post, PostType } from "../igfeed.js";

/** One page of the feed; `after` is the previous page's `next`. */
export async function loadFeed(origin: string, limit = 12, after?: string): Promise<Feed> {
  const url = new URL("/feed.json", origin);
  url.searchParams.set("limit", String(limit));
  if (after !== undefined) url.searchParams.set("after", after);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`igfeed answered ${response.status}`);
  return (await response.json()) as Feed;
}

/** Every post of the feed, page after page. */
export async function allPosts(origin: string): Promise<Post[]> {
  const posts: Post[] = [];
  let page = await loadFeed(origin);
  posts.push(...page.posts);
  while (page.next !== null) {
    page = await loadFeed(origin, 12, page.next);
    posts.push(...page.posts);
  }
  return posts;
}

function srcset(item: MediaItem): string {
  return item.sizes.map((size) => `${size.url} ${size.width}w`).join(", ");
}

function label(type: PostType): string {
  switch (type) {
    case "image":
      return "Photo";
    case "video":
      return "Video";
    case "carousel":
      return "Album";
    case "reel":
      return "Reel";
    default: {
      // Every post type is handled above: a new one in the union fails here.
      const unknown: never = type;
      return unknown;
    }
  }
}

/** Columns at a viewport width, from the owner's display preset. */
export function columnsAt(display: Display, viewport: number): number {
  if (typeof display.columns === "number") return display.columns;
  let columns = 3;
  for (const [min, value] of Object.entries(display.columns)) {
    if (viewport >= Number(min)) columns = value;
  }
  return columns;
}

/** A tile: the post's picture in a link, built with textContent and attributes only. */
export function tile(post: Post): HTMLAnchorElement {
  const a = document.createElement("a");
  a.href = post.link ?? post.permalink ?? "#";
  a.title = `${label(post.type)}${post.pinned ? " (pinned)" : ""}`;
  const item = post.media[0];
  if (item === undefined || item.url === null) {
    a.textContent = post.caption ?? "";
    return a;
  }
  const picture = document.createElement("picture");
  for (const source of item.sources) {
    const element = document.createElement("source");
    element.type = source.type;
    element.srcset = source.srcset;
    picture.append(element);
  }
  const img = document.createElement("img");
  img.src = item.url;
  if (item.sizes.length > 0) img.srcset = srcset(item);
  if (item.width !== null && item.height !== null) {
    img.width = item.width;
    img.height = item.height;
  }
  img.alt = post.alt ?? post.caption ?? "";
  if (item.color !== null) img.style.backgroundColor = item.color;
  picture.append(img);
  a.append(picture);
  return a;
}

/** The header line: "@handle · 1,234 followers". */
export function header(feed: Feed): string {
  const { username, followers_count } = feed.profile;
  const followers = followers_count === null ? "" : ` · ${followers_count.toLocaleString()} followers`;
  return `@${username}${followers}${feed.stale ? " (not recent)" : ""}`;
}

export function strictness(post: Post, feed: Feed): void {
  // @ts-expect-error: a caption may be null.
  post.caption.length;
  // @ts-expect-error: like counts may be hidden (null).
  Math.max(post.like_count, 0);
  // @ts-expect-error: a post's type is one of four, not any string.
  const type: PostType = "story";
  // @ts-expect-error: the display is always present and complete; gap may be null, not missing.
  const display: Feed["display"] = { layout: "grid" };
  // @ts-expect-error: media ids are strings (too large for numbers).
  const id: number = post.media[0]!.id;
  // @ts-expect-error: next is string | null, never undefined.
  feed.next = undefined;
  void [type, display, id];
}
