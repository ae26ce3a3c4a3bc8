import type { ConceptMap, ParametersParameter } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';

/**
 * Rules of ConceptMap/$translate (FHIR R4 operation definition), on a small made-up map.
 */

const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));
const SRC = 'urn:example:cs:from';
const TGT = 'urn:example:cs:to';
const MAP: ConceptMap = {
  ...{ resourceType: 'ConceptMap', url: 'urn:example:cm:from-to', version: '1', status: 'active' },
  group: [
    {
      source: SRC,
      target: TGT,
      element: [
        { code: 'a', target: [{ code: 'A', equivalence: 'equivalent' }] },
        { code: 'b', target: [{ code: 'B', equivalence: 'disjoint' }] },
        { code: 'c', target: [{ equivalence: 'unmatched' }] },
        { code: 'd', target: [{ code: 'D1', equivalence: 'disjoint' }, { code: 'D2', equivalence: 'wider' }] },
        { code: 'e', target: [{ code: 'E', equivalence: 'inexact', comment: 'only for adults', product: [{ property: 'urn:example:element:site', system: 'urn:example:cs:site', value: 'arm' }] }] },
      ],
    },
  ],
};
const translate = (params: ParametersParameter[]) => engine.translate({ parameters: params, txResources: [MAP] });
const forward = (code: string) => translate([{ name: 'system', valueUri: SRC }, { name: 'code', valueCode: code }]);
const result = (out: ParametersParameter[]) => out.find((p) => p.name === 'result')?.valueBoolean;
const targets = (out: ParametersParameter[]) =>
  out.filter((p) => p.name === 'match').map((m) => `${m.part?.find((p) => p.name === 'concept')?.valueCoding?.code} ${m.part?.find((p) => p.name === 'equivalence')?.valueCode}`);

describe('result: true only when a match is neither unmatched nor disjoint', () => {
  it('an equivalent target is a translation', () => {
    expect(result(forward('a'))).toBe(true);
    expect(targets(forward('a'))).toEqual(['A equivalent']);
  });

  it('a disjoint or unmatched target is not a translation: result false, no match, and the usual message', () => {
    for (const code of ['b', 'c']) {
      const out = forward(code);
      expect(result(out)).toBe(false);
      expect(targets(out)).toEqual([]);
      expect(out.find((p) => p.name === 'message')?.valueString).toBe('No translations found');
    }
  });

  it('beside a real translation, the disjoint target is left out', () => {
    expect(result(forward('d'))).toBe(true);
    expect(targets(forward('d'))).toEqual(['D2 wider']);
  });

  it('the same holds in reverse', () => {
    const reverse = (code: string) => translate([{ name: 'targetSystem', valueUri: TGT }, { name: 'targetCode', valueCode: code }]);
    expect(result(reverse('B'))).toBe(false);
    expect(targets(reverse('B'))).toEqual([]);
    expect(result(reverse('D2'))).toBe(true);
  });
});

describe('a match carries what the map says of its target', () => {
  it("the target's comment is the match message; each product is a product part (element and concept)", () => {
    const m = forward('e').find((p) => p.name === 'match')!;
    expect(m.part?.find((p) => p.name === 'message')?.valueString).toBe('only for adults');
    expect(m.part?.find((p) => p.name === 'product')?.part).toEqual([
      { name: 'element', valueUri: 'urn:example:element:site' },
      { name: 'concept', valueCoding: { system: 'urn:example:cs:site', code: 'arm' } },
    ]);
  });

  it('a target without them has neither', () => {
    const names = forward('a').find((p) => p.name === 'match')!.part!.map((p) => p.name);
    expect(names).not.toContain('message');
    expect(names).not.toContain('product');
  });
});
