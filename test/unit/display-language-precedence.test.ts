/**
 * Which language a display comes in, when the client says so in more than one place. The tx
 * ecosystem IG (Multi-Language Support) names four places and SHALL-supports all of them, in this
 * order of priority: the displayLanguage request parameter > displayLanguage in the value set's
 * expansion-parameter extension > the HTTP Accept-Language header > ValueSet.language. With none,
 * the code system's own language. Every combination of the four, each absent or naming one of
 * three languages, is checked in $expand and in $validate-code's returned display. And the
 * weights of the first three (Accept-Language syntax): a language alone leaves the wildcard at a
 * low weight, so a code without a term in it falls back to what it has; `*;q=0` rules that out,
 * and such a code is listed without a display.
 */
import type { CodeSystem, ParametersParameter, ValueSet } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';

const SYSTEM = 'urn:example:colours';
const VS = 'urn:example:vs:colours';
const TERMS: Record<string, Record<string, string>> = {
  red: { en: 'Red', de: 'Rot', sv: 'Röd' },
  green: { en: 'Green', de: 'Grün', sv: 'Grön' },
};
type Lang = 'en' | 'de' | 'sv';
const LANGS: (Lang | undefined)[] = [undefined, 'en', 'de', 'sv'];

const codeSystem: CodeSystem = {
  resourceType: 'CodeSystem',
  url: SYSTEM,
  version: '1',
  language: 'en',
  status: 'active',
  content: 'complete',
  concept: [
    ...Object.entries(TERMS).map(([code, t]) => ({
      code,
      display: t.en,
      designation: [
        { language: 'de', value: t.de },
        { language: 'sv', value: t.sv },
      ],
    })),
    // a code with an English term only
    { code: 'ochre', display: 'Ochre' },
  ],
};

interface Sources {
  param?: string;
  extension?: string;
  header?: string;
  vsLanguage?: Lang;
}

function valueSet(s: Sources): ValueSet {
  return {
    resourceType: 'ValueSet',
    url: VS,
    version: '1',
    status: 'active',
    ...(s.vsLanguage ? { language: s.vsLanguage } : {}),
    compose: {
      ...(s.extension
        ? {
            extension: [
              {
                url: 'http://hl7.org/fhir/StructureDefinition/valueset-expansion-parameter',
                extension: [
                  { url: 'name', valueCode: 'displayLanguage' },
                  { url: 'value', valueCode: s.extension },
                ],
              },
            ],
          }
        : {}),
      include: [{ system: SYSTEM }],
    },
  };
}

const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));

const combinations: Sources[] = [];
for (const param of LANGS) for (const extension of LANGS) for (const header of LANGS) for (const vsLanguage of LANGS) combinations.push({ param, extension, header, vsLanguage });
const name = (s: Sources) => `param ${s.param ?? '-'}, value-set extension ${s.extension ?? '-'}, header ${s.header ?? '-'}, ValueSet.language ${s.vsLanguage ?? '-'}`;
const winner = (s: Sources): Lang => (s.param ?? s.extension ?? s.header ?? s.vsLanguage ?? 'en') as Lang;

describe('the display language: request parameter > value-set extension > Accept-Language > ValueSet.language > the code system’s', () => {
  const request = (s: Sources, more: ParametersParameter[]) => ({
    parameters: [{ name: 'url', valueUri: VS }, ...(s.param ? [{ name: 'displayLanguage', valueCode: s.param }] : []), ...more],
    txResources: [codeSystem, valueSet(s)],
    acceptLanguage: s.header,
  });

  it.each(combinations.map((s) => [name(s), s] as const))('%s', (_name, s) => {
    const want = winner(s);
    const expansion = engine.expand(request(s, [])).expansion!;
    expect((expansion.contains ?? []).map((c) => `${c.code}=${c.display}`)).toEqual([...Object.entries(TERMS).map(([code, t]) => `${code}=${t[want]}`), 'ochre=Ochre']);

    const validated = engine.validateValueSetCode(request(s, [{ name: 'system', valueUri: SYSTEM }, { name: 'code', valueCode: 'green' }]));
    expect(validated.find((p) => p.name === 'result')?.valueBoolean).toBe(true);
    expect(validated.find((p) => p.name === 'display')?.valueString).toBe(TERMS.green[want]);
  });

  it.each(['param', 'extension', 'header'] as const)('in the %s: a language alone falls back to the terms a code has; with *;q=0 it does not', (where) => {
    for (const [given, ochre] of [
      ['de', 'Ochre'],
      ['de, *;q=0.1', 'Ochre'],
      ['de,*; q=0', undefined],
    ] as const) {
      const expansion = engine.expand(request({ [where]: given }, [])).expansion!;
      const shown = Object.fromEntries((expansion.contains ?? []).map((c) => [c.code, c.display]));
      expect({ given, shown }).toEqual({ given, shown: { red: 'Rot', green: 'Grün', ochre } });
    }
  });
});
