import fc from 'fast-check';
import type { CodeSystem, ParametersParameter, ValueSet, ValueSetComposeInclude } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { TerminologyError } from '../../src/terminology/issues';

/**
 * $compare from the rule: value sets are related by their definitions where that decides it
 * (same includes in any order, concept lists as sets, is-a subtrees by subsumption), and by
 * their expansions otherwise (imports, excludes, filters against lists, different versions);
 * `performed-expansion` says which. Code lists name what is shared and what differs.
 */
const SYS = 'urn:example:tree';
function tree(version: string, extra: string[] = []): CodeSystem {
  const leaf = (code: string) => ({ code, display: `Code ${code}` });
  return {
    resourceType: 'CodeSystem',
    url: SYS,
    version,
    status: 'active',
    content: 'complete',
    hierarchyMeaning: 'is-a',
    concept: [
      { code: 'root', display: 'Root', concept: [
        { code: 'A', display: 'A', concept: ['A1', 'A2', ...extra.filter((e) => e.startsWith('A'))].map(leaf) },
        { code: 'B', display: 'B', concept: ['B1', 'B2'].map(leaf) },
      ] },
    ],
  };
}
const FLAT: CodeSystem = { resourceType: 'CodeSystem', url: 'urn:example:flat', version: '1', status: 'active', content: 'complete', concept: ['x', 'y', 'z'].map((code) => ({ code })) };

function vs(name: string, include: ValueSetComposeInclude[], exclude?: ValueSetComposeInclude[]): ValueSet {
  return { resourceType: 'ValueSet', url: `urn:example:vs:${name}`, version: '1', status: 'active', compose: { include, ...(exclude ? { exclude } : {}) } };
}
const isa = (value: string, version?: string): ValueSetComposeInclude => ({ system: SYS, ...(version ? { version } : {}), filter: [{ property: 'concept', op: 'is-a', value }] });
const codes = (...c: string[]): ValueSetComposeInclude => ({ system: SYS, concept: c.map((code) => ({ code })) });

