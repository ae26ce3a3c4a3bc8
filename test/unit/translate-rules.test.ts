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

describe('ConceptMap.source[x] (R5 sourceScope) limits the map to the codes of that value set', () => {
  const CS = 'urn:example:cs:scoped';
  const codeSystem = {
    resourceType: 'CodeSystem', url: CS, version: '1', status: 'active', content: 'complete',
    concept: [{ code: 'in1' }, { code: 'in2' }, { code: 'out' }],
  };
  const targetSystem = { resourceType: 'CodeSystem', url: TGT, status: 'active', content: 'complete', concept: [{ code: 'X' }, { code: 'Y' }, { code: 'FALLBACK' }] };
  const scope = { resourceType: 'ValueSet', url: 'urn:example:vs:scope', status: 'active', compose: { include: [{ system: CS, concept: [{ code: 'in1' }, { code: 'in2' }] }] } };
  const targetScope = { resourceType: 'ValueSet', url: 'urn:example:vs:tscope', status: 'active', compose: { include: [{ system: TGT, concept: [{ code: 'X' }] }] } };
  const scoped: ConceptMap = {
    ...{ resourceType: 'ConceptMap', url: 'urn:example:cm:scoped', version: '1', status: 'active' },
    sourceUri: 'urn:example:vs:scope',
    targetUri: 'urn:example:vs:tscope',
    group: [
      {
        source: CS,
        target: TGT,
        element: [
          { code: 'in1', target: [{ code: 'X', equivalence: 'equivalent' }] },
          { code: 'out', target: [{ code: 'Y', equivalence: 'equivalent' }] },
        ],
        unmapped: { mode: 'fixed', code: 'FALLBACK' },
      },
    ],
  };
  const run = (params: ParametersParameter[], resources: any[] = [codeSystem, targetSystem, scope, targetScope, scoped]) => engine.translate({ parameters: params, txResources: resources });
  const fwd = (code: string, extra: ParametersParameter[] = []) => run([{ name: 'system', valueUri: CS }, { name: 'code', valueCode: code }, ...extra]);
  const message = (out: ParametersParameter[]) => out.find((p) => p.name === 'message')?.valueString;

  it('a code in the scope is translated by its element, or else by the group unmapped rule', () => {
    expect(targets(fwd('in1'))).toEqual(['X equivalent']);
    expect(targets(fwd('in2'))).toEqual(['FALLBACK equivalent']);
  });

  it('a code outside the scope gets nothing from the map, not even its element or the unmapped rule: result false, a message naming the code', () => {
    for (const out of [fwd('out'), fwd('out', [{ name: 'url', valueUri: 'urn:example:cm:scoped' }]), fwd('out', [{ name: 'targetSystem', valueUri: TGT }])]) {
      expect(result(out)).toBe(false);
      expect(targets(out)).toEqual([]);
      expect(message(out)).toContain(`'${CS}#out'`);
      expect(message(out)).toContain('in scope');
    }
  });

  it('in reverse the target scope governs: a target concept outside it is not looked up', () => {
    const rev = (code: string) => run([{ name: 'targetSystem', valueUri: TGT }, { name: 'targetCode', valueCode: code }]);
    expect(result(rev('X'))).toBe(true);
    const out = rev('Y');
    expect(result(out)).toBe(false);
    expect(message(out)).toContain(`'${TGT}#Y'`);
  });

  it('a scope value set that cannot be found: an error for a map the client named, ignored for a map the server picked', () => {
    const resources = [codeSystem, scoped];
    expect(() => run([{ name: 'system', valueUri: CS }, { name: 'code', valueCode: 'out' }, { name: 'url', valueUri: 'urn:example:cm:scoped' }], resources)).toThrow(
      /The value set 'urn:example:vs:scope', which is the source scope of the ConceptMap 'urn:example:cm:scoped', could not be found/,
    );
    expect(targets(run([{ name: 'system', valueUri: CS }, { name: 'code', valueCode: 'out' }], resources))).toEqual(['Y equivalent']);
  });

  it('the sourceScope parameter limits the operation to its codes: a code outside it has no translation, from any map', () => {
    const { sourceUri: _s, targetUri: _t, ...unscoped } = scoped as any;
    const resources = [codeSystem, targetSystem, scope, unscoped];
    const ask = (code: string, param = 'sourceScope') => run([{ name: 'system', valueUri: CS }, { name: 'code', valueCode: code }, { name: param, valueUri: 'urn:example:vs:scope' }], resources);
    expect(targets(ask('in1'))).toEqual(['X equivalent']);
    for (const out of [ask('out'), ask('out', 'source')]) {
      expect(result(out)).toBe(false);
      expect(targets(out)).toEqual([]);
      expect(message(out)).toBe(`'${CS}#out' is not in the value set 'urn:example:vs:scope', so no ConceptMap can translate it`);
    }
    expect(() => run([{ name: 'system', valueUri: CS }, { name: 'code', valueCode: 'in1' }, { name: 'sourceScope', valueUri: 'urn:example:vs:nowhere' }], resources)).toThrow(
      /The value set 'urn:example:vs:nowhere', which is the sourceScope parameter, could not be found/,
    );
  });

  it('a map without a scope is not limited', () => {
    const { sourceUri: _s, targetUri: _t, ...unscoped } = scoped as any;
    expect(targets(run([{ name: 'system', valueUri: CS }, { name: 'code', valueCode: 'out' }], [codeSystem, unscoped]))).toEqual(['Y equivalent']);
  });
});

