// TypeScript types for igfeed's JSON: the /feed.json document (schema/feed.schema.json) and a
// feed definition of the admin API (schema/feed-definition.schema.json).
//
//   import type { Feed } from "./igfeed.js";
//   const feed: Feed = await (await fetch("https://feed.example.com/feed.json")).json();
//
// Written by hand. types/test/ keeps every interface identical to its schema: the same property
// names, the same required and optional ones, the same types, and doc comments that are the
// schema's descriptions. Change the schema and these types together.

// ---------------------------------------------------------------------------------------------
// /feed.json (schema/feed.schema.json)
// ---------------------------------------------------------------------------------------------

/**
 * An Instagram account and a page of its posts, newest first, as served by igfeed's GET /feed.json
 * (and written by `igfeed export`: with --with-media, image URLs are relative to the document,
 * media/…, or under --base-url). Every property is always present; values that are unknown or
 * withheld by Instagram are null, never missing. Text fields are plain text: escape them before
 * putting them into HTML.
 */
export interface Feed {
  /** The connected Instagram account. */
  profile: Profile;
  /** This page of posts, newest first. */
  posts: Post[];
  /**
   * Opaque cursor for the next page: request /feed.json?after=<next> (with the same limit). null on
   * the last page.
   */
  next: string | null;
  /** When igfeed fetched this snapshot from Instagram (RFC 3339, UTC). */
  updated_at: string;
  /**
   * true when the last refresh failed or the snapshot is older than twice the refresh interval: the
   * feed is still the last good one, just not recent.
   */
  stale: boolean;
  /** How the owner wants this feed to look: the widget's and /embed's defaults for it. */
  display: Display;
}

/** An Instagram Business or Creator account. */
export interface Profile {
  /** The `@handle` without the `@`. Empty only if Instagram did not return it. */
  username: string;
  /** Display name. */
  name: string | null;
  /**
   * Profile picture on igfeed's own origin (/media/profile/{size}?v=…, the smallest of
   * media.sizes); never an Instagram URL. null when Instagram sent none.
   */
  picture: string | null;
  /**
   * The profile picture's average colour as #rrggbb, to paint until it loads; null until igfeed has
   * downloaded the picture.
   */
  picture_color: string | null;
  /** Number of followers. */
  followers_count: number | null;
  /** Number of accounts this account follows. */
  follows_count: number | null;
  /** Number of posts on the account; may be more than the feed holds. */
  media_count: number | null;
  /**
   * "business" or "creator" (lowercase). Any other type Instagram may introduce is passed on
   * lowercased.
   */
  account_type: string | null;
  /** The account's bio, when Instagram returns it. */
  biography: string | null;
  /** The account's website as an absolute http(s) URL, when set. */
  website: string | null;
  /** Link to the account on Instagram: https://www.instagram.com/{username}/. */
  profile_url: string;
}

/** What kind of post it is: a carousel has several media items. */
export type PostType = "image" | "video" | "carousel" | "reel";

/** One Instagram post. */
export interface Post {
  /** Instagram's media id: digits, as a string because it is too large for JavaScript numbers. */
  id: string;
  /** image, video, carousel (several media items), or reel. */
  type: PostType;
  /**
   * The caption as plain text exactly as written, line breaks included. null when there is none. It
   * may look like HTML: it is text, escape it.
   */
  caption: string | null;
  /**
   * Hashtags in the caption without the #, in order of appearance, each once (compared
   * case-insensitively; the first spelling is kept).
   */
  hashtags: string[];
  /**
   * Instagram handles mentioned in the caption without the `@`, in order of appearance, each once.
   */
  mentions: string[];
  /** Link to the post on instagram.com. */
  permalink: string | null;
  /**
   * Where the post should link: the owner's override for this feed (an https URL, e.g. a shop
   * page), else the permalink. Use it for the post's link.
   */
  link: string | null;
  /** true when the owner pinned the post: pinned posts come first, in the owner's order. */
  pinned: boolean;
  /** When the post was published (RFC 3339, UTC), e.g. 2024-05-01T12:00:00Z. */
  timestamp: string | null;
  /** Alternative text the owner wrote for the post; null when none. */
  alt: string | null;
  /** What to show: one item for an image, video or reel; one item per slide for a carousel. */
  media: MediaItem[];
  /** Number of likes; null when the owner hid like counts. */
  like_count: number | null;
  /** Number of comments. */
  comments_count: number | null;
}

