import type { CodeSystem, ValueSet, ParametersParameter } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { ResourceLoader } from '../../src/importers/loader';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { TerminologyError } from '../../src/terminology/issues';

/** A small hierarchical code system in the shape of KSI (chapter → inriktning → aktivitet). */
const ksiLike: CodeSystem = {
  resourceType: 'CodeSystem',
  id: 'ksi-test',
  url: 'https://kodverk.se/fhir/CodeSystem/ksi-test',
  version: '2025',
  name: 'KsiTest',
  status: 'active',
  language: 'sv',
  content: 'complete',
  caseSensitive: true,
  hierarchyMeaning: 'is-a',
  property: [
    { code: 'agerande', uri: 'https://kodverk.se/fhir/ksi#agerande', type: 'code' },
    { code: 'status', uri: 'http://hl7.org/fhir/concept-properties#status', type: 'code' },
    { code: 'notSelectable', uri: 'http://hl7.org/fhir/concept-properties#notSelectable', type: 'boolean' },
  ],
  concept: [
    {
      code: 'SA',
      display: 'Lärande och tillämpning av kunskap',
      property: [{ code: 'notSelectable', valueBoolean: true }],
      concept: [
        {
          code: 'SA1',
          display: 'Lärande',
          concept: [
            { code: 'SA1.AA.ZZ', display: 'Bedömning av lärande', property: [{ code: 'agerande', valueCode: 'AA' }] },
            { code: 'SA1.PH.ZZ', display: 'Färdighetsträning i lärande', property: [{ code: 'agerande', valueCode: 'PH' }] },
          ],
        },
      ],
    },
    { code: 'YAA.05.00', display: 'Hemtjänst', designation: [{ language: 'en', value: 'Home care' }] },
    { code: 'OLD', display: 'Utgången kod', property: [{ code: 'status', valueCode: 'retired' }] },
  ],
};

const phSelection: ValueSet = {
  resourceType: 'ValueSet',
  id: 'ksi-ph',
  url: 'https://kodverk.se/fhir/ValueSet/ksi-ph',
  version: '1',
  status: 'active',
  compose: { include: [{ system: ksiLike.url, filter: [{ property: 'agerande', op: '=', value: 'PH' }] }] },
};

const lärande: ValueSet = {
  resourceType: 'ValueSet',
  id: 'ksi-larande',
  url: 'https://kodverk.se/fhir/ValueSet/ksi-larande',
  version: '1',
  status: 'active',
  compose: { include: [{ system: ksiLike.url, filter: [{ property: 'concept', op: 'is-a', value: 'SA1' }] }] },
};

function param(out: ParametersParameter[], name: string): any {
  const p = out.find((x) => x.name === name);
  return p && (Object.entries(p).find(([k]) => k.startsWith('value'))?.[1] ?? p.resource);
}