describe('ValueSet $compare', () => {
  let engine: TerminologyEngine;
  beforeAll(() => {
    const db = openDatabase(':memory:');
    engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(db)));
  });
  const compare = (a: ValueSet, b: ValueSet, extra: ParametersParameter[] = []) => {
    const out = engine.compare({
      parameters: [{ name: 'thisValueSet', resource: a }, { name: 'otherValueSet', resource: b }, ...extra],
      txResources: [tree('1'), tree('2', ['A3']), FLAT],
    });
    const v = (n: string) => out.find((p) => p.name === n);
    const list = (n: string) => v(n)?.valueString?.split(',') ?? [];
    return { result: v('result')?.valueCode, expanded: v('performed-expansion')?.valueBoolean, common: list('common-codes'), extra: list('extra-codes'), missing: list('missing-codes'), message: v('message')?.valueString };
  };

  it('the same definition, written in a different order, is the same value set without expanding', () => {
    const r = compare(vs('a', [isa('A'), codes('B1', 'B2')]), vs('b', [codes('B2', 'B1'), isa('A')]));
    expect(r).toMatchObject({ result: 'same', expanded: false });
  });

  it('concept lists compare as sets and name the shared and differing codes', () => {
    expect(compare(vs('a', [codes('A1', 'A2', 'B1')]), vs('b', [codes('B1', 'A2', 'A1')]))).toMatchObject({ result: 'same', expanded: false, common: ['A1', 'A2', 'B1'] });
    expect(compare(vs('a', [codes('A', 'A1', 'B1')]), vs('b', [codes('A1', 'B1', 'B2')]))).toMatchObject({ result: 'overlapping', common: ['A1', 'B1'], missing: ['A'], extra: ['B2'] });
    expect(compare(vs('a', [codes('A1')]), vs('b', [codes('B1')]))).toMatchObject({ result: 'disjoint', missing: ['A1'], extra: ['B1'] });
  });

  it('is-a subtrees relate by subsumption of their roots, without expanding', () => {
    expect(compare(vs('a', [isa('A')]), vs('b', [isa('root')]))).toMatchObject({ result: 'subset', expanded: false });
    expect(compare(vs('a', [isa('root')]), vs('b', [isa('A')]))).toMatchObject({ result: 'superset', expanded: false });
    expect(compare(vs('a', [isa('A')]), vs('b', [isa('B')]))).toMatchObject({ result: 'disjoint', expanded: false });
  });

  it('value sets spanning several code systems name the shared and differing codes of every system', () => {
    const flat = (...c: string[]): ValueSetComposeInclude => ({ system: 'urn:example:flat', concept: c.map((code) => ({ code })) });
    const r = compare(vs('a', [codes('A1', 'A2'), flat('x', 'y')]), vs('b', [codes('A2', 'B1'), flat('y', 'z')]));
    expect(r).toMatchObject({ result: 'overlapping', expanded: false, common: ['A2', 'y'], missing: ['A1', 'x'], extra: ['B1', 'z'] });
  });

  it('a whole code system holds every part of it; different systems share nothing', () => {
    expect(compare(vs('a', [{ system: SYS }]), vs('b', [isa('A')]))).toMatchObject({ result: 'superset', expanded: false });
    expect(compare(vs('a', [isa('A')]), vs('b', [{ system: 'urn:example:flat' }]))).toMatchObject({ result: 'disjoint', expanded: false });
  });

  it('filters against lists, imports and excludes are decided by expanding both', () => {
    expect(compare(vs('a', [isa('A', '1')]), vs('b', [{ ...codes('A', 'A1', 'A2'), version: '1' }]))).toMatchObject({ result: 'same', expanded: true, common: [] });
    expect(compare(vs('a', [codes('A1')]), vs('b', [isa('A', '1')]))).toMatchObject({ result: 'subset', expanded: true, common: ['A1'], extra: ['A', 'A2'] });
    expect(compare(vs('a', [{ system: SYS, version: '1' }], [{ ...codes('B', 'B1', 'B2'), version: '1' }]), vs('b', [isa('root', '1')], [isa('B', '1')]))).toMatchObject({ result: 'same', expanded: true });
    const child = vs('child', [isa('A', '1')]);
    const out = engine.compare({ parameters: [{ name: 'thisValueSet', resource: vs('imp', [{ valueSet: [child.url!] }]) }, { name: 'otherValueSet', resource: vs('inline', [isa('A', '1')]) }], txResources: [tree('1'), child] });
    expect(out.find((p) => p.name === 'result')?.valueCode).toBe('same');
    expect(out.find((p) => p.name === 'performed-expansion')?.valueBoolean).toBe(true);
  });

  it('value sets bound to different code-system versions compare what those versions hold', () => {
    expect(compare(vs('a', [isa('A', '1')]), vs('b', [isa('A', '2')]))).toMatchObject({ result: 'subset', expanded: true, extra: ['A3'] });
    // an unversioned include means the latest version
    expect(compare(vs('a', [isa('A')]), vs('b', [isa('A', '1')]))).toMatchObject({ result: 'superset', expanded: true, missing: ['A3'] });
  });

  it('two empty value sets are empty; an unknown code system leaves the relation indeterminate', () => {
    expect(compare(vs('a', [{ system: SYS, version: '1', filter: [{ property: 'code', op: 'regex', value: 'nothing' }] }]), vs('b', [{ system: SYS, version: '1', filter: [{ property: 'code', op: 'regex', value: 'none' }] }]))).toMatchObject({ result: 'empty', expanded: true });
    const r = compare(vs('a', [{ system: 'urn:example:unknown', filter: [{ property: 'concept', op: 'is-a', value: 'x' }] }]), vs('b', [{ system: 'urn:example:unknown', concept: [{ code: 'x' }] }]));
    expect(r).toMatchObject({ result: 'indeterminate', expanded: true });
  });

  it('a side whose expansion is too costly leaves the relation indeterminate, saying which value set and the limit', () => {
    // the server assembles at most 5 codes: is-a root (7 codes) cannot be expanded, the list of two can
    const small = new TerminologyEngine(engine.source, { maxExpansionCodes: 5, maxAssembledCodes: 5 });
    const a = vs('big', [{ system: SYS, version: '1', filter: [{ property: 'concept', op: 'is-a', value: 'root' }, { property: 'code', op: 'regex', value: '.*' }] }]);
    const out = small.compare({ parameters: [{ name: 'thisValueSet', resource: a }, { name: 'otherValueSet', resource: vs('small', [{ ...codes('A1', 'B1'), version: '1' }]) }], txResources: [tree('1')] });
    expect(out.find((p) => p.name === 'result')?.valueCode).toBe('indeterminate');
    expect(out.find((p) => p.name === 'performed-expansion')?.valueBoolean).toBe(true);
    expect(out.find((p) => p.name === 'message')?.valueString).toBe(
      "Unable to compare urn:example:vs:big|1 and urn:example:vs:small|1: This expansion failed: The value set 'urn:example:vs:big' expansion has too many codes to produce (>5)",
    );
    expect(out.some((p) => p.name.endsWith('-codes'))).toBe(false);
  });

  it('whatever decides it, the answer is how the two expansions relate (random definitions)', () => {
    const tx = [tree('1'), FLAT];
    const TREE = ['root', 'A', 'A1', 'A2', 'B', 'B1', 'B2'];
    const entry = fc.oneof(
      fc.constant<ValueSetComposeInclude>({ system: SYS }),
      fc.subarray(TREE, { minLength: 1 }).map((c) => codes(...c)),
      fc.tuple(fc.constantFrom('is-a', 'descendent-of'), fc.constantFrom(...TREE)).map(([op, value]) => ({ system: SYS, filter: [{ property: 'concept', op, value }] }) as ValueSetComposeInclude),
      fc.constant<ValueSetComposeInclude>({ system: FLAT.url }),
      fc.subarray(['x', 'y', 'z'], { minLength: 1 }).map((c) => ({ system: FLAT.url, concept: c.map((code) => ({ code })) })),
    );
    const side = fc.record({ include: fc.array(entry, { minLength: 1, maxLength: 3 }), exclude: fc.array(entry, { maxLength: 1 }) });
    const members = (v: ValueSet) => {
      const out = new Set<string>();
      const walk = (l: NonNullable<NonNullable<ValueSet['expansion']>['contains']> = []) => l.forEach((c) => (out.add(`${c.system}#${c.code}`), walk(c.contains)));
      walk(engine.expand({ parameters: [{ name: 'valueSet', resource: v }], txResources: tx }).expansion!.contains);
      return out;
    };
    const relation = (a: Set<string>, b: Set<string>) => {
      if (!a.size && !b.size) return 'empty';
      const common = [...a].filter((x) => b.has(x)).length;
      if (common === a.size && common === b.size) return 'same';
      if (common === a.size) return 'subset';
      if (common === b.size) return 'superset';
      return common ? 'overlapping' : 'disjoint';
    };
    fc.assert(
      fc.property(side, side, (x, y) => {
        const a = vs('a', x.include, x.exclude.length ? x.exclude : undefined);
        const b = vs('b', y.include, y.exclude.length ? y.exclude : undefined);
        const want = relation(members(a), members(b));
        const out = engine.compare({ parameters: [{ name: 'thisValueSet', resource: a }, { name: 'otherValueSet', resource: b }], txResources: tx });
        expect({ a: a.compose, b: b.compose, result: out.find((p) => p.name === 'result')?.valueCode }).toEqual({ a: a.compose, b: b.compose, result: want });
      }),
      { numRuns: 400, seed: 20261206 },
    );
  });

  it('names the value sets by url|version and finds them by thisUrl/otherUrl', () => {
    const a = vs('a', [codes('A1')]);
    const out = engine.compare({ parameters: [{ name: 'thisUrl', valueUri: a.url }, { name: 'otherUrl', valueUri: a.url }], txResources: [tree('1'), a] });
    expect(out.find((p) => p.name === 'result')?.valueCode).toBe('same');
    expect(() => engine.compare({ parameters: [{ name: 'thisUrl', valueUri: a.url }], txResources: [a] })).toThrow(TerminologyError);
    expect(() => engine.compare({ parameters: [{ name: 'thisUrl', valueUri: 'urn:example:vs:none' }, { name: 'otherUrl', valueUri: a.url }], txResources: [a] })).toThrow(TerminologyError);
  });
});
