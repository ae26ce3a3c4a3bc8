import { Kodverk, raw, startKodverk, txTypes } from './support/server';
import { LATEST, PINNED } from '../../src/fhir/operations/caching';

/**
 * Cacheable run-time answers: $expand, $lookup and $validate-code by GET carry an entity tag of
 * their content alone (an expansion's identifier and timestamp are new on every call and do not
 * count), Cache-Control by the versions involved, and 304 for If-None-Match; the FHIR API speaks
 * JSON and answers a request for XML with 406. The real server, its SQLite file, over HTTP.
 */

let server: Kodverk;
const CS = 'https://example.org/fhir/CodeSystem/farg';
const PINNED_VS = 'https://example.org/fhir/ValueSet/farg-pinned';
const LATEST_VS = 'https://example.org/fhir/ValueSet/farg-latest';

const codeSystem = (version: string, codes: string[]) => ({
  resourceType: 'CodeSystem',
  id: `farg-${version}`,
  url: CS,
  version,
  status: 'active',
  content: 'complete',
  concept: codes.map((code) => ({ code, display: `Färg ${code}` })),
});

async function put(resource: any): Promise<void> {
  const res = await raw(server, `${resource.resourceType}/${resource.id}`, { method: 'PUT', headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(resource) });
  expect([200, 201]).toContain(res.status);
}

const get = (relative: string, headers: Record<string, string> = {}) => raw(server, relative, { headers });

beforeAll(async () => {
  server = await startKodverk();
  await put(codeSystem('1.0', ['rod', 'gron']));
  await put({ resourceType: 'ValueSet', id: 'farg-pinned', url: PINNED_VS, version: '1.0', status: 'active', compose: { include: [{ system: CS, version: '1.0' }] } });
  await put({ resourceType: 'ValueSet', id: 'farg-latest', url: LATEST_VS, version: '1.0', status: 'active', compose: { include: [{ system: CS }] } });
});

afterAll(async () => {
  await server.close();
});

