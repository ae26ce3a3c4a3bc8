import type { OperationOutcome } from 'fhir/r4';
import { jsonOf } from '../helpers/json';
import { failure } from './support/kit';
import { codeSystem } from './support/fixtures';
import { Kodverk, RawAnswer, raw, startKodverk, txTypes } from './support/server';

const MAX_BODY = 4096;

let server: Kodverk;
let auth: Record<string, string>;

beforeAll(async () => {
  server = await startKodverk({ maxBodyBytes: MAX_BODY });
  auth = { authorization: `Bearer ${server.token}` };
  await server.kit.update({ resourceType: 'CodeSystem', id: 'colours', body: codeSystem({ id: 'colours' }) });
});
afterAll(() => server?.close());

/** The answer is an OperationOutcome with this status and tx-issue-type, sent as FHIR JSON. */
function expectOutcome(a: RawAnswer, status: number, txType: string): void {
  expect({ status: a.status, contentType: a.contentType }).toEqual({ status, contentType: expect.stringMatching(/^application\/fhir\+json/) });
  expect(txTypes(a.json)).toContain(txType);
}

/** The server still answers normal requests. */
async function expectServing(): Promise<void> {
  const cs = await server.kit.read({ resourceType: 'CodeSystem', id: 'colours' });
  expect(cs.url).toBe(codeSystem().url);
  expect((await raw(server, 'metadata')).status).toBe(200);
}

const json = { 'content-type': 'application/fhir+json' };

