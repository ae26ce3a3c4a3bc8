import type { CodeSystem, Parameters } from 'fhir/r4';
import { failure, httpOf } from './support/kit';
import { codeSystem, conceptMap, namingSystem, valueSet } from './support/fixtures';
import { Kodverk, startKodverk, txTypes, uniqueUrl } from './support/server';

describe('create, update and delete with an API token', () => {
  let server: Kodverk;
  beforeAll(async () => {
    server = await startKodverk();
  });
  afterAll(() => server?.close());

  const countByUrl = async (resourceType: string, url: string) => (await server.kit.search({ resourceType, searchParams: { url, _summary: 'count' } })).total;
  const lookupDisplay = async (system: string, code: string) => {
    const p = (await server.kit.operation({ resourceType: 'CodeSystem', name: '$lookup', method: 'GET', input: { system, code } })) as Parameters;
    return p.parameter?.find((x) => x.name === 'display')?.valueString;
  };

  it('creates with POST: 201, a server-assigned id, Location and ETag', async () => {
    const url = uniqueUrl('CodeSystem');
    const created = (await server.kit.create({ resourceType: 'CodeSystem', body: codeSystem({ id: 'chosen-by-client', url }) })) as CodeSystem;
    const http = httpOf(created);
    expect(http.status).toBe(201);
    expect(http.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(created.id).toBeDefined();
    expect(created.id).not.toBe('chosen-by-client');
    expect(created.meta?.versionId).toBe('1');
    expect(http.headers.etag).toBe('W/"1"');
    expect(http.headers.location).toBe(`${server.fhirBase}/CodeSystem/${created.id}/_history/1`);
    // the Location can be read, and so can the resource
    expect(await server.kit.request(http.headers.location)).toMatchObject({ id: created.id, url });
    expect(await server.kit.read({ resourceType: 'CodeSystem', id: created.id! })).toMatchObject({ id: created.id, url });
    // and the engine knows the new code system
    expect(await lookupDisplay(url, 'red')).toBe('Red');
  });

  it('updates with PUT: 200 and a new version that the engine uses', async () => {
    const url = uniqueUrl('CodeSystem');
    const id = 'update-me';
    const first = await server.kit.update({ resourceType: 'CodeSystem', id, body: codeSystem({ id, url }) });
    expect(httpOf(first).status).toBe(201);
    expect(await lookupDisplay(url, 'red')).toBe('Red');

    const changed = codeSystem({ id, url, concept: [{ code: 'red', display: 'Crimson' }] });
    const second = await server.kit.update({ resourceType: 'CodeSystem', id, body: changed });
    expect(httpOf(second).status).toBe(200);
    expect(httpOf(second).headers.etag).toBe('W/"2"');
    expect(second.meta.versionId).toBe('2');
    expect((await server.kit.read({ resourceType: 'CodeSystem', id })).concept).toEqual([{ code: 'red', display: 'Crimson' }]);
    expect(await lookupDisplay(url, 'red')).toBe('Crimson');

    // the same content again is no new version
    const same = await server.kit.update({ resourceType: 'CodeSystem', id, body: changed });
    expect(httpOf(same).status).toBe(200);
    expect(same.meta.versionId).toBe('2');
  });

  it('deletes with DELETE: 204, then 404 for the resource and for a second delete', async () => {
    const url = uniqueUrl('CodeSystem');
    const created = await server.kit.create({ resourceType: 'CodeSystem', body: codeSystem({ url }) });
    expect(await lookupDisplay(url, 'red')).toBe('Red');
    const deleted = await server.kit.delete({ resourceType: 'CodeSystem', id: created.id });
    expect(httpOf(deleted).status).toBe(204);
    expect((await failure(server.kit.read({ resourceType: 'CodeSystem', id: created.id }))).status).toBe(404);
    const again = await failure(server.kit.delete({ resourceType: 'CodeSystem', id: created.id }));
    expect(again.status).toBe(404);
    expect(txTypes(again.data)).toEqual(['not-found']);
    expect(await countByUrl('CodeSystem', url)).toBe(0);
    // the engine forgets it too
    const lookup = await failure(server.kit.operation({ resourceType: 'CodeSystem', name: '$lookup', method: 'GET', input: { system: url, code: 'red' } }));
    expect(lookup.status).toBeGreaterThanOrEqual(400);
    expect(lookup.status).toBeLessThan(500);
  });

  it('answers 404 for a delete of an id that never existed', async () => {
    const f = await failure(server.kit.delete({ resourceType: 'ValueSet', id: 'never-was' }));
    expect(f.status).toBe(404);
    expect(txTypes(f.data)).toEqual(['not-found']);
  });

  it('creates, reads, searches and deletes every supported type', async () => {
    const bodies = [valueSet({ url: uniqueUrl('ValueSet') }), conceptMap({ url: uniqueUrl('ConceptMap') }), namingSystem({ name: `NS${Date.now()}` })];
    for (const body of bodies) {
      const created = await server.kit.create({ resourceType: body.resourceType, body });
      expect(httpOf(created).status).toBe(201);
      expect(await server.kit.read({ resourceType: body.resourceType, id: created.id })).toMatchObject({ resourceType: body.resourceType, id: created.id });
      const found = await server.kit.search({ resourceType: body.resourceType, searchParams: { _id: created.id } });
      expect(found.total).toBe(1);
      expect(httpOf(await server.kit.delete({ resourceType: body.resourceType, id: created.id })).status).toBe(204);
      expect((await failure(server.kit.read({ resourceType: body.resourceType, id: created.id }))).status).toBe(404);
    }
  });

  it('keeps versions of one canonical URL apart and refuses a second resource with the same url and version', async () => {
    const url = uniqueUrl('CodeSystem');
    await server.kit.update({ resourceType: 'CodeSystem', id: 'dup-1', body: codeSystem({ id: 'dup-1', url, version: '1' }) });
    await server.kit.update({ resourceType: 'CodeSystem', id: 'dup-2', body: codeSystem({ id: 'dup-2', url, version: '2' }) });
    expect(await countByUrl('CodeSystem', url)).toBe(2);
    for (const call of [
      () => server.kit.create({ resourceType: 'CodeSystem', body: codeSystem({ url, version: '1' }) }),
      () => server.kit.update({ resourceType: 'CodeSystem', id: 'dup-2', body: codeSystem({ id: 'dup-2', url, version: '1' }) }),
    ]) {
      const f = await failure(call());
      expect(f.status).toBe(422);
      expect(txTypes(f.data)).toEqual(['business-rule']);
    }
    expect(await countByUrl('CodeSystem', url)).toBe(2);
    expect((await server.kit.read({ resourceType: 'CodeSystem', id: 'dup-2' })).version).toBe('2');
  });

  describe('refuses bad input with 400 and changes nothing', () => {
    const cases: [string, (url: string) => unknown][] = [
      ['an unknown element', (url) => ({ ...codeSystem({ url }), colour: 'red' })],
      ['a wrong code', (url) => codeSystem({ url, status: 'sleeping' as any })],
      ['a wrong element type', (url) => ({ ...codeSystem({ url }), concept: 'red' })],
      ['a missing required element', (url) => ({ ...codeSystem({ url }), status: undefined })],
      ['another resource type', (url) => valueSet({ url })],
      ['no resource at all', () => ({ code: 'red' })],
      ['an array', () => [codeSystem()]],
      ['a primitive', () => 'CodeSystem'],
    ];
    it.each(cases)('%s (create)', async (_what, body) => {
      const url = uniqueUrl('CodeSystem');
      const f = await failure(server.kit.request('CodeSystem', { method: 'POST', body: body(url), options: { headers: { 'content-type': 'application/fhir+json' } } }));
      expect(f.status).toBe(400);
      expect(txTypes(f.data)).toEqual(['invalid-data']);
      expect(await countByUrl('CodeSystem', url)).toBe(0);
    });
    it.each(cases)('%s (update)', async (_what, body) => {
      const url = uniqueUrl('CodeSystem');
      const id = `bad-update-${Math.random().toString(36).slice(2)}`;
      await server.kit.update({ resourceType: 'CodeSystem', id, body: codeSystem({ id, url }) });
      const f = await failure(server.kit.request(`CodeSystem/${id}`, { method: 'PUT', body: body(url), options: { headers: { 'content-type': 'application/fhir+json' } } }));
      expect(f.status).toBe(400);
      const stored = await server.kit.read({ resourceType: 'CodeSystem', id });
      expect(stored.meta.versionId).toBe('1');
      expect(stored).toMatchObject(codeSystem({ id, url }));
    });

    it('an id in the body that differs from the id in the URL', async () => {
      const url = uniqueUrl('CodeSystem');
      const f = await failure(server.kit.update({ resourceType: 'CodeSystem', id: 'one', body: codeSystem({ id: 'other', url }) }));
      expect(f.status).toBe(400);
      expect(await countByUrl('CodeSystem', url)).toBe(0);
    });

    it('an invalid id in the URL', async () => {
      const f = await failure(server.kit.update({ resourceType: 'CodeSystem', id: 'no_under_scores', body: codeSystem({ url: uniqueUrl('CodeSystem') }) }));
      expect(f.status).toBe(400);
    });

    it('a code system whose concepts repeat a code', async () => {
      const url = uniqueUrl('CodeSystem');
      const body = codeSystem({ url, concept: [{ code: 'red' }, { code: 'red', display: 'Again' }] });
      const f = await failure(server.kit.create({ resourceType: 'CodeSystem', body }));
      expect(f.status).toBe(400);
      expect(txTypes(f.data)).toEqual(['invalid-data']);
      expect(await countByUrl('CodeSystem', url)).toBe(0);
    });
  });

  describe('refuses writes without the right bearer token with 401', () => {
    const tokens: [string, Record<string, string>][] = [
      ['no token', {}],
      ['a wrong token', { authorization: 'Bearer wrong' }],
      ['a token of another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ];
    it.each(tokens)('%s', async (_what, headers) => {
      const url = uniqueUrl('CodeSystem');
      const id = `guarded-${Math.random().toString(36).slice(2)}`;
      await server.kit.update({ resourceType: 'CodeSystem', id, body: codeSystem({ id, url }) });
      const options = { headers };
      // one call at a time: a rejection nobody awaits yet would count as unhandled
      for (const call of [
        () => server.anonymous.create({ resourceType: 'CodeSystem', body: codeSystem({ url: uniqueUrl('CodeSystem') }), options }),
        () => server.anonymous.update({ resourceType: 'CodeSystem', id, body: codeSystem({ id, url, title: 'Changed' }), options }),
        () => server.anonymous.delete({ resourceType: 'CodeSystem', id, options }),
      ]) {
        const f = await failure(call());
        expect(f.status).toBe(401);
        expect(f.data.resourceType).toBe('OperationOutcome');
      }
      const stored = await server.kit.read({ resourceType: 'CodeSystem', id });
      expect(stored.title).toBe('Colour codes');
      expect(stored.meta.versionId).toBe('1');
    });
  });
});

describe('without a configured API token (and no API keys or identity provider)', () => {
  let server: Kodverk;
  beforeAll(async () => {
    server = await startKodverk({ apiToken: undefined });
  });
  afterAll(() => server?.close());

  it('refuses every write with 401, whatever token is sent, and still serves reads', async () => {
    const options = { headers: { authorization: 'Bearer anything' } };
    for (const call of [
      () => server.anonymous.create({ resourceType: 'CodeSystem', body: codeSystem(), options }),
      () => server.anonymous.update({ resourceType: 'CodeSystem', id: 'x', body: codeSystem({ id: 'x' }), options }),
      () => server.anonymous.delete({ resourceType: 'CodeSystem', id: 'x', options }),
      () => server.anonymous.create({ resourceType: 'CodeSystem', body: codeSystem() }),
    ]) {
      const f = await failure(call());
      expect(f.status).toBe(401);
      expect(f.data.resourceType).toBe('OperationOutcome');
    }
    expect((await server.anonymous.search({ resourceType: 'CodeSystem', searchParams: {} })).total).toBe(0);
  });
});