describe('cacheable answers', () => {
  it('a repeated $expand has the same ETag although its identifier is new, and If-None-Match gives 304', async () => {
    const url = `ValueSet/$expand?url=${encodeURIComponent(`${PINNED_VS}|1.0`)}`;
    const [a, b] = [await get(url), await get(url)];
    expect(a.status).toBe(200);
    expect(a.json.expansion.identifier).not.toBe(b.json.expansion.identifier);
    expect(a.headers.get('etag')).toMatch(/^W\/".+"$/);
    expect(b.headers.get('etag')).toBe(a.headers.get('etag'));
    const again = await get(url, { 'If-None-Match': a.headers.get('etag')! });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(a.headers.get('etag'));
    expect(again.headers.get('cache-control')).toBe(PINNED);
    // a list of tags, one of them matching
    expect((await get(url, { 'If-None-Match': `"other", ${a.headers.get('etag')}` })).status).toBe(304);
  });

  it('Cache-Control follows the versions: every version named is long, anything resolved to the latest is short and revalidated', async () => {
    const cacheControl = async (relative: string) => (await get(relative)).headers.get('cache-control');
    expect(await cacheControl(`ValueSet/$expand?url=${encodeURIComponent(PINNED_VS)}&valueSetVersion=1.0`)).toBe(PINNED);
    expect(await cacheControl('ValueSet/farg-pinned/$expand')).toBe(PINNED);
    // the value set version is named but its code system floats
    expect(await cacheControl(`ValueSet/$expand?url=${encodeURIComponent(`${LATEST_VS}|1.0`)}`)).toBe(LATEST);
    expect(await cacheControl(`ValueSet/$expand?url=${encodeURIComponent(`${LATEST_VS}|1.0`)}&system-version=${encodeURIComponent(`${CS}|1.0`)}`)).toBe(PINNED);
    expect(await cacheControl(`ValueSet/$expand?url=${encodeURIComponent(PINNED_VS)}`)).toBe(LATEST);
    expect(await cacheControl(`CodeSystem/$lookup?system=${encodeURIComponent(CS)}&version=1.0&code=rod`)).toBe(PINNED);
    expect(await cacheControl(`CodeSystem/$lookup?system=${encodeURIComponent(CS)}&code=rod`)).toBe(LATEST);
    expect(await cacheControl(`CodeSystem/$lookup?system=${encodeURIComponent(CS)}&version=1.x&code=rod`)).toBe(LATEST);
    expect(await cacheControl(`ValueSet/$validate-code?url=${encodeURIComponent(`${PINNED_VS}|1.0`)}&system=${encodeURIComponent(CS)}&code=rod`)).toBe(PINNED);
    expect(await cacheControl(`CodeSystem/$validate-code?url=${encodeURIComponent(CS)}&code=rod`)).toBe(LATEST);
  });

  it('$lookup and $validate-code answer 304 to their own ETag; a new code-system version changes a floating answer and its tag', async () => {
    for (const relative of [`CodeSystem/$lookup?system=${encodeURIComponent(CS)}&code=rod`, `ValueSet/$validate-code?url=${encodeURIComponent(LATEST_VS)}&system=${encodeURIComponent(CS)}&code=gul`]) {
      const first = await get(relative);
      expect(first.status).toBe(200);
      expect(first.headers.get('vary')).toMatch(/Accept-Language/);
      expect((await get(relative, { 'If-None-Match': first.headers.get('etag')! })).status).toBe(304);
    }
    const floating = `ValueSet/$expand?url=${encodeURIComponent(LATEST_VS)}`;
    const before = await get(floating);
    await put(codeSystem('2.0', ['rod', 'gron', 'gul']));
    const after = await get(floating, { 'If-None-Match': before.headers.get('etag')! });
    expect(after.status).toBe(200);
    expect(after.json.expansion.total).toBe(3);
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
    // the pinned one is untouched by the new version
    const pinned = `ValueSet/$expand?url=${encodeURIComponent(`${PINNED_VS}|1.0`)}`;
    expect((await get(pinned)).json.expansion.total).toBe(2);
  });

  it('RFC 9110 §9.3.2: HEAD on an operation is GET without the body, with the same headers', async () => {
    for (const relative of [`ValueSet/$expand?url=${encodeURIComponent(`${PINNED_VS}|1.0`)}`, `CodeSystem/$lookup?system=${encodeURIComponent(CS)}&code=rod`, 'ValueSet/farg-pinned/$expand']) {
      const got = await get(relative);
      const head = await raw(server, relative, { method: 'HEAD' });
      expect([relative, head.status, head.text]).toEqual([relative, 200, '']);
      for (const name of ['etag', 'cache-control', 'vary', 'content-type']) expect([relative, name, head.headers.get(name)]).toEqual([relative, name, got.headers.get(name)]);
      expect((await raw(server, relative, { method: 'HEAD', headers: { 'If-None-Match': got.headers.get('etag')! } })).status).toBe(304);
    }
    // an operation that takes POST alone takes neither GET nor HEAD
    for (const method of ['GET', 'HEAD']) expect([method, (await raw(server, 'ValueSet/$batch-validate-code', { method })).status]).toEqual([method, 405]);
  });

  it('errors are not cached', async () => {
    const missing = await get(`ValueSet/$expand?url=${encodeURIComponent('https://example.org/fhir/ValueSet/finns-inte')}`);
    expect(missing.status).toBeGreaterThanOrEqual(400);
    expect(missing.headers.get('cache-control')).toBeNull();
  });

  it('README: "Errors carry no caching headers" — no ETag either (404, 406, 422, a read of nothing, a page)', async () => {
    for (const [relative, headers, status] of [
      [`CodeSystem/$lookup?system=${encodeURIComponent('https://example.org/fhir/CodeSystem/finns-inte')}&code=x`, {}, 404],
      [`CodeSystem/$lookup?system=${encodeURIComponent(CS)}&code=rod`, { Accept: 'application/fhir+xml' }, 406],
      [`ValueSet/$expand?url=${encodeURIComponent('https://example.org/fhir/ValueSet/finns-inte')}`, {}, 422],
      ['CodeSystem/finns-inte', {}, 404],
    ] as [string, Record<string, string>, number][]) {
      const res = await get(relative, headers);
      expect([relative, res.status]).toEqual([relative, status]);
      expect(res.json.resourceType).toBe('OperationOutcome');
      expect([relative, res.headers.get('etag'), res.headers.get('cache-control')]).toEqual([relative, null, null]);
    }
    const page = await fetch(new URL('/finns-inte', server.fhirBase));
    await page.text();
    expect(page.status).toBe(404);
    expect(page.headers.get('etag')).toBeNull();
    // a success still has its tag (metadata: Express's; a read: meta.versionId)
    expect((await get('metadata')).headers.get('etag')).toBeTruthy();
  });
});

