import path from 'node:path';
import type { CodeSystem, ParametersParameter, ValueSet } from 'fhir/r4';
import { ResourceStore } from '../../src/store/resource-store';
import { ResourceLoader } from '../../src/importers/loader';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { TerminologyError } from '../../src/terminology/issues';
import { ICF_URL } from '../../src/terminology/providers/icf';
import { openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

afterAll(removeTempStores);

/**
 * ICF qualifiers (bedömningsfaktorer) on a small ICF in the shape the importer writes: one
 * category per component, with its chapter (and a block for d). The rules themselves do not
 * depend on Socialstyrelsen's files, so this runs without ../shared/data.
 */
const category = (code: string, display: string, concept?: CodeSystem['concept']) => ({ code, display, property: [{ code: 'kodniva', valueCode: 'kategori' }], concept });
const icf: CodeSystem = {
  resourceType: 'CodeSystem',
  id: 'icf-test',
  url: ICF_URL,
  version: '2025',
  name: 'ICF',
  status: 'active',
  language: 'sv',
  content: 'complete',
  caseSensitive: true,
  hierarchyMeaning: 'is-a',
  property: [
    { code: 'kodniva', type: 'code' },
    { code: 'status', uri: 'http://hl7.org/fhir/concept-properties#status', type: 'code' },
    { code: 'notSelectable', uri: 'http://hl7.org/fhir/concept-properties#notSelectable', type: 'boolean' },
  ],
  concept: [
    { code: 'b', display: 'KROPPSFUNKTIONER', concept: [{ code: 'b1', display: 'Psykiska funktioner', concept: [category('b130', 'Energi och driftfunktioner', [category('b1300', 'Funktioner för energinivå')])] }] },
    {
      code: 's',
      display: 'KROPPSSTRUKTURER',
      concept: [{ code: 's7', display: 'Strukturer som sammanhänger med rörelse', concept: [category('s750', 'Struktur i nedre extremitet', [category('s7501', 'Struktur i underben')])] }],
    },
    {
      code: 'd',
      display: 'AKTIVITETER OCH DELAKTIGHET',
      concept: [
        {
          code: 'd4',
          display: 'Förflyttning',
          concept: [
            {
              code: 'd450-d469',
              display: 'Att gå och röra sig omkring (d450-d469)',
              property: [{ code: 'notSelectable', valueBoolean: true }],
              concept: [category('d450', 'Att gå', [category('d4500', 'Att gå kortare sträckor'), { ...category('d4509', 'Att gå, ospecificerat'), property: [{ code: 'status', valueCode: 'retired' }] }])],
            },
          ],
        },
      ],
    },
    { code: 'e', display: 'OMGIVNINGSFAKTORER', concept: [{ code: 'e3', display: 'Personligt stöd och personliga relationer', concept: [category('e310', 'Stöd från närfamilj')] }] },
  ],
};
const walking: ValueSet = {
  resourceType: 'ValueSet',
  id: 'icf-walking',
  url: 'https://kodverk.se/fhir/ValueSet/test-icf-walking',
  version: '1',
  status: 'active',
  compose: { include: [{ system: ICF_URL, filter: [{ property: 'concept', op: 'is-a', value: 'd450' }] }] },
};

function param(out: ParametersParameter[], name: string): any {
  const p = out.find((x) => x.name === name);
  return p && Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
}

function properties(out: ParametersParameter[]): Record<string, string[]> {
  const props: Record<string, string[]> = {};
  for (const p of out.filter((x) => x.name === 'property')) {
    const code = p.part![0].valueCode!;
    const v = p.part![1];
    (props[code] ??= []).push(String(v.valueCode ?? v.valueCoding?.code ?? v.valueString ?? v.valueBoolean));
  }
  return props;
}

describe.each([
  ['stored in the concept tables', true],
  ['sent with the request', false],
])('ICF qualifiers, code system %s', (_label, stored) => {
  let engine: TerminologyEngine;
  const tx = stored ? [] : [icf];
  const req = (parameters: ParametersParameter[]) => ({ parameters, txResources: tx });
  const validate = (code: string, display?: string) =>
    engine.validateCodeSystemCode(req([{ name: 'url', valueUri: ICF_URL }, { name: 'code', valueCode: code }, ...(display ? [{ name: 'display', valueString: display }] : [])]));
  const lookup = (code: string) => engine.lookup(req([{ name: 'system', valueUri: ICF_URL }, { name: 'code', valueCode: code }]));

  beforeAll(() => {
    const dir = tempDir('kodverk-icf-qualifiers-');
    const db = openTempDatabase(path.join(dir, 'store.db'));
    const store = new ResourceStore(db);
    new ResourceLoader(db, store).load(stored ? [icf, walking] : [walking]);
    engine = new TerminologyEngine(new StoreResourceSource(store));
  });

  it.each([
    ['b1300.8', 'Funktioner för energinivå – grad av funktionsnedsättning: ej specificerat problem'],
    ['d4500.2', 'Att gå kortare sträckor – genomförande: måttlig svårighet'],
    ['d4500.23', 'Att gå kortare sträckor – genomförande: måttlig svårighet, kapacitet utan assistans: stor svårighet'],
    ['d4500.2340', 'Att gå kortare sträckor – genomförande: måttlig svårighet, kapacitet utan assistans: stor svårighet, kapacitet med assistans: total svårighet, genomförande utan assistans: ingen svårighet'],
    ['e310+3', 'Stöd från närfamilj – grad av underlättande omgivningsfaktor: stort underlättande'],
    ['e310.9', 'Stöd från närfamilj – grad av hindrande omgivningsfaktor: ej tillämpbart (hinder)'],
    ['s7501.273', 'Struktur i underben – grad av strukturavvikelse: måttlig avvikelse, kroppsstrukturens förändring: kvalitativa strukturförändringar innefattande vätskeansamling, kroppsstrukturens lokalisering: båda sidor'],
  ])('accepts %s and says what the qualifiers mean', (code, display) => {
    const out = validate(code);
    expect(param(out, 'result')).toBe(true);
    expect(param(out, 'display')).toBe(display);
    expect(param(out, 'code')).toBe(code);
  });

  it.each([
    ['b1300.5', "the 1st qualifier of kroppsfunktioner after '.' (grad av funktionsnedsättning) must be one of 0, 1, 2, 3, 4, 8, 9, not '5'"],
    ['b1300.12', 'kroppsfunktioner (b) take at most 1 qualifier'],
    ['b1300+1', "'+' (facilitator) is only used with environmental factors (e)"],
    ['d4500.27', "the 2nd qualifier of aktiviteter och delaktighet after '.' (kapacitet utan assistans) must be one of 0, 1, 2, 3, 4, 8, 9, not '7'"],
    ['d4500.12345', 'aktiviteter och delaktighet (d) take at most 4 qualifiers'],
    ['e310+9', "the 1st qualifier of omgivningsfaktorer after '+' (grad av underlättande omgivningsfaktor) must be one of 0, 1, 2, 3, 4, 8, not '9'"],
    ['s7501.2x', "ICF qualifiers are digits, and '2x'"],
    ['s7501.1234', 'kroppsstrukturer (s) take at most 3 qualifiers'],
    ['d4500.', "'d4500.' has no qualifier after '.'"],
    ['b1.2', "ICF qualifiers apply to categories (second level and below), and 'b1' is a component, chapter or block"],
  ])('refuses %s and says why', (code, reason) => {
    const out = validate(code);
    expect(param(out, 'result')).toBe(false);
    expect(param(out, 'message')).toContain(`Unknown code '${code}'`);
    expect(param(out, 'message')).toContain(reason);
  });

  it('treats a qualified code whose category is unknown as an unknown code', () => {
    const out = validate('d4599.2');
    expect(param(out, 'result')).toBe(false);
    expect(param(out, 'message')).toContain("Unknown code 'd4599.2'");
  });

  it('accepts the title of the category as the display of a qualified code', () => {
    expect(param(validate('d4500.2', 'Att gå kortare sträckor'), 'result')).toBe(true);
    expect(param(validate('d4500.2', 'Att gå långa sträckor'), 'result')).toBe(false);
  });

  it('looks up a qualified code: the category as parent, its qualifiers as properties', () => {
    const out = lookup('d4500.23');
    expect(param(out, 'code')).toBe('d4500.23');
    expect(param(out, 'display')).toContain('Att gå kortare sträckor – genomförande: måttlig svårighet');
    const props = properties(out);
    expect(props.parent).toEqual(['d4500']);
    expect(props.genomforande).toEqual(['2']);
    expect(props.kapacitetUtanAssistans).toEqual(['3']);
    expect(props.kodniva).toEqual(['kategori']);
    expect(props.inactive).toEqual(['false']);
  });

  it('gives the reason in $lookup of an invalid qualifier', () => {
    expect(() => lookup('e310+9')).toThrow(TerminologyError);
    expect(() => lookup('e310+9')).toThrow(/must be one of 0, 1, 2, 3, 4, 8, not '9'/);
  });

  it('keeps the status of the category: a qualified retired code is inactive', () => {
    const out = validate('d4509.1');
    expect(param(out, 'result')).toBe(true);
    expect(param(out, 'inactive')).toBe(true);
  });

  it('subsumes a qualified code under its category and the categories above it', () => {
    const sub = (a: string, b: string) => param(engine.subsumes(req([{ name: 'system', valueUri: ICF_URL }, { name: 'codeA', valueCode: a }, { name: 'codeB', valueCode: b }])), 'outcome');
    expect(sub('d4500', 'd4500.2')).toBe('subsumes');
    expect(sub('d450', 'd4500.2')).toBe('subsumes');
    expect(sub('d4500.2', 'd4500')).toBe('subsumed-by');
    expect(sub('b130', 'd4500.2')).toBe('not-subsumed');
  });

  it('validates a qualified code against a value set defined by a hierarchy filter', () => {
    const inSet = engine.validateValueSetCode(req([{ name: 'url', valueUri: walking.url }, { name: 'system', valueUri: ICF_URL }, { name: 'code', valueCode: 'd4500.2' }]));
    expect(param(inSet, 'result')).toBe(true);
    const outside = engine.validateValueSetCode(req([{ name: 'url', valueUri: walking.url }, { name: 'system', valueUri: ICF_URL }, { name: 'code', valueCode: 'e310+3' }]));
    expect(param(outside, 'result')).toBe(false);
  });

  it('validates a qualified code against a value set that lists its category (a core set)', () => {
    const coreSet = { resourceType: 'ValueSet', status: 'active', url: 'urn:test:core', compose: { include: [{ system: ICF_URL, concept: [{ code: 'd4500' }, { code: 'b1300' }] }] } } as any;
    const validate = (code: string) =>
      param(engine.validateValueSetCode(req([{ name: 'valueSet', resource: coreSet }, { name: 'system', valueUri: ICF_URL }, { name: 'code', valueCode: code }])), 'result');
    expect(validate('d4500.23')).toBe(true);
    expect(validate('b1300.8')).toBe(true);
    expect(validate('e310+3')).toBe(false);
  });

  it('never lists qualified codes in expansions', () => {
    const all = engine.expand(req([{ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: ICF_URL }] } } as any }, { name: 'excludeNested', valueBoolean: true }]));
    const codes = all.expansion!.contains!.map((c) => c.code!);
    expect(codes.some((c) => /[.+]/.test(c))).toBe(false);
    expect(all.expansion?.total).toBe(codes.length);
    validate('d4500.2');
    const again = engine.expand(req([{ name: 'url', valueUri: walking.url }, { name: 'excludeNested', valueBoolean: true }]));
    expect(again.expansion!.contains!.map((c) => c.code).sort()).toEqual(['d450', 'd4500', 'd4509']);
  });
});
