import { html, linkIf, query, raw } from '../../src/web/html';
import { searchTerms, stem, wordsOf } from '../../src/web/swedish';
import { toCsv } from '../../src/web/downloads';
import { TEXTS, tr } from '../../src/web/i18n';

/** The pieces of the pages that need no browser: escaping, Swedish words, CSV, texts. */
describe('html templates', () => {
  test('escape every interpolated value unless it is already markup', () => {
    const evil = `<script>alert("x")</script>&'`;
    expect(html`<p title="${evil}">${evil}</p>`.text).toBe('<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>');
    expect(html`<div>${html`<b>${'å'}</b>`}${raw('<i>ok</i>')}${[1, null, undefined, false, 'x']}</div>`.text).toBe('<div><b>å</b><i>ok</i>1x</div>');
    expect(linkIf(undefined, 'd4500').text).toBe('d4500');
    expect(linkIf('/a?b=1&c=2', 'x').text).toBe('<a href="/a?b=1&amp;c=2">x</a>');
  });

  test('query strings leave out empty parameters', () => {
    expect(query({ q: 'bedömning lärande', system: '', sida: 2, x: undefined })).toBe('?q=bed%C3%B6mning+l%C3%A4rande&sida=2');
    expect(query({})).toBe('');
  });
});

describe('Swedish words for search', () => {
  test('inflected forms share a stem that is a prefix of each', () => {
    expect(stem('bedömningar')).toBe('bedömning');
    expect(stem('lärande')).toBe('lär');
    expect(stem('insatser')).toBe('insats');
    for (const w of ['bedömningar', 'lärande', 'insatser', 'åtgärder', 'färdighetsträning']) expect(w.startsWith(stem(w))).toBe(true);
  });

  test('å, ä and ö stay letters of their own', () => {
    expect(searchTerms('Bröd')).toEqual(['bröd']);
    expect(searchTerms('brod')).toEqual(['brod']);
    expect(wordsOf('ÅTGÄRD Öppenvård')).toEqual(['åtgärd', 'öppenvård']);
  });

  test('codes split as the text index splits them', () => {
    expect(wordsOf('SA1.AA.ZZ')).toEqual(['sa1', 'aa', 'zz']);
  });
});

describe('downloads and texts', () => {
  test('CSV for Swedish Excel: BOM, semicolons, quoted fields, CRLF', () => {
    const csv = toCsv({ name: 't', headers: ['kod', 'benämning'], rows: [['a', 'x; "y"'], ['b', 'rad 1\nrad 2']] });
    expect(csv).toBe('\uFEFFkod;benämning\r\na;"x; ""y"""\r\nb;"rad 1\nrad 2"\r\n');
  });

  test('every text exists in both languages, with the same placeholders', () => {
    const places = (t: string) => (t.match(/\{\d+\}/g) ?? []).sort().join();
    for (const [key, [sv, en]] of Object.entries(TEXTS)) {
      expect([key, sv.length > 0, en.length > 0, places(sv)]).toEqual([key, true, true, places(en)]);
    }
    expect(tr('sv', 'searchResultsFor', 'hemtjänst')).toBe('Sökresultat för "hemtjänst"');
    expect(tr('en', 'searchResultsFor', 'hemtjänst')).toBe('Results for "hemtjänst"');
  });
});
