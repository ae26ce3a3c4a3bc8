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
  const noMapMatch = (out: ParametersParameter[]) => out.filter((p) => p.name === 'match' && p.part?.some((x) => x.name === 'noMap'));

  it('an equivalent target is a translation', () => {
    expect(result(forward('a'))).toBe(true);
    expect(targets(forward('a'))).toEqual(['A equivalent']);
  });

  it('a disjoint target is what the map says, so it is returned, but it is not a translation: result false, no message', () => {
    const out = forward('b');
    expect(result(out)).toBe(false);
    expect(targets(out)).toEqual(['B disjoint']);
    expect(out.find((p) => p.name === 'message')).toBeUndefined();
  });

  it('an unmatched target without a code (R5 noMap) is reported as a match with noMap and no concept: result false', () => {
    const out = forward('c');
    expect(result(out)).toBe(false);
    expect(noMapMatch(out).map((m) => m.part)).toEqual([[
      { name: 'noMap', valueBoolean: true },
      { name: 'originMap', valueCanonical: 'urn:example:cm:from-to|1' },
    ]]);
  });

  it('beside a real translation, the disjoint target is reported too, and result is true', () => {
    expect(result(forward('d'))).toBe(true);
    expect(targets(forward('d'))).toEqual(['D1 disjoint', 'D2 wider']);
  });

  it('the same holds in reverse', () => {
    const reverse = (code: string) => translate([{ name: 'targetSystem', valueUri: TGT }, { name: 'targetCode', valueCode: code }]);
    expect(result(reverse('B'))).toBe(false);
    expect(targets(reverse('B'))).toEqual(['B disjoint']);
    expect(result(reverse('D2'))).toBe(true);
  });

  it('a code the map has nothing for: no match, "No translations found"; no map between the systems: a message naming them', () => {
    const none = forward('zz');
    expect(result(none)).toBe(false);
    expect(none.find((p) => p.name === 'message')?.valueString).toBe('No translations found');
    const nowhere = translate([{ name: 'system', valueUri: TGT }, { name: 'code', valueCode: 'A' }, { name: 'targetsystem', valueUri: SRC }]);
    expect(result(nowhere)).toBe(false);
    expect(nowhere.find((p) => p.name === 'message')?.valueString).toBe(`No ConceptMap is available to translate from '${TGT}' to '${SRC}'`);
    // R4 reverse swaps the roles: the concept named is a target, the other system the source
    const back = translate([{ name: 'system', valueUri: SRC }, { name: 'code', valueCode: 'a' }, { name: 'reverse', valueBoolean: true }, { name: 'targetsystem', valueUri: TGT }]);
    expect(back.find((p) => p.name === 'message')?.valueString).toBe(`No ConceptMap is available to translate from '${TGT}' to '${SRC}'`);
  });
});

