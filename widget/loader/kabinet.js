/*! kabinet loader: mounts the client cabinet into every [data-kabinet] element on the page. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.Kabinet) return;
  var base = script.src.replace(/[^\/?#]*([?#].*)?$/, '');
  // The theme variables forwarded into the frame; the same list as kabinet_api::THEME_VARIABLES.
  var VARS = ['--kabinet-accent', '--kabinet-accent-text', '--kabinet-text', '--kabinet-muted', '--kabinet-bg',
    '--kabinet-surface', '--kabinet-border', '--kabinet-error', '--kabinet-font', '--kabinet-font-size',
    '--kabinet-radius', '--kabinet-max-width'];
  var TEXT = {
    ru: ['Личный кабинет', 'Личный кабинет не удалось загрузить. Обновите страницу; если не поможет, позвоните в офис.'],
    en: ['Client account', 'The client account could not be loaded. Reload the page; if that does not help, call the office.']
  };
  var START_LIMIT_MS = 20000;
  // The shim adds these to the page the client comes back to: the card payment the client is
  // back from the bank for (kabinet_api::payments::RETURN_PARAM), and "back from Госуслуги"
  // (kabinet_api::esia::RETURN_PARAM, value 1).
  var PAYMENT_PARAM = 'kabinet_payment';
  var ESIA_PARAM = 'kabinet_esia';
  var PAGE_LIMIT = 2000;

  // This page's address split: the page to come back to (no fragment, none of the shim's
  // markers), the address to show (the markers taken off, all else byte for byte) and each
  // marker's value (the first, when one comes twice; null when absent).
  function hostPage() {
    var href = location.href, hash = '', i = href.indexOf('#'), found = {};
    found[PAYMENT_PARAM] = null;
    found[ESIA_PARAM] = null;
    if (i >= 0) { hash = href.slice(i); href = href.slice(0, i); }
    var q = href.indexOf('?'), base = q >= 0 ? href.slice(0, q) : href, kept = [], taken = false;
    var pairs = q >= 0 ? href.slice(q + 1).split('&') : [];
    for (var k = 0; k < pairs.length; k++) {
      var name = pairs[k].split('=')[0];
      if (name === PAYMENT_PARAM || name === ESIA_PARAM) {
        taken = true;
        if (found[name] === null) found[name] = pairs[k].slice(name.length + 1);
      } else if (pairs[k]) kept.push(pairs[k]);
    }
    var page = base + (kept.length ? '?' + kept.join('&') : '');
    return { page: page, shown: page + hash, taken: taken, payment: found[PAYMENT_PARAM], esia: found[ESIA_PARAM] };
  }

  function opt(el, o, name, fallback) {
    return (o && o[name]) || el.getAttribute('data-' + name) || script.getAttribute('data-' + name) || fallback;
  }

  function state(el, s) { el.setAttribute('data-kabinet-state', s); }

  function fail(el, lang, why) {
    state(el, 'error');
    var p = document.createElement('p');
    p.setAttribute('role', 'alert');
    p.textContent = TEXT[lang][1];
    p.style.cssText = 'margin:0;padding:12px 16px;border:1px solid #b91c1c;border-radius:8px;background:#fff;color:#7f1d1d';
    (el.shadowRoot || el).replaceChildren(p);
    if (window.console) console.error('kabinet: ' + why);
    el.dispatchEvent(new CustomEvent('kabinet:error', { bubbles: true, detail: String(why) }));
  }

  function ready(el) {
    if (el.getAttribute('data-kabinet-state') === 'ready') return;
    state(el, 'ready');
    try { performance.mark('kabinet:ready'); } catch (e) { /* old browsers */ }
    el.dispatchEvent(new CustomEvent('kabinet:ready', { bubbles: true }));
  }

  function theme(el) {
    var cs = getComputedStyle(el), vars = {};
    for (var i = 0; i < VARS.length; i++) vars[VARS[i]] = cs.getPropertyValue(VARS[i]).trim();
    return vars;
  }

  function frame(el, api, lang) {
    var apiOrigin = new URL(api).origin;
    var f = document.createElement('iframe'), host = hostPage(), extra = '';
    if (host.taken) {
      // Taken off the address once, so a reload or a shared link does not repeat the return.
      try { history.replaceState(history.state, '', host.shown); } catch (e) { /* sandboxed page */ }
    }
    if (host.payment !== null && /^[A-Za-z0-9-]{1,64}$/.test(host.payment)) extra += '&payment=' + host.payment;
    if (host.esia === '1') extra += '&esia=1';
    if (host.page.length <= PAGE_LIMIT) extra += '&page=' + encodeURIComponent(host.page);
    f.src = api + '/embed?origin=' + encodeURIComponent(location.origin) + '&lang=' + lang + extra;
    f.title = TEXT[lang][0];
    f.style.cssText = 'border:0;width:100%;min-width:100%;display:block;height:320px;background:transparent';
    var timer = setTimeout(function () { fail(el, lang, 'the frame did not start within ' + START_LIMIT_MS + ' ms'); }, START_LIMIT_MS);
    function sendTheme() {
      if (f.contentWindow) f.contentWindow.postMessage({ type: 'kabinet:theme', vars: theme(el) }, apiOrigin);
    }
    window.addEventListener('message', function (e) {
      // Only our own frame, from the shim's origin, is listened to.
      if (e.source !== f.contentWindow || e.origin !== apiOrigin) return;
      var d = e.data || {};
      if (d.type === 'kabinet:resize' && typeof d.height === 'number' && d.height >= 0 && d.height < 100000) {
        f.style.height = Math.ceil(d.height) + 'px';
      } else if (d.type === 'kabinet:hello') {
        sendTheme();
      } else if (d.type === 'kabinet:ready') {
        clearTimeout(timer);
        sendTheme();
        ready(el);
      } else if (d.type === 'kabinet:error') {
        clearTimeout(timer);
        state(el, 'error');
      } else if (d.type === 'kabinet:navigate' && typeof d.url === 'string') {
        // The bank's payment page or Госуслуги's login page, opened at the top: a frame may not
        // navigate this page itself.
        var to;
        try { to = new URL(d.url); } catch (err) { return; }
        if (to.protocol === 'https:' || to.protocol === 'http:') window.location.assign(to.href);
      }
    });
    if (window.MutationObserver) new MutationObserver(sendTheme).observe(el, { attributes: true, attributeFilter: ['style', 'class'] });
    el.replaceChildren(f);
  }

  function inline(el, api, lang) {
    var timer = setTimeout(function () { fail(el, lang, 'the widget did not start within ' + START_LIMIT_MS + ' ms'); }, START_LIMIT_MS);
    el.addEventListener('kabinet:widget-ready', function () { clearTimeout(timer); ready(el); });
    import(base + 'kabinet_widget.js').then(function (m) {
      return m.default({ module_or_path: base + 'kabinet_widget_bg.wasm' }).then(function () {
        el.replaceChildren();
        m.mount(el, api, lang, 'inline', base + 'kabinet.css');
      });
    }).catch(function (err) {
      clearTimeout(timer);
      // Typically the page's CSP forbids WebAssembly ('wasm-unsafe-eval') or this origin.
      fail(el, lang, err);
    });
  }

  function mount(el, o) {
    if (!el || el.getAttribute('data-kabinet-state')) return;
    state(el, 'loading');
    var lang = opt(el, o, 'lang', 'ru') === 'en' ? 'en' : 'ru';
    var api = opt(el, o, 'api', new URL(script.src).origin).replace(/\/+$/, '');
    try {
      if (opt(el, o, 'mode', 'frame') === 'inline') inline(el, api, lang); else frame(el, api, lang);
    } catch (err) {
      fail(el, lang, err);
    }
  }

  window.Kabinet = { mount: mount };
  var found = document.querySelectorAll('[data-kabinet]');
  for (var i = 0; i < found.length; i++) mount(found[i]);
})();