describe('content negotiation (JSON only)', () => {
  const lookup = `CodeSystem/$lookup?system=${encodeURIComponent(CS)}&code=rod`;

  it('answers a request for XML with 406 and an OperationOutcome', async () => {
    for (const [relative, headers] of [
      [lookup, { Accept: 'application/fhir+xml' }],
      [`${lookup}&_format=xml`, {}],
      [`${lookup}&_format=application/fhir%2Bxml`, { Accept: 'application/fhir+json' }],
      ['metadata', { Accept: 'application/xml' }],
      ['metadata', { Accept: 'text/turtle' }],
      [lookup, { Accept: 'application/fhir+json; fhirVersion=3.0' }],
    ] as [string, Record<string, string>][]) {
      const res = await get(relative, headers);
      expect([relative, headers, res.status]).toEqual([relative, headers, 406]);
      expect(res.contentType).toMatch(/^application\/fhir\+json/);
      expect(txTypes(res.json)).toEqual(['not-supported']);
    }
    const post = await raw(server, 'ValueSet/$expand', { method: 'POST', headers: { Accept: 'application/fhir+xml', 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'url', valueUri: PINNED_VS }] }) });
    expect(post.status).toBe(406);
  });

  it('answers JSON for every way of asking for it', async () => {
    for (const [relative, headers, type] of [
      [lookup, {}, 'application/fhir+json'],
      [lookup, { Accept: 'application/fhir+json' }, 'application/fhir+json'],
      [lookup, { Accept: 'application/fhir+json; fhirVersion=4.0' }, 'application/fhir+json'],
      [lookup, { Accept: 'application/json' }, 'application/json'],
      [lookup, { Accept: 'application/fhir+xml;q=1, application/fhir+json;q=0.5' }, 'application/fhir+json'],
      [`${lookup}&_format=json`, { Accept: 'application/fhir+xml' }, 'application/fhir+json'],
      ['metadata', { Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }, 'application/fhir+json'],
    ] as [string, Record<string, string>, string][]) {
      const res = await get(relative, headers);
      expect([relative, headers, res.status]).toEqual([relative, headers, 200]);
      expect(res.contentType?.split(';')[0]).toBe(type);
    }
  });
});

