// docs/static-sites.md's Eleventy recipe: `igfeed export --with-media --out igfeed` writes
// igfeed/feed.json and igfeed/media/; the feed becomes global data and the images are copied
// into the site as they are, so the built site never asks igfeed (or Instagram) for anything.
import { readFileSync } from 'node:fs';

const exported = process.env.IGFEED_EXPORT || 'igfeed';

export default function (eleventyConfig) {
  eleventyConfig.addGlobalData('feed', () =>
    JSON.parse(readFileSync(`${exported}/feed.json`, 'utf8')),
  );
  // URLs in feed.json are relative to it (media/…): the site's root gets the same media/.
  eleventyConfig.addPassthroughCopy({ [`${exported}/media`]: 'media' });
  eleventyConfig.addFilter('srcset', (sizes) =>
    sizes.map((size) => `${size.url} ${size.width}w`).join(', '),
  );
  eleventyConfig.addFilter('firstLine', (text) => (text || '').split('\n')[0]);
}

export const config = {
  dir: { input: 'site', output: process.env.SITE_OUT || '_site' },
  templateFormats: ['njk'],
};
