/*
 * Filters the catalogue table while typing, in the browser, with the server's lunr index
 * (Swedish stemmer: the same files and the same query code as the server's own filter).
 */
(function () {
  'use strict';
  var form = document.querySelector('form[data-catalogue]');
  var table = document.getElementById('katalog');
  if (!form || !table || !window.lunr || !window.kodverkKatalogFraga) return;
  var input = form.querySelector('input[name=filter]');
  var national = form.querySelector('input[name=ursprung]');
  var status = document.getElementById('kat-antal');
  var sv = document.documentElement.lang !== 'en';
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var index = null;
  fetch(form.getAttribute('data-catalogue'))
    .then(function (r) { return r.json(); })
    .then(function (data) { index = window.lunr.Index.load(data.index); });

  function apply() {
    var q = input.value.trim();
    var hits = null;
    if (q && index) {
      hits = {};
      window.kodverkKatalogFraga.search(window.lunr, index, q).forEach(function (r) { hits[r.ref] = true; });
    }
    var n = 0;
    rows.forEach(function (row) {
      var show = (!hits || hits[row.dataset.ref]) && (!national.checked || row.hasAttribute('data-national'));
      row.hidden = !show;
      if (show) n++;
    });
    status.textContent = n.toLocaleString(sv ? 'sv-SE' : 'en-GB') + (sv ? ' träffar' : ' matches');
  }
  var timer = 0;
  input.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(apply, 120); });
  national.addEventListener('change', apply);
})();