/** One picture or video of a post. */
export interface MediaItem {
  /** Instagram's id of this item: the post's id, or the slide's id in a carousel. */
  id: string;
  /** image or video. */
  type: "image" | "video";
  /**
   * The image to show (the photo, or a video's cover frame) on igfeed's own origin:
   * /media/{post-id}/{size} or /media/{post-id}/{index}/{size}, content-versioned with ?v=…, at
   * media.default_size (640) or the largest smaller width. Never an Instagram URL. null when
   * Instagram withholds the media (e.g. licensed music, flagged media).
   */
  url: string | null;
  /**
   * The video file streamed by igfeed (/media/{post-id}/video, Range requests supported) when the
   * operator enabled media.proxy_video; otherwise null (link the post's permalink for playback).
   * Also null for images and withheld videos.
   */
  video_url: string | null;
  /**
   * A video's cover image: the same URL as url (igfeed's own origin, never Instagram's CDN); null
   * for images and when url is null.
   */
  thumbnail_url: string | null;
  /** Pixel width of the image at url; null until igfeed has downloaded the original. */
  width: number | null;
  /** Pixel height of the image at url; null until igfeed has downloaded the original. */
  height: number | null;
  /**
   * Every width igfeed serves of this image, ascending by width (for srcset), never wider than the
   * original; empty until igfeed has downloaded the original.
   */
  sizes: MediaSize[];
  /**
   * The same widths in formats smaller than JPEG, best first, each ready for <picture>'s <source
   * type srcset>; only formats igfeed has made already (often [] just after a post appears). sizes
   * stays the fallback.
   */
  sources: ImageSource[];
  /**
   * The image's average colour as #rrggbb, to paint in the tile until the image decodes; null until
   * igfeed has downloaded the original.
   */
  color: string | null;
}

/** Every width of an image in one format. */
export interface ImageSource {
  /** Media type of the files. */
  type: "image/avif";
  /**
   * Comma-separated `URL {width}w` candidates on igfeed's own origin
   * (/media/{post}/{size}.avif?v=…), ascending, the same widths as sizes; long-cached (immutable).
   */
  srcset: string;
}

/** One width of an image. */
export interface MediaSize {
  /** Content-versioned URL on igfeed's own origin; long-cached (immutable). */
  url: string;
  /** Pixel width. */
  width: number;
  /** Pixel height. */
  height: number;
}

/** The grid, or one row that scrolls sideways. */
export type Layout = "grid" | "carousel";
/** Tile shape: portrait is 3:4, like Instagram's profile grid. */
export type Aspect = "square" | "portrait" | "original";
/** Where captions show. */
export type Captions = "none" | "hover" | "below";
/** Colours; auto follows the visitor's system setting. */
export type Theme = "light" | "dark" | "auto";
/**
 * Columns per viewport width: minimum width in CSS pixels, as a string ("0", "600") → columns
 * (1 to 8). The lowest width applies below it too.
 */
export type ColumnsByWidth = Record<string, number>;

/**
 * How the owner wants this feed to look: the widget's and /embed's defaults for it (a data-*
 * attribute or query parameter on the page wins). Saved in /admin or through the admin API's feed
 * definition.
 */
export interface Display {
  /** grid or carousel. */
  layout: Layout;
  /**
   * Columns of the grid: a number from 1 to 8, or an object of minimum viewport width in CSS pixels
   * (as a string, from "0") → columns, e.g. {"0":2,"600":3,"1000":4}.
   */
  columns: number | ColumnsByWidth;
  /** Tile shape: square, portrait (3:4, Instagram's profile grid) or original. */
  aspect: Aspect;
  /** none, hover or below. */
  captions: Captions;
  /** Show the profile header. */
  header: boolean;
  /** Show a load-more button. */
  load_more: boolean;
  /** light, dark or auto (the visitor's system setting). */
  theme: Theme;
  /** Space between tiles as a CSS length (4px, 0.5rem); null for the stylesheet's own (4px). */
  gap: string | null;
  /** Open posts in the widget's lightbox rather than on Instagram. */
  lightbox: boolean;
}

