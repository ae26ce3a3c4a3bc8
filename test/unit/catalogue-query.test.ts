import path from 'node:path';
import lunr from 'lunr';

/**
 * The catalogue query (shared by the browser and the search page): every word is a prefix
 * search over the whole index, so a query is cut to its distinct words, at most twelve.
 */

// the same file the server loads (src/web/catalogue.ts) and the browser runs
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fraga: typeof import('../../src/web/katalog-fraga') = require(path.resolve(__dirname, '../../src/web/public/katalog-fraga.js'));

describe('the catalogue query', () => {
  it('takes the words in lower case, without punctuation', () => {
    expect(fraga.words('Insats: Hemtjänst, KSI-kod')).toEqual(['insats', 'hemtjänst', 'ksi', 'kod']);
  });

  it('searches a word given many times once, and no more than twelve words', () => {
    expect(fraga.words('s '.repeat(4000))).toEqual(['s']);
    const many = Array.from({ length: 500 }, (_, i) => 'w' + i).join(' ');
    expect(fraga.words(many)).toEqual(Array.from({ length: 12 }, (_, i) => 'w' + i));
  });

  it('still requires every word it searches for', () => {
    const index = lunr(function () {
      this.ref('id');
      this.field('title');
      this.add({ id: 'a', title: 'hemtjänst insats' });
      this.add({ id: 'b', title: 'hemtjänst boende' });
    });
    expect(fraga.search(lunr, index, 'hemtjänst insats hemtjänst').map((r) => r.ref)).toEqual(['a']);
  });
});