describe('Vary with CORS origins listed', () => {
  // the cors package answers with Vary: Origin when origins are listed; a shared cache must not
  // hand one origin's answer (its Access-Control-Allow-Origin) to another, so caching adds to Vary
  let listed: Kodverk;
  beforeAll(async () => {
    listed = await startKodverk({ corsOrigins: ['https://a.example.se', 'https://b.example.se'] });
    for (const resource of [codeSystem('1.0', ['rod']), { resourceType: 'ValueSet', id: 'farg-latest', url: LATEST_VS, version: '1.0', status: 'active', compose: { include: [{ system: CS }] } }]) {
      const res = await raw(listed, `${resource.resourceType}/${resource.id}`, { method: 'PUT', headers: { Authorization: `Bearer ${listed.token}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(resource) });
      expect([200, 201]).toContain(res.status);
    }
  });
  afterAll(async () => {
    await listed.close();
  });

  const varied = (vary: string | null) => (vary ?? '').split(',').map((v) => v.trim().toLowerCase());

  it('$lookup and $expand keep Vary: Origin beside Accept, Accept-Language', async () => {
    for (const relative of [`CodeSystem/$lookup?system=${encodeURIComponent(CS)}&code=rod`, `ValueSet/$expand?url=${encodeURIComponent(LATEST_VS)}`]) {
      const res = await raw(listed, relative, { headers: { Origin: 'https://a.example.se' } });
      expect([relative, res.status]).toEqual([relative, 200]);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://a.example.se');
      expect(varied(res.headers.get('vary'))).toEqual(expect.arrayContaining(['origin', 'accept', 'accept-language']));
    }
  });

  it('the syndication feed keeps Vary: Origin beside Authorization', async () => {
    const res = await fetch(new URL('/syndication/feed.xml', listed.fhirBase), { headers: { Origin: 'https://b.example.se' } });
    await res.text();
    expect(res.status).toBe(200);
    expect(varied(res.headers.get('vary'))).toEqual(expect.arrayContaining(['origin', 'authorization']));
  });
});

describe('KODVERK_READ_ACCESS=authenticated', () => {
  // RFC 9111 §3.5: a shared cache may store an answer to a request with Authorization when it says
  // public (or must-revalidate), and then serve it to anyone; with reads restricted, that would hand
  // an identity's answers to anonymous clients. So every answer is private, and still tagged.
  let restricted: Kodverk;
  beforeAll(async () => {
    restricted = await startKodverk({ security: { readAccess: 'authenticated' } });
    for (const resource of [codeSystem('1.0', ['rod']), { resourceType: 'ValueSet', id: 'farg-pinned', url: PINNED_VS, version: '1.0', status: 'active', compose: { include: [{ system: CS, version: '1.0' }] } }]) {
      const res = await raw(restricted, `${resource.resourceType}/${resource.id}`, { method: 'PUT', headers: { Authorization: `Bearer ${restricted.token}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(resource) });
      expect([200, 201]).toContain(res.status);
    }
  });
  afterAll(async () => {
    await restricted.close();
  });

  it('operations, reads, search, metadata and the release API answer Cache-Control private, and 304 still works', async () => {
    const auth = { Authorization: `Bearer ${restricted.token}` };
    const api = new URL('/', restricted.fhirBase).href;
    for (const [url, expected] of [
      [`${restricted.fhirBase}/ValueSet/$expand?url=${encodeURIComponent(`${PINNED_VS}|1.0`)}`, PINNED.replace('public', 'private')],
      [`${restricted.fhirBase}/CodeSystem/$lookup?system=${encodeURIComponent(CS)}&code=rod`, LATEST.replace('public', 'private')],
      [`${restricted.fhirBase}/CodeSystem/farg-1.0`, 'private'],
      [`${restricted.fhirBase}/CodeSystem?url=${encodeURIComponent(CS)}`, 'private'],
      [`${restricted.fhirBase}/metadata`, 'private'],
      [`${api}releases`, 'private, no-cache'],
    ]) {
      const res = await fetch(url, { headers: auth });
      await res.text();
      expect([url, res.status, res.headers.get('cache-control')]).toEqual([url, 200, expected]);
      // (a searchset Bundle has a new id and the CapabilityStatement a new date every time: no 304)
      if (url.includes('CodeSystem?') || url.endsWith('/metadata')) continue;
      const tag = res.headers.get('etag');
      expect([url, tag]).toEqual([url, expect.any(String)]);
      const again = await fetch(url, { headers: { ...auth, 'If-None-Match': tag! } });
      expect([url, again.status, again.headers.get('cache-control')]).toEqual([url, 304, expected]);
    }
    // and an anonymous read is refused, as before
    expect((await fetch(`${restricted.fhirBase}/CodeSystem/farg-1.0`)).status).toBe(401);
  });
});

describe('a pinned value set and a code of a code system it does not pin', () => {
  // README: "anything resolved to the latest version … public, max-age=60, must-revalidate": a
  // code whose system the request leaves unversioned and the value set does not pin is looked up in
  // that system's latest version, so the answer changes when a new version is published
  let s: Kodverk;
  const OTHER = 'https://example.org/fhir/CodeSystem/kontaktsatt';
  const other = (version: string, display: string) => ({ resourceType: 'CodeSystem', id: `kontaktsatt-${version}`, url: OTHER, version, status: 'active', content: 'complete', concept: [{ code: 'polis', display }] });
  const store = async (resource: any) => {
    const res = await raw(s, `${resource.resourceType}/${resource.id}`, { method: 'PUT', headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(resource) });
    expect([200, 201]).toContain(res.status);
  };
  beforeAll(async () => {
    s = await startKodverk();
    await store(codeSystem('1.0', ['rod', 'gron']));
    await store({ resourceType: 'ValueSet', id: 'farg-pinned', url: PINNED_VS, version: '1.0', status: 'active', compose: { include: [{ system: CS, version: '1.0' }] } });
    await store(other('1', 'Polis'));
  });
  afterAll(async () => {
    await s.close();
  });

  const validate = async (query: string) => {
    const res = await raw(s, `ValueSet/$validate-code?url=${encodeURIComponent(`${PINNED_VS}|1.0`)}&${query}`);
    expect([query, res.status]).toEqual([query, 200]);
    const version = res.json.parameter.find((p: any) => p.name === 'version')?.valueString;
    return { cacheControl: res.headers.get('cache-control'), version };
  };

  it('an unversioned system outside the value set is short; a versioned one, or one the value set pins, is long', async () => {
    const unversioned = `system=${encodeURIComponent(OTHER)}&code=polis`;
    expect(await validate(unversioned)).toEqual({ cacheControl: LATEST, version: '1' });
    expect((await validate(`${unversioned}&systemVersion=1`)).cacheControl).toBe(PINNED);
    expect((await validate(`coding=${encodeURIComponent(`${OTHER}|polis`)}`)).cacheControl).toBe(LATEST);
    expect((await validate(`system=${encodeURIComponent(CS)}&code=rod`)).cacheControl).toBe(PINNED);
    // the next version changes the answer: it was right not to keep it for a day
    await store(other('2', 'Polisen'));
    expect(await validate(unversioned)).toEqual({ cacheControl: LATEST, version: '2' });
    expect(await validate(`${unversioned}&systemVersion=1`)).toEqual({ cacheControl: PINNED, version: '1' });
  });

  it('a code of a pinned system that only a later version has is judged by the pinned version (long)', async () => {
    await store(codeSystem('2.0', ['rod', 'gron', 'gul']));
    expect(await validate(`system=${encodeURIComponent(CS)}&code=gul`)).toEqual({ cacheControl: PINNED, version: '1.0' });
  });
});
