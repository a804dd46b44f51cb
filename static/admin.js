// igfeed admin: the feed editor's enhancements. The editor works without this script (its
// form posts normally, its snippets can be selected and copied by hand); with it, the
// preview follows every change of the display controls and the snippets get copy buttons.
// Served from igfeed itself: the admin pages' CSP allows no inline script.
(() => {
  'use strict';
  const form = document.getElementById('editor');
  const preview = document.getElementById('preview');

  // The preview: /embed of this feed with the display controls as query parameters (they
  // win over the saved preset). Values /embed would refuse are left out, as on the server.
  const COLUMNS = /^\s*\d{1,2}\s*(,\s*\d{1,4}\s*:\s*\d{1,2}\s*)*$/;
  const GAP = /^\d{1,2}(\.\d{1,2})?(px|rem|em)?$/;
  function displayQuery() {
    const q = new URLSearchParams();
    const value = (name) => (form.elements[name] ? form.elements[name].value.trim() : '');
    const checked = (name) => (form.elements[name] && form.elements[name].checked ? 'true' : 'false');
    q.set('layout', value('layout'));
    const columns = value('columns');
    if (COLUMNS.test(columns)) q.set('columns', columns.replace(/\s+/g, ''));
    q.set('aspect', value('aspect'));
    q.set('captions', value('captions'));
    q.set('header', checked('header'));
    q.set('load-more', checked('load_more'));
    q.set('theme', value('theme'));
    const gap = value('gap').toLowerCase();
    if (GAP.test(gap)) q.set('gap', /\d$/.test(gap) ? `${gap}px` : gap);
    return q.toString();
  }
  if (form && preview) {
    const base = preview.dataset.base;
    let timer = 0;
    const update = () => {
      clearTimeout(timer);
      // Typing "1000:4" passes through "1000:" first: wait for a pause before reloading.
      timer = setTimeout(() => {
        const src = `${base}&${displayQuery()}`;
        if (preview.getAttribute('src') !== src) preview.setAttribute('src', src);
      }, 150);
    };
    for (const name of ['layout', 'columns', 'aspect', 'captions', 'header', 'load_more', 'theme', 'gap']) {
      const field = form.elements[name];
      if (!field) continue;
      field.addEventListener('input', update);
      field.addEventListener('change', update);
    }
  }

  // The frames are igfeed's own /embed, whose embed.js reports the page's height.
  window.addEventListener('message', (event) => {
    const data = event.data;
    if (event.origin !== location.origin || !data || data.type !== 'igfeed:embed-height') return;
    if (!(data.height > 0)) return;
    for (const frame of document.querySelectorAll('iframe.frame')) {
      if (frame.contentWindow === event.source) frame.style.height = `${Math.min(data.height, 3000)}px`;
    }
  });

  // Copy buttons: shown only when this script runs.
  const status = document.querySelector('.copy-status');
  for (const button of document.querySelectorAll('button[data-copy]')) {
    const source = document.getElementById(button.dataset.copy);
    if (!source) continue;
    button.hidden = false;
    button.addEventListener('click', async () => {
      let copied = false;
      try {
        await navigator.clipboard.writeText(source.value);
        copied = true;
      } catch {
        source.select();
        copied = document.execCommand && document.execCommand('copy');
      }
      if (status) status.textContent = copied ? 'Copied.' : 'Select the text and copy it.';
    });
  }
})();
