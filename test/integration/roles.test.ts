import path from 'node:path';
import Database from 'better-sqlite3';
import { Command } from 'commander';
import type { OperationOutcome } from 'fhir/r4';
import { startTestServer } from '../helpers/server';
import { removeTempStores, tempDir } from '../helpers/temp-store';
import { jsonOf } from '../helpers/json';
import type { RunningServer } from '../../src/server';
import { ACCESS_RULES } from '../../src/security/access';
import { ApiKeys } from '../../src/security/api-keys';
import type { Role } from '../../src/security/identity';
import { auditCommand } from '../../src/cli/security';
import { addMonths } from '../../src/nim/lead-time';

afterAll(removeTempStores);

/**
 * Every write route, route by route, on the real server with the content pack and the NIM seed:
 * anonymous is refused (401, WWW-Authenticate), an identity with the wrong role is refused (403),
 * the right role is accepted; each accepted and refused write is in GET /fhir/AuditEvent; and
 * `kodverk audit verify` finds a record altered directly in SQLite.
 */

const PACK = path.resolve(__dirname, '../../terminology');
const today = new Date().toISOString().slice(0, 10);
let server: RunningServer & { dir: string };
let root: string;
const keys: Record<Role, string> = { reader: '', author: '', publisher: '', admin: '' };
const KEY_NAMES: Record<Role, string> = { reader: 'Läsare AB', author: 'Författare', publisher: 'Socialstyrelsen', admin: 'Drift' };

interface Answer {
  status: number;
  headers: Headers;
  json: any;
}