describe("group.unmapped mode other-map hands a code the group has no element for to the map it names", () => {
  const A = 'urn:example:cs:a';
  const B = 'urn:example:cs:b';
  const first: ConceptMap = {
    ...{ resourceType: 'ConceptMap', url: 'urn:example:cm:first', version: '1', status: 'active' },
    group: [{ source: A, target: B, element: [{ code: 'a1', target: [{ code: 'B1', equivalence: 'equivalent' }] }], unmapped: { mode: 'other-map', url: 'urn:example:cm:second' } }],
  };
  const second: ConceptMap = {
    ...{ resourceType: 'ConceptMap', url: 'urn:example:cm:second', version: '2', status: 'active' },
    group: [{ source: A, target: B, element: [{ code: 'a2', target: [{ code: 'B2', equivalence: 'wider' }] }] }],
  };
  const run = (code: string, maps: ConceptMap[]) =>
    engine.translate({ parameters: [{ name: 'system', valueUri: A }, { name: 'code', valueCode: code }, { name: 'url', valueUri: 'urn:example:cm:first' }], txResources: maps });

  it('the code the first map has is translated by it; another is translated by the other map, reported as used, with originMap the map asked for', () => {
    expect(targets(run('a1', [first, second]))).toEqual(['B1 equivalent']);
    const out = run('a2', [first, second]);
    expect(result(out)).toBe(true);
    expect(targets(out)).toEqual(['B2 wider']);
    expect(out.find((p) => p.name === 'match')!.part!.find((p) => p.name === 'originMap')?.valueCanonical).toBe('urn:example:cm:first|1');
    expect(out.filter((p) => p.name === 'used-conceptmap')).toEqual([{ name: 'used-conceptmap', valueUri: 'urn:example:cm:second|2' }]);
    expect(result(run('a3', [first, second]))).toBe(false);
  });

  it('a missing other map, or a circle of maps, is an error', () => {
    expect(() => run('a2', [first])).toThrow(/The ConceptMap urn:example:cm:second named in group.unmapped of the ConceptMap urn:example:cm:first\|1 was not found/);
    const back: ConceptMap = { ...second, group: [{ ...second.group![0], unmapped: { mode: 'other-map', url: 'urn:example:cm:first' } }] };
    expect(() => run('a3', [first, back])).toThrow(/circular group.unmapped reference to urn:example:cm:first\|1/);
  });
});
