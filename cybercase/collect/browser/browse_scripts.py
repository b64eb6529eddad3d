"""The scripts a browsing session puts in its pages: the banner, its button, the clean DOM.

The banner says that recording is on and offers a full-page capture; the DOM is read
without the banner and without the value attribute of password inputs.
"""

from __future__ import annotations

CAPTURE_BINDING = "cybercaseCaptureFullPage"
BANNER_ID = "cybercase-recording"

BANNER_SCRIPT = """
(() => {
  if (window.top !== window) return;
  const ask = () => {
    const note = window.prompt('cybercase: note for this full-page capture (optional)');
    window.__BINDING__(note || '');
  };
  const install = () => {
    if (document.getElementById('__ID__')) return;
    const bar = document.createElement('div');
    bar.id = '__ID__';
    bar.setAttribute('style', 'position:fixed;top:0;right:0;z-index:2147483647;' +
      'background:#b00020;color:#fff;font:bold 13px sans-serif;padding:4px 8px;' +
      'border-bottom-left-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.4)');
    bar.textContent = '\u25cf cybercase is recording ';
    const button = document.createElement('button');
    button.id = '__ID__-capture';
    button.textContent = 'Capture full page now (Ctrl+Shift+S)';
    button.addEventListener('click', ask);
    bar.appendChild(button);
    document.documentElement.appendChild(bar);
  };
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey && event.shiftKey && (event.key === 'S' || event.key === 's')) {
      event.preventDefault();
      ask();
    }
  }, true);
  if (document.documentElement) install();
  document.addEventListener('DOMContentLoaded', install);
})();
""".replace("__BINDING__", CAPTURE_BINDING).replace("__ID__", BANNER_ID)

DOM_SCRIPT = """
() => {
  const copy = document.documentElement.cloneNode(true);
  const banner = copy.querySelector('#__ID__');
  if (banner) banner.remove();
  let scrubbed = 0;
  for (const input of copy.querySelectorAll('input[type=password i]')) {
    if (input.hasAttribute('value')) { input.removeAttribute('value'); scrubbed += 1; }
  }
  const type = document.doctype;
  const doctype = type ? '<!DOCTYPE ' + type.name + '>\\n' : '';
  return [doctype + copy.outerHTML, scrubbed];
}
""".replace("__ID__", BANNER_ID)

BANNER_VISIBILITY = (
    "(hidden) => { const b = document.getElementById('__ID__');"
    " if (b) b.style.visibility = hidden ? 'hidden' : 'visible'; }"
).replace("__ID__", BANNER_ID)

SEEN_SCRIPT = "() => window.__cybercaseCaptured"
"""The URL this document was last captured at: a new document, or a new URL of the same
document (a script's ``history.pushState``), is a new page; a reload of the same URL is a
new document, so a new item too."""
MARK_SEEN_SCRIPT = "() => { window.__cybercaseCaptured = location.href; }"
