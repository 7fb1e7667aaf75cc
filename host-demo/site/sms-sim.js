/* host-demo only: lists the messages the shim's SMS simulator received, newest first.
   A separate file, not an inline script, so the page's strict-CSP variant runs it too. */
(function () {
  'use strict';
  var panel = document.querySelector('[data-sms-sim]');
  if (!panel) return;
  var source = panel.getAttribute('data-source');
  var status = panel.querySelector('[data-sms-sim-status]');
  var list = panel.querySelector('[data-sms-sim-list]');
  var POLL_MS = 2000;
  var shown = null; // what the list shows now, to leave it alone (and quiet) when nothing changed

  function say(text) {
    if (status.textContent !== text) status.textContent = text;
  }

  function time(value) {
    var d = new Date(value);
    return isNaN(d.getTime()) ? String(value) : d.toLocaleTimeString('ru-RU');
  }

  function item(m) {
    var li = document.createElement('li');
    li.className = 'sms-sim-item';
    li.setAttribute('data-sms-id', String(m.id));
    var meta = document.createElement('p');
    meta.className = 'sms-sim-meta';
    var phone = document.createElement('span');
    phone.className = 'sms-sim-phone';
    phone.setAttribute('data-sms-phone', '');
    phone.textContent = String(m.phone);
    var when = document.createElement('time');
    when.dateTime = String(m.received_at);
    when.textContent = time(m.received_at);
    var via = document.createElement('span');
    via.className = 'sms-sim-provider';
    via.textContent = m.provider ? 'через ' + m.provider : '';
    meta.append(phone, ' · ', when, ' ', via);
    var text = document.createElement('p');
    text.className = 'sms-sim-text';
    text.setAttribute('data-sms-text', '');
    // textContent, never innerHTML: a message is whatever the shim was asked to send.
    text.textContent = String(m.text);
    li.append(meta, text);
    return li;
  }

  function render(messages) {
    var key = messages.length + ':' + (messages.length ? messages[messages.length - 1].id : '');
    if (key === shown) return;
    shown = key;
    var items = [];
    for (var i = messages.length - 1; i >= 0; i--) items.push(item(messages[i]));
    list.replaceChildren.apply(list, items);
    say(messages.length ? 'Получено сообщений: ' + messages.length : 'Сообщений пока нет.');
  }

  function unavailable() {
    shown = null;
    list.replaceChildren();
    say('Симулятор SMS недоступен');
  }

  function poll() {
    if (document.hidden) return setTimeout(poll, POLL_MS);
    fetch(source, { cache: 'no-store', credentials: 'omit' })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (messages) {
        if (!Array.isArray(messages)) throw new Error('not a list');
        render(messages);
      })
      .catch(unavailable)
      .then(function () { setTimeout(poll, POLL_MS); });
  }

  poll();
})();
