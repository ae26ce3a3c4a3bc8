/* The diff form: choosing what to compare offers that thing's versions (newest as "Till"). */
(function () {
  'use strict';
  var what = document.getElementById('d-vad');
  if (!what) return;
  var versions = JSON.parse(what.getAttribute('data-versions') || '{}');
  var from = document.getElementById('d-fran');
  var to = document.getElementById('d-till');
  function fill(select, list, selected) {
    select.textContent = '';
    list.forEach(function (v) {
      var o = document.createElement('option');
      o.textContent = v;
      o.selected = v === selected;
      select.appendChild(o);
    });
  }
  what.addEventListener('change', function () {
    var list = versions[what.value] || [];
    fill(to, list, list[0]);
    fill(from, list, list[1]);
  });
})();
