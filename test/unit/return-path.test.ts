import fc from 'fast-check';
import { returnPath } from '../../src/web/return-path';

/**
 * The language toggle sends the browser back to the page it came from. Only a page on this site
 * may be named: a browser reads '/\host' and '/<tab>/host' as '//host', another site.
 */

// where a browser would go from a Location header with this value, seen from this site
const destination = (location: string) => new URL(location, 'https://kodverk.example/sprak').origin;

describe('the return path of the language toggle', () => {
  it('keeps a page on this site, with its query and fragment', () => {
    expect(returnPath('/kodsystem/ksi')).toBe('/kodsystem/ksi');
    expect(returnPath('/sok?q=boende&typ=kod#traffar')).toBe('/sok?q=boende&typ=kod#traffar');
    expect(returnPath('/')).toBe('/');
  });

  it('sends anything that would leave the site to the start page', () => {
    for (const v of ['//evil.example', '/\\evil.example', '/\\/evil.example', '/\t/evil.example', '/\n/evil.example',
      '/..//evil.example', '/./\\evil.example', 'https://evil.example/', 'evil.example', 'javascript:alert(1)', '']) {
      expect([v, returnPath(v)]).toEqual([v, '/']);
    }
  });

  it('takes only a string', () => {
    expect(returnPath(undefined)).toBe('/');
    expect(returnPath(['/a', '/b'])).toBe('/');
    expect(returnPath({ toString: () => '/a' })).toBe('/');
  });

  it('never names another origin, whatever the value (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => '/' + s), fc.constantFrom('/\\', '//', '/\t', '/..', '/%2F').chain((p) => fc.string().map((s) => p + s))), (v) => {
        const back = returnPath(v);
        expect(back.startsWith('/')).toBe(true);
        expect(back.startsWith('//')).toBe(false);
        expect(destination(back)).toBe('https://kodverk.example');
      }),
      { numRuns: 2000 },
    );
  });
});
