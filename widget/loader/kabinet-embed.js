/*! kabinet /embed page bootstrap: starts the widget in the frame and talks to the loader on the host page. */
import init, { mount } from './kabinet_widget.js';

const el = document.querySelector('[data-kabinet-embed]');
const parentOrigin = el.dataset.parentOrigin;
const embedded = window.parent !== window;
const post = (msg) => { if (embedded) window.parent.postMessage(msg, parentOrigin); };

// Only the host page we were opened for may theme us; anything else is ignored.
window.addEventListener('message', (e) => {
  if (e.source !== window.parent || e.origin !== parentOrigin) return;
  const d = e.data;
  if (!d || d.type !== 'kabinet:theme' || typeof d.vars !== 'object' || d.vars === null) return;
  for (const [name, value] of Object.entries(d.vars)) {
    if (/^--kabinet-[a-z-]{1,40}$/.test(name) && typeof value === 'string' && value.length <= 200) {
      if (value.trim() === '') document.documentElement.style.removeProperty(name);
      else document.documentElement.style.setProperty(name, value);
    }
  }
});

el.addEventListener('kabinet:widget-ready', () => post({ type: 'kabinet:ready' }));
new ResizeObserver(() => post({ type: 'kabinet:resize', height: Math.ceil(el.getBoundingClientRect().height) })).observe(el);
post({ type: 'kabinet:hello' });

try {
  await init({ module_or_path: new URL('kabinet_widget_bg.wasm', import.meta.url) });
  mount(el, el.dataset.api, el.dataset.lang, 'frame', '');
} catch (err) {
  const p = document.createElement('p');
  p.setAttribute('role', 'alert');
  p.textContent = el.dataset.lang === 'en'
    ? 'The client account could not start in this browser. Please update the browser or call the office.'
    : 'Личный кабинет не запускается в этом браузере. Обновите браузер или позвоните в офис.';
  el.replaceChildren(p);
  post({ type: 'kabinet:error', message: String(err) });
}