describe('group.unmapped: the relationship is the one the map states, never assumed equivalent', () => {
  const withUnmapped = (unmapped: any): ConceptMap => ({
    ...{ resourceType: 'ConceptMap', url: 'urn:example:cm:fallback', version: '1', status: 'active' },
    group: [{ source: SRC, target: TGT, element: [{ code: 'a', target: [{ code: 'A', equivalence: 'equivalent' }] }], unmapped }],
  });
  const run = (cm: ConceptMap, code = 'q') => engine.translate({ parameters: [{ name: 'system', valueUri: SRC }, { name: 'code', valueCode: code }], txResources: [cm] });
  const parts = (out: ParametersParameter[]) => out.find((p) => p.name === 'match')!.part!;

  it('a fixed code the map does not qualify is related to the source (relatedto), with its display; no R5 relationship part on R4', () => {
    const out = run(withUnmapped({ mode: 'fixed', code: 'F', display: 'Fallback' }));
    expect(result(out)).toBe(true);
    expect(parts(out)).toEqual([
      { name: 'equivalence', valueCode: 'relatedto' },
      { name: 'concept', valueCoding: { system: TGT, code: 'F', display: 'Fallback' } },
      { name: 'originMap', valueCanonical: 'urn:example:cm:fallback|1' },
    ]);
  });

  it('a relationship stated by the R5 cross-version extension is used', () => {
    const ext = [{ url: 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ConceptMap.group.unmapped.relationship', valueCode: 'source-is-narrower-than-target' }];
    expect(targets(run(withUnmapped({ mode: 'fixed', code: 'F', extension: ext })))).toEqual(['F wider']);
  });

  it('the code as provided stays "equal"; a code with an element never falls back', () => {
    expect(targets(run(withUnmapped({ mode: 'provided' })))).toEqual(['q equal']);
    expect(targets(run(withUnmapped({ mode: 'fixed', code: 'F' }), 'a'))).toEqual(['A equivalent']);
  });
});

describe('several maps: each concept said once, a deferring map consulted before the one it defers to', () => {
  const A = 'urn:example:cs:many-a';
  const B = 'urn:example:cs:many-b';
  const map = (url: string, date: string, group: any): ConceptMap => ({ resourceType: 'ConceptMap', url, version: '1', status: 'active', date, group: [{ source: A, target: B, ...group }] });
  const run = (maps: ConceptMap[], code: string) => engine.translate({ parameters: [{ name: 'system', valueUri: A }, { name: 'code', valueCode: code }, { name: 'targetSystem', valueUri: B }], txResources: maps });
  const origins = (out: ParametersParameter[]) =>
    out.filter((p) => p.name === 'match').map((m) => `${m.part!.find((p) => p.name === 'concept')!.valueCoding!.code}@${m.part!.find((p) => p.name === 'originMap')!.valueCanonical}`);

  it('a later map reaching the same concept adds nothing; the newest map answers first', () => {
    const older = map('urn:example:cm:older', '2020-01-01', { element: [{ code: 'x', target: [{ code: 'X', equivalence: 'equivalent' }] }] });
    const newer = map('urn:example:cm:newer', '2024-01-01', { element: [{ code: 'x', target: [{ code: 'X', equivalence: 'wider' }, { code: 'Y', equivalence: 'narrower' }] }] });
    expect(origins(run([older, newer], 'x'))).toEqual(['X@urn:example:cm:newer|1', 'Y@urn:example:cm:newer|1']);
  });

  it('a map deferring through other-map answers in its own name, before the map it defers to', () => {
    const last = map('urn:example:cm:last', '2020-01-01', { element: [], unmapped: { mode: 'fixed', code: 'Z' } });
    const first = map('urn:example:cm:first-of-two', '2019-01-01', { element: [], unmapped: { mode: 'other-map', url: 'urn:example:cm:last' } });
    const out = run([last, first], 'q');
    expect(origins(out)).toEqual(['Z@urn:example:cm:first-of-two|1']);
    expect(out.filter((p) => p.name === 'used-conceptmap')).toEqual([{ name: 'used-conceptmap', valueUri: 'urn:example:cm:last|1' }]);
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
    expect(targets(fwd('in2'))).toEqual(['FALLBACK relatedto']);
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

  // R5 $translate: targetScope "limits the scope of the $translate operation to target codes that are
  // members of this value set" (R4 names it target), sourceScope likewise for source codes
  it('the targetScope parameter limits the answers to its codes; in reverse sourceScope does, and targetScope the code asked', () => {
    const { sourceUri: _s, targetUri: _t, ...unscoped } = scoped as any;
    const twoTargets = { ...unscoped, group: [{ source: CS, target: TGT, element: [{ code: 'in1', target: [{ code: 'X', equivalence: 'equivalent' }, { code: 'Y', equivalence: 'wider' }] }, { code: 'in2', target: [{ code: 'Y', equivalence: 'equivalent' }] }] }] };
    const resources = [codeSystem, targetSystem, scope, targetScope, twoTargets];
    const ask = (extra: ParametersParameter[], code = 'in1') => run([{ name: 'system', valueUri: CS }, { name: 'code', valueCode: code }, ...extra], resources);
    expect(targets(ask([]))).toEqual(['X equivalent', 'Y wider']);
    for (const name of ['targetScope', 'target']) expect(targets(ask([{ name, valueUri: 'urn:example:vs:tscope' }]))).toEqual(['X equivalent']);
    const none = ask([{ name: 'targetScope', valueUri: 'urn:example:vs:tscope' }], 'in2');
    expect(result(none)).toBe(false);
    expect(message(none)).toBe("No translations found in the value set 'urn:example:vs:tscope' (the targetScope parameter): the one the maps give is outside it");
    expect(() => ask([{ name: 'targetScope', valueUri: 'urn:example:vs:nowhere' }])).toThrow(/The value set 'urn:example:vs:nowhere', which is the targetScope parameter, could not be found/);
    // reverse: Y is reached from in1 and in2; sourceScope keeps the sources in it
    const rev = (extra: ParametersParameter[], code = 'Y') => run([{ name: 'targetSystem', valueUri: TGT }, { name: 'targetCode', valueCode: code }, ...extra], resources);
    const sources = (out: ParametersParameter[]) => out.filter((p) => p.name === 'match').map((m) => m.part!.find((p) => p.name === 'source')!.valueCoding!.code);
    expect(sources(rev([]))).toEqual(['in1', 'in2']);
    const onlyIn1 = { resourceType: 'ValueSet', url: 'urn:example:vs:in1', status: 'active', compose: { include: [{ system: CS, concept: [{ code: 'in1' }] }] } };
    expect(sources(run([{ name: 'targetSystem', valueUri: TGT }, { name: 'targetCode', valueCode: 'Y' }, { name: 'sourceScope', valueUri: onlyIn1.url }], [...resources, onlyIn1]))).toEqual(['in1']);
    const outside = rev([{ name: 'targetScope', valueUri: 'urn:example:vs:tscope' }]);
    expect(result(outside)).toBe(false);
    expect(message(outside)).toBe(`'${TGT}#Y' is not in the value set 'urn:example:vs:tscope', so no ConceptMap can translate it`);
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

describe('dependsOn: a mapping that holds only when another element has a value (R4 ConceptMap.group.element.target.dependsOn)', () => {
  const SITE = 'urn:example:element:site';
  const SITES = 'urn:example:cs:site';
  const conditional: ConceptMap = {
    ...{ resourceType: 'ConceptMap', url: 'urn:example:cm:conditional', version: '1', status: 'active' },
    group: [
      {
        source: SRC,
        target: TGT,
        element: [
          {
            code: 'pain',
            target: [
              { code: 'ARM-PAIN', equivalence: 'equivalent', dependsOn: [{ property: SITE, system: SITES, value: 'arm' }] },
              { code: 'LEG-PAIN', equivalence: 'equivalent', dependsOn: [{ property: SITE, system: SITES, value: 'leg' }] },
              { code: 'PAIN', equivalence: 'wider' },
            ],
          },
          { code: 'only-arm', target: [{ code: 'ARM', equivalence: 'equivalent', dependsOn: [{ property: SITE, value: 'arm' }] }] },
        ],
      },
    ],
  };
  const dependency = (value: ParametersParameter) => ({ name: 'dependency', part: [{ name: 'element', valueUri: SITE }, value] });
  const run = (code: string, extra: ParametersParameter[] = [], reverse = false) =>
    engine.translate({
      parameters: reverse
        ? [{ name: 'targetSystem', valueUri: TGT }, { name: 'targetCode', valueCode: code }, ...extra]
        : [{ name: 'system', valueUri: SRC }, { name: 'code', valueCode: code }, ...extra],
      txResources: [conditional],
    });

  it('without the dependency only the unconditional target is a match', () => {
    expect(targets(run('pain'))).toEqual(['PAIN wider']);
  });

  it('a dependency with the value (as a CodeableConcept, in the system named) adds the mapping that needs it, and only that one', () => {
    const arm = dependency({ name: 'concept', valueCodeableConcept: { coding: [{ system: SITES, code: 'arm' }] } });
    expect(targets(run('pain', [arm]))).toEqual(['ARM-PAIN equivalent', 'PAIN wider']);
  });

  it('a value in another system, or for another element, does not meet it', () => {
    const otherSystem = dependency({ name: 'concept', valueCodeableConcept: { coding: [{ system: 'urn:example:cs:other', code: 'arm' }] } });
    expect(targets(run('pain', [otherSystem]))).toEqual(['PAIN wider']);
    const otherElement = { name: 'dependency', part: [{ name: 'element', valueUri: 'urn:example:element:side' }, { name: 'concept', valueCodeableConcept: { coding: [{ system: SITES, code: 'arm' }] } }] };
    expect(targets(run('pain', [otherElement]))).toEqual(['PAIN wider']);
  });

  it('R5 spellings are accepted: attribute and a Coding or plain value', () => {
    const r5 = { name: 'dependency', part: [{ name: 'attribute', valueUri: SITE }, { name: 'value', valueCoding: { system: SITES, code: 'leg' } }] };
    expect(targets(run('pain', [r5]))).toEqual(['LEG-PAIN equivalent', 'PAIN wider']);
    const plain = { name: 'dependency', part: [{ name: 'attribute', valueUri: SITE }, { name: 'value', valueCode: 'arm' }] };
    expect(targets(run('only-arm', [plain]))).toEqual(['ARM equivalent']);
  });

  it('when only conditional mappings exist and none holds: result false, and the message says which dependency is needed', () => {
    const out = run('only-arm');
    expect(result(out)).toBe(false);
    expect(out.find((p) => p.name === 'message')?.valueString).toBe(
      `No translations found. The mapping of '${SRC}#only-arm' to '${TGT}#ARM' holds only when '${SITE}' = 'arm', and no dependency was given`,
    );
  });

  it('the same condition applies in reverse', () => {
    expect(targets(run('ARM-PAIN', [], true))).toEqual([]);
    const arm = dependency({ name: 'concept', valueCodeableConcept: { coding: [{ system: SITES, code: 'arm' }] } });
    expect(result(run('ARM-PAIN', [arm], true))).toBe(true);
  });

  it('when no mapping of the code holds, group.unmapped gives the default; when one holds, it does not', () => {
    const withDefault: ConceptMap = { ...conditional, url: 'urn:example:cm:conditional-default', group: [{ ...conditional.group![0], unmapped: { mode: 'fixed', code: 'UNSPECIFIED' } }] };
    const run2 = (extra: ParametersParameter[]) =>
      engine.translate({ parameters: [{ name: 'system', valueUri: SRC }, { name: 'code', valueCode: 'only-arm' }, ...extra], txResources: [withDefault] });
    expect(targets(run2([]))).toEqual(['UNSPECIFIED relatedto']);
    expect(targets(run2([dependency({ name: 'concept', valueCodeableConcept: { coding: [{ code: 'arm' }] } })]))).toEqual(['ARM equivalent']);
  });

  it('a dependency without its parts (as a query string sends it) is refused, not ignored', () => {
    expect(() => run('pain', [{ name: 'dependency', valueString: 'arm' }])).toThrow(/A dependency needs an element/);
  });
});

// R4 $translate: `version` is "the version of the system, if one was provided in the source data";
// a group that states its source version maps that version's codes
describe('the version of the code asked about', () => {
  const versioned: ConceptMap = { ...MAP, url: 'urn:example:cm:versioned', group: [{ ...MAP.group![0], sourceVersion: '1' }] };
  const ask = (version?: string) =>
    engine.translate({ parameters: [{ name: 'system', valueUri: SRC }, { name: 'code', valueCode: 'a' }, ...(version ? [{ name: 'version', valueString: version }] : [])], txResources: [versioned] });

  it('is translated by a group of that version, or of none, and not by a group of another', () => {
    expect(targets(ask('1'))).toEqual(['A equivalent']);
    expect(targets(ask())).toEqual(['A equivalent']);
    const other = ask('7');
    expect(result(other)).toBe(false);
    expect(targets(other)).toEqual([]);
    const coding = engine.translate({ parameters: [{ name: 'coding', valueCoding: { system: SRC, version: '7', code: 'a' } }], txResources: [versioned] });
    expect(result(coding)).toBe(false);
  });
});

// R4 $translate codeableConcept: "The server can translate any of the coding values"
describe('a CodeableConcept', () => {
  const cc = (...codings: { system: string; code: string }[]) => translate([{ name: 'codeableConcept', valueCodeableConcept: { coding: codings } }]);

  it('is translated by any of its codings: a first coding no map knows does not hide the second', () => {
    const out = cc({ system: 'urn:example:cs:elsewhere', code: 'x' }, { system: SRC, code: 'a' });
    expect(result(out)).toBe(true);
    expect(targets(out)).toEqual(['A equivalent']);
    expect(out.find((p) => p.name === 'message')).toBeUndefined();
  });

  it('gives the matches of each coding once, and the first message when none translates', () => {
    expect(targets(cc({ system: SRC, code: 'a' }, { system: SRC, code: 'd' }, { system: SRC, code: 'a' }))).toEqual(['A equivalent', 'D1 disjoint', 'D2 wider']);
    const none = cc({ system: 'urn:example:cs:elsewhere', code: 'x' }, { system: SRC, code: 'zz' });
    expect(result(none)).toBe(false);
    expect(none.find((p) => p.name === 'message')?.valueString).toBe("No ConceptMap is available to translate from 'urn:example:cs:elsewhere' to '(unspecified)'");
  });
});
