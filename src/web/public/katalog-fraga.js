/*
 * How a catalogue query becomes a lunr query: the same code in the browser (as-you-type search)
 * and on the server (the search page without JavaScript), so both rank alike. Each word is
 * matched stemmed (Swedish stemmer in the index pipeline) and as a prefix of what is being
 * typed; every word must match somewhere.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.kodverkKatalogFraga = factory();
})(typeof self !== 'undefined' ? self : this, function () {
  // each word is a prefix search over the whole index: a word given twice is searched once, and
  // words past the twelfth not at all (one long URL of repeated letters held the server for seconds)
  var MAX_WORDS = 12;
  function words(q) {
    var all = q.normalize('NFC').toLocaleLowerCase('sv').match(/[\p{L}\p{N}]+/gu) || [];
    var out = [];
    for (var i = 0; i < all.length && out.length < MAX_WORDS; i++) if (out.indexOf(all[i]) < 0) out.push(all[i]);
    return out;
  }
  function search(lunr, index, q) {
    var ws = words(q);
    if (ws.length === 0) return [];
    return index.query(function (query) {
      ws.forEach(function (w) {
        // exact (stemmed) word scores highest; a prefix of it keeps results while typing
        query.term(w, { boost: 10 });
        query.term(w, { boost: 1, usePipeline: false, wildcard: lunr.Query.wildcard.TRAILING });
      });
    }).filter(function (r) {
      // every word must be matched (lunr's OR would let one common word carry a result)
      var matched = Object.keys(r.matchData.metadata);
      return ws.every(function (w) {
        return matched.some(function (t) { return t.indexOf(w) === 0 || w.indexOf(t) === 0; });
      });
    });
  }
  return { words: words, search: search };
});
