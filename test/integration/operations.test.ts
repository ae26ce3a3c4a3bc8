import path from 'node:path';
import { Kodverk, startKodverk, txTypes } from './support/server';

function param(p: any, name: string): any {
  const x = p.parameter?.find((e: any) => e.name === name);
  return x && (Object.entries(x).find(([k]) => k.startsWith('value'))?.[1] ?? x.resource);
}

/** The terminology operations over HTTP, on the content pack and the FHIR R4 core terminology. */
describe('terminology operations over HTTP', () => {
  let server: Kodverk;
  let client: Kodverk['kit'];

  beforeAll(async () => {
    server = await startKodverk({ loadFhirCore: true, contentPackDir: path.resolve(__dirname, '../../terminology') });
    client = server.kit;
  });
  afterAll(() => server.close());

  it('expands a national list from the content pack, in Swedish', async () => {
    const vs: any = await client.operation({ name: 'expand', resourceType: 'ValueSet', method: 'get', input: { url: 'https://kodverk.se/fhir/ValueSet/beslut-utfall' } });
    expect(vs.expansion.contains.map((c: any) => c.display)).toEqual(expect.arrayContaining(['Beviljad', 'Avslag']));
    expect(vs.expansion.parameter).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'used-codesystem' })]));
  });

  it('pages an expansion and reports the total', async () => {
    const vs: any = await client.operation({ name: 'expand', resourceType: 'ValueSet', method: 'get', input: { url: 'https://kodverk.se/fhir/ValueSet/insatskategori', count: 5, offset: 5 } });
    expect(vs.expansion.contains).toHaveLength(5);
    expect(vs.expansion.offset).toBe(5);
    expect(vs.expansion.total).toBeGreaterThan(10);
  });

  it('validates a code with POST Parameters and reports a wrong display', async () => {
    const out: any = await client.operation({
      name: 'validate-code',
      resourceType: 'ValueSet',
      input: {
        resourceType: 'Parameters',
        parameter: [
          { name: 'url', valueUri: 'http://hl7.org/fhir/ValueSet/administrative-gender' },
          { name: 'coding', valueCoding: { system: 'http://hl7.org/fhir/administrative-gender', code: 'female', display: 'Kvinna' } },
        ],
      },
    });
    expect(param(out, 'result')).toBe(false);
    expect(param(out, 'display')).toBe('Female');
    const issues = param(out, 'issues');
    expect(issues.issue[0].details.coding[0]).toEqual({ system: 'http://hl7.org/fhir/tools/CodeSystem/tx-issue-type', code: 'invalid-display' });
  });

  it('accepts a wrong display with a warning when asked to be lenient', async () => {
    const out: any = await client.operation({
      name: 'validate-code',
      resourceType: 'CodeSystem',
      method: 'get',
      input: { url: 'http://hl7.org/fhir/administrative-gender', code: 'female', display: 'Kvinna', 'lenient-display-validation': true },
    });
    expect(param(out, 'result')).toBe(true);
    expect(param(out, 'issues').issue[0].severity).toBe('warning');
  });

  it('looks up a code with its parent in a hierarchical list', async () => {
    const out: any = await client.operation({ name: 'lookup', resourceType: 'CodeSystem', method: 'get', input: { system: 'https://kodverk.se/fhir/CodeSystem/lagrum', code: 'SoL2025-26:1:6' } });
    expect(param(out, 'display')).toBeDefined();
    const props = out.parameter.filter((p: any) => p.name === 'property').map((p: any) => p.part[0].valueCode);
    expect(props).toContain('parent');
  });

  it('tests subsumption in the lagrum hierarchy', async () => {
    const out: any = await client.operation({
      name: 'subsumes',
      resourceType: 'CodeSystem',
      method: 'get',
      input: { system: 'https://kodverk.se/fhir/CodeSystem/lagrum', codeA: 'SoL2025', codeB: 'SoL2025-26:1:6' },
    });
    expect(param(out, 'outcome')).toBe('subsumes');
  });

  it('translates old SoL paragraphs to the new law', async () => {
    const out: any = await client.operation({
      name: 'translate',
      resourceType: 'ConceptMap',
      method: 'get',
      input: { system: 'https://kodverk.se/fhir/CodeSystem/lagrum', code: 'SoL2001-7:1:6', targetsystem: 'https://kodverk.se/fhir/CodeSystem/lagrum' },
    });
    expect(param(out, 'result')).toBe(true);
    const match = out.parameter.find((p: any) => p.name === 'match');
    expect(match.part.find((x: any) => x.name === 'concept').valueCoding.code).toBe('SoL2025-26:1:6');
  });

  it('honours a dependency sent as parts of a Parameters body, and refuses one in the query string (dependsOn)', async () => {
    const map = {
      resourceType: 'ConceptMap', url: 'urn:example:cm:dep', status: 'active',
      group: [{ source: 'urn:example:a', target: 'urn:example:b', element: [{ code: 'x', target: [{ code: 'Y', equivalence: 'equivalent', dependsOn: [{ property: 'urn:example:side', value: 'left' }] }] }] }],
    };
    const translateWith = (extra: any[]) =>
      client.operation({
        name: 'translate',
        resourceType: 'ConceptMap',
        input: { resourceType: 'Parameters', parameter: [{ name: 'conceptMap', resource: map }, { name: 'system', valueUri: 'urn:example:a' }, { name: 'code', valueCode: 'x' }, ...extra] },
      });
    const without: any = await translateWith([]);
    expect(param(without, 'result')).toBe(false);
    expect(param(without, 'message')).toMatch(/holds only when 'urn:example:side' = 'left'/);
    const given: any = await translateWith([{ name: 'dependency', part: [{ name: 'element', valueUri: 'urn:example:side' }, { name: 'concept', valueCodeableConcept: { coding: [{ code: 'left' }] } }] }]);
    expect(param(given, 'result')).toBe(true);
    const res = await fetch(`${server.fhirBase}/ConceptMap/$translate?system=urn:example:a&code=x&dependency=left`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).resourceType).toBe('OperationOutcome');
  });

  it('uses code systems sent with the request (tx-resource)', async () => {
    const out: any = await client.operation({
      name: 'expand',
      resourceType: 'ValueSet',
      input: {
        resourceType: 'Parameters',
        parameter: [
          { name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: 'urn:example:cs' }] } } },
          { name: 'tx-resource', resource: { resourceType: 'CodeSystem', url: 'urn:example:cs', status: 'active', content: 'complete', concept: [{ code: 'a', display: 'A' }] } },
        ],
      },
    });
    expect(out.expansion.contains).toEqual([{ system: 'urn:example:cs', code: 'a', display: 'A' }]);
  });

  it.each([
    ['an unknown value set', { url: 'https://kodverk.se/fhir/ValueSet/finns-inte' }, 422, 'not-found'],
    ['a negative count', { url: 'https://kodverk.se/fhir/ValueSet/beslut-utfall', count: -1 }, 400, 'invalid-data'],
    ['a non-numeric offset', { url: 'https://kodverk.se/fhir/ValueSet/beslut-utfall', offset: 'x' }, 400, 'invalid-data'],
    // FHIR's integer is 32 bits: a larger offset would be echoed as an integer no client can read
    ['an offset past 32 bits', { url: 'https://kodverk.se/fhir/ValueSet/beslut-utfall', offset: '99999999999999999999999' }, 400, 'invalid-data'],
    ['a malformed displayLanguage', { url: 'https://kodverk.se/fhir/ValueSet/beslut-utfall', displayLanguage: '-' }, 400, 'invalid-display'],
  ])('answers %s with an OperationOutcome', async (_label, input, status, txType) => {
    const qs = new URLSearchParams(Object.entries(input).map(([k, v]): [string, string] => [k, String(v)]));
    const res = await fetch(`${server.fhirBase}/ValueSet/$expand?${qs}`);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/fhir+json');
    expect(txTypes((await res.json()) as any)).toEqual([txType]);
  });

  it('keeps a hostile regular expression in bounded time', async () => {
    const codes = Array.from({ length: 200 }, (_, i) => ({ code: 'a'.repeat(30 + (i % 20)) + (i % 2 ? '!' : '') + i }));
    const started = Date.now();
    const out: any = await client.operation({
      name: 'expand',
      resourceType: 'ValueSet',
      input: {
        resourceType: 'Parameters',
        parameter: [
          { name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: 'urn:example:re', filter: [{ property: 'code', op: 'regex', value: '((a+)+)+' }] }] } } },
          { name: 'tx-resource', resource: { resourceType: 'CodeSystem', url: 'urn:example:re', status: 'active', content: 'complete', concept: codes } },
        ],
      },
    });
    expect(out.expansion.total).toBe(0);
    // not a performance assertion: a backtracking engine would not return at all
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