/** Runs every check twice: code system held in the store's tables, and sent with the request. */
describe.each([
  ['stored (SQL concept tables)', true],
  ['sent with the request (memory)', false],
])('engine with the code system %s', (_label, stored) => {
  let engine: TerminologyEngine;
  const tx = stored ? [] : [ksiLike];

  beforeAll(() => {
    const db = openDatabase(':memory:');
    const store = new ResourceStore(db);
    new ResourceLoader(db, store).load(stored ? [ksiLike, phSelection, lärande] : [phSelection, lärande]);
    engine = new TerminologyEngine(new StoreResourceSource(store));
  });

  const req = (parameters: ParametersParameter[]) => ({ parameters, txResources: tx });

  it('expands an is-a filter as a hierarchy', () => {
    const vs = engine.expand(req([{ name: 'url', valueUri: lärande.url }]));
    expect(vs.expansion?.total).toBe(3);
    expect(vs.expansion?.contains?.[0].code).toBe('SA1');
    expect(vs.expansion?.contains?.[0].contains?.map((c) => c.code)).toEqual(['SA1.AA.ZZ', 'SA1.PH.ZZ']);
  });

  it('filters on a KSI axis property', () => {
    const vs = engine.expand(req([{ name: 'url', valueUri: phSelection.url }]));
    expect(vs.expansion?.contains?.map((c) => c.code)).toEqual(['SA1.PH.ZZ']);
  });

  it('finds concepts by Swedish text', () => {
    const vs = engine.expand(req([{ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: ksiLike.url }] } } as any }, { name: 'filter', valueString: 'bedömning lär' }]));
    expect(vs.expansion?.contains?.map((c) => c.code)).toEqual(['SA1.AA.ZZ']);
  });

  it('marks inactive and abstract concepts', () => {
    const vs = engine.expand(req([{ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: ksiLike.url }] } } as any }, { name: 'excludeNested', valueBoolean: true }]));
    const byCode = new Map(vs.expansion!.contains!.map((c) => [c.code, c]));
    expect(byCode.get('SA')?.abstract).toBe(true);
    expect(byCode.get('OLD')?.inactive).toBe(true);
    expect(vs.expansion?.total).toBe(6);
  });

  it('validates a code in a value set, with the display', () => {
    const out = engine.validateValueSetCode(req([{ name: 'url', valueUri: lärande.url }, { name: 'system', valueUri: ksiLike.url }, { name: 'code', valueCode: 'SA1.AA.ZZ' }]));
    expect(param(out, 'result')).toBe(true);
    expect(param(out, 'display')).toBe('Bedömning av lärande');
    expect(param(out, 'version')).toBe('2025');
  });

  it('rejects a code outside the value set and says why', () => {
    const out = engine.validateValueSetCode(req([{ name: 'url', valueUri: phSelection.url }, { name: 'system', valueUri: ksiLike.url }, { name: 'code', valueCode: 'SA1.AA.ZZ' }]));
    expect(param(out, 'result')).toBe(false);
    expect(param(out, 'message')).toContain("was not found in the value set 'https://kodverk.se/fhir/ValueSet/ksi-ph|1'");
  });

  it('reports a wrong display as an error and an inactive code as a warning', () => {
    const wrong = engine.validateCodeSystemCode(req([{ name: 'url', valueUri: ksiLike.url }, { name: 'code', valueCode: 'YAA.05.00' }, { name: 'display', valueString: 'Hemtjanst' }]));
    expect(param(wrong, 'result')).toBe(false);
    expect(param(wrong, 'message')).toContain("Wrong Display Name 'Hemtjanst'");
    const old = engine.validateCodeSystemCode(req([{ name: 'url', valueUri: ksiLike.url }, { name: 'code', valueCode: 'OLD' }]));
    expect(param(old, 'result')).toBe(true);
    expect(param(old, 'inactive')).toBe(true);
  });

  it('names the element at fault in issue.expression, never in the deprecated issue.location', () => {
    const wrong = engine.validateCodeSystemCode(req([{ name: 'url', valueUri: ksiLike.url }, { name: 'code', valueCode: 'YAA.05.00' }, { name: 'display', valueString: 'Hemtjanst' }]));
    const issues = (param(wrong, 'issues') as any).issue as any[];
    expect(issues.length).toBeGreaterThan(0);
    for (const i of issues) {
      expect(i.expression).toEqual(['display']);
      expect(i).not.toHaveProperty('location');
    }
  });

  it('looks up parents, children and designations', () => {
    const out = engine.lookup(req([{ name: 'system', valueUri: ksiLike.url }, { name: 'code', valueCode: 'SA1' }]));
    const props = out.filter((p) => p.name === 'property').map((p) => `${p.part![0].valueCode}=${p.part![1].valueCode ?? p.part![1].valueBoolean}`);
    expect(props).toEqual(expect.arrayContaining(['parent=SA', 'child=SA1.AA.ZZ', 'child=SA1.PH.ZZ', 'inactive=false']));
    const en = engine.lookup(req([{ name: 'system', valueUri: ksiLike.url }, { name: 'code', valueCode: 'YAA.05.00' }, { name: 'displayLanguage', valueCode: 'en' }]));
    expect(param(en, 'display')).toBe('Home care');
  });

  it('tests subsumption through the hierarchy', () => {
    const sub = (a: string, b: string) => param(engine.subsumes(req([{ name: 'system', valueUri: ksiLike.url }, { name: 'codeA', valueCode: a }, { name: 'codeB', valueCode: b }])), 'outcome');
    expect(sub('SA', 'SA1.PH.ZZ')).toBe('subsumes');
    expect(sub('SA1.PH.ZZ', 'SA')).toBe('subsumed-by');
    expect(sub('SA1', 'SA1')).toBe('equivalent');
    expect(sub('SA1', 'YAA.05.00')).toBe('not-subsumed');
  });

  it('refuses an unknown code system with a not-found outcome', () => {
    expect(() =>
      engine.expand(req([{ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: 'https://example.org/none' }] } } as any }])),
    ).toThrow(TerminologyError);
  });

  it("refuses 'context' alone (the HTTP layer resolves it: binding-context.ts) as not resolved, and no value set at all as invalid", () => {
    const refusal = (parameters: ParametersParameter[]) => {
      try {
        engine.expand(req(parameters));
      } catch (e) {
        return e instanceof TerminologyError ? [e.httpStatus, e.issues[0].code, e.issues[0].txType] : e;
      }
      return 'expanded';
    };
    expect(refusal([{ name: 'context', valueUri: 'http://example.org/StructureDefinition/x#X.code' }])).toEqual([400, 'not-supported', 'not-supported']);
    expect(refusal([])).toEqual([400, 'invalid', 'invalid-data']);
  });
});

// R4 $subsumes: `version` is "the version of the code system, if one was provided in the source data"
describe('$subsumes tests within one version of the code system', () => {
  const eng = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));
  const v = (version: string, concept: CodeSystem['concept']): CodeSystem => ({ resourceType: 'CodeSystem', url: 'urn:example:sub', version, status: 'active', content: 'complete', hierarchyMeaning: 'is-a', concept });
  // in version 2, b was moved under a; in version 1 they are siblings
  const txResources = [v('1', [{ code: 'a' }, { code: 'b' }]), v('2', [{ code: 'a', concept: [{ code: 'b' }] }])];
  const outcome = (parameters: ParametersParameter[]) => (eng.subsumes({ parameters, txResources }).find((p) => p.name === 'outcome') as any)?.valueCode;
  const codings = (a: object, b: object, extra: ParametersParameter[] = []) => [{ name: 'codingA', valueCoding: { system: 'urn:example:sub', code: 'a', ...a } }, { name: 'codingB', valueCoding: { system: 'urn:example:sub', code: 'b', ...b } }, ...extra];

  it('the version parameter applies to codings that give none; a coding version wins', () => {
    expect(outcome(codings({}, {}))).toBe('subsumes');
    expect(outcome(codings({}, {}, [{ name: 'version', valueString: '1' }]))).toBe('not-subsumed');
    expect(outcome(codings({ version: '2' }, {}, [{ name: 'version', valueString: '1' }]))).toBe('subsumes');
  });

  it('codings of two versions are refused (400), not tested in one of them unsaid', () => {
    let error: unknown;
    try {
      outcome(codings({ version: '1' }, { version: '2' }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TerminologyError);
    expect((error as TerminologyError).httpStatus).toBe(400);
    expect((error as TerminologyError).issues[0].text).toBe("codingA is of version '1' of urn:example:sub and codingB of version '2': subsumption is tested within one version");
  });
});
