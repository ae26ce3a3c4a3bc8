import fc from 'fast-check';
import { mediaTypeSubsumption } from '../../src/terminology/providers/mime';
import { TerminologyError } from '../../src/terminology/issues';

/**
 * $subsumes of media types as a relation: whatever two codes are compared, the answer read one
 * way is the converse of the answer read the other way, a code is equivalent to itself however
 * its parameters are written, and a cannot-determine refusal does not depend on the order.
 */

const TYPES = ['text/plain', 'TEXT/Plain', 'text/html', 'text/csv', 'text/vcard', 'application/json', 'application/fhir+json', 'image/png'];
const PARAMETERS: Record<string, string[]> = {
  charset: ['utf-8', 'UTF-8', 'us-ascii', 'iso-8859-1'],
  format: ['fixed', 'flowed'],
  version: ['1', '2'],
  boundary: ['abc'],
};

const parameter = fc.constantFrom(...Object.keys(PARAMETERS)).chain((name) =>
  fc.tuple(fc.constant(name), fc.constantFrom(...PARAMETERS[name]), fc.boolean(), fc.boolean()).map(([n, v, upper, quoted]) => ({ name: n, text: `${upper ? n.toUpperCase() : n}=${quoted ? `"${v}"` : v}` })),
);

/** a media type with some of the parameters, each at most once, in any order and spacing */
const mediaType = fc
  .tuple(fc.constantFrom(...TYPES), fc.uniqueArray(parameter, { selector: (p) => p.name, maxLength: 3 }), fc.constantFrom(';', '; ', ' ;  '))
  .map(([type, params, sep]) => type + params.map((p) => sep + p.text).join(''));

type Answer = string;
function answer(a: string, b: string): Answer {
  try {
    return mediaTypeSubsumption(a, b);
  } catch (e) {
    if (e instanceof TerminologyError) return 'cannot-determine';
    throw e;
  }
}

const CONVERSE: Record<string, string> = { subsumes: 'subsumed-by', 'subsumed-by': 'subsumes', equivalent: 'equivalent', 'not-subsumed': 'not-subsumed', 'cannot-determine': 'cannot-determine' };

describe('MIME types: $subsumes is a consistent relation', () => {
  it('read the other way round, the answer is its converse', () => {
    fc.assert(fc.property(mediaType, mediaType, (a, b) => answer(b, a) === CONVERSE[answer(a, b)]), { numRuns: 2000 });
  });

  it('a code is equivalent to itself, and to itself with its parameters in another order or case', () => {
    fc.assert(
      fc.property(mediaType, (a) => {
        const [type, ...params] = a.split(';').map((s) => s.trim());
        const reordered = [type.toLowerCase(), ...params.reverse()].join('; ');
        return answer(a, a) === 'equivalent' && answer(a, reordered) === 'equivalent';
      }),
      { numRuns: 1000 },
    );
  });

  it('different types or subtypes are never related', () => {
    fc.assert(
      fc.property(mediaType, mediaType, (a, b) => {
        const base = (x: string) => x.split(';')[0].trim().toLowerCase();
        return base(a) === base(b) || answer(a, b) === 'not-subsumed';
      }),
      { numRuns: 1000 },
    );
  });
});
