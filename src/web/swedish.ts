import lunr from 'lunr';
import stemmerSupport from 'lunr-languages/lunr.stemmer.support';
import swedish from 'lunr-languages/lunr.sv';

/**
 * Swedish for search: lunr-languages' Snowball stemmer for Swedish. It only strips endings
 * (bedömningar → bedömning, lärande → lär, insatser → insats) and treats å, ä and ö as letters of
 * their own, so a stem is a prefix of every inflected form and `stem*` in the FTS5 index (whose
 * tokenizer also keeps å/ä/ö) finds them all. The browser uses the same files for the catalogue.
 */
stemmerSupport(lunr);
swedish(lunr);

export { lunr };

/** Lower case the Swedish way (Å → å), composed form (so å is one character). */
export function foldSv(s: string): string {
  return s.normalize('NFC').toLocaleLowerCase('sv');
}

/** The words of a query: letters and digits, lower case; codes split at dots as the index does. */
export function wordsOf(q: string): string[] {
  return foldSv(q).match(/[\p{L}\p{N}]+/gu) ?? [];
}

export function stem(word: string): string {
  const out = lunr.sv.stemmer!(new lunr.Token(word, {}));
  const s = String(out ?? word);
  // very short stems match too much as prefixes (e.g. "är" → "ä"); keep the word then
  return s.length >= 3 || s.length === word.length ? s : word;
}

/** FTS prefix terms for a query: each word stemmed (distinct). */
export function searchTerms(q: string): string[] {
  return [...new Set(wordsOf(q).map(stem))];
}
