// /embed.js plays two parts, told apart by where it runs:
// - inside igfeed's /embed page (same origin as this script) it tells the parent page the
//   page's height whenever it changes;
// - on a site's page that shows /embed in an <iframe>, it listens for those messages and
//   sets the height of the iframe that sent each one, so the frame fits without a scrollbar.
// Nothing else crosses frames: the message carries a number, and only messages from
// igfeed's origin are believed.

const { origin } = new URL(document.currentScript.src);
const TYPE = 'igfeed:embed-height';
// Sent by the site's copy when it starts, for frames that told their height before anyone
// listened (a late or lazily injected script): they answer with it again.
const HELLO = 'igfeed:embed-hello';

if (origin === location.origin) {
  if (window.parent !== window) {
    let last = 0;
    const tell = () => {
      const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height !== last) {
        last = height;
        window.parent.postMessage({ type: TYPE, height }, '*');
      }
    };
    new ResizeObserver(tell).observe(document.documentElement);
    window.addEventListener('message', (event) => {
      if (event.source !== window.parent || !event.data || event.data.type !== HELLO) return;
      last = 0;
      tell();
    });
  }
} else {
  for (const frame of document.querySelectorAll('iframe')) {
    if (frame.src.startsWith(`${origin}/`) && frame.contentWindow) frame.contentWindow.postMessage({ type: HELLO }, origin);
  }
  window.addEventListener('message', (event) => {
    const { data } = event;
    if (event.origin !== origin || !data || data.type !== TYPE || !(data.height > 0)) return;
    for (const frame of document.querySelectorAll('iframe')) {
      if (frame.contentWindow === event.source) frame.style.height = `${Math.min(data.height, 50000)}px`;
    }
  });
}
