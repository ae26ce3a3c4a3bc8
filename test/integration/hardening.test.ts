import path from 'node:path';
import type { OperationOutcome } from 'fhir/r4';
import { startTestServer } from '../helpers/server';
import { removeTempStores, tempDir } from '../helpers/temp-store';
import { jsonOf } from '../helpers/json';
import type { RunningServer } from '../../src/server';
import { ApiKeys } from '../../src/security/api-keys';

afterAll(removeTempStores);

/**
 * Rate limits (per API key, token subject or address; a stricter budget for expensive operations
 * and submissions; 429 with Retry-After) and the response headers helmet sets on pages and API.
 */

const PACK = path.resolve(__dirname, '../../terminology');
const LOOKUP = '/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender&code=female';

describe('rate limits', () => {
  let server: RunningServer & { dir: string };
  let first = '';
  let second = '';
  beforeAll(async () => {
    server = await startTestServer({ loadFhirCore: true, contentPackDir: tempDir('kodverk-empty-'), security: { rateLimit: 10, rateLimitExpensive: 3, authFailureLimit: 5 } });
    const keys = new ApiKeys(server.db);
    first = (await keys.create({ name: 'Första', role: 'reader' })).key;
    second = (await keys.create({ name: 'Andra', role: 'reader' })).key;
  });
  afterAll(async () => {
    await server?.close();
  });

  const get = (p: string, key?: string, headers: Record<string, string> = {}) => fetch(server.url + p, { headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...headers } });

  it('answers a client its budget, then 429 with Retry-After and an OperationOutcome; another key has its own budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await get(LOOKUP, first)).status);
    expect(statuses).toEqual([...Array(10).fill(200), 429, 429]);
    const refused = await get(LOOKUP, first);
    expect(refused.status).toBe(429);
    const retry = Number(refused.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    const outcome = await jsonOf<OperationOutcome>(refused);
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0].code).toBe('throttled');
    expect((await get(LOOKUP, second)).status).toBe(200);
  });

  it('keys anonymous clients by address, and answers pages with a 429 page', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await get('/fhir/metadata')).status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    const page = await get('/');
    expect(page.status).toBe(429);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('retry-after')).toBeTruthy();
  });

  it('gives expensive operations and submissions a stricter budget of their own', async () => {
    const expand = '/fhir/ValueSet/$expand?url=http://hl7.org/fhir/ValueSet/administrative-gender';
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(expand, second)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const submission = await fetch(`${server.url}/validate/submission`, { method: 'POST', headers: { Authorization: `Bearer ${second}`, 'Content-Type': 'text/csv' }, body: 'a;b\n1;2\n' });
    expect(submission.status).toBe(429);
    // cheap reads of the same client still have budget
    expect((await get(LOOKUP, second)).status).toBe(200);
  });

  it('refuses an address after too many failed authentications, even with good credentials', async () => {
    const bad = { Authorization: 'Bearer kv_000000000000_' + 'B'.repeat(43) };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await fetch(server.url + '/fhir/metadata', { headers: bad })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await fetch(server.url + '/fhir/metadata', { headers: { Authorization: `Bearer ${first}` } })).status).toBe(429);
  });
});

describe('response hardening (helmet)', () => {
  let server: RunningServer & { dir: string };
  beforeAll(async () => {
    server = await startTestServer({ contentPackDir: PACK, loadFhirCore: false, security: { hstsMaxAgeSeconds: 31_536_000 } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sends a CSP without inline script, nosniff, no framing and a referrer policy on pages and API', async () => {
    for (const p of ['/', '/katalog', '/fhir/metadata', '/releases', '/kodsystem/finns-inte']) {
      const res = await fetch(server.url + p);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      // HSTS only over TLS: this request was plain HTTP
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('sends the language toggle back to a page on this site only (no open redirect)', async () => {
    const toggle = (back: string) => fetch(`${server.url}/sprak?till=en&tillbaka=${encodeURIComponent(back)}`, { redirect: 'manual' });
    const kept = await toggle('/sok?q=boende');
    expect(kept.status).toBe(303);
    expect(kept.headers.get('location')).toBe('/sok?q=boende');
    expect(kept.headers.get('set-cookie')).toMatch(/kodverk-sprak=en/);
    // a browser reads each of these as '//evil.example', another site
    for (const back of ['/\\evil.example', '/\t/evil.example', '//evil.example', '/..//evil.example']) {
      const res = await toggle(back);
      expect([back, res.status]).toEqual([back, 303]);
      expect([back, new URL(res.headers.get('location')!, server.url).origin]).toEqual([back, new URL(server.url).origin]);
    }
  });

  it('has no inline script or event handler in any page (every script is a file in src/web/public)', async () => {
    const pages = ['/', '/sok?q=kod', '/katalog', '/informationsmangder', '/utgavor', '/jamfor', '/informationsmangder/brukare', '/utgavor/1.1.0', '/kodsystem/finns-inte'];
    for (const p of pages) {
      const html = await (await fetch(server.url + p)).text();
      for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) expect([p, tag]).toEqual([p, expect.stringMatching(/\bsrc="\/resurser\//)]);
      expect([p, /<script\b[^>]*>\s*[^<\s]/i.test(html)]).toEqual([p, false]);
      expect([p, html.match(/\son[a-z]+=/gi)]).toEqual([p, null]);
      expect([p, html.match(/\sstyle=/gi)]).toEqual([p, null]);
    }
  });
});
