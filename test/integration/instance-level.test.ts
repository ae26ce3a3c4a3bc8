import type { CodeSystem, ConceptMap, ValueSet } from 'fhir/r4';
import { Kodverk, raw, seed, startKodverk, txTypes, uniqueUrl } from './support/server';

function value(p: any, name: string): any {
  const x = p.parameter?.find((e: any) => e.name === name);
  return x && (Object.entries(x).find(([k]) => k.startsWith('value'))?.[1] ?? x.resource);
}

/** every code of an expansion, nested ones too (a hierarchical expansion nests them) */
function codes(contains: any[] = []): string[] {
  return contains.flatMap((c) => [c.code, ...codes(c.contains)]);
}

/**
 * The instance-level forms of the terminology operations (CodeSystem/[id]/$lookup, ValueSet/[id]/$expand,
 * ...) as clients send them: GET with a query, POST with Parameters, POST as a form. The instance is
 * the resource the operation is about; a request that also names another one is refused (400), an
 * unknown id is 404, an operation the resource type does not have is a 4xx — each an OperationOutcome.
 */
describe('instance-level terminology operations', () => {
  let server: Kodverk;
  const csUrl = uniqueUrl('CodeSystem');
  const otherCsUrl = uniqueUrl('CodeSystem');
  const vsUrl = uniqueUrl('ValueSet');
  const otherVsUrl = uniqueUrl('ValueSet');
  const cmUrl = uniqueUrl('ConceptMap');
  const otherCmUrl = uniqueUrl('ConceptMap');
  const concept = (code: string, display: string, children: any[] = []) => ({ code, display, ...(children.length ? { concept: children } : {}) });
  const cs: CodeSystem = {
    resourceType: 'CodeSystem',
    id: 'inst-colours',
    url: csUrl,
    version: '1.0',
    status: 'active',
    content: 'complete',
    hierarchyMeaning: 'is-a',
    concept: [concept('colour', 'Colour', [concept('red', 'Red'), concept('blue', 'Blue')])],
  };
  const otherCs: CodeSystem = { resourceType: 'CodeSystem', id: 'inst-shapes', url: otherCsUrl, version: '1.0', status: 'active', content: 'complete', concept: [concept('round', 'Round'), concept('square', 'Square')] };
  const supUrl = uniqueUrl('CodeSystem');
  const supplement: CodeSystem = {
    resourceType: 'CodeSystem',
    id: 'inst-colours-sup',
    url: supUrl,
    version: '1.0',
    status: 'active',
    content: 'supplement',
    supplements: csUrl,
    property: [{ code: 'shade', type: 'string' }],
    concept: [{ code: 'red', property: [{ code: 'shade', valueString: 'dark' }] }],
  };
  // a code system and a resource that only names it (content not-present, as FHIR core's SNOMED CT)
  const sizesUrl = uniqueUrl('CodeSystem');
  const sizes: CodeSystem = { resourceType: 'CodeSystem', id: 'inst-sizes', url: sizesUrl, version: '2.0', status: 'active', content: 'complete', concept: [concept('big', 'Big'), concept('small', 'Small')] };
  const sizesStub: CodeSystem = { resourceType: 'CodeSystem', id: 'inst-sizes-stub', url: sizesUrl, status: 'active', content: 'not-present' };
  // two versions of one code system: an instance of the older one is that version
  const editionsUrl = uniqueUrl('CodeSystem');
  const edition = (id: string, version: string, code: string): CodeSystem => ({ resourceType: 'CodeSystem', id, url: editionsUrl, version, status: 'active', content: 'complete', concept: [concept(code, code.toUpperCase())] });
  const vs: ValueSet = { resourceType: 'ValueSet', id: 'inst-colours-vs', url: vsUrl, version: '2.0', status: 'active', compose: { include: [{ system: csUrl }] } };
  const otherVs: ValueSet = { resourceType: 'ValueSet', id: 'inst-shapes-vs', url: otherVsUrl, version: '2.0', status: 'active', compose: { include: [{ system: otherCsUrl }] } };
  const map = (id: string, url: string, target: string): ConceptMap => ({
    resourceType: 'ConceptMap',
    id,
    url,
    version: '3.0',
    status: 'active',
    group: [{ source: csUrl, target: otherCsUrl, element: [{ code: 'red', target: [{ code: target, equivalence: 'equivalent' }] }] }],
  });

  beforeAll(async () => {
    server = await startKodverk();
    await seed(server, [cs, otherCs, supplement, sizes, sizesStub, edition('inst-ed-1', '1.0.0', 'old'), edition('inst-ed-2', '2.0.0', 'new'), vs, otherVs, map('inst-cm', cmUrl, 'round'), map('inst-cm-other', otherCmUrl, 'square')]);
  });
  afterAll(() => server.close());

  const get = (path: string) => raw(server, path);
  const post = (path: string, parameter: any[]) => raw(server, path, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Parameters', parameter }) });
  const form = (path: string, fields: Record<string, string>) =>
    raw(server, path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

  /** a 400 invalid-data OperationOutcome naming the parameter at fault */
  const refused = (answer: { status: number; json: any }, param: string) => {
    expect(answer.status).toBe(400);
    expect(txTypes(answer.json)).toEqual(['invalid-data']);
    expect(answer.json.issue[0].expression).toEqual([param]);
  };

  it('answers GET, POST Parameters and POST form alike, for the instance', async () => {
    const forms = [
      await get(`CodeSystem/inst-colours/$lookup?code=red`),
      await post(`CodeSystem/inst-colours/$lookup`, [{ name: 'code', valueCode: 'red' }]),
      await form(`CodeSystem/inst-colours/$lookup`, { code: 'red' }),
    ];
    for (const a of forms) {
      expect(a.status).toBe(200);
      expect(value(a.json, 'system')).toBe(csUrl);
      expect(value(a.json, 'version')).toBe('1.0');
      expect(value(a.json, 'display')).toBe('Red');
    }
    const expansions = [await get(`ValueSet/inst-colours-vs/$expand`), await post(`ValueSet/inst-colours-vs/$expand`, []), await form(`ValueSet/inst-colours-vs/$expand`, { count: '10' })];
    for (const a of expansions) {
      expect(a.status).toBe(200);
      expect(a.json.url).toBe(vsUrl);
      expect(codes(a.json.expansion.contains).sort()).toEqual(['blue', 'colour', 'red']);
    }
    const validations = [
      await get(`ValueSet/inst-colours-vs/$validate-code?code=blue&system=${encodeURIComponent(csUrl)}`),
      await post(`ValueSet/inst-colours-vs/$validate-code`, [{ name: 'coding', valueCoding: { system: csUrl, code: 'blue' } }]),
      await form(`ValueSet/inst-colours-vs/$validate-code`, { code: 'blue', system: csUrl }),
      await get(`CodeSystem/inst-colours/$validate-code?code=blue`),
      await form(`CodeSystem/inst-colours/$validate-code`, { code: 'blue', display: 'Blue' }),
    ];
    for (const a of validations) {
      expect(a.status).toBe(200);
      expect(value(a.json, 'result')).toBe(true);
      expect(value(a.json, 'system')).toBe(csUrl);
    }
    const subsumptions = [await get(`CodeSystem/inst-colours/$subsumes?codeA=colour&codeB=red`), await form(`CodeSystem/inst-colours/$subsumes`, { codeA: 'colour', codeB: 'red' })];
    for (const a of subsumptions) expect(value(a.json, 'outcome')).toBe('subsumes');
    const translations = [
      await get(`ConceptMap/inst-cm/$translate?code=red&system=${encodeURIComponent(csUrl)}`),
      await form(`ConceptMap/inst-cm/$translate`, { code: 'red', system: csUrl }),
    ];
    for (const a of translations) {
      expect(value(a.json, 'result')).toBe(true);
      expect(a.json.parameter.find((p: any) => p.name === 'match').part.find((q: any) => q.name === 'concept').valueCoding.code).toBe('round');
    }
  });

  it('takes a parameter that names the instance itself again', async () => {
    expect((await get(`ValueSet/inst-colours-vs/$expand?url=${encodeURIComponent(`${vsUrl}|2.0`)}`)).status).toBe(200);
    expect(value((await get(`CodeSystem/inst-colours/$validate-code?code=red&url=${encodeURIComponent(csUrl)}`)).json, 'result')).toBe(true);
    expect(value((await get(`CodeSystem/inst-colours/$lookup?code=red&system=${encodeURIComponent(csUrl)}&version=1.0`)).json, 'display')).toBe('Red');
    expect(value((await get(`ConceptMap/inst-cm/$translate?code=red&system=${encodeURIComponent(csUrl)}&url=${encodeURIComponent(cmUrl)}`)).json, 'result')).toBe(true);
  });

  it('refuses a request that names another resource than the instance (400), rather than answering for the instance', async () => {
    refused(await get(`ValueSet/inst-colours-vs/$expand?url=${encodeURIComponent(otherVsUrl)}`), 'url');
    refused(await get(`ValueSet/inst-colours-vs/$expand?valueSetVersion=9.9`), 'valueSetVersion');
    refused(await post(`ValueSet/inst-colours-vs/$expand`, [{ name: 'valueSet', resource: otherVs }]), 'valueSet');
    refused(await get(`ValueSet/inst-colours-vs/$validate-code?code=round&system=${encodeURIComponent(otherCsUrl)}&url=${encodeURIComponent(otherVsUrl)}`), 'url');
    refused(await get(`CodeSystem/inst-colours/$validate-code?code=round&url=${encodeURIComponent(otherCsUrl)}`), 'url');
    refused(await get(`CodeSystem/inst-colours/$validate-code?code=round&system=${encodeURIComponent(otherCsUrl)}`), 'system');
    refused(await get(`CodeSystem/inst-colours/$lookup?code=round&system=${encodeURIComponent(otherCsUrl)}`), 'system');
    refused(await get(`CodeSystem/inst-colours/$lookup?code=red&version=9.9`), 'version');
    refused(await post(`CodeSystem/inst-colours/$lookup`, [{ name: 'coding', valueCoding: { system: otherCsUrl, code: 'round' } }]), 'coding');
    refused(await get(`CodeSystem/inst-colours/$subsumes?codeA=round&codeB=square&system=${encodeURIComponent(otherCsUrl)}`), 'system');
    refused(
      await post(`CodeSystem/inst-colours/$subsumes`, [
        { name: 'codingA', valueCoding: { system: otherCsUrl, code: 'round' } },
        { name: 'codingB', valueCoding: { system: otherCsUrl, code: 'square' } },
      ]),
      'codingA',
    );
    refused(await get(`ConceptMap/inst-cm/$translate?code=red&system=${encodeURIComponent(csUrl)}&url=${encodeURIComponent(otherCmUrl)}`), 'url');
    refused(await get(`ConceptMap/inst-cm/$translate?code=red&system=${encodeURIComponent(csUrl)}&conceptMapVersion=9.9`), 'conceptMapVersion');
    refused(await get(`ValueSet/inst-colours-vs/$compare?thisUrl=${encodeURIComponent(otherVsUrl)}&otherUrl=${encodeURIComponent(vsUrl)}`), 'thisUrl');
  });

  it('serves the instance as a type-level call on its url serves it: with the supplements asked for', async () => {
    const shade = (a: any) => a.json.parameter.find((p: any) => p.name === 'property' && p.part[0].valueCode === 'shade')?.part[1].valueString;
    const typeLevel = await get(`CodeSystem/$lookup?system=${encodeURIComponent(csUrl)}&code=red&useSupplement=${encodeURIComponent(supUrl)}&property=shade`);
    const instance = await get(`CodeSystem/inst-colours/$lookup?code=red&useSupplement=${encodeURIComponent(supUrl)}&property=shade`);
    for (const a of [typeLevel, instance]) {
      expect(a.status).toBe(200);
      expect(shade(a)).toBe('dark');
      expect(value(a.json, 'used-supplement')).toBe(`${supUrl}|1.0`);
    }
    const validated = await get(`CodeSystem/inst-colours/$validate-code?code=red&useSupplement=${encodeURIComponent(supUrl)}`);
    expect(value(validated.json, 'result')).toBe(true);
    expect((await get(`CodeSystem/inst-colours/$subsumes?codeA=colour&codeB=red&useSupplement=${encodeURIComponent(supUrl)}`)).status).toBe(200);
  });

  it('serves a not-present instance (a resource that only names its code system) as the code system of that url', async () => {
    const looked = await get(`CodeSystem/inst-sizes-stub/$lookup?code=big`);
    expect(looked.status).toBe(200);
    expect(value(looked.json, 'display')).toBe('Big');
    expect(value(looked.json, 'version')).toBe('2.0');
    expect(value((await get(`CodeSystem/inst-sizes-stub/$validate-code?code=big`)).json, 'result')).toBe(true);
    expect(value((await get(`CodeSystem/inst-sizes-stub/$subsumes?codeA=big&codeB=small`)).json, 'outcome')).toBe('not-subsumed');
  });

  it('serves an older version named by its instance as that version, not the latest of its url', async () => {
    const looked = await get(`CodeSystem/inst-ed-1/$lookup?code=old`);
    expect(looked.status).toBe(200);
    expect(value(looked.json, 'version')).toBe('1.0.0');
    const validated = await get(`CodeSystem/inst-ed-1/$validate-code?code=old`);
    expect(value(validated.json, 'result')).toBe(true);
    expect(value(validated.json, 'version')).toBe('1.0.0');
    const missing = await get(`CodeSystem/inst-ed-1/$validate-code?code=new`);
    expect(value(missing.json, 'result')).toBe(false);
    expect(value(missing.json, 'version')).toBe('1.0.0');
    expect((await get(`CodeSystem/inst-ed-1/$lookup?code=new`)).status).toBe(404);
    expect(value((await get(`CodeSystem/inst-ed-1/$subsumes?codeA=old&codeB=old`)).json, 'outcome')).toBe('equivalent');
  });

  it('refuses a supplement instance as a code system of its own, as the type level does', async () => {
    for (const path of [`CodeSystem/inst-colours-sup/$lookup?code=red`, `CodeSystem/inst-colours-sup/$subsumes?codeA=red&codeB=red`]) {
      const a = await get(path);
      expect(a.status).toBe(400);
      expect(a.json.issue[0].details.text).toBe(`CodeSystem ${supUrl} is a supplement, so can't be used as a value in Coding.system`);
    }
    const typeLevel = await get(`CodeSystem/$lookup?system=${encodeURIComponent(supUrl)}&code=red`);
    expect(typeLevel.status).toBe(400);
    expect(typeLevel.json.issue[0].details.text).toBe(`CodeSystem ${supUrl} is a supplement, so can't be used as a value in Coding.system`);
  });

  it('answers an unknown instance 404 not-found and an operation the type does not have with a 4xx, each an OperationOutcome', async () => {
    for (const path of [
      `CodeSystem/no-such-id/$lookup?code=red`,
      `CodeSystem/no-such-id/$validate-code?code=red`,
      `CodeSystem/no-such-id/$subsumes?codeA=red&codeB=blue`,
      `ValueSet/no-such-id/$expand`,
      `ValueSet/no-such-id/$validate-code?code=red&system=${encodeURIComponent(csUrl)}`,
      `ConceptMap/no-such-id/$translate?code=red&system=${encodeURIComponent(csUrl)}`,
    ]) {
      const a = await get(path);
      expect(a.status).toBe(404);
      expect(a.json.resourceType).toBe('OperationOutcome');
      expect(a.json.issue[0].code).toBe('not-found');
    }
    for (const path of [`CodeSystem/inst-colours/$expand`, `ValueSet/inst-colours-vs/$lookup?code=red`, `ValueSet/inst-colours-vs/$translate?code=red`]) {
      const a = await get(path);
      expect(a.status).toBeGreaterThanOrEqual(400);
      expect(a.status).toBeLessThan(500);
      expect(a.json.resourceType).toBe('OperationOutcome');
      expect(a.json.issue[0].code).toBe('not-supported');
    }
  });
});