// ---------------------------------------------------------------------------------------------
// A feed definition: the admin API's /api/v1/feeds/{name} (schema/feed-definition.schema.json)
// ---------------------------------------------------------------------------------------------

/**
 * What the owner decides about one feed: its accounts, which posts show, where each links and how
 * it looks. The body of PUT /api/v1/feeds/{name} and what GET answers (every default filled in).
 * Every key but name is optional in a PUT; unknown keys are refused. Invalid input is answered 422
 * {"error":{"code":"invalid-feed","message","field"}} with the field's dotted path
 * (links.17890000000314187, display.columns).
 */
export interface FeedDefinition {
  /**
   * The feed's name, as in ?feed= and data-feed: 1 to 64 of a-z, 0-9, '.', '_', '-' (any case in,
   * lowercase stored). Must equal the name in the URL.
   */
  name: string;
  /**
   * Feed names of connected accounts (their usernames, lowercased) whose posts are merged, newest
   * first; the first gives the profile. Default: the default feed's account. An account's own feed
   * always shows only that account.
   */
  accounts?: string[];
  /** Post types shown. Default: all four. At least one. */
  types?: PostType[];
  /**
   * Show reels that Instagram's profile grid leaves out (posted to the Reels tab only, trial reels:
   * is_shared_to_feed false). Default false.
   */
  include_unshared_reels?: boolean;
  /**
   * When not empty, only posts with at least one of these hashtags (with or without #, any case).
   */
  hashtags_any?: string[];
  /** Posts with any of these hashtags are left out. */
  hashtags_none?: string[];
  /**
   * Posts whose caption contains any of these whole words (letters and digits, any case) are left
   * out.
   */
  words_none?: string[];
  /** Post ids never shown. */
  hidden?: string[];
  /**
   * Post ids shown first in this order, marked "pinned": true, even when a filter would leave them
   * out. A post cannot be both pinned and hidden.
   */
  pinned?: string[];
  /**
   * Post id → the https URL the post links to instead of its permalink (http:, javascript: and URLs
   * with a user name or password are refused).
   */
  links?: Record<string, string>;
  /** Posts in the feed, pinned ones included. Default: the setting feed.max_posts. */
  max_posts?: number;
  /**
   * Rebuild hooks: igfeed POSTs {event, feed, added, removed, changed, updated_at} to each URL
   * when the feed's posts change, signed with X-Igfeed-Signature: sha256=<hex HMAC-SHA256 of the
   * body>. The secret is write-only: a PUT may carry it, but no answer (GET, or the definition a
   * PUT answers with) ever contains it.
   */
  hooks?: FeedHook[];
  /**
   * The widget's and /embed's defaults for this feed; sent as /feed.json's display. Attributes and
   * query parameters on a page win.
   */
  display?: FeedDefinitionDisplay;
}

/** One webhook of a feed definition. */
export interface FeedHook {
  /**
   * An absolute http(s) URL with a host and no user name or password (at most 2048 characters),
   * once per feed.
   */
  url: string;
  /**
   * The secret that signs each call: 16 to 256 printable ASCII characters. Write-only: sent in a
   * PUT, left out of every answer. Required for a new hook; a hook sent again without it keeps
   * its stored secret.
   */
  secret?: string;
}

/**
 * A feed definition's display: /feed.json's {@link Display} as the owner writes it. Every key is
 * optional in a PUT; columns also takes the attribute form "2,600:3,1000:4", and gap a number.
 */
export interface FeedDefinitionDisplay {
  /** @default "grid" */
  layout?: Layout;
  /**
   * 1 to 8, the attribute form "2,600:3,1000:4", or an object of minimum viewport width in CSS
   * pixels (0 to 9999) → columns (at most 6 widths; the lowest applies below it too). Default 3.
   */
  columns?: number | string | ColumnsByWidth;
  /** @default "square" */
  aspect?: Aspect;
  /** @default "none" */
  captions?: Captions;
  /** @default true */
  header?: boolean;
  /** @default false */
  load_more?: boolean;
  /** @default "light" */
  theme?: Theme;
  /**
   * A CSS length: 8, 8px, 0.5rem, 1em (under 100, at most two decimals); null for the stylesheet's
   * own.
   */
  gap?: string | number | null;
  /** @default true */
  lightbox?: boolean;
}