async function call(method: string, relative: string, options: { as?: Role; body?: unknown; contentType?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.as) headers.Authorization = `Bearer ${keys[options.as]}`;
  let body: RequestInit['body'];
  if (Buffer.isBuffer(options.body)) body = new Uint8Array(options.body);
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['Content-Type'] = options.contentType ?? 'application/json';
  const res = await fetch(root + relative, { method, headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

beforeAll(async () => {
  server = await startTestServer({ contentPackDir: PACK, loadFhirCore: false, security: { rateLimit: 0 } });
  root = server.url;
  const apiKeys = new ApiKeys(server.db);
  for (const role of Object.keys(keys) as Role[]) keys[role] = (await apiKeys.create({ name: KEY_NAMES[role], role })).key;
});
afterAll(async () => {
  await server?.close();
});

/** The roles below each role: the one just below is "the wrong role" for a route. */
const BELOW: Record<Role, Role> = { reader: 'reader', author: 'reader', publisher: 'author', admin: 'publisher' };

interface WriteCase {
  method: string;
  /** the access rule's path pattern it exercises */
  rule: string;
  path: () => string;
  role: Role;
  body?: () => unknown;
  contentType?: string;
  expect: number;
  /** the audit subtype code it is recorded as */
  subtype: string;
  after?: (a: Answer) => void;
}

let csId = '';
let nimDefinition: any;
let release = '';
let keyId = '';
let firstPackage: Buffer;

const cs = () => ({ resourceType: 'CodeSystem', url: 'http://example.org/fhir/CodeSystem/roles', version: '1', status: 'draft', content: 'complete', concept: [{ code: 'a' }] });

/** In order: each step leaves what the next needs. */
const CASES: WriteCase[] = [
  { method: 'POST', rule: '/fhir/:type', path: () => '/fhir/CodeSystem', role: 'author', body: cs, contentType: 'application/fhir+json', expect: 201, subtype: 'create', after: (a) => (csId = a.json.id) },
  { method: 'PUT', rule: '/fhir/:type/:id', path: () => `/fhir/CodeSystem/${csId}`, role: 'author', body: () => ({ ...cs(), id: csId, title: 'Roller' }), contentType: 'application/fhir+json', expect: 200, subtype: 'update' },
  { method: 'DELETE', rule: '/fhir/:type/:id', path: () => `/fhir/CodeSystem/${csId}`, role: 'admin', expect: 204, subtype: 'delete' },
  { method: 'POST', rule: '/nim/models/:name/versions', path: () => '/nim/models/brukare/versions', role: 'author', body: () => ({}), expect: 201, subtype: 'nim-new-version', after: (a) => (nimDefinition = a.json.definition) },
  { method: 'PUT', rule: '/nim/models/:name/:version', path: () => '/nim/models/brukare/1.1.0', role: 'author', body: () => ({ ...nimDefinition, description: 'Ändrad av en författare.' }), expect: 200, subtype: 'nim-update' },
  {
    method: 'POST',
    rule: '/nim/models',
    path: () => '/nim/models',
    role: 'author',
    body: () => ({ name: 'rolltest', title: 'Rolltest', description: 'En NIM för rolltestet.', attributes: [{ id: 'a', name: 'A', definition: 'Ett attribut.', type: 'string' }] }),
    expect: 201,
    subtype: 'nim-create',
  },
  { method: 'DELETE', rule: '/nim/models/:name/:version', path: () => '/nim/models/rolltest/1.0.0', role: 'admin', expect: 204, subtype: 'nim-delete' },
  { method: 'POST', rule: '/releases', path: () => '/releases', role: 'author', body: () => ({ title: 'Rolltest', nims: ['brukare'] }), expect: 201, subtype: 'release-create', after: (a) => (release = a.json.version) },
  { method: 'PATCH', rule: '/releases/:version', path: () => `/releases/${release}`, role: 'author', body: () => ({ effectiveFrom: addMonths(today, 2) }), expect: 200, subtype: 'release-update' },
  { method: 'DELETE', rule: '/releases/:version', path: () => `/releases/${release}`, role: 'admin', expect: 204, subtype: 'release-delete' },
  // drafted again, to take through its lifecycle
  { method: 'POST', rule: '/releases', path: () => '/releases', role: 'author', body: () => ({ title: 'Rolltest', nims: ['brukare'], effectiveFrom: addMonths(today, 2) }), expect: 201, subtype: 'release-create', after: (a) => (release = a.json.version) },
  { method: 'POST', rule: '/releases/:version/status', path: () => `/releases/${release}/status`, role: 'publisher', body: () => ({ status: 'paseende' }), expect: 200, subtype: 'release-status' },
  { method: 'POST', rule: '/releases/:version/refresh', path: () => `/releases/${release}/refresh`, role: 'publisher', expect: 200, subtype: 'release-refresh' },
  { method: 'POST', rule: '/releases/:version/comments', path: () => `/releases/${release}/comments`, role: 'author', body: () => ({ text: 'Bra ändring.', organisation: 'Exempelkommun' }), expect: 201, subtype: 'release-comment' },
  {
    method: 'POST',
    rule: '/releases/:version/status',
    path: () => `/releases/${release}/status`,
    role: 'publisher',
    body: () => ({ status: 'faststalld', effectiveFrom: addMonths(today, 2), overrideLeadTime: 'Krav i ny föreskrift.' }),
    expect: 200,
    subtype: 'lead-time-override',
  },
  { method: 'POST', rule: '/releases/import', path: () => '/releases/import', role: 'admin', body: () => firstPackage, contentType: 'application/gzip', expect: 200, subtype: 'release-import' },
  { method: 'POST', rule: '/admin/api-keys', path: () => '/admin/api-keys', role: 'admin', body: () => ({ name: 'Leverantör', role: 'reader' }), expect: 201, subtype: 'api-key-create', after: (a) => (keyId = a.json.id) },
  { method: 'DELETE', rule: '/admin/api-keys/:id', path: () => `/admin/api-keys/${keyId}`, role: 'admin', expect: 200, subtype: 'api-key-revoke' },
];

describe('every write route: 401 anonymous, 403 the wrong role, accepted for the right role', () => {
  beforeAll(async () => {
    const pkg = await fetch(`${root}/releases/1.0.0/package.tgz`);
    firstPackage = Buffer.from(await pkg.arrayBuffer());
  });

  it('covers every write the access rules name', () => {
    const written = ACCESS_RULES.filter((r) => r.audit && r.path !== '/*').map((r) => `${r.methods.join(',')} ${r.path}`);
    expect([...new Set(CASES.map((c) => `${c.method} ${c.rule}`))].sort()).toEqual(written.sort());
  });

  it.each(CASES.map((c, i) => [`${c.method} ${c.rule} (${c.subtype})`, i] as const))('%s', async (_label, i) => {
    const c = CASES[i];
    const send = (as?: Role) => call(c.method, c.path(), { as, body: c.body?.(), contentType: c.contentType });

    const anonymous = await send();
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="kodverk"');
    expect(anonymous.json.resourceType).toBe('OperationOutcome');
    expect(anonymous.json.issue[0].code).toBe('login');

    const wrong = await send(BELOW[c.role]);
    expect(wrong.status).toBe(403);
    expect(wrong.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(wrong.json.resourceType).toBe('OperationOutcome');
    expect(wrong.json.issue[0].code).toBe('forbidden');

    const right = await send(c.role);
    expect([c.subtype, right.status, right.status >= 400 ? right.json : '']).toEqual([c.subtype, c.expect, '']);
    c.after?.(right);
  });

  it('admin may do what every lower role may; a bad key is 401 invalid_token on reads and writes', async () => {
    expect((await call('POST', '/releases', { as: 'admin', body: { title: 'Admin', nims: ['brukare'] } })).status).toBe(201);
    for (const [method, p] of [
      ['GET', '/fhir/CodeSystem'],
      ['POST', '/fhir/CodeSystem'],
    ]) {
      const res = await fetch(root + p, { method, headers: { Authorization: 'Bearer kv_000000000000_' + 'A'.repeat(43) } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="kodverk", error="invalid_token", error_description="The API key is not known"$/);
    }
  });

  it('refuses writes to addresses that take none without an identity, and reads stay anonymous', async () => {
    for (const [method, p] of [
      ['PATCH', '/fhir/CodeSystem/x'],
      ['POST', '/'],
      ['DELETE', '/releases/1.0.0/comments'],
      ['PUT', '/kodsystem/x'],
    ]) {
      expect([method, p, (await call(method, p)).status]).toEqual([method, p, 401]);
    }
    for (const p of ['/fhir/CodeSystem', '/releases', '/', '/fhir/metadata', '/openapi.json']) expect([p, (await call('GET', p)).status]).toEqual([p, 200]);
    expect((await call('POST', '/fhir/CodeSystem/$lookup', { body: { resourceType: 'Parameters', parameter: [] }, contentType: 'application/fhir+json' })).status).toBe(400);
  });
});

describe('the audit trail over HTTP', () => {
  const search = async (query: string) => (await call('GET', `/fhir/AuditEvent?${query}`, { as: 'admin' })).json;

  it('is for administrators only', async () => {
    expect((await call('GET', '/fhir/AuditEvent')).status).toBe(401);
    expect((await call('GET', '/fhir/AuditEvent', { as: 'publisher' })).status).toBe(403);
    expect((await call('GET', '/fhir/AuditEvent/1', { as: 'publisher' })).status).toBe(403);
    // by POST too: the trail is the administrators' whatever a route would make of the request
    for (const p of ['/fhir/AuditEvent/_search', '/fhir/AuditEvent/$anything', '/fhir/AuditEvent']) expect([p, (await call('POST', p, { as: 'publisher' })).status]).toEqual([p, 403]);
    expect((await call('DELETE', '/fhir/AuditEvent/1', { as: 'admin' })).status).toBe(405);
  });

  it('has every accepted and every refused write, with agent, role, entity and outcome', async () => {
    for (const c of CASES) {
      const outcomes = async (subtype: string) => (await search(`subtype=${subtype}&_count=1000`)).entry.map((e: any) => e.resource.outcome);
      // a refused lead-time override is a refused lifecycle step: its body was never read
      const refused = (await outcomes(c.subtype === 'lead-time-override' ? 'release-status' : c.subtype)).filter((o: string) => o === '4');
      expect([c.subtype, refused.length >= 2, (await outcomes(c.subtype)).includes('0')]).toEqual([c.subtype, true, true]);
    }
    const created = await search(`subtype=create&outcome=0`);
    const event = created.entry[0].resource;
    expect(event).toMatchObject({
      resourceType: 'AuditEvent',
      type: { code: 'rest' },
      action: 'C',
      outcome: '0',
      agent: [{ who: { display: 'Författare' }, role: [{ coding: [{ code: 'author' }] }], requestor: true, network: { address: expect.stringMatching(/127\.0\.0\.1/) } }],
      entity: [{ what: { reference: `CodeSystem/${csId}/_history/1` } }],
    });
    const refused = (await search(`subtype=delete&outcome=4&entity=CodeSystem/${csId}`)).entry.map((e: any) => e.resource);
    expect(refused.map((e: any) => e.outcomeDesc).sort()).toEqual([expect.stringMatching(/^401 Unauthorized/), expect.stringMatching(/^403 Forbidden: This needs the role admin/)].sort());
    expect(refused.find((e: any) => e.outcomeDesc.startsWith('401')).agent[0].who.display).toBe('anonymous');

    const override = (await search('subtype=lead-time-override&outcome=0')).entry[0].resource;
    expect(override.entity[0].what.identifier.value).toBe(release);
    expect(override.entity[0].detail).toEqual([{ type: 'status', valueString: 'faststalld' }]);
  });

  it('searches by date, agent, entity, type and outcome', async () => {
    const total = (q: string) => search(q).then((b) => b.total);
    const all = await total('');
    expect(all).toBeGreaterThan(CASES.length * 3 - 1);
    expect(await total(`date=ge${today}`)).toBe(all);
    expect(await total(`date=lt${today}`)).toBe(0);
    expect(await total(`date=${today.slice(0, 7)}`)).toBe(all);
    expect(await total('agent=Socialstyrelsen')).toBeGreaterThanOrEqual(3);
    // the accepted create, and the three attempts each at its update and delete
    expect(await total(`entity=CodeSystem/${csId}`)).toBe(7);
    expect(await total(`entity=release/${release}`)).toBeGreaterThanOrEqual(12);
    expect(await total('type=rest')).toBe(all);
    expect(await total('type=http://terminology.hl7.org/CodeSystem/audit-event-type|rest')).toBe(all);
    expect(await total('outcome=0') + (await total('outcome=4')) + (await total('outcome=8'))).toBe(all);
    const page = await search('_count=2');
    expect(page.entry).toHaveLength(2);
    expect(page.link.find((l: any) => l.relation === 'next').url).toMatch(/_offset=2/);
    expect((await call('GET', '/fhir/AuditEvent?date=yesterday', { as: 'admin' })).status).toBe(400);
    expect((await call('GET', '/fhir/AuditEvent?patient=x', { as: 'admin' })).status).toBe(400);
    const one = page.entry[0].resource;
    expect((await call('GET', `/fhir/AuditEvent/${one.id}`, { as: 'admin' })).json).toEqual(one);
  });

  it('holds no request bodies, query strings, comment texts or keys', async () => {
    const everything = JSON.stringify((await search('_count=1000')).entry);
    for (const secret of ['Bra ändring', 'Krav i ny föreskrift', 'Ändrad av en författare', 'newVersion', ...Object.values(keys)]) expect(everything).not.toContain(secret);
  });

  it('`kodverk audit verify` holds, then names the record altered directly in SQLite', async () => {
    const verify = async () => {
      const lines: string[] = [];
      let code = 0;
      const program = new Command('kodverk').exitOverride();
      program.addCommand(auditCommand({ dbPath: path.join(server.dir, 'kodverk.db'), out: (t) => lines.push(t), exitCode: (c) => (code = c) }));
      await program.parseAsync(['node', 'kodverk', 'audit', 'verify']);
      return { text: lines.join('\n'), code };
    };
    expect((await verify()).code).toBe(0);
    const target = (await search('subtype=release-status&outcome=0')).entry[0].resource.id;
    const db = new Database(path.join(server.dir, 'kodverk.db'));
    db.exec('DROP TRIGGER audit_event_no_update');
    db.prepare("UPDATE audit_event SET json = replace(json, 'Socialstyrelsen', 'Någon annan'), agent_name = 'Någon annan' WHERE seq = ?").run(Number(target));
    db.close();
    const { text, code } = await verify();
    expect(code).toBe(2);
    expect(text).toContain(`BROKEN at record ${target}: its content does not match its hash`);
  });
});

describe('reads that require an identity (KODVERK_READ_ACCESS=authenticated)', () => {
  let closed: RunningServer & { dir: string };
  let reader = '';
  beforeAll(async () => {
    closed = await startTestServer({ loadFhirCore: false, contentPackDir: tempDir('kodverk-empty-'), security: { readAccess: 'authenticated', rateLimit: 0 } });
    reader = (await new ApiKeys(closed.db).create({ name: 'Kommun', role: 'reader' })).key;
  });
  afterAll(() => closed?.close());

  it('refuses anonymous reads with 401 (OperationOutcome on the API, an error page for pages)', async () => {
    const api = await fetch(`${closed.url}/fhir/CodeSystem`);
    expect(api.status).toBe(401);
    expect(api.headers.get('www-authenticate')).toBe('Bearer realm="kodverk"');
    expect((await jsonOf<OperationOutcome>(api)).resourceType).toBe('OperationOutcome');
    const page = await fetch(`${closed.url}/`);
    expect(page.status).toBe(401);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const lookup = await fetch(`${closed.url}/fhir/CodeSystem/$lookup`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: '{"resourceType":"Parameters"}' });
    expect(lookup.status).toBe(401);
  });

  it('serves reads to any identity, and still refuses its writes', async () => {
    const auth = { Authorization: `Bearer ${reader}` };
    expect((await fetch(`${closed.url}/fhir/CodeSystem`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${closed.url}/`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${closed.url}/fhir/CodeSystem`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(cs()) })).status).toBe(403);
  });
});

describe('POST /admin/api-keys reads its fields or refuses', () => {
  // README: `GET|POST /admin/api-keys` (`{"name", "role", "expires"}`): an expiry that is given but
  // cannot be read fails closed, it never makes a key that does not expire
  it('400 for an expiry, name or role that is not a string, and no key is made', async () => {
    const before = (await call('GET', '/admin/api-keys', { as: 'admin' })).json.keys.length;
    for (const body of [
      { name: 'Leverantör X', role: 'publisher', expires: 1767225600 },
      { name: 'Leverantör X', role: 'publisher', expires: { a: 1 } },
      { name: 'Leverantör X', role: 'publisher', expires: null },
      { name: 'Leverantör X', role: 'publisher', expires: ['2030-01-01'] },
      { name: { a: 1 }, role: 'reader' },
      { name: 7, role: 'reader' },
      { name: 'Leverantör X', role: ['reader'] },
    ]) {
      const a = await call('POST', '/admin/api-keys', { as: 'admin', body });
      expect([body, a.status, a.json.resourceType]).toEqual([body, 400, 'OperationOutcome']);
    }
    expect((await call('GET', '/admin/api-keys', { as: 'admin' })).json.keys.length).toBe(before);
    const made = await call('POST', '/admin/api-keys', { as: 'admin', body: { name: 'Leverantör X', role: 'reader', expires: '2099-12-31' } });
    expect([made.status, made.json.expires]).toEqual([201, '2099-12-31T23:59:59.999Z']);
  });
});
