/*
 * Search suggestions while typing (ARIA 1.2 combobox with a listbox): prefix matches of codes,
 * concepts and resources from /sok/forslag. Without this script the form still searches.
 */
(function () {
  'use strict';
  var input = document.querySelector('input[data-suggest]');
  if (!input) return;
  var sv = document.documentElement.lang !== 'en';
  var list = document.createElement('ul');
  list.id = 'q-forslag';
  list.className = 'suggest';
  list.setAttribute('role', 'listbox');
  list.setAttribute('aria-label', sv ? 'Förslag' : 'Suggestions');
  list.hidden = true;
  input.parentNode.appendChild(list);
  var live = document.createElement('div');
  live.className = 'visually-hidden';
  live.setAttribute('role', 'status');
  input.parentNode.appendChild(live);
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', list.id);
  var items = [];
  var active = -1;
  var timer = 0;
  var seq = 0;

  function close() {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  }
  function select(i) {
    var options = list.children;
    if (active >= 0 && options[active]) options[active].setAttribute('aria-selected', 'false');
    active = i;
    if (i >= 0 && options[i]) {
      options[i].setAttribute('aria-selected', 'true');
      input.setAttribute('aria-activedescendant', options[i].id);
      options[i].scrollIntoView({ block: 'nearest' });
    } else input.removeAttribute('aria-activedescendant');
  }
  function show(data) {
    items = data;
    list.textContent = '';
    data.forEach(function (s, i) {
      var li = document.createElement('li');
      li.id = 'q-forslag-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      li.textContent = s.label;
      var d = document.createElement('span');
      d.className = 'detail';
      d.textContent = s.detail;
      li.appendChild(d);
      li.addEventListener('mousedown', function (e) { e.preventDefault(); location.href = s.href; });
      list.appendChild(li);
    });
    active = -1;
    var open = data.length > 0;
    list.hidden = !open;
    input.setAttribute('aria-expanded', open ? 'true' : 'false');
    live.textContent = open ? data.length + (sv ? ' förslag, använd pil upp och ned' : ' suggestions, use up and down arrows') : '';
  }
  input.addEventListener('input', function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) return close();
    timer = setTimeout(function () {
      var mine = ++seq;
      fetch(input.getAttribute('data-suggest') + '?q=' + encodeURIComponent(q))
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (data) { if (mine === seq) show(data); })
        .catch(function () { close(); });
    }, 150);
  });
  input.addEventListener('keydown', function (e) {
    if (list.hidden) return;
    if (e.key === 'ArrowDown') { e.preventDefault(); select(Math.min(items.length - 1, active + 1)); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); select(Math.max(-1, active - 1)); }
    else if (e.key === 'Escape') { e.preventDefault(); close(); }
    else if (e.key === 'Enter' && active >= 0) { e.preventDefault(); location.href = items[active].href; }
  });
  input.addEventListener('blur', function () { setTimeout(close, 100); });
  // searching: no more suggestions for what was typed
  if (input.form) input.form.addEventListener('submit', function () { clearTimeout(timer); seq++; close(); });
})();