describe('errors are OperationOutcomes with a 4xx status, and the server keeps serving', () => {
  afterEach(expectServing);

  it('unknown resource type', async () => {
    for (const [path, method] of [
      ['Patient/1', 'GET'],
      ['Patient?name=x', 'GET'],
      ['Patient/1', 'DELETE'],
    ]) {
      expectOutcome(await raw(server, path, { method, headers: auth }), 404, 'not-supported');
    }
    expectOutcome(await raw(server, 'Patient', { method: 'POST', headers: { ...auth, ...json }, body: JSON.stringify({ resourceType: 'Patient' }) }), 404, 'not-supported');
    const viaKit = await failure(server.kit.read({ resourceType: 'Observation', id: '1' }));
    expect(viaKit.status).toBe(404);
  });

  it('unknown id and unknown endpoint', async () => {
    expectOutcome(await raw(server, 'CodeSystem/nope'), 404, 'not-found');
    expectOutcome(await raw(server, 'CodeSystem/colours/_history/99'), 404, 'not-found');
    expectOutcome(await raw(server, 'CodeSystem/colours/something/else'), 404, 'not-found');
  });

  it('malformed JSON', async () => {
    const body = '{"resourceType": "CodeSystem", "status": ';
    expectOutcome(await raw(server, 'CodeSystem', { method: 'POST', headers: { ...auth, ...json }, body }), 400, 'invalid-data');
    expectOutcome(await raw(server, 'CodeSystem/colours', { method: 'PUT', headers: { ...auth, ...json }, body }), 400, 'invalid-data');
    expectOutcome(await raw(server, 'CodeSystem/$lookup', { method: 'POST', headers: json, body }), 400, 'invalid-data');
    expectOutcome(await raw(server, 'CodeSystem', { method: 'POST', headers: { ...auth, ...json }, body: 'null' }), 400, 'invalid-data');
    expect((await server.kit.read({ resourceType: 'CodeSystem', id: 'colours' })).meta.versionId).toBe('1');
  });

  it('a body of the wrong resource type', async () => {
    const patient = JSON.stringify({ resourceType: 'ValueSet', status: 'active' });
    expectOutcome(await raw(server, 'CodeSystem', { method: 'POST', headers: { ...auth, ...json }, body: patient }), 400, 'invalid-data');
    expectOutcome(await raw(server, 'CodeSystem/colours', { method: 'PUT', headers: { ...auth, ...json }, body: patient }), 400, 'invalid-data');
    const f = await failure(server.kit.operation({ resourceType: 'CodeSystem', name: '$lookup', input: { resourceType: 'Bundle', type: 'collection' } }));
    expect(f.status).toBe(400);
    expect(txTypes(f.data)).toEqual(['invalid-data']);
  });

  it('a Parameters body that is not valid FHIR', async () => {
    const f = await failure(server.kit.operation({ resourceType: 'CodeSystem', name: '$lookup', input: { resourceType: 'Parameters', parameter: 'code=red' } }));
    expect(f.status).toBe(400);
    expect(txTypes(f.data)).toEqual(['invalid-data']);
  });

  // FHIR JSON: "null" is only a placeholder in a primitive array; an element or resource is an object
  it('an array item that is no object (null, a number, a string) where an element is due: 400, not an internal error', async () => {
    const operations = [
      'CodeSystem/$lookup',
      'ValueSet/$expand',
      'CodeSystem/$validate-code',
      'ValueSet/$validate-code',
      'ConceptMap/$translate',
      'CodeSystem/$subsumes',
      'ValueSet/$batch-validate-code',
      '$versions',
    ];
    for (const item of [null, 1, 'x', [null]]) {
      const body = JSON.stringify({ resourceType: 'Parameters', parameter: [item] });
      for (const op of operations) expectOutcome(await raw(server, op, { method: 'POST', headers: json, body }), 400, 'invalid-data');
      const nested = JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'x', part: [item] }] });
      expectOutcome(await raw(server, 'CodeSystem/$lookup', { method: 'POST', headers: json, body: nested }), 400, 'invalid-data');
      const inline = JSON.stringify({ resourceType: 'ValueSet', status: 'active', compose: { include: [item] } });
      expectOutcome(await raw(server, 'ValueSet/$expand', { method: 'POST', headers: json, body: inline }), 400, 'invalid-data');
      const asParameter = JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'valueSet', resource: JSON.parse(inline) }] });
      expectOutcome(await raw(server, 'ValueSet/$expand', { method: 'POST', headers: json, body: asParameter }), 400, 'invalid-data');
      const put = JSON.stringify({ ...codeSystem({ id: 'colours' }), concept: [item] });
      expectOutcome(await raw(server, 'CodeSystem/colours', { method: 'PUT', headers: { ...auth, ...json }, body: put }), 400, 'invalid-data');
    }
    expect((await server.kit.read({ resourceType: 'CodeSystem', id: 'colours' })).meta.versionId).toBe('1');
  });

  it('an oversize body', async () => {
    const big = codeSystem({ id: 'big', concept: Array.from({ length: 200 }, (_, i) => ({ code: `c${i}`, display: `Concept number ${i}` })) });
    const body = JSON.stringify(big);
    expect(body.length).toBeGreaterThan(MAX_BODY);
    expectOutcome(await raw(server, 'CodeSystem/big', { method: 'PUT', headers: { ...auth, ...json }, body }), 413, 'invalid-data');
    expectOutcome(await raw(server, 'CodeSystem', { method: 'POST', headers: { ...auth, ...json }, body }), 413, 'invalid-data');
    expectOutcome(await raw(server, 'ValueSet/$expand', { method: 'POST', headers: json, body }), 413, 'invalid-data');
    const form = new URLSearchParams({ url: 'x'.repeat(MAX_BODY * 2) }).toString();
    expectOutcome(await raw(server, 'CodeSystem/_search', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form }), 413, 'invalid-data');
    expect((await failure(server.kit.read({ resourceType: 'CodeSystem', id: 'big' }))).status).toBe(404);
  });

  it('a body that is not JSON, or JSON in an unsupported charset', async () => {
    const body = JSON.stringify(codeSystem({ id: 'typed' }));
    expectOutcome(await raw(server, 'CodeSystem/typed', { method: 'PUT', headers: { ...auth, 'content-type': 'text/plain' }, body }), 415, 'invalid-data');
    expectOutcome(await raw(server, 'CodeSystem', { method: 'POST', headers: { ...auth, 'content-type': 'application/xml' }, body: '<CodeSystem/>' }), 415, 'invalid-data');
    expectOutcome(await raw(server, 'CodeSystem', { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'resourceType=CodeSystem' }), 415, 'invalid-data');
    expectOutcome(await raw(server, 'CodeSystem/typed', { method: 'PUT', headers: { ...auth, 'content-type': 'application/fhir+json; charset=klingon' }, body }), 415, 'invalid-data');
    expectOutcome(await raw(server, 'CodeSystem/_search', { method: 'POST', headers: json, body: '{"url": "x"}' }), 415, 'invalid-data');
    expect((await failure(server.kit.read({ resourceType: 'CodeSystem', id: 'typed' }))).status).toBe(404);
  });

  it('an empty body', async () => {
    expectOutcome(await raw(server, 'CodeSystem', { method: 'POST', headers: auth }), 400, 'invalid-data');
    expectOutcome(await raw(server, 'CodeSystem', { method: 'POST', headers: { ...auth, ...json } }), 400, 'invalid-data');
  });

  it('outside /fhir: what no route takes is a 404 OperationOutcome on the API and a 404 page elsewhere, also for names of Object.prototype', async () => {
    const root = server.fhirBase.replace(/\/fhir$/, '');
    const api = await fetch(`${root}/openapi.json`, { method: 'DELETE', headers: auth });
    expect([api.status, api.headers.get('content-type'), (await jsonOf<OperationOutcome>(api)).resourceType]).toEqual([404, 'application/fhir+json; charset=utf-8', 'OperationOutcome']);
    for (const name of ['__proto__', 'constructor', 'toString']) {
      const page = await fetch(`${root}/resurser/lunr/${name}`);
      expect([page.status, page.headers.get('content-type')]).toEqual([404, 'text/html; charset=utf-8']);
    }
  });

  it("a value set's codes that cannot be expanded download as an error page with the engine's status, not as text", async () => {
    const vs = { resourceType: 'ValueSet', id: 'unexpandable', url: 'urn:example:vs:unexpandable', status: 'active', compose: { include: [{ system: 'urn:example:cs:not-held' }] } };
    await server.kit.update({ resourceType: 'ValueSet', id: 'unexpandable', body: vs });
    const root = server.fhirBase.replace(/\/fhir$/, '');
    for (const format of ['csv', 'xlsx']) {
      const page = await fetch(`${root}/vardemangd/unexpandable/koder.${format}`);
      const body = await page.text();
      expect([page.status, page.headers.get('content-type')]).toEqual([422, 'text/html; charset=utf-8']);
      expect(body).toMatch(/<html[\s>]/);
      expect(body).toContain('urn:example:cs:not-held');
    }
  });

  it('an unsupported HTTP method', async () => {
    for (const [path, method, allow] of [
      ['CodeSystem/colours', 'PATCH', 'GET, PUT, DELETE'],
      ['CodeSystem/colours', 'POST', 'GET, PUT, DELETE'],
      ['CodeSystem', 'DELETE', 'GET, POST'],
      ['CodeSystem', 'PUT', 'GET, POST'],
      ['CodeSystem/_search', 'PUT', 'POST'],
      ['metadata', 'POST', 'GET'],
    ]) {
      const a = await raw(server, path, { method, headers: { ...auth, ...json }, body: method === 'GET' ? undefined : '{}' });
      expectOutcome(a, 405, 'not-supported');
      expect([path, method, a.headers.get('allow')]).toEqual([path, method, allow]);
    }
    expectOutcome(await raw(server, 'CodeSystem/$lookup?system=x&code=y', { method: 'PUT', headers: auth }), 405, 'not-supported');
    expectOutcome(await raw(server, 'CodeSystem/colours', { method: 'OPTIONS' }), 405, 'not-supported');
    expect((await server.kit.read({ resourceType: 'CodeSystem', id: 'colours' })).meta.versionId).toBe('1');
  });

  it('an unknown operation', async () => {
    for (const path of ['$frobnicate', 'CodeSystem/$frobnicate', 'CodeSystem/colours/$frobnicate', 'NamingSystem/$expand']) {
      expectOutcome(await raw(server, path), 404, 'not-supported');
      expectOutcome(await raw(server, path, { method: 'POST', headers: json, body: '{"resourceType": "Parameters"}' }), 404, 'not-supported');
    }
    const f = await failure(server.kit.operation({ resourceType: 'ValueSet', name: '$frobnicate', method: 'GET' }));
    expect(f.status).toBe(404);
    expect(txTypes(f.data)).toEqual(['not-supported']);
  });

  it('a malformed URL', async () => {
    expectOutcome(await raw(server, 'CodeSystem/%E0%A4%A'), 400, 'invalid-data');
  });
});

describe('every answer is application/fhir+json', () => {
  it.each([
    ['metadata'],
    ['metadata?mode=terminology'],
    ['CodeSystem'],
    ['CodeSystem/colours'],
    ['CodeSystem/$lookup?system=http://example.org/fhir/CodeSystem/colours&code=red'],
    ['CodeSystem/$lookup?system=http://example.org/fhir/CodeSystem/colours&code=nope'],
    ['ValueSet?bogus=1'],
  ])('GET %s', async (path) => {
    const a = await raw(server, path);
    expect(a.contentType).toMatch(/^application\/fhir\+json/);
    expect(a.json.resourceType).toBeDefined();
    expect(a.status).toBeLessThan(500);
  });
});
