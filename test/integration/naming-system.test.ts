import type { Bundle, Parameters } from 'fhir/r4';
import { failure } from './support/kit';
import { COLOURS, SHAPES, codeSystem, namingSystem } from './support/fixtures';
import { Kodverk, ids, param, seed, startKodverk } from './support/server';

let server: Kodverk;

beforeAll(async () => {
  server = await startKodverk();
  const resources = [
    // carries its OID itself
    codeSystem({ id: 'colours', identifier: [{ system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.752.1.1' }] }),
    // known by an OID only through a NamingSystem
    codeSystem({ id: 'shapes', url: SHAPES, name: 'Shapes', concept: [{ code: 'circle', display: 'Circle' }] }),
    namingSystem({
      id: 'shapes-ns',
      name: 'ShapesNamingSystem',
      uniqueId: [
        { type: 'oid', value: '1.2.752.1.2' },
        { type: 'uri', value: SHAPES, preferred: true },
      ],
    }),
    // an identifier namespace, not a code system: its OID names no code system
    namingSystem({ id: 'person-ids', name: 'PersonIds', kind: 'identifier', uniqueId: [{ type: 'oid', value: '1.2.752.1.3' }, { type: 'uri', value: COLOURS }] }),
  ];
  await seed(server, resources);
});

afterAll(() => server?.close());

const search = (resourceType: string, searchParams: Record<string, string>): Promise<Bundle> => server.kit.search({ resourceType, searchParams });
const lookup = (system: string, code: string) => server.kit.operation({ resourceType: 'CodeSystem', name: '$lookup', method: 'GET', input: { system, code } }) as Promise<Parameters>;

describe('identifiers and OIDs', () => {
  it('finds a CodeSystem by the OID it carries, in urn:oid:, bare and system|value form', async () => {
    expect(ids(await search('CodeSystem', { identifier: 'urn:oid:1.2.752.1.1' }))).toEqual(['colours']);
    expect(ids(await search('CodeSystem', { identifier: '1.2.752.1.1' }))).toEqual(['colours']);
    expect(ids(await search('CodeSystem', { identifier: 'urn:ietf:rfc:3986|urn:oid:1.2.752.1.1' }))).toEqual(['colours']);
    expect((await search('CodeSystem', { identifier: 'urn:oid:1.2.752.1' })).total).toBe(0);
  });

  it("finds a NamingSystem by its uniqueId, as identifier and as R4's value parameter", async () => {
    for (const identifier of ['urn:oid:1.2.752.1.2', '1.2.752.1.2', 'urn:ietf:rfc:3986|urn:oid:1.2.752.1.2', SHAPES]) {
      expect([identifier, ids(await search('NamingSystem', { identifier }))]).toEqual([identifier, ['shapes-ns']]);
    }
    expect(ids(await search('NamingSystem', { value: '1.2.752.1.2' }))).toEqual(['shapes-ns']);
    expect(ids(await search('NamingSystem', { value: COLOURS }))).toEqual(['person-ids']);
  });

  it('looks up a code under an urn:oid: system: the code system that carries the OID', async () => {
    const p = await lookup('urn:oid:1.2.752.1.1', 'red');
    expect(param(p, 'system')?.valueUri).toBe(COLOURS);
    expect(param(p, 'display')?.valueString).toBe('Red');
  });

  it('looks up a code under an urn:oid: system a NamingSystem declares for a canonical URL', async () => {
    const p = await lookup('urn:oid:1.2.752.1.2', 'circle');
    expect(param(p, 'system')?.valueUri).toBe(SHAPES);
    expect(param(p, 'display')?.valueString).toBe('Circle');
  });

  it('does not take the OID of an identifier namespace (NamingSystem kind identifier) for a code system', async () => {
    const f = await failure(lookup('urn:oid:1.2.752.1.3', 'red'));
    expect(f.status).toBeGreaterThanOrEqual(400);
    expect(f.status).toBeLessThan(500);
  });

  it.each([
    ['carried by the code system', 'urn:oid:1.2.752.1.1', 'red'],
    ['declared by a NamingSystem', 'urn:oid:1.2.752.1.2', 'circle'],
  ])('validates a code under an urn:oid: system %s', async (_what, url, code) => {
    const v = (await server.kit.operation({ resourceType: 'CodeSystem', name: '$validate-code', method: 'GET', input: { url, code } })) as Parameters;
    expect(param(v, 'result')?.valueBoolean).toBe(true);
  });
});

describe('identifiers and OIDs of resources sent with the request (tx-resource)', () => {
  const SENT = 'http://example.org/fhir/CodeSystem/sent-only';
  const sent = (over = {}) => codeSystem({ url: SENT, name: 'SentOnly', concept: [{ code: 'x', display: 'Ex' }], ...over });
  const lookupWith = (system: string, code: string, resources: unknown[]) =>
    server.kit.operation({
      resourceType: 'CodeSystem',
      name: '$lookup',
      method: 'POST',
      input: { resourceType: 'Parameters', parameter: [{ name: 'system', valueUri: system }, { name: 'code', valueCode: code }, ...resources.map((resource) => ({ name: 'tx-resource', resource }))] },
    }) as Promise<Parameters>;

  it('takes an urn:oid: system for the sent code system that carries the OID as identifier', async () => {
    const p = await lookupWith('urn:oid:1.2.752.9.1', 'x', [sent({ identifier: [{ system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.752.9.1' }] })]);
    expect(param(p, 'system')?.valueUri).toBe(SENT);
    expect(param(p, 'display')?.valueString).toBe('Ex');
  });

  it('takes an urn:oid: system for the code system a sent NamingSystem declares (its preferred uri)', async () => {
    const ns = namingSystem({ name: 'SentNamingSystem', uniqueId: [{ type: 'oid', value: '1.2.752.9.2' }, { type: 'uri', value: 'http://example.org/other' }, { type: 'uri', value: SENT, preferred: true }] });
    const p = await lookupWith('urn:oid:1.2.752.9.2', 'x', [sent(), ns]);
    expect(param(p, 'system')?.valueUri).toBe(SENT);
    // also for a code system the store holds
    const stored = await lookupWith('urn:oid:1.2.752.9.3', 'circle', [namingSystem({ name: 'ShapesAgain', uniqueId: [{ type: 'oid', value: '1.2.752.9.3' }, { type: 'uri', value: SHAPES }] })]);
    expect(param(stored, 'display')?.valueString).toBe('Circle');
  });

  it('does not take the OID of a sent identifier namespace (kind identifier) for a code system', async () => {
    const ns = namingSystem({ name: 'Ids', kind: 'identifier', uniqueId: [{ type: 'oid', value: '1.2.752.9.4' }, { type: 'uri', value: SENT }] });
    const f = await failure(lookupWith('urn:oid:1.2.752.9.4', 'x', [sent(), ns]));
    expect(f.status).toBeGreaterThanOrEqual(400);
    expect(f.status).toBeLessThan(500);
  });
});
